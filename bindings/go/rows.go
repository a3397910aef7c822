package sharedpool

/*
#include <stdlib.h>
#include "sharedpool.h"

static void sp_go_shape(const sp_result *r, size_t *cols, size_t *rows) {
	*cols = sp_result_column_count(r);
	*rows = sp_result_row_count(r);
}

static void sp_go_columns(const sp_result *r, size_t n, const char **names, sp_column_kind *kinds) {
	for (size_t i = 0; i < n; i++) {
		names[i] = sp_result_column_name(r, i);
		kinds[i] = sp_column_kind_of(sp_result_column_type(r, i), sp_result_column_flags(r, i));
	}
}

static void sp_go_rows_columns(const sp_rows *r, size_t n, const char **names, uint32_t *types, uint32_t *flags, sp_column_kind *kinds) {
	for (size_t i = 0; i < n; i++) {
		names[i] = sp_rows_column_name(r, i);
		types[i] = sp_rows_column_type(r, i);
		flags[i] = sp_rows_column_flags(r, i);
		kinds[i] = sp_column_kind_of(types[i], flags[i]);
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

// The next streamed row and its cells in one crossing (data[i] NULL for SQL NULL).
static sp_rows_status sp_go_next(sp_rows *r, size_t n, const char **data, size_t *lens, sp_error **err) {
	sp_rows_status st = sp_rows_next(r, err);
	if (st == SP_ROWS_ROW && n > 0 && sp_rows_cells(r, data, lens, n) != SP_OK) {
		return SP_ROWS_ERROR;
	}
	return st;
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

// Rows is the result of a Query, streamed from the server as Next asks for rows: memory does
// not grow with the result, and the first row is there before the last is sent. The
// connection stays busy until the rows end, fail or are closed (another statement on a Conn
// with open Rows fails); Pool.Query's connection goes back to the pool then. Iterate with
// Next and Scan, check Err, Close (Next closes at the end; Close mid-way reads a short
// remainder or else gives the connection up, so it is cheap either way). Not safe for
// concurrent use. The ctx of Query holds until the rows end or are closed: when it ends
// first, the statement is stopped on the server and Err returns an error matching ctx's.
type Rows struct {
	rows    *C.sp_rows // nil once closed
	release *Conn      // the connection Pool.Query acquired for these rows, released on Close
	watch   *ctxWatch  // Query's ctx, while the rows are open (nil: nothing to end)
	cols    []string
	types   []uint32
	flags   []uint32
	kinds   []C.sp_column_kind
	cur     []driver.Value // the row Next moved to; nil before the first Next and after the last
	err     error          // the error that ended the rows early
	started bool

	// The current row's cells, in C memory (a Go array of C pointers passed to C would be
	// scanned by cgo's pointer check on every row); freed with the rows.
	cells unsafe.Pointer
	data  []*C.char
	lens  []C.size_t
}

// newRows wraps streamed rows; release (may be nil) is given back on Close, watch (may be nil)
// ended then.
func newRows(rows *C.sp_rows, release *Conn, watch *ctxWatch) *Rows {
	n := int(C.sp_rows_column_count(rows))
	r := &Rows{
		rows:    rows,
		release: release,
		watch:   watch,
		cols:    make([]string, n),
		types:   make([]uint32, n),
		flags:   make([]uint32, n),
		kinds:   make([]C.sp_column_kind, n),
	}
	if n > 0 {
		ptr := C.size_t(unsafe.Sizeof((*C.char)(nil)))
		r.cells = C.calloc(C.size_t(n), ptr+C.size_t(unsafe.Sizeof(C.size_t(0))))
		r.data = unsafe.Slice((**C.char)(r.cells), n)
		r.lens = unsafe.Slice((*C.size_t)(unsafe.Add(r.cells, uintptr(n)*uintptr(ptr))), n)
		types := make([]C.uint32_t, n)
		flags := make([]C.uint32_t, n)
		C.sp_go_rows_columns(rows, C.size_t(n), &r.data[0], &types[0], &flags[0], &r.kinds[0])
		for i := range n {
			r.cols[i] = C.GoString(r.data[i])
			r.types[i] = uint32(types[i])
			r.flags[i] = uint32(flags[i])
		}
	}
	runtime.SetFinalizer(r, (*Rows).finalize)
	return r
}

// Columns returns the column names.
func (r *Rows) Columns() ([]string, error) {
	return append([]string(nil), r.cols...), nil
}

// advance moves to the next streamed row, leaving its cells in r.data/r.lens. It returns
// false at the end or on an error (kept in r.err), closing r either way.
func (r *Rows) advance() bool {
	if r.rows == nil {
		return false
	}
	r.started = true
	n := len(r.cols)
	var data **C.char
	var lens *C.size_t
	if n > 0 {
		data, lens = &r.data[0], &r.lens[0]
	}
	var cerr *C.sp_error
	st := C.sp_go_next(r.rows, C.size_t(n), data, lens, &cerr)
	switch st {
	case C.SP_ROWS_ROW:
		return true
	case C.SP_ROWS_END:
	default:
		r.err = takeError(cerr)
		if r.watch != nil {
			r.err = r.watch.wrap(r.err)
		}
	}
	r.Close()
	return false
}

// cell is column c of the current row, aliasing the library's buffer (valid until the next
// advance or Close); ok is false for SQL NULL.
func (r *Rows) cell(c int) (b []byte, ok bool) {
	p := r.data[c]
	if p == nil {
		return nil, false
	}
	if r.lens[c] == 0 {
		return []byte{}, true
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(r.lens[c])), true
}

// Next moves to the next row; it returns false (and closes r) when there is none or an error
// ended the rows (see Err).
func (r *Rows) Next() bool {
	if !r.advance() {
		r.cur = nil
		return false
	}
	n := len(r.cols)
	if cap(r.cur) < n {
		r.cur = make([]driver.Value, n)
	}
	r.cur = r.cur[:n]
	for c := range n {
		b, ok := r.cell(c)
		if !ok {
			r.cur[c] = nil
			continue
		}
		r.cur[c] = decode(r.kinds[c], b)
	}
	runtime.KeepAlive(r) // r's finalizer frees the rows: keep r alive while cells are read
	return true
}

// Scan copies the current row's columns into dest, converting as database/sql's Rows.Scan
// does (including sql.Scanner and sql.Null* destinations).
func (r *Rows) Scan(dest ...any) error {
	if r.cur == nil {
		if r.rows == nil && !r.started {
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

// Err returns the error that ended the rows before their end (a server error, a lost
// connection), or nil.
func (r *Rows) Err() error { return r.err }

// Close ends the rows (reading a short remainder or giving the connection up, see Rows) and
// gives back Pool.Query's connection. It is idempotent.
func (r *Rows) Close() error {
	if r.rows != nil {
		runtime.SetFinalizer(r, nil)
		C.sp_rows_free(r.rows)
		r.rows = nil
		r.freeCells()
		if r.watch != nil {
			r.watch.end()
			r.watch = nil
		}
		if r.release != nil {
			r.release.Release()
			r.release = nil
		}
	}
	return nil
}

func (r *Rows) freeCells() {
	if r.cells != nil {
		C.free(r.cells)
		r.cells, r.data, r.lens = nil, nil, nil
	}
}

func (r *Rows) finalize() {
	if r.rows != nil {
		C.sp_rows_free(r.rows)
	}
	r.freeCells()
	if r.watch != nil {
		r.watch.end()
	}
	if r.release != nil {
		r.release.Release()
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

// rowOf reads the first row of a buffered result and frees it.
func rowOf(res *C.sp_result) *Row {
	defer C.sp_result_free(res)
	var ncols, nrows C.size_t
	C.sp_go_shape(res, &ncols, &nrows)
	n := int(ncols)
	row := &Row{cols: make([]string, n)}
	if n == 0 {
		if nrows > 0 {
			row.vals = []driver.Value{}
		}
		return row
	}
	names := make([]*C.char, n)
	kinds := make([]C.sp_column_kind, n)
	C.sp_go_columns(res, ncols, &names[0], &kinds[0])
	for i := range n {
		row.cols[i] = C.GoString(names[i])
	}
	if nrows == 0 {
		return row
	}
	data := make([]*C.char, n)
	lens := make([]C.size_t, n)
	present := make([]C.uchar, n)
	C.sp_go_row(res, 0, ncols, &data[0], &lens[0], &present[0])
	row.vals = make([]driver.Value, n)
	for c := range n {
		if present[c] == 0 {
			continue
		}
		var cell []byte
		if lens[c] > 0 {
			cell = unsafe.Slice((*byte)(unsafe.Pointer(data[c])), int(lens[c]))
		}
		row.vals[c] = decode(kinds[c], cell)
	}
	return row
}
