//go:build !cgo

package sharedpool

// sharedpool is a cgo package over libsharedpool's C ABI; it cannot be built without cgo.
// The undefined name below is the build error a CGO_ENABLED=0 build shows.
var _ = sharedpool_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler
