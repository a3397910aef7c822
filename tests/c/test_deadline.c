/* sp_conn_query_ex: a statement past the call's deadline, or cancelled from another thread while
 * it runs, is stopped on the server and the call fails with SP_ERR_TIMEOUT / SP_ERR_CANCELLED
 * within a bound; the connection is then discarded and the pool goes on. */
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
  sp_pool_release(p);
  return finish("test_deadline");
}
