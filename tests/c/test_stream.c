/* Streaming rows (sp_conn_query_stream / sp_rows_*): rows arrive before the statement ends,
 * memory stays bounded over millions of rows, early free, an error mid-stream, a busy
 * connection, and misuse of the handle (free twice, next after the end) as error codes. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>

#include "check.h"

static sp_pool *pool;

static sp_conn *borrow(void) {
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(pool, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  sp_error_free(err);
  return c;
}

static sp_rows *stream(sp_conn *c, const char *sql) {
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  sp_code code = sp_conn_query_stream(c, sql, NULL, 0, &rows, &err);
  CHECK(code == SP_OK && rows != NULL, "%s: %s", sql, sp_error_message(err));
  sp_error_free(err);
  return rows;
}

/* sp_rows_next expecting a row. */
static int next_row(sp_rows *rows) {
  sp_error *err = NULL;
  sp_rows_status st = sp_rows_next(rows, &err);
  CHECK(st != SP_ROWS_ERROR, "next: %s", sp_error_message(err));
  sp_error_free(err);
  return st == SP_ROWS_ROW;
}

static long cell_long(sp_rows *rows, size_t col) {
  const char *p = NULL;
  size_t len = 0;
  if (sp_rows_cell(rows, col, &p, &len) != SP_OK || p == NULL) return -1;
  char buf[32];
  if (len >= sizeof buf) return -1;
  memcpy(buf, p, len);
  buf[len] = 0;
  return strtol(buf, NULL, 10);
}

/* Under valgrind or ASan: fewer rows, and malloc's own counters are not glibc's. */
static int instrumented(void) {
#if defined(__SANITIZE_ADDRESS__)
  return 1;
#else
  const char *pre = getenv("LD_PRELOAD");
  return pre != NULL && strstr(pre, "vgpreload") != NULL;
#endif
}

static void rows_arrive_before_the_statement_ends(void) {
  sp_conn *c = borrow();
  sp_conn *watcher = borrow();
  long id = query_long(c, "SELECT CONNECTION_ID()");
  /* The server flushes its network buffer as rows fill it; only the last row sleeps. */
  sp_rows *rows = stream(c, "SELECT seq, IF(seq = 20000, SLEEP(2), 0) FROM seq_1_to_20000");
  CHECK(next_row(rows), "first row");
  CHECK(cell_long(rows, 0) == 1, "first seq");
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %ld "
           "AND INFO LIKE '%%SLEEP(2)%%'",
           id);
  CHECK(query_long(watcher, sql) == 1, "the statement is still running with a row in hand");
  long n = 1;
  while (next_row(rows)) n++;
  CHECK(n == 20000, "rows %ld", n);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  CHECK(query_long(c, "SELECT 5") == 5, "connection free after the end");
  sp_conn_release(watcher);
  sp_conn_release(c);
}

