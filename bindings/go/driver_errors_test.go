package sharedpool_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// Through database/sql, errors with a server error number are go-sql-driver's
// *mysql.MySQLError at the top level (what GORM and hand-written MySQL code assert);
// the others keep sharedpool's types.
func TestDriverErrorsAreGoSQLDriverErrors(t *testing.T) {
	db, name := openDB(t, sharedpool.WithMaxSize(1))
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()

	_, err := db.QueryContext(tctx, "SELEC 1")
	me, ok := err.(*mysql.MySQLError)
	if !ok || me.Number != 1064 || string(me.SQLState[:]) != "42000" {
		t.Fatalf("syntax error through database/sql: %T %v", err, err)
	}
	if strings.Contains(me.Message, "reading rows") || !strings.HasPrefix(err.Error(), "Error 1064 (42000): ") {
		t.Errorf("message %q", err.Error())
	}
	if !errors.Is(err, &mysql.MySQLError{Number: 1064}) {
		t.Errorf("go-sql-driver's errors.Is by number fails: %v", err)
	}

	// A refused login (a server errno behind sharedpool's auth code) is one too.
	u, err := url.Parse(testDSN)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "not-the-password")
	bad := sql.OpenDB(sharedpool.Connector(u.String(), sharedpool.WithPoolName(uniqueName(t)),
		sharedpool.WithOption("connect_timeout_ms", "5000"), sharedpool.WithAcquireTimeout(10*time.Second)))
	defer bad.Close()
	err = bad.PingContext(tctx)
	if me, ok := err.(*mysql.MySQLError); !ok || me.Number != 1045 {
		t.Errorf("refused login through database/sql: %T %v", err, err)
	}
	if err != nil && strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("the password shows in %q", err.Error())
	}

	// Errors without a server errno keep their types: a timeout is still ErrTimeout.
	p := peek(t, name, sharedpool.WithMaxSize(1))
	held, err := p.Acquire(tctx)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(tctx, 50*time.Millisecond)
	defer dcancel()
	_, err = db.ExecContext(dctx, "DO 1")
	held.Release()
	var e *sharedpool.Error
	if !errors.As(err, &e) || !errors.Is(err, sharedpool.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout through database/sql: %T %v", err, err)
	}
}

// The native API keeps *sharedpool.MySQLError, and errors.As finds go-sql-driver's type too.
func TestNativeServerErrorAsGoSQLDriverError(t *testing.T) {
	p := openPool(t)
	_, err := p.Exec(ctx, "INSERT INTO no_such_table VALUES (1)")
	var own *sharedpool.MySQLError
	var gosql *mysql.MySQLError
	if !errors.As(err, &own) || !errors.As(err, &gosql) {
		t.Fatalf("%T %v: want *sharedpool.MySQLError and errors.As to *mysql.MySQLError", err, err)
	}
	if gosql.Number != own.Number || gosql.Number != 1146 || string(gosql.SQLState[:]) != own.SQLState || gosql.Message != own.Message {
		t.Errorf("converted %+v from %+v", gosql, own)
	}
}
