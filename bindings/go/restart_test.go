package sharedpool_test

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// TestServerRestart: a connection whose server went away fails with a connection error (not
// a hang, not a stale result), and the pool then serves fresh connections.
func TestServerRestart(t *testing.T) {
	restart := os.Getenv("SHAREDPOOL_TEST_RESTART")
	if restart == "" {
		t.Fatal("SHAREDPOOL_TEST_RESTART is not set: run under tests/mariadb.sh run")
	}
	p := openPool(t, sharedpool.WithMaxSize(2), sharedpool.WithAcquireTimeout(20*time.Second))
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restarting the server: %v\n%s", err, out)
	}
	_, err = c.Exec(ctx, "DO 1")
	var e *sharedpool.Error
	if !errors.As(err, &e) || e.Code != sharedpool.CodeConnectionLost {
		t.Errorf("query on a connection the server dropped: %#v, want CodeConnectionLost", err)
	}
	c.Release()
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("the pool after the restart: %d %v", one, err)
	}
}
