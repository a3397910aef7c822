package sharedpool_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// TestDSNParameterTable runs the core's DSN parameter table (tests/data/dsn_params.tsv) from
// Go, in both DSN forms against the test server: rows that parse open a pool, the others fail
// with an invalid-option or invalid-DSN error that says why.
func TestDSNParameterTable(t *testing.T) {
	f, err := os.Open("../../tests/data/dsn_params.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := url.Parse(testDSN)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	forms := []string{
		fmt.Sprintf("mysql://%s:%s@%s/sp?", u.User.Username(), url.QueryEscape(pw), u.Host),
		fmt.Sprintf("%s:%s@tcp(%s)/sp?", u.User.Username(), pw, u.Host),
	}
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		query, outcome, detail := cols[0], cols[1], ""
		if len(cols) > 2 {
			detail = cols[2]
		}
		rows++
		for i, form := range forms {
			dsn := form + query + "&pool_name=" + fmt.Sprintf("table-%d-%d", rows, i)
			p, err := sharedpool.Open(dsn)
			switch outcome {
			case "ok", "noop":
				if err != nil {
					t.Errorf("%s: %v", query, err)
					continue
				}
				p.Close()
			default:
				if err == nil {
					p.Close()
					t.Errorf("%s: opened, want %s (%s)", query, outcome, detail)
					continue
				}
				var e *sharedpool.Error
				okCode := errors.As(err, &e) && (e.Code == sharedpool.CodeInvalidOption ||
					outcome == "invalid" && e.Code == sharedpool.CodeInvalidDSN)
				if !okCode {
					t.Errorf("%s: %v, want an invalid-option error", query, err)
				}
				if !strings.Contains(err.Error(), detail) || strings.Contains(err.Error(), pw) {
					t.Errorf("%s: %q should say %q and never the password", query, err, detail)
				}
			}
		}
	}
	if rows < 100 {
		t.Fatalf("only %d rows", rows)
	}
}
