//go:build sharedpool_static

package sharedpool_test

import (
	"context"
	"os"
	"strings"
	"testing"
)

// Built with -tags sharedpool_static: neither libsharedpool.so nor libmariadb.so is mapped,
// and the pool works.
func TestStaticBuildMapsNoSharedLibrary(t *testing.T) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range []string{"libsharedpool.so", "libmariadb.so"} {
		if strings.Contains(string(maps), lib) {
			t.Errorf("%s is mapped in a static build", lib)
		}
	}
	p := openPool(t)
	var n int
	if err := p.QueryRow(context.Background(), "SELECT 6 * 7").Scan(&n); err != nil || n != 42 {
		t.Fatalf("query: %v, %d", err, n)
	}
}
