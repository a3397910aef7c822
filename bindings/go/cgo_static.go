//go:build cgo && sharedpool_static

package sharedpool

// A self-contained binary (`make lib`, then `go build -tags sharedpool_static` in the
// checkout): libsharedpool.a and the client library's static archive (libmariadb.a, Debian's
// libmariadb-dev) are linked in, so the program runs without libsharedpool.so.1 or
// libmariadb.so.3 beside it; OpenSSL, zlib and libc stay shared (distroless/base has them).
// Trade-off: the registry is this binary's own, so one pool per target holds only while
// nothing else in the process loads libsharedpool.so (a plugin, a Python interpreter).

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libsharedpool.a -Wl,-Bstatic -lmariadb -Wl,-Bdynamic -lssl -lcrypto -lz -lgcc_s -lutil -lrt -lpthread -lm -ldl
import "C"
