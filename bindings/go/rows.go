package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

static void sp_go_shape(const sp_result *r, size_t *cols, size_t *rows) {
	*cols = sp_result_column_count(r);
	*rows = sp_result_row_count(r);
}

static void sp_go_columns(const sp_result *r, size_t n, const char **names, uint32_t *types, uint32_t *flags) {
	for (size_t i = 0; i < n; i++) {
		names[i] = sp_result_column_name(r, i);
		types[i] = sp_result_column_type(r, i);
		flags[i] = sp_result_column_flags(r, i);
	}
}

// A whole row's cells in one crossing; present[i] is 0 for SQL NULL.
static void sp_go_row(const sp_result *r, size_t row, size_t n, const char **data, size_t *lens, unsigned char *present) {
	for (size_t i = 0; i < n; i++) {
		data[i] = NULL;
		lens[i] = 0;
		present[i] = sp_result_get(r, row, i, &data[i], &lens[i]) ? 1 : 0;
	}
}
*/
import "C"

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// Rows is the result of a Query: the whole result set, already read from the server (the
// connection went back to the pool before Query returned). Iterate with Next and Scan, then
// Close (which Next does once the rows run out). Not safe for concurrent use.
type Rows struct {
	res   *C.sp_result // nil once closed
	cols  []string
	types []uint32
	flags []uint32
	nrows int
	next  int
	cur   []driver.Value // the row Next moved to; nil before the first Next and after the last

	data    []*C.char
	lens    []C.size_t
	present []C.uchar
}

func newRows(res *C.sp_result) *Rows {
	r := readRows(res)
	runtime.SetFinalizer(r, (*Rows).finalize)
	return r
}

// readRows reads res's shape and columns, without the finalizer a returned *Rows needs.
func readRows(res *C.sp_result) *Rows {
	var ncols, nrows C.size_t
	C.sp_go_shape(res, &ncols, &nrows)
	n := int(ncols)
	r := &Rows{
		res:     res,
		cols:    make([]string, n),
		types:   make([]uint32, n),
		flags:   make([]uint32, n),
		nrows:   int(nrows),
		data:    make([]*C.char, n),
		lens:    make([]C.size_t, n),
		present: make([]C.uchar, n),
	}
	if n > 0 {
		types := make([]C.uint32_t, n)
		flags := make([]C.uint32_t, n)
		C.sp_go_columns(res, ncols, &r.data[0], &types[0], &flags[0])
		for i := range n {
			r.cols[i] = C.GoString(r.data[i])
			r.types[i] = uint32(types[i])
			r.flags[i] = uint32(flags[i])
		}
	}
	return r
}

// Columns returns the column names.
func (r *Rows) Columns() ([]string, error) {
	return append([]string(nil), r.cols...), nil
}

// Next moves to the next row; it returns false (and closes r) when there is none.
func (r *Rows) Next() bool {
	if r.res == nil || r.next >= r.nrows {
		r.cur = nil
		r.Close()
		return false
	}
	r.cur = r.fetch(r.next, r.cur)
	r.next++
	return true
}

// fetch decodes row i into vals (reused when large enough).
func (r *Rows) fetch(i int, vals []driver.Value) []driver.Value {
	n := len(r.cols)
	if cap(vals) < n {
		vals = make([]driver.Value, n)
	}
	vals = vals[:n]
	if n == 0 {
		return vals
	}
	C.sp_go_row(r.res, C.size_t(i), C.size_t(n), &r.data[0], &r.lens[0], &r.present[0])
	defer runtime.KeepAlive(r) // r's finalizer frees r.res: keep r alive while cells are read
	for c := range n {
		if r.present[c] == 0 {
			vals[c] = nil
			continue
		}
		var cell []byte
		if r.lens[c] > 0 {
			cell = unsafe.Slice((*byte)(unsafe.Pointer(r.data[c])), int(r.lens[c]))
		}
		vals[c] = decode(r.types[c], r.flags[c], cell)
	}
	return vals
}

// Scan copies the current row's columns into dest, converting as database/sql's Rows.Scan
// does (including sql.Scanner and sql.Null* destinations).
func (r *Rows) Scan(dest ...any) error {
	if r.cur == nil {
		if r.res == nil && r.next == 0 {
			return errors.New("sharedpool: Rows are closed")
		}
		return errors.New("sharedpool: Scan called without a successful Next")
	}
	return scanValues(r.cols, r.cur, dest)
}

func scanValues(cols []string, vals []driver.Value, dest []any) error {
	if len(dest) != len(vals) {
		return fmt.Errorf("sharedpool: expected %d destination arguments in Scan, not %d", len(vals), len(dest))
	}
	for i, v := range vals {
		if err := convertAssign(dest[i], v); err != nil {
			return fmt.Errorf("sharedpool: Scan error on column index %d, name %q: %w", i, cols[i], err)
		}
	}
	return nil
}

// Err returns nil: the rows were read completely before Query returned, so iteration
// cannot fail midway. It exists for the database/sql idiom.
func (r *Rows) Err() error { return nil }

// Close frees the result. It is idempotent.
func (r *Rows) Close() error {
	if r.res != nil {
		runtime.SetFinalizer(r, nil)
		C.sp_result_free(r.res)
		r.res = nil
	}
	return nil
}

func (r *Rows) free() {
	C.sp_result_free(r.res)
	r.res = nil
}

func (r *Rows) finalize() {
	if r.res != nil {
		C.sp_result_free(r.res)
	}
}

// Row is the result of QueryRow: its first row, or the error of the query.
type Row struct {
	err  error
	cols []string
	vals []driver.Value // nil when the query returned no row
}

// Scan copies the row into dest like Rows.Scan; it returns sql.ErrNoRows when the query
// returned no row, and the query's error when it failed.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if r.vals == nil {
		return sql.ErrNoRows
	}
	return scanValues(r.cols, r.vals, dest)
}

// Err returns the query's error, if any (not sql.ErrNoRows: Scan reports that).
func (r *Row) Err() error { return r.err }

// rowOf reads the first row of res and frees it.
func rowOf(res *C.sp_result) *Row {
	rows := readRows(res) // freed below, so no finalizer
	defer rows.free()
	row := &Row{cols: rows.cols}
	if rows.nrows > 0 {
		row.vals = rows.fetch(0, nil)
	}
	return row
}
