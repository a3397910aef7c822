package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"
*/
import "C"

import "unsafe"

// RegisterTLS registers (or replaces) name so that tls=name in a DSN (or WithTLS(name, …))
// means verify-identity with these PEM files, as go-sql-driver's RegisterTLSConfig does with a
// *tls.Config. An empty path means the client library's default; cert and key go together.
// Pools already open keep their settings. Register before the Open calls that name it.
func RegisterTLS(name, caFile, certFile, keyFile string) error {
	if err := noNUL("TLS config", name+caFile+certFile+keyFile); err != nil {
		return err
	}
	cstr := func(s string) *C.char {
		if s == "" {
			return nil
		}
		return C.CString(s)
	}
	cname, cca, ccert, ckey := C.CString(name), cstr(caFile), cstr(certFile), cstr(keyFile)
	defer func() {
		for _, p := range []*C.char{cname, cca, ccert, ckey} {
			C.free(unsafe.Pointer(p))
		}
	}()
	var cerr *C.sp_error
	if C.sp_tls_register(cname, cca, ccert, ckey, &cerr) != 0 {
		return takeError(cerr)
	}
	return nil
}
