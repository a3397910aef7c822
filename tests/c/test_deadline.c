/* sp_conn_query_ex: a statement past the call's deadline, or cancelled from another thread while
 * it runs, is stopped on the server and the call fails with SP_ERR_TIMEOUT / SP_ERR_CANCELLED
 * within a bound; the connection is then discarded and the pool goes on. The streaming forms
 * (sp_conn_query_stream_ex, sp_pool_query_stream_ex, and statement_timeout_ms on any stream):
 * the same while rows stream, reported by sp_rows_next. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *trigger_later(void *token) {
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  sp_cancel_trigger(token);
  return NULL;
}

/* 20 000 rows, the last after a server-side SLEEP(10): the first rows arrive at once. */
#define SLOW_TAIL "SELECT seq, IF(seq = 20000, SLEEP(10), 0) FROM seq_1_to_20000"

/* Reads rows until the end or an error; returns the status that ended them, *n the rows. */
static sp_rows_status read_all(sp_rows *rows, long *n, sp_error **err) {
  sp_rows_status st;
  *n = 0;
  while ((st = sp_rows_next(rows, err)) == SP_ROWS_ROW) (*n)++;
  return st;
}

static void streams(sp_pool *p) {
  sp_error *err = NULL;
  sp_rows *rows = NULL;
  long n = 0;

  /* A deadline passing mid-stream, on a borrowed connection. */
  sp_conn *c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL) return;
  sp_query_options o = {.size = sizeof o, .timeout_ms = 500};
  double t = now_s();
  sp_code rc = sp_conn_query_stream_ex(c, SLOW_TAIL, NULL, 0, &o, &rows, &err);
  CHECK(rc == SP_OK, "stream with a deadline: %s", sp_error_message(err));
  if (rc != SP_OK) return;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ROW, "the first row: %s", sp_error_message(err));
  sp_rows_status st = read_all(rows, &n, &err);
  double took = now_s() - t;
  CHECK(st == SP_ROWS_ERROR, "the stream ended (%d) although its deadline passed in a SLEEP", st);
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  CHECK(strstr(sp_error_message(err), "deadline") != NULL, "%s", sp_error_message(err));
  CHECK(n < 19999, "the row after the kill was handed out (%ld rows)", n + 1);
  CHECK(took >= 0.5 && took < 5.0, "a 500 ms deadline ended the stream after %.3f s", took);
  sp_error_free(err), err = NULL;
  CHECK(sp_rows_next(rows, &err) == SP_ROWS_ERROR, "next after the timeout");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_rows_free(rows) == SP_OK, "free after the timeout");
  sp_result *r = sp_conn_query(c, "SELECT 1", NULL, 0, &err);
  CHECK(r == NULL, "a statement ran on the killed stream's connection");
  CHECK_CODE(err, SP_ERR_CONNECTION_LOST);
  sp_error_free(err), err = NULL;
  sp_result_free(r);
  sp_conn_release(c);

  /* Cancelled mid-stream from another thread, pool-level form (rows own the connection). */
  sp_cancel *token = sp_cancel_new();
  sp_query_options oc = {.size = sizeof oc, .cancel = token};
  rows = NULL;
  rc = sp_pool_query_stream_ex(p, SLOW_TAIL, NULL, 0, &oc, &rows, &err);
  CHECK(rc == SP_OK, "pool stream with a token: %s", sp_error_message(err));
  if (rc != SP_OK) return;
  pthread_t th;
  pthread_create(&th, NULL, trigger_later, token);
  t = now_s();
  st = read_all(rows, &n, &err);
  took = now_s() - t;
  pthread_join(th, NULL);
  CHECK(st == SP_ROWS_ERROR, "the stream ended (%d) although cancelled in a SLEEP", st);
  CHECK_CODE(err, SP_ERR_CANCELLED);
  CHECK(took < 5.0, "a cancel after 200 ms ended the stream after %.3f s", took);
  sp_error_free(err), err = NULL;
  CHECK(sp_rows_free(rows) == SP_OK, "free after the cancel");
  /* The triggered token: nothing is sent, not even a wait for a connection. */
  rows = NULL;
  rc = sp_pool_query_stream_ex(p, "SELECT 1", NULL, 0, &oc, &rows, &err);
  CHECK(rc == SP_ERR_CANCELLED && rows == NULL, "a triggered token started a stream (%d)", rc);
  sp_error_free(err), err = NULL;
  sp_cancel_free(token);

  /* Within its deadline, with an untriggered token: the stream reads to its end, and the
   * token freed while rows are open is fine (the library keeps its own reference). */
  token = sp_cancel_new();
  sp_query_options ok = {.size = sizeof ok, .timeout_ms = 5000, .cancel = token};
  rows = NULL;
  rc = sp_pool_query_stream_ex(p, "SELECT seq FROM seq_1_to_1000", NULL, 0, &ok, &rows, &err);
  CHECK(rc == SP_OK, "a stream within its deadline: %s", sp_error_message(err));
  if (rc != SP_OK) return;
  sp_cancel_free(token);
  st = read_all(rows, &n, &err);
  CHECK(st == SP_ROWS_END && n == 1000, "within the deadline: status %d after %ld rows (%s)", st,
        n, st == SP_ROWS_ERROR ? sp_error_message(err) : "");
  sp_error_free(err), err = NULL;
  sp_rows_free(rows);

  /* Bad input: nothing written to *rows. */
  c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL) return;
  sp_query_options tiny = {.size = 2};
  rows = NULL;
  rc = sp_conn_query_stream_ex(c, "SELECT 1", NULL, 0, &tiny, &rows, &err);
  CHECK(rc == SP_ERR_INVALID_ARGUMENT && rows == NULL, "options with size 2: %d", rc);
  sp_error_free(err), err = NULL;
  rc = sp_conn_query_stream_ex(c, "SELECT 1", NULL, 0, &ok, NULL, &err);
  CHECK(rc == SP_ERR_INVALID_ARGUMENT, "a NULL rows pointer: %d", rc);
  sp_error_free(err), err = NULL;
  rc = sp_pool_query_stream_ex(NULL, "SELECT 1", NULL, 0, NULL, &rows, &err);
  CHECK(rc == SP_ERR_INVALID_ARGUMENT && rows == NULL, "a NULL pool: %d", rc);
  sp_error_free(err), err = NULL;
  CHECK(query_long(c, "SELECT 9") == 9, "the connection is usable after bad input");
  sp_conn_release(c);

  /* statement_timeout_ms covers streams, also those started without options. */
  sp_pool *ps = open_or_die("pool_name=c_deadline_st&max_size=1&statement_timeout_ms=300");
  rows = NULL;
  t = now_s();
  rc = sp_pool_query_stream(ps, SLOW_TAIL, NULL, 0, &rows, &err);
  CHECK(rc == SP_OK, "stream: %s", sp_error_message(err));
  if (rc == SP_OK) {
    st = read_all(rows, &n, &err);
    took = now_s() - t;
    CHECK(st == SP_ROWS_ERROR, "the stream ended (%d) although past statement_timeout_ms", st);
    CHECK_CODE(err, SP_ERR_TIMEOUT);
    CHECK(strstr(sp_error_message(err), "statement_timeout_ms") != NULL, "%s",
          sp_error_message(err));
    CHECK(took < 5.0, "statement_timeout_ms=300 ended the stream after %.3f s", took);
    sp_error_free(err), err = NULL;
    sp_rows_free(rows);
  }
  c = sp_pool_acquire(ps, 5000, &err);
  CHECK(c != NULL && query_long(c, "SELECT 10") == 10, "the pool goes on after the kill");
  sp_conn_release(c);
  sp_pool_release(ps);
}

