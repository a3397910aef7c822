package sharedpool_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

var ctx = context.Background()

// upper is an sql.Scanner.
type upper string

func (u *upper) Scan(src any) error {
	switch s := src.(type) {
	case string:
		*u = upper(strings.ToUpper(s))
	case []byte:
		*u = upper(strings.ToUpper(string(s)))
	default:
		return fmt.Errorf("upper: cannot scan %T", src)
	}
	return nil
}

func TestArgumentsRoundTrip(t *testing.T) {
	p := openPool(t)
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	var (
		i      int
		i64    int64
		u64    uint64
		f      float64
		s      string
		b      []byte
		yes    bool
		tm     time.Time
		null   sql.NullString
		valuer sql.NullInt64
		up     upper
		anyv   any
	)
	err := p.QueryRow(ctx,
		"SELECT ?, ?, ?, ?, ?, ?, ?, CAST(? AS DATETIME(6)), ?, ?, ?, ?",
		int8(-7), int64(math.MinInt64), uint64(math.MaxUint64), 2.5, "héllo 'quoted' \\ ?",
		[]byte{0, 1, 2, 0xff}, true, when, nil, sql.NullInt64{Int64: 42, Valid: true}, "shout", nil,
	).Scan(&i, &i64, &u64, &f, &s, &b, &yes, &tm, &null, &valuer, &up, &anyv)
	if err != nil {
		t.Fatalf("QueryRow: %v", err)
	}
	if i != -7 || i64 != math.MinInt64 || u64 != math.MaxUint64 || f != 2.5 || s != "héllo 'quoted' \\ ?" {
		t.Errorf("got %d %d %d %v %q", i, i64, u64, f, s)
	}
	if !bytes.Equal(b, []byte{0, 1, 2, 0xff}) || !yes || !tm.Equal(when) || null.Valid || valuer.Int64 != 42 || up != "SHOUT" || anyv != nil {
		t.Errorf("got %v %v %v %v %v %q %v", b, yes, tm, null, valuer, up, anyv)
	}
}

func TestColumnTypes(t *testing.T) {
	p := openPool(t)
	var (
		small    any
		unsigned any
		dbl      any
		dec      any
		txt      any
		bin      any
		date     any
		dt       time.Time
		decStr   string
		decFloat float64
		intStr   string
		nullInt  sql.NullInt64
	)
	err := p.QueryRow(ctx, `SELECT CAST(5 AS SIGNED), CAST(18446744073709551615 AS UNSIGNED), 1.5e0,
		CAST(1.25 AS DECIMAL(10,2)), 'text', CAST('bin' AS BINARY), DATE('2020-01-02'),
		TIMESTAMP('2020-01-02 03:04:05'), CAST(3.50 AS DECIMAL(10,2)), CAST(0.5 AS DECIMAL(4,2)), 77, NULL`).
		Scan(&small, &unsigned, &dbl, &dec, &txt, &bin, &date, &dt, &decStr, &decFloat, &intStr, &nullInt)
	if err != nil {
		t.Fatalf("QueryRow: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"signed", small, int64(5)},
		{"unsigned", unsigned, uint64(math.MaxUint64)},
		{"double", dbl, 1.5},
		{"decimal", dec, "1.25"},
		{"text", txt, "text"},
		{"date", date, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"datetime", dt, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"decimal as string", decStr, "3.50"},
		{"decimal as float", decFloat, 0.5},
		{"int as string", intStr, "77"},
		{"null", nullInt.Valid, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			if gt, ok := c.got.(time.Time); ok && gt.Equal(c.want.(time.Time)) {
				continue
			}
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if bb, ok := bin.([]byte); !ok || string(bb) != "bin" {
		t.Errorf("binary: got %#v, want []byte(\"bin\")", bin)
	}
}

func TestRowsAndExec(t *testing.T) {
	p := openPool(t)
	table := "go_rows_test"
	if _, err := p.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(ctx, "CREATE TABLE "+table+" (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), score DOUBLE NULL)"); err != nil {
		t.Fatal(err)
	}
	defer p.Exec(ctx, "DROP TABLE "+table)

	res, err := p.Exec(ctx, "INSERT INTO "+table+" (name, score) VALUES (?, ?), (?, ?), (?, ?)", "a", 1.5, "b", nil, "c", 3)
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Errorf("RowsAffected = %d, want 3", n)
	}
	if id, _ := res.LastInsertId(); id != 1 {
		t.Errorf("LastInsertId = %d, want 1 (the first row of a multi-row insert)", id)
	}
	res, err = p.Exec(ctx, "UPDATE "+table+" SET score = score + 1 WHERE score IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Errorf("update RowsAffected = %d, want 2", n)
	}

	rows, err := p.Query(ctx, "SELECT id, name, score FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	if strings.Join(cols, ",") != "id,name,score" {
		t.Errorf("Columns = %v", cols)
	}
	if err := rows.Scan(new(int)); err == nil {
		t.Error("Scan before Next succeeded")
	}
	var got []string
	for rows.Next() {
		var id int
		var name string
		var score sql.NullFloat64
		if err := rows.Scan(&id, &name); err == nil {
			t.Error("Scan with too few destinations succeeded")
		}
		if err := rows.Scan(&id, &name, &score); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s:%v:%v", id, name, score.Valid, score.Float64))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "1:a:true:2.5 2:b:false:0 3:c:true:4" {
		t.Errorf("rows = %v", got)
	}
	if err := rows.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if rows.Next() {
		t.Error("Next after Close returned true")
	}

	// Scan conversion errors name the column, as database/sql's do.
	var n int
	err = p.QueryRow(ctx, "SELECT 'x' AS word").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), `"word"`) {
		t.Errorf("scanning text into int: %v", err)
	}
	if err := p.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id < 0").Scan(&n); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("no rows: got %v, want sql.ErrNoRows", err)
	}
}

