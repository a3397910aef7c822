package sharedpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

type gormUser struct {
	ID    uint   `gorm:"primaryKey"`
	Email string `gorm:"size:64;uniqueIndex"`
	Name  string `gorm:"size:64"`
}

func (gormUser) TableName() string { return "go_gorm_users" }

// TestGORM: GORM over sql.OpenDB(Connector(dsn)) migrates, creates, reads, commits and
// rolls back transactions, and with TranslateError maps a duplicate key to
// gorm.ErrDuplicatedKey.
func TestGORM(t *testing.T) {
	sqlDB, _ := openDB(t)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	gdb, err := gorm.Open(mysql.New(mysql.Config{Conn: sqlDB}), &gorm.Config{
		TranslateError: true,
		Logger:         logger.Default.LogMode(logger.Silent),
	})
	if err != nil {
		t.Fatalf("gorm.Open: %v", err)
	}
	db := gdb.WithContext(tctx)
	if err := db.Migrator().DropTable(&gormUser{}); err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&gormUser{}); err != nil {
		t.Fatalf("AutoMigrate: %v", err)
	}
	defer db.Migrator().DropTable(&gormUser{})
	if !db.Migrator().HasTable(&gormUser{}) {
		t.Fatal("AutoMigrate did not create the table")
	}

	ann := gormUser{Email: "ann@example.com", Name: "Ann"}
	if err := db.Create(&ann).Error; err != nil {
		t.Fatalf("Create: %v", err)
	}
	if ann.ID == 0 {
		t.Error("Create did not set the primary key")
	}
	var got gormUser
	if err := db.First(&got, "email = ?", "ann@example.com").Error; err != nil || got != ann {
		t.Fatalf("First: %+v, %v; want %+v", got, err, ann)
	}
	if err := db.First(&got, "email = ?", "nobody").Error; !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Errorf("First of no row: %v, want gorm.ErrRecordNotFound", err)
	}

	// A duplicate key, translated: on MariaDB >= 10.5 GORM inserts with RETURNING (a query);
	// without the version check it runs a plain INSERT (an exec). Both paths translate.
	err = db.Create(&gormUser{Email: "ann@example.com", Name: "Ann again"}).Error
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Errorf("duplicate Create (RETURNING): %T %v, want gorm.ErrDuplicatedKey", err, err)
	}
	plain, err := gorm.Open(mysql.New(mysql.Config{Conn: sqlDB, SkipInitializeWithVersion: true}), &gorm.Config{
		TranslateError: true,
		Logger:         logger.Default.LogMode(logger.Silent),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = plain.WithContext(tctx).Create(&gormUser{Email: "ann@example.com"}).Error
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Errorf("duplicate Create (INSERT): %T %v, want gorm.ErrDuplicatedKey", err, err)
	}

	// A transaction that commits, and one that rolls back.
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&gormUser{Email: "bob@example.com", Name: "Bob"}).Error; err != nil {
			return err
		}
		return tx.Model(&gormUser{}).Where("email = ?", "ann@example.com").Update("name", "Ann B").Error
	})
	if err != nil {
		t.Fatalf("committed transaction: %v", err)
	}
	abort := errors.New("abort")
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&gormUser{Email: "cat@example.com", Name: "Cat"}).Error; err != nil {
			return err
		}
		if err := tx.Create(&gormUser{Email: "bob@example.com"}).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate in a transaction: %v", err)
		}
		return abort
	})
	if !errors.Is(err, abort) {
		t.Errorf("rolled-back transaction returned %v", err)
	}
	var emails []string
	if err := db.Model(&gormUser{}).Order("email").Pluck("email", &emails).Error; err != nil {
		t.Fatal(err)
	}
	if len(emails) != 2 || emails[0] != "ann@example.com" || emails[1] != "bob@example.com" {
		t.Errorf("rows after commit and rollback: %v, want [ann bob]", emails)
	}
	if err := db.First(&got, ann.ID).Error; err != nil || got.Name != "Ann B" {
		t.Errorf("the committed update: %+v, %v", got, err)
	}
}