static void millions_of_rows_in_bounded_memory(void) {
  long total = instrumented() ? 200000 : 3000000;
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT seq, REPEAT('x', 100) AS pad FROM seq_1_to_%ld", total);
  sp_conn *c = borrow();
  sp_rows *rows = stream(c, sql);
  CHECK(sp_rows_column_count(rows) == 2, "columns");
  CHECK(strcmp(sp_rows_column_name(rows, 1), "pad") == 0, "name %s", sp_rows_column_name(rows, 1));
  CHECK(sp_rows_column_type(rows, 1) == 253, "VAR_STRING, got %u", sp_rows_column_type(rows, 1));
  struct mallinfo2 before = mallinfo2();
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  uint64_t early_mark = 0;
  size_t heap_peak = 0;
  long n = 0, bad = 0;
  while (next_row(rows)) {
    const char *data[2];
    size_t lens[2];
    if (sp_rows_cells(rows, data, lens, 2) != SP_OK) {
      bad++;
      break;
    }
    n++;
    if (lens[1] != 100 || data[1][0] != 'x' || cell_long(rows, 0) != n) bad++;
    uintptr_t p = (uintptr_t)data[1];
    if (p < lo) lo = p;
    if (p > hi) hi = p;
    if (n == 1000) early_mark = sp_rows_buffer_high_water(rows);
    if (n % 100000 == 0) {
      size_t used = mallinfo2().uordblks;
      if (used > heap_peak) heap_peak = used;
    }
  }
  CHECK(bad == 0, "%ld bad rows", bad);
  CHECK(n == total, "rows %ld of %ld", n, total);
  CHECK(sp_rows_row_count(rows) == (uint64_t)total, "row count %llu",
        (unsigned long long)sp_rows_row_count(rows));
  uint64_t mark = sp_rows_buffer_high_water(rows);
  /* Only the longest row grows it: seq 1000 has 4 digits, seq 3000000 has 7. */
  CHECK(mark <= early_mark + 3 && mark < 4096, "buffer high-water %llu (at 1000 rows: %llu)",
        (unsigned long long)mark, (unsigned long long)early_mark);
  /* Every row's cells are in the one reused network buffer of the client library. */
  CHECK(hi - lo < (1u << 20), "cells spread over %zu bytes", (size_t)(hi - lo));
  if (!instrumented()) {
    size_t growth = heap_peak > before.uordblks ? heap_peak - before.uordblks : 0;
    CHECK(growth < (8u << 20), "heap grew by %zu bytes over %ld rows", growth, total);
  }
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  sp_conn_release(c);
}

static void early_free(void) {
  sp_conn *c = borrow();
  /* A short remainder is read: the connection stays usable. */
  /* (Under 256 rows: read whatever the speed, valgrind included.) */
  sp_rows *rows = stream(c, "SELECT seq FROM seq_1_to_200");
  for (int i = 0; i < 10; i++) CHECK(next_row(rows), "row %d", i);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  CHECK(query_long(c, "SELECT 6") == 6, "usable after a short drain");
  /* A long remainder is not: the connection is given up, the pool replaces it. */
  rows = stream(c, "SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000");
  for (int i = 0; i < 10; i++) CHECK(next_row(rows), "row %d", i);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, "SELECT 1", NULL, 0, &err);
  CHECK(r == NULL, "a given-up connection runs nothing");
  CHECK_CODE(err, SP_ERR_CONNECTION_LOST);
  sp_error_free(err);
  sp_conn_release(c);
  c = borrow();
  CHECK(query_long(c, "SELECT 7") == 7, "a new connection");
  /* Rows left open at release: the connection is cleaned or given up; the rows then fail. */
  rows = stream(c, "SELECT seq FROM seq_1_to_5000000");
  CHECK(next_row(rows), "row");
  sp_conn_release(c);
  err = NULL;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ERROR, "next after the release");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err);
  CHECK(sp_rows_free(rows) == SP_OK, "free after the release");
}

static void error_mid_stream(void) {
  sp_conn *c = borrow();
  sp_rows *rows =
      stream(c, "SELECT seq, IF(seq = 5000, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_10000");
  sp_error *err = NULL;
  long n = 0;
  sp_rows_status st;
  while ((st = sp_rows_next(rows, &err)) == SP_ROWS_ROW) n++;
  CHECK(st == SP_ROWS_ERROR, "the stream fails");
  CHECK(n > 0 && n < 5000, "%ld rows before the error", n);
  CHECK_CODE(err, SP_ERR_SERVER);
  CHECK(sp_error_server_errno(err) == 1242, "errno %u", sp_error_server_errno(err));
  sp_error_free(err);
  err = NULL;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ERROR, "next after an error");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  CHECK(query_long(c, "SELECT 8") == 8, "usable after a server error mid-stream");
  sp_conn_release(c);
}

