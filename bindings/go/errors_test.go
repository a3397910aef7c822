package sharedpool_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

func TestServerErrorIsMySQLError(t *testing.T) {
	p := openPool(t)
	_, err := p.Query(ctx, "SELECT * FROM no_such_table")
	var me *sharedpool.MySQLError
	if !errors.As(err, &me) {
		t.Fatalf("got %T %v, want *MySQLError", err, err)
	}
	if me.Number != 1146 || me.SQLState != "42S02" || !strings.Contains(me.Message, "no_such_table") {
		t.Errorf("got %+v", me)
	}
	if !strings.Contains(err.Error(), "1146") {
		t.Errorf("message lacks the error number: %q", err.Error())
	}
	// The connection survives a server error.
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("after a server error: %d, %v", one, err)
	}
	// Through Conn and Row too.
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	err = c.QueryRow(ctx, "SELEC 1").Scan(&one)
	if !errors.As(err, &me) || me.Number != 1064 || me.SQLState != "42000" {
		t.Errorf("syntax error: %v", err)
	}
}

func TestConfigConflict(t *testing.T) {
	name := uniqueName(t)
	p1, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(2))
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	_, err = sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(3))
	if !errors.Is(err, sharedpool.ErrConfigConflict) {
		t.Fatalf("got %v, want ErrConfigConflict", err)
	}
	var e *sharedpool.Error
	if !errors.As(err, &e) || e.Code != sharedpool.CodeConfigConflict || !strings.Contains(e.Message, "max_size") {
		t.Errorf("conflict error should name max_size: %#v", err)
	}
	if strings.Contains(err.Error(), password(t)) {
		t.Errorf("the password shows in %q", err.Error())
	}
	p2, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(3), sharedpool.WithReuseOnConflict())
	if err != nil {
		t.Fatalf("reuse: %v", err)
	}
	defer p2.Close()
	if st := p2.Stats(); st.MaxSize != 2 || st.Refs != 2 {
		t.Errorf("reused pool: %+v, want MaxSize 2 Refs 2", st)
	}
}

func TestInvalidInput(t *testing.T) {
	cases := []struct {
		name string
		dsn  string
		opts []sharedpool.Option
		code sharedpool.Code
	}{
		{"bad DSN", "postgres://nope", nil, sharedpool.CodeInvalidDSN},
		{"unknown option", testDSN, []sharedpool.Option{sharedpool.WithOption("max_sise", "3")}, sharedpool.CodeInvalidOption},
		{"bad value", testDSN, []sharedpool.Option{sharedpool.WithOption("max_size", "many")}, sharedpool.CodeInvalidOption},
		{"NUL in DSN", testDSN + "\x00", nil, sharedpool.CodeInvalidArgument},
	}
	for _, c := range cases {
		p, err := sharedpool.Open(c.dsn, c.opts...)
		if err == nil {
			p.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		var e *sharedpool.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: got %#v, want code %v", c.name, err, c.code)
		}
		if strings.Contains(err.Error(), password(t)) {
			t.Errorf("%s: the password shows in %q", c.name, err.Error())
		}
	}
	p := openPool(t)
	if _, err := p.Exec(ctx, "SELECT 1\x00; DROP TABLE x"); err == nil {
		t.Error("a query with a NUL byte ran")
	}
	if _, err := p.Exec(ctx, "SELECT ?", struct{}{}); err == nil {
		t.Error("an unsupported argument type was accepted")
	}
}

func TestAuthError(t *testing.T) {
	bad := strings.Replace(testDSN, ":"+password(t)+"@", ":wrong-secret@", 1)
	p, err := sharedpool.Open(bad, sharedpool.WithPoolName(uniqueName(t)), sharedpool.WithAcquireTimeout(5e9))
	if err == nil {
		defer p.Close()
		_, err = p.Exec(ctx, "DO 1")
	}
	var e *sharedpool.Error
	if !errors.As(err, &e) || e.Code != sharedpool.CodeAuth {
		t.Fatalf("got %#v, want an auth error", err)
	}
	var me *sharedpool.MySQLError
	if !errors.As(err, &me) || me.Number != 1045 || me.SQLState != "28000" {
		t.Errorf("the server's refusal behind the auth error: %#v", me)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("the password shows in %q", err.Error())
	}
}

