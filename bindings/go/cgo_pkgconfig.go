//go:build cgo && sharedpool_pkgconfig

package sharedpool

// Installed use (`make install`, then `go build -tags sharedpool_pkgconfig`): flags from
// sharedpool.pc.

// #cgo pkg-config: sharedpool
import "C"
