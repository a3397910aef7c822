//! The C ABI of `libsharedpool.so` (DESIGN.md, "The C ABI"), declared by hand: this crate
//! must not depend on the core crate, it links the shared library.

#![allow(non_camel_case_types, dead_code)]

use std::ffi::{c_char, c_int, c_void};

/// Opaque `sp_error`.
#[repr(C)]
pub struct sp_error {
    _private: [u8; 0],
}
/// Opaque `sp_options`.
#[repr(C)]
pub struct sp_options {
    _private: [u8; 0],
}
/// Opaque `sp_pool`.
#[repr(C)]
pub struct sp_pool {
    _private: [u8; 0],
}
/// Opaque `sp_conn`.
#[repr(C)]
pub struct sp_conn {
    _private: [u8; 0],
}
/// Opaque `sp_result`.
#[repr(C)]
pub struct sp_result {
    _private: [u8; 0],
}
/// Opaque `sp_rows`.
#[repr(C)]
pub struct sp_rows {
    _private: [u8; 0],
}
/// Opaque `sp_cancel`.
#[repr(C)]
pub struct sp_cancel {
    _private: [u8; 0],
}

/// `sp_code` (a C enum: `int`).
pub type sp_code = i32;
pub const SP_OK: sp_code = 0;
pub const SP_ERR_INVALID_ARGUMENT: sp_code = 1;
pub const SP_ERR_INVALID_DSN: sp_code = 2;
pub const SP_ERR_INVALID_OPTION: sp_code = 3;
pub const SP_ERR_CONFIG_CONFLICT: sp_code = 4;
pub const SP_ERR_CONNECT: sp_code = 5;
pub const SP_ERR_AUTH: sp_code = 6;
pub const SP_ERR_TIMEOUT: sp_code = 7;
pub const SP_ERR_POOL_CLOSED: sp_code = 8;
pub const SP_ERR_SERVER: sp_code = 9;
pub const SP_ERR_CONNECTION_LOST: sp_code = 10;
pub const SP_ERR_CANCELLED: sp_code = 11;
pub const SP_ERR_INTERNAL: sp_code = 12;

/// `sp_rows_status` (a C enum: `int`).
pub type sp_rows_status = i32;
pub const SP_ROWS_ERROR: sp_rows_status = -1;
pub const SP_ROWS_END: sp_rows_status = 0;
pub const SP_ROWS_ROW: sp_rows_status = 1;

/// `sp_param_kind` (a C enum: `int`).
pub type sp_param_kind = i32;
pub const SP_PARAM_NULL: sp_param_kind = 0;
pub const SP_PARAM_INT: sp_param_kind = 1;
pub const SP_PARAM_UINT: sp_param_kind = 2;
pub const SP_PARAM_DOUBLE: sp_param_kind = 3;
pub const SP_PARAM_TEXT: sp_param_kind = 4;
pub const SP_PARAM_BLOB: sp_param_kind = 5;

/// One bound value; only the field of its kind is read.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sp_param {
    pub kind: sp_param_kind,
    pub i: i64,
    pub u: u64,
    pub d: f64,
    pub data: *const c_char,
    pub len: usize,
}

/// Pool statistics; `size` is set by the caller.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct sp_stats {
    pub size: u32,
    pub refs: u32,
    pub max_size: u32,
    pub total: u32,
    pub idle: u32,
    pub active: u32,
    pub waiting: u32,
    pub acquires_total: u64,
    pub timeouts_total: u64,
    pub created_total: u64,
    pub closed_total: u64,
    pub resets_total: u64,
    pub connect_errors_total: u64,
    pub connecting: u32,
    pub recommended_size: u32,
    pub cancelled_total: u64,
    pub leaks_total: u64,
    pub wait_time_us_total: u64,
    pub wait_time_us_max: u64,
    pub hold_time_us_total: u64,
    pub arrival_rate: f64,
    pub hold_time_avg: f64,
    pub demand: f64,
    pub capacity_cap: u32,
}

/// Polled by a thread waiting for a connection; `true` cancels the wait.
pub type sp_interrupt_fn = Option<unsafe extern "C" fn(ctx: *mut c_void) -> bool>;

/// Options of `sp_pool_acquire_ex`; `size` is set by the caller.
#[repr(C)]
pub struct sp_acquire_options {
    pub size: u32,
    pub timeout_ms: i64,
    pub cancel: *const sp_cancel,
    pub interrupt: sp_interrupt_fn,
    pub interrupt_ctx: *mut c_void,
    pub label: *const c_char,
}

