package sharedpool_test

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"sort"
	"testing"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// headerStatsFields reads the fields of sp_stats (less size) from include/sharedpool.h.
func headerStatsFields(t *testing.T) []string {
	t.Helper()
	h, err := os.ReadFile("../../include/sharedpool.h")
	if err != nil {
		t.Fatalf("the header: %v", err)
	}
	body := regexp.MustCompile(`(?s)typedef struct sp_stats \{(.*?)\} sp_stats;`).FindSubmatch(h)
	if body == nil {
		t.Fatal("sp_stats is not in the header")
	}
	var fields []string
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:uint32_t|uint64_t|int32_t|int64_t|double)\s+(\w+);`).FindAllSubmatch(body[1], -1) {
		if f := string(m[1]); f != "size" {
			fields = append(fields, f)
		}
	}
	return fields
}

func TestStatsHasEveryHeaderField(t *testing.T) {
	want := headerStatsFields(t)
	if len(want) < 21 {
		t.Fatalf("only %d fields read from the header", len(want))
	}
	var got []string
	typ := reflect.TypeOf(sharedpool.Stats{})
	for i := 0; i < typ.NumField(); i++ {
		got = append(got, typ.Field(i).Tag.Get("abi"))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Stats fields (abi tags) %v, the header's sp_stats %v", got, want)
	}

	p := openPool(t)
	if _, err := p.Exec(context.Background(), "DO 1"); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.AcquiresTotal < 1 || st.HoldTimeTotal <= 0 || st.RecommendedSize > st.MaxSize {
		t.Fatalf("%+v", st)
	}
}

// DBStats maps the pool's figures onto sql.DBStats where they mean the same thing.
func TestStatsDBStats(t *testing.T) {
	p := openPool(t, sharedpool.WithMaxSize(3))
	c, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	c.Release()
	d := st.DBStats()
	if d.MaxOpenConnections != 3 || d.InUse != 1 || d.OpenConnections != st.Total || d.OpenConnections < 1 ||
		d.Idle != st.Idle || d.WaitDuration != st.WaitTimeTotal {
		t.Errorf("DBStats %+v from %+v", d, st)
	}
	if d.WaitCount != 0 || d.MaxIdleClosed != 0 || d.MaxIdleTimeClosed != 0 || d.MaxLifetimeClosed != 0 {
		t.Errorf("fields without data are not zero: %+v", d)
	}
}