// The README's snippet taken literally: Open with WithMaxSize, then a Connector that says
// nothing about the size joins the same pool instead of conflicting.
func TestUnsetOptionsJoinTheLivePool(t *testing.T) {
	name := uniqueName(t)
	p, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(8))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	db := sql.OpenDB(sharedpool.Connector(testDSN, sharedpool.WithPoolName(name)))
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatalf("a Connector without options conflicted: %v", err)
	}
	if st := p.Stats(); st.Refs != 2 || st.MaxSize != 8 {
		t.Fatalf("one pool of 8 expected: %+v", st)
	}
}

// Code names come from the library (sp_code_name), the same in every language.
func TestCodeNamesFromTheLibrary(t *testing.T) {
	for code, want := range map[sharedpool.Code]string{
		sharedpool.CodeOK:             "ok",
		sharedpool.CodeInvalidDSN:     "invalid_dsn",
		sharedpool.CodeConfigConflict: "config_conflict",
		sharedpool.CodeConnectionLost: "connection_lost",
		sharedpool.CodeInternal:       "internal",
		sharedpool.Code(99):           "code 99",
		sharedpool.Code(-1):           "code -1",
	} {
		if got := code.String(); got != want {
			t.Errorf("Code(%d).String() = %q, want %q", int(code), got, want)
		}
	}
}

// Every typed option helper yields an option the library accepts, with the value it means.
func TestTypedOptionHelpers(t *testing.T) {
	p := openPool(t,
		sharedpool.WithMaxSize(3), sharedpool.WithMinIdle(0),
		sharedpool.WithAcquireTimeout(1500*time.Millisecond),
		sharedpool.WithIdleTimeout(time.Minute), sharedpool.WithMaxLifetime(10*time.Minute),
		sharedpool.WithMaxUses(1000), sharedpool.WithMaxConnecting(2),
		sharedpool.WithValidationIdle(500*time.Millisecond), sharedpool.WithAdaptive(true),
		sharedpool.WithHeadroom(1.5), sharedpool.WithLeakDetection(time.Minute), sharedpool.WithServerHeadroom(3),
		sharedpool.WithLinger(0), sharedpool.WithInitSQL("SET @typed = 1"),
		sharedpool.WithConnectTimeout(5*time.Second), sharedpool.WithReadTimeout(30*time.Second),
		sharedpool.WithWriteTimeout(30*time.Second), sharedpool.WithCharset("utf8mb4"),
		sharedpool.WithTLS("preferred", "", "", ""), sharedpool.WithClientFoundRows(true),
		sharedpool.WithMaxAllowedPacket(1<<24), sharedpool.WithRejectReadOnly(true),
		sharedpool.WithSessionVariable("time_zone", "'+02:00'"),
	)
	var tz string
	var typed int
	if err := p.QueryRow(context.Background(), "SELECT @@SESSION.time_zone, @typed").Scan(&tz, &typed); err != nil {
		t.Fatal(err)
	}
	if tz != "+02:00" || typed != 1 {
		t.Fatalf("time_zone %q, @typed %d", tz, typed)
	}
	if st := p.Stats(); st.MaxSize != 3 {
		t.Fatalf("%+v", st)
	}
	if _, err := sharedpool.Open(testDSN, sharedpool.WithSessionVariable("no_such_var", "1")); err == nil {
		t.Fatal("an unknown session variable must fail")
	}
}

func TestRegisterTLS(t *testing.T) {
	for _, name := range []string{"", "true", "has space"} {
		if err := sharedpool.RegisterTLS(name, "", "", ""); err == nil {
			t.Errorf("RegisterTLS(%q) accepted", name)
		}
	}
	if err := sharedpool.RegisterTLS("go-ca", "/no/such/ca.pem", "", ""); err == nil || !strings.Contains(err.Error(), "/no/such/ca.pem") {
		t.Errorf("a missing CA file: %v", err)
	}
	if err := sharedpool.RegisterTLS("go-ca", "../../include/sharedpool.h", "", ""); err != nil {
		t.Fatal(err)
	}
	// The name now parses as a TLS mode; an unregistered one does not.
	if _, err := sharedpool.Open(testDSN + "?tls=never-registered&pool_name=tlsname"); err == nil {
		t.Error("an unregistered TLS name opened")
	}
	p, err := sharedpool.Open(testDSN + "?tls=go-ca&pool_name=tlsname&connect_timeout_ms=2000&acquire_timeout_ms=3000")
	if err != nil {
		t.Fatalf("tls=go-ca: %v", err)
	}
	defer p.Close()
	// The test server speaks no TLS here: verify-identity cannot connect, and says why.
	if _, err := p.Exec(context.Background(), "DO 1"); err == nil {
		t.Error("verify-identity connected to a server without TLS")
	}
}