func TestConnAcquireRelease(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(2))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SET @who = ?", "first"); err != nil {
		t.Fatal(err)
	}
	var who string
	if err := c.QueryRow(ctx, "SELECT @who").Scan(&who); err != nil || who != "first" {
		t.Fatalf("session variable on one Conn: %q, %v", who, err)
	}
	rows, err := c.Query(ctx, "SELECT 1 UNION ALL SELECT 2")
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
	}
	if sum != 3 {
		t.Errorf("sum = %d", sum)
	}
	if st := p.Stats(); st.Active != 1 || st.MaxSize != 2 {
		t.Errorf("stats while held: %+v", st)
	}
	c.Release()
	c.Release() // idempotent
	if _, err := c.Exec(ctx, "DO 1"); !errors.Is(err, sql.ErrConnDone) {
		t.Errorf("Exec after Release: %v, want sql.ErrConnDone", err)
	}
	if st := p.Stats(); st.Active != 0 {
		t.Errorf("stats after release: %+v", st)
	}

	// Discard closes the connection instead of pooling it.
	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := p.Stats().ClosedTotal
	c.Discard()
	if st := p.Stats(); st.ClosedTotal != before+1 || st.Active != 0 {
		t.Errorf("after Discard: %+v (closed before %d)", st, before)
	}
}

func TestSessionStateDoesNotBleed(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(1))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var id1 int64
	if err := c.QueryRow(ctx, "SELECT CONNECTION_ID()").Scan(&id1); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"SET @x = 42", "SET time_zone = '+05:00'", "CREATE TEMPORARY TABLE go_tmp (a INT)", "START TRANSACTION"} {
		if _, err := c.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	c.Release()

	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	var (
		id2    int64
		x      sql.NullInt64
		tz     string
		inTx   int64
		tmpCnt int64
	)
	if err := c.QueryRow(ctx, "SELECT CONNECTION_ID(), @x, @@session.time_zone, @@in_transaction").Scan(&id2, &x, &tz, &inTx); err != nil {
		t.Fatal(err)
	}
	if id2 != id1 {
		t.Logf("the pool gave another connection (%d, was %d); the check still holds", id2, id1)
	}
	if x.Valid || tz == "+05:00" || inTx != 0 {
		t.Errorf("session state bled: @x=%v time_zone=%q in_transaction=%d", x, tz, inTx)
	}
	err = c.QueryRow(ctx, "SELECT COUNT(*) FROM go_tmp").Scan(&tmpCnt)
	var me *sharedpool.MySQLError
	if !errors.As(err, &me) || me.Number != 1146 {
		t.Errorf("temporary table survived the release: %v", err)
	}
}
