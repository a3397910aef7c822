package sharedpool_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

type sqlxItem struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
	Qty  int    `db:"qty"`
}

// TestSQLX: sqlx over sql.OpenDB(Connector(dsn)): NamedExec, Select into structs, Get, and
// transactions that commit and roll back.
func TestSQLX(t *testing.T) {
	sqlDB, _ := openDB(t)
	db := sqlx.NewDb(sqlDB, "mysql") // "mysql" picks sqlx's ? bindvars
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db.MustExecContext(tctx, "DROP TABLE IF EXISTS go_sqlx_items")
	db.MustExecContext(tctx, "CREATE TABLE go_sqlx_items (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE, qty INT NOT NULL)")
	defer db.Exec("DROP TABLE go_sqlx_items")

	res, err := db.NamedExecContext(tctx, "INSERT INTO go_sqlx_items (name, qty) VALUES (:name, :qty)",
		[]sqlxItem{{Name: "apple", Qty: 3}, {Name: "pear", Qty: 5}})
	if err != nil {
		t.Fatalf("NamedExec (batch): %v", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Errorf("RowsAffected %d %v, want 2", n, err)
	}
	if _, err := db.NamedExecContext(tctx, "INSERT INTO go_sqlx_items (name, qty) VALUES (:name, :qty)",
		map[string]any{"name": "plum", "qty": 7}); err != nil {
		t.Fatalf("NamedExec (map): %v", err)
	}

	var items []sqlxItem
	if err := db.SelectContext(tctx, &items, "SELECT id, name, qty FROM go_sqlx_items WHERE qty > ? ORDER BY name", 2); err != nil {
		t.Fatalf("Select: %v", err)
	}
	if len(items) != 3 || items[0].Name != "apple" || items[1].Name != "pear" || items[2].Qty != 7 || items[0].ID == 0 {
		t.Errorf("Select: %+v", items)
	}
	var pear sqlxItem
	if err := db.GetContext(tctx, &pear, "SELECT * FROM go_sqlx_items WHERE name = ?", "pear"); err != nil || pear.Qty != 5 {
		t.Errorf("Get: %+v, %v", pear, err)
	}

	// A transaction that commits.
	tx, err := db.BeginTxx(tctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.NamedExecContext(tctx, "UPDATE go_sqlx_items SET qty = qty + :add WHERE name = :name",
		map[string]any{"add": 10, "name": "apple"}); err != nil {
		t.Fatal(err)
	}
	var inTx int
	if err := tx.GetContext(tctx, &inTx, "SELECT qty FROM go_sqlx_items WHERE name = ?", "apple"); err != nil || inTx != 13 {
		t.Errorf("read inside the transaction: %d, %v", inTx, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	// One that rolls back.
	tx, err = db.BeginTxx(tctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx.MustExecContext(tctx, "DELETE FROM go_sqlx_items")
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}

	var total int
	if err := db.GetContext(tctx, &total, "SELECT SUM(qty) FROM go_sqlx_items"); err != nil || total != 13+5+7 {
		t.Errorf("after commit and rollback: SUM(qty) = %d, %v; want 25", total, err)
	}
}
