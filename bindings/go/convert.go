package sharedpool

/*
#include <stdlib.h>
#include <string.h>
#include "sharedpool.h"
*/
import "C"

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unsafe"
)

// convertAssign is database/sql's own Scan conversion (exported to linkname users since
// Go 1.23), so Rows.Scan converts exactly as sql.Rows.Scan does: *int64, *string, *[]byte,
// *time.Time, *any, sql.Null*, sql.Scanner, …
//
//go:linkname convertAssign database/sql.convertAssign
func convertAssign(dest, src any) error

// The sp_param kinds.
const (
	paramNull   = 0
	paramInt    = 1
	paramUint   = 2
	paramDouble = 3
	paramText   = 4
	paramBlob   = 5
)

// timeFormat is how a time.Time is sent: in UTC, to the microsecond, as go-sql-driver/mysql
// does with its default loc=UTC. DATE/DATETIME/TIMESTAMP cells come back as UTC times.
const timeFormat = "2006-01-02 15:04:05.999999"

// param is one argument normalized to an sp_param kind.
type param struct {
	kind int
	i    int64
	u    uint64
	d    float64
	s    string // paramText and paramBlob bytes
}

// normalize turns a Go argument into a param: ints, uints, floats, bool, string, []byte,
// time.Time, nil, driver.Valuer and anything driver.DefaultParameterConverter accepts.
func normalize(v any) (param, error) {
	switch x := v.(type) {
	case nil:
		return param{kind: paramNull}, nil
	case int64:
		return param{kind: paramInt, i: x}, nil
	case int:
		return param{kind: paramInt, i: int64(x)}, nil
	case int32:
		return param{kind: paramInt, i: int64(x)}, nil
	case int16:
		return param{kind: paramInt, i: int64(x)}, nil
	case int8:
		return param{kind: paramInt, i: int64(x)}, nil
	case uint64:
		return param{kind: paramUint, u: x}, nil
	case uint:
		return param{kind: paramUint, u: uint64(x)}, nil
	case uint32:
		return param{kind: paramUint, u: uint64(x)}, nil
	case uint16:
		return param{kind: paramUint, u: uint64(x)}, nil
	case uint8:
		return param{kind: paramUint, u: uint64(x)}, nil
	case float64:
		return param{kind: paramDouble, d: x}, nil
	case float32:
		return param{kind: paramDouble, d: float64(x)}, nil
	case bool:
		if x {
			return param{kind: paramInt, i: 1}, nil
		}
		return param{kind: paramInt, i: 0}, nil
	case string:
		return param{kind: paramText, s: x}, nil
	case []byte:
		if x == nil {
			return param{kind: paramNull}, nil
		}
		return param{kind: paramBlob, s: string(x)}, nil
	case time.Time:
		if x.IsZero() {
			return param{kind: paramText, s: "0000-00-00 00:00:00"}, nil
		}
		return param{kind: paramText, s: x.UTC().Format(timeFormat)}, nil
	case driver.Valuer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return param{kind: paramNull}, nil // as database/sql: a nil *T Valuer is NULL
		}
		val, err := x.Value()
		if err != nil {
			return param{}, err
		}
		if _, again := val.(driver.Valuer); again {
			return param{}, fmt.Errorf("sharedpool: Value() of %T returned a driver.Valuer", v)
		}
		return normalize(val)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return param{kind: paramUint, u: rv.Uint()}, nil
	}
	val, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		return param{}, fmt.Errorf("sharedpool: unsupported argument type %T: %w", v, err)
	}
	return normalize(val)
}

// cParams is the C copy of a call's arguments: one malloc holding the sp_param array and
// the bytes of every text and blob argument.
type cParams struct {
	ptr *C.sp_param
	n   C.size_t
}

// newParams converts args; free the result with free.
func newParams(args []any) (cParams, error) {
	if len(args) == 0 {
		return cParams{}, nil
	}
	ps := make([]param, len(args))
	bytes := 0
	for i, a := range args {
		p, err := normalize(a)
		if err != nil {
			return cParams{}, fmt.Errorf("argument %d: %w", i+1, err)
		}
		ps[i] = p
		bytes += len(p.s)
	}
	head := len(ps) * C.sizeof_sp_param
	mem := C.malloc(C.size_t(head + bytes + 1))
	if mem == nil {
		panic("sharedpool: out of memory")
	}
	arr := unsafe.Slice((*C.sp_param)(mem), len(ps))
	arena := unsafe.Slice((*byte)(unsafe.Add(mem, head)), bytes+1)
	off := 0
	for i, p := range ps {
		cp := &arr[i]
		*cp = C.sp_param{}
		cp.kind = uint32(p.kind) // an enum field: uint32 in cgo
		switch p.kind {
		case paramInt:
			cp.i = C.int64_t(p.i)
		case paramUint:
			cp.u = C.uint64_t(p.u)
		case paramDouble:
			cp.d = C.double(p.d)
		case paramText, paramBlob:
			n := copy(arena[off:], p.s)
			cp.data = (*C.char)(unsafe.Pointer(&arena[off]))
			cp.len = C.size_t(n)
			off += n
		}
	}
	return cParams{ptr: (*C.sp_param)(mem), n: C.size_t(len(ps))}, nil
}

func (p cParams) free() {
	if p.ptr != nil {
		C.free(unsafe.Pointer(p.ptr))
	}
}

// decode turns a cell's text (a view on C memory) into the driver.Value database/sql users
// expect, by the column's kind (classified by the library): int64 (uint64 above MaxInt64),
// float64, time.Time, string, or []byte for binary columns. The result never aliases b.
func decode(kind C.sp_column_kind, b []byte) driver.Value {
	s := unsafe.String(unsafe.SliceData(b), len(b)) // only parsed or copied below
	switch kind {
	case C.SP_KIND_INTEGER:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	case C.SP_KIND_UNSIGNED:
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			if u <= math.MaxInt64 {
				return int64(u)
			}
			return u
		}
	case C.SP_KIND_FLOAT:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case C.SP_KIND_DATE, C.SP_KIND_DATETIME:
		if t, ok := parseTime(s); ok {
			return t
		}
	case C.SP_KIND_NULL:
		return nil
	case C.SP_KIND_BYTES:
		return append([]byte{}, b...)
	}
	return string(b) // DECIMAL, TIME, JSON, text, and anything unparsed
}

// parseTime reads the server's DATE/DATETIME text as UTC; a zero date is the zero time.Time.
func parseTime(s string) (time.Time, bool) {
	if len(s) >= 10 && s[:10] == "0000-00-00" {
		return time.Time{}, true
	}
	layout := "2006-01-02 15:04:05.999999"
	if len(s) == 10 {
		layout = "2006-01-02"
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	return t, err == nil
}

// typeName is the database type name of a column as go-sql-driver names it ("UNSIGNED INT",
// "TEXT", "VARBINARY", …), from the library's table.
func typeName(typ, flags uint32) string {
	return C.GoString(C.sp_column_type_name(C.uint32_t(typ), C.uint32_t(flags)))
}