int main(void) {
  sp_pool *p = open_or_die("pool_name=c_deadline&max_size=2");
  sp_error *err = NULL;

  /* The call's deadline. */
  sp_conn *c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL) return finish("test_deadline");
  sp_query_options o = {.size = sizeof o, .timeout_ms = 200};
  double t = now_s();
  sp_result *r = sp_conn_query_ex(c, "SELECT SLEEP(10)", NULL, 0, &o, &err);
  double took = now_s() - t;
  CHECK(r == NULL, "SLEEP(10) returned within a 200 ms deadline");
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  CHECK(strstr(sp_error_message(err), "deadline") != NULL, "%s", sp_error_message(err));
  CHECK(took >= 0.2 && took < 3.0, "a 200 ms deadline ended the call after %.3f s", took);
  sp_error_free(err), err = NULL;
  sp_result_free(r);
  /* The connection is not reused after a kill. */
  r = sp_conn_query(c, "SELECT 1", NULL, 0, &err);
  CHECK(r == NULL, "a statement ran on the killed statement's connection");
  CHECK_CODE(err, SP_ERR_CONNECTION_LOST);
  sp_error_free(err), err = NULL;
  sp_result_free(r);
  sp_conn_release(c);

  /* Cancelled from another thread while it runs. */
  c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire after the kill: %s", sp_error_message(err));
  if (c == NULL) return finish("test_deadline");
  CHECK(query_long(c, "SELECT 7") == 7, "the pool's next connection works");
  sp_cancel *token = sp_cancel_new();
  pthread_t th;
  pthread_create(&th, NULL, trigger_later, token);
  sp_query_options oc = {.size = sizeof oc, .cancel = token};
  t = now_s();
  r = sp_conn_query_ex(c, "SELECT SLEEP(10)", NULL, 0, &oc, &err);
  took = now_s() - t;
  pthread_join(th, NULL);
  CHECK(r == NULL, "SLEEP(10) returned although cancelled");
  CHECK_CODE(err, SP_ERR_CANCELLED);
  CHECK(took < 3.0, "a cancel after 200 ms ended the call after %.3f s", took);
  sp_error_free(err), err = NULL;
  sp_result_free(r);
  sp_conn_release(c);

  /* A token cancelled before the call: nothing is sent, the connection stays usable. */
  c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL) return finish("test_deadline");
  r = sp_conn_query_ex(c, "SELECT SLEEP(10)", NULL, 0, &oc, &err);
  CHECK(r == NULL, "a statement ran with a cancelled token");
  CHECK_CODE(err, SP_ERR_CANCELLED);
  sp_error_free(err), err = NULL;
  CHECK(query_long(c, "SELECT 8") == 8, "the connection is usable after a cancel before sending");
  sp_cancel_free(token);

  /* Within the deadline, and with default options, statements run as usual. */
  sp_query_options wide = {.size = sizeof wide, .timeout_ms = 5000};
  r = sp_conn_query_ex(c, "SELECT 41 + 1", NULL, 0, &wide, &err);
  CHECK(r != NULL && sp_result_row_count(r) == 1, "a statement within its deadline: %s",
        err ? sp_error_message(err) : "no rows");
  sp_result_free(r);
  r = sp_conn_query_ex(c, "SELECT 1", NULL, 0, NULL, &err);
  CHECK(r != NULL, "NULL options: %s", err ? sp_error_message(err) : "");
  sp_result_free(r);
  /* Bad input. */
  sp_query_options tiny = {.size = 2};
  r = sp_conn_query_ex(c, "SELECT 1", NULL, 0, &tiny, &err);
  CHECK(r == NULL, "options with size 2 accepted");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  r = sp_conn_query_ex(NULL, "SELECT 1", NULL, 0, &wide, &err);
  CHECK(r == NULL, "a NULL conn accepted");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  sp_conn_release(c);
  streams(p);
  sp_pool_release(p);
  return finish("test_deadline");
}
