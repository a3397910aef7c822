//go:build cgo && !sharedpool_pkgconfig && !sharedpool_static

package sharedpool

// In a checkout: the header from include/ and the library `make lib` builds in
// target/release, found at run time through an rpath, so `go build` needs no environment.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lsharedpool -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
