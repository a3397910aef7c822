package prometheus_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
	spprom "github.com/sharedpool/sharedpool/bindings/go/prometheus"
)

func TestCollectorGathersEveryPool(t *testing.T) {
	dsn := os.Getenv("SHAREDPOOL_TEST_DSN")
	if dsn == "" {
		t.Fatal("SHAREDPOOL_TEST_DSN is not set: run under tests/mariadb.sh run")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(spprom.NewCollector())
	name := fmt.Sprintf("prom-%d", os.Getpid())
	p, err := sharedpool.Open(dsn, sharedpool.WithPoolName(name), sharedpool.WithMaxSize(3))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 3; i++ {
		if _, err := p.Exec(context.Background(), "DO 1"); err != nil {
			t.Fatal(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "sp-secret") {
					t.Fatalf("the password in a label: %s", l.GetValue())
				}
				if l.GetName() == "pool" && strings.HasSuffix(l.GetValue(), "#"+name) {
					found[f.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
				}
			}
		}
	}
	if found["sharedpool_acquires_total"] < 3 || found["sharedpool_max_size"] != 3 {
		t.Fatalf("the pool's series: %v", found)
	}
	if len(found) < 10 {
		t.Fatalf("only %d families for the pool: %v", len(found), found)
	}
}
