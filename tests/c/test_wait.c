/* Waiting for a connection: acquire timeout with an explanation, cancel from another thread,
 * an interrupt callback, and hand-off to a waiter when a connection comes back. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

static sp_pool *pool;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

struct waiter {
  const sp_acquire_options *options;
  sp_code code;
  char message[512];
};

static void *wait_for_conn(void *arg) {
  struct waiter *w = arg;
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire_ex(pool, w->options, &err);
  w->code = sp_error_code(err);
  snprintf(w->message, sizeof w->message, "%s", sp_error_message(err));
  sp_error_free(err);
  sp_conn_release(c);
  return NULL;
}

static void test_timeout(void) {
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(pool, 0, &err);
  CHECK(c == NULL, "a second connection from a max_size=1 pool");
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  sp_error_free(err), err = NULL;
  c = sp_pool_acquire(pool, 100, &err);
  CHECK(c == NULL, "a second connection from a max_size=1 pool");
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  CHECK(strstr(sp_error_message(err), "timed out") != NULL, "%s", sp_error_message(err));
  CHECK(strstr(sp_error_message(err), "max_size=1") != NULL, "explains the pool state: %s",
        sp_error_message(err));
  sp_error_free(err);
  sp_stats st = {.size = sizeof st};
  CHECK(sp_pool_stats(pool, &st) == SP_OK && st.timeouts_total == 2, "timeouts %llu",
        (unsigned long long)st.timeouts_total);
}

static void test_cancel(void) {
  sp_cancel *token = sp_cancel_new();
  sp_acquire_options o = {.size = sizeof o, .timeout_ms = 60000, .cancel = token,
                          .label = "cancel-test"};
  struct waiter w = {.options = &o, .code = SP_OK};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, wait_for_conn, &w) == 0, "thread");
  /* Wait until it waits, then cancel from here. */
  for (int i = 0; i < 500; i++) {
    sp_stats st = {.size = sizeof st};
    sp_pool_stats(pool, &st);
    if (st.waiting == 1) break;
    sleep_ms(10);
  }
  sp_cancel_trigger(token);
  pthread_join(t, NULL);
  CHECK(w.code == SP_ERR_CANCELLED, "got %d (%s)", (int)w.code, w.message);
  sp_cancel_free(token);
}

static atomic_int polls;
static bool interrupt_after_three(void *ctx) {
  CHECK(ctx == (void *)&polls, "ctx passed back");
  return atomic_fetch_add(&polls, 1) >= 2;
}

static void test_interrupt(void) {
  sp_acquire_options o = {.size = sizeof o, .timeout_ms = 60000,
                          .interrupt = interrupt_after_three, .interrupt_ctx = &polls};
  sp_error *err = NULL;
  CHECK(sp_pool_acquire_ex(pool, &o, &err) == NULL, "interrupted acquire");
  CHECK_CODE(err, SP_ERR_CANCELLED);
  CHECK(atomic_load(&polls) >= 3, "polled %d times", atomic_load(&polls));
  sp_error_free(err);
}

static void test_hand_off(sp_conn *held) {
  sp_acquire_options o = {.size = sizeof o, .timeout_ms = 60000};
  struct waiter w = {.options = &o, .code = SP_ERR_INTERNAL};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, wait_for_conn, &w) == 0, "thread");
  sleep_ms(100);
  sp_conn_release(held);
  pthread_join(t, NULL);
  CHECK(w.code == SP_OK, "waiter got %d (%s)", (int)w.code, w.message);
}

int main(void) {
  pool = open_or_die("pool_name=c_wait&max_size=1&acquire_timeout_ms=60000");
  sp_error *err = NULL;
  sp_conn *held = sp_pool_acquire(pool, 5000, &err);
  CHECK(held != NULL, "acquire: %s", sp_error_message(err));
  if (held == NULL) return finish("test_wait");
  test_timeout();
  test_cancel();
  test_interrupt();
  test_hand_off(held);
  sp_pool_release(pool);
  return finish("test_wait");
}
