package sharedpool_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSetLogger(t *testing.T) {
	var buf syncBuffer
	sharedpool.SetLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer sharedpool.SetLogger(nil)

	name := uniqueName(t)
	p, err := sharedpool.Open(testDSN, sharedpool.WithPoolName(name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	p.Close() // the last reference: the pool closes and says so
	out := buf.String()
	if !strings.Contains(out, name) || !strings.Contains(out, "level=INFO") || !strings.Contains(out, "event=pool_closed") {
		t.Errorf("no info event pool_closed naming the pool %q in:\n%s", name, out)
	}
	if strings.Contains(out, password(t)) {
		t.Errorf("the password shows in the log:\n%s", out)
	}

	sharedpool.SetLogger(nil)
	before := buf.String()
	p, err = sharedpool.Open(testDSN, sharedpool.WithPoolName(uniqueName(t)))
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if after := buf.String(); after != before {
		t.Errorf("events after SetLogger(nil):\n%s", after[len(before):])
	}
}

func TestEventKind(t *testing.T) {
	for msg, want := range map[string]string{
		"pool a@h:1/d#x: closed":                                    "pool_closed",
		"pool a@h:1/d: connect failed: refused":                     "connect_failed",
		"pool p: timed out after 5 ms waiting":                      "acquire_timeout",
		"pool p#f: server near capacity: pool capped at 3 of 10":    "server_near_capacity",
		"pool p#a: b: connection held by j for 9 ms, possible leak": "leak_suspected",
		"something else": "other",
	} {
		if got := sharedpool.EventKind(msg); got != want {
			t.Errorf("EventKind(%q) = %q, want %q", msg, got, want)
		}
	}
}
