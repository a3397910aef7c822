//go:build cgo

package sharedpool

// #include <stddef.h>
import "C"

import "unsafe"

// spGoLog is the sp_log_fn SetLogger installs. (A file with //export may only declare in
// its preamble, hence this file of its own.)
//
//export spGoLog
func spGoLog(_ unsafe.Pointer, level C.int, message *C.char) {
	deliverLog(int(level), C.GoString(message))
}