/// `sp_log_fn`: one pool event; `level` 1 error, 2 warning, 3 info, 4 debug; `message` valid
/// during the call. Called from any thread.
pub type sp_log_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, level: c_int, message: *const c_char)>;

#[link(name = "sharedpool", kind = "dylib")]
extern "C" {
    pub fn sp_abi_version() -> u32;
    pub fn sp_version() -> *const c_char;

    pub fn sp_error_code(e: *const sp_error) -> sp_code;
    pub fn sp_error_message(e: *const sp_error) -> *const c_char;
    pub fn sp_error_server_errno(e: *const sp_error) -> u32;
    pub fn sp_error_sqlstate(e: *const sp_error) -> *const c_char;
    pub fn sp_error_free(e: *mut sp_error);

    pub fn sp_options_new() -> *mut sp_options;
    pub fn sp_tls_register(
        name: *const c_char,
        ca: *const c_char,
        cert: *const c_char,
        key: *const c_char,
        err: *mut *mut sp_error,
    ) -> sp_code;
    pub fn sp_options_set(
        o: *mut sp_options,
        key: *const c_char,
        value: *const c_char,
        err: *mut *mut sp_error,
    ) -> sp_code;
    pub fn sp_options_free(o: *mut sp_options);

    pub fn sp_pool_open(
        dsn: *const c_char,
        o: *const sp_options,
        err: *mut *mut sp_error,
    ) -> *mut sp_pool;
    pub fn sp_pool_release(p: *mut sp_pool);
    pub fn sp_pool_acquire_ex(
        p: *mut sp_pool,
        o: *const sp_acquire_options,
        err: *mut *mut sp_error,
    ) -> *mut sp_conn;
    pub fn sp_conn_release(c: *mut sp_conn);
    pub fn sp_conn_discard(c: *mut sp_conn);

    pub fn sp_conn_query(
        c: *mut sp_conn,
        sql: *const c_char,
        params: *const sp_param,
        n: usize,
        err: *mut *mut sp_error,
    ) -> *mut sp_result;
    pub fn sp_result_affected_rows(r: *const sp_result) -> u64;
    pub fn sp_result_insert_id(r: *const sp_result) -> u64;
    pub fn sp_result_column_count(r: *const sp_result) -> usize;
    pub fn sp_result_column_name(r: *const sp_result, col: usize) -> *const c_char;
    pub fn sp_result_column_type(r: *const sp_result, col: usize) -> u32;
    pub fn sp_result_column_flags(r: *const sp_result, col: usize) -> u32;
    pub fn sp_result_row_count(r: *const sp_result) -> usize;
    pub fn sp_result_get(
        r: *const sp_result,
        row: usize,
        col: usize,
        data: *mut *const c_char,
        len: *mut usize,
    ) -> bool;
    pub fn sp_result_free(r: *mut sp_result);

    pub fn sp_conn_query_stream(
        c: *mut sp_conn,
        sql: *const c_char,
        params: *const sp_param,
        n: usize,
        rows: *mut *mut sp_rows,
        err: *mut *mut sp_error,
    ) -> sp_code;
    pub fn sp_rows_next(rows: *mut sp_rows, err: *mut *mut sp_error) -> sp_rows_status;
    pub fn sp_rows_cells(
        rows: *const sp_rows,
        data: *mut *const c_char,
        lens: *mut usize,
        n: usize,
    ) -> sp_code;
    pub fn sp_rows_column_count(rows: *const sp_rows) -> usize;
    pub fn sp_rows_column_name(rows: *const sp_rows, col: usize) -> *const c_char;
    pub fn sp_rows_column_type(rows: *const sp_rows, col: usize) -> u32;
    pub fn sp_rows_column_flags(rows: *const sp_rows, col: usize) -> u32;
    pub fn sp_rows_row_count(rows: *const sp_rows) -> u64;
    pub fn sp_rows_affected_rows(rows: *const sp_rows) -> u64;
    pub fn sp_rows_insert_id(rows: *const sp_rows) -> u64;
    pub fn sp_rows_free(rows: *mut sp_rows) -> sp_code;

    pub fn sp_pool_stats(p: *const sp_pool, out: *mut sp_stats) -> sp_code;
    pub fn sp_metrics_text() -> *mut c_char;
    pub fn sp_string_free(s: *mut c_char);
    pub fn sp_set_log_callback(f: sp_log_fn, ctx: *mut c_void);
}