static void busy_connection_and_misuse(void) {
  sp_conn *c = borrow();
  sp_rows *rows = stream(c, "SELECT seq, IF(seq = 2, NULL, '') AS e FROM seq_1_to_3");
  const char *p = "unset";
  size_t len = 99;
  CHECK(sp_rows_cell(rows, 0, &p, &len) == SP_ERR_INVALID_ARGUMENT, "cell before next");
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, "SELECT 1", NULL, 0, &err);
  CHECK(r == NULL, "a second statement on a busy connection");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  CHECK(strstr(sp_error_message(err), "busy") != NULL, "%s", sp_error_message(err));
  sp_error_free(err);
  err = NULL;
  sp_rows *second = NULL;
  CHECK(sp_conn_query_stream(c, "SELECT 1", NULL, 0, &second, &err) == SP_ERR_INVALID_ARGUMENT,
        "a second stream");
  CHECK(second == NULL, "no rows on failure");
  sp_error_free(err);
  /* Row 1: an empty string (not NULL); row 2: NULL. */
  CHECK(next_row(rows), "row 1");
  CHECK(sp_rows_cell(rows, 1, &p, &len) == SP_OK && p != NULL && len == 0, "empty is not NULL");
  CHECK(sp_rows_cell(rows, 2, &p, &len) == SP_ERR_INVALID_ARGUMENT, "column out of range");
  CHECK(next_row(rows), "row 2");
  CHECK(sp_rows_cell(rows, 1, &p, &len) == SP_OK && p == NULL && len == 0, "NULL");
  CHECK(next_row(rows), "row 3");
  CHECK(!next_row(rows), "end");
  CHECK(query_long(c, "SELECT 9") == 9, "the end frees the connection");
  err = NULL;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ERROR, "next after the end");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  CHECK(sp_rows_free(rows) == SP_ERR_INVALID_ARGUMENT, "free twice");
  err = NULL;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ERROR, "next after free");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err);
  CHECK(sp_rows_cell(rows, 0, &p, &len) == SP_ERR_INVALID_ARGUMENT, "cell after free");
  CHECK(sp_rows_column_count(rows) == 0, "columns after free");
  CHECK(sp_rows_free(NULL) == SP_OK, "free NULL");
  err = NULL;
  CHECK(sp_rows_next(NULL, &err) == SP_ROWS_ERROR, "next NULL");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err);
  CHECK(sp_conn_query_stream(c, "SELECT 1", NULL, 0, NULL, NULL) == SP_ERR_INVALID_ARGUMENT,
        "NULL rows out-parameter");
  /* A statement without rows: no columns, at its end at once, with its counts. */
  CHECK(query_long(c, "CREATE TEMPORARY TABLE c_stream_t (a INT AUTO_INCREMENT PRIMARY KEY)") == -1,
        "create");
  rows = stream(c, "INSERT INTO c_stream_t VALUES (NULL), (NULL)");
  CHECK(sp_rows_column_count(rows) == 0, "no columns");
  CHECK(sp_rows_affected_rows(rows) == 2, "affected %llu",
        (unsigned long long)sp_rows_affected_rows(rows));
  CHECK(sp_rows_insert_id(rows) == 1, "insert id %llu", (unsigned long long)sp_rows_insert_id(rows));
  CHECK(!next_row(rows), "ended");
  sp_rows_free(rows);
  sp_conn_release(c);
}

static void pool_level_rows_hold_their_connection(void) {
  sp_stats st = {.size = sizeof st};
  sp_pool_stats(pool, &st);
  uint32_t active = st.active;
  sp_rows *rows = NULL;
  sp_error *err = NULL;
  CHECK(sp_pool_query_stream(pool, "SELECT seq FROM seq_1_to_100", NULL, 0, &rows, &err) == SP_OK,
        "pool stream: %s", sp_error_message(err));
  sp_error_free(err);
  CHECK(next_row(rows) && cell_long(rows, 0) == 1, "first row");
  sp_pool_stats(pool, &st);
  CHECK(st.active == active + 1, "the rows hold a connection (%u)", st.active);
  CHECK(sp_rows_free(rows) == SP_OK, "free");
  sp_pool_stats(pool, &st);
  CHECK(st.active == active, "given back on free (%u)", st.active);
}

int main(void) {
  pool = open_or_die("pool_name=c_stream&max_size=3");
  rows_arrive_before_the_statement_ends();
  millions_of_rows_in_bounded_memory();
  early_free();
  error_mid_stream();
  busy_connection_and_misuse();
  pool_level_rows_hold_their_connection();
  sp_pool_release(pool);
  return finish("test_stream");
}
