/* 100 threads share one DSN (each with its own sp_pool reference) and a pool of max_size 4:
 * the server must never see more than 4 of its connections. */
#include <pthread.h>

#include "dsn.h"

#define THREADS 100
#define ROUNDS 5
#define MAX_SIZE 4

static char *dsn;
static atomic_int max_seen;
static atomic_int max_refs;
static atomic_int errors;

/* Connections the server has open to database sp_other (only this test uses it). SHOW
 * PROCESSLIST rather than information_schema.PROCESSLIST, which materialises a temporary table
 * per query (MariaDB 10.11 was seen crashing in it under load). -1 on error. */
static long count_connections(sp_conn *c) {
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, "SHOW PROCESSLIST", NULL, 0, &err);
  if (r == NULL) {
    fprintf(stderr, "SHOW PROCESSLIST: %s\n", sp_error_message(err));
    sp_error_free(err);
    return -1;
  }
  long n = 0;
  for (size_t row = 0; row < sp_result_row_count(r); row++) {
    const char *user, *db;
    if (sp_result_get(r, row, 1, &user, NULL) && sp_result_get(r, row, 3, &db, NULL) &&
        strcmp(user, "sp") == 0 && strcmp(db, "sp_other") == 0) {
      n++;
    }
  }
  sp_result_free(r);
  return n;
}

static void *worker(void *arg) {
  (void)arg;
  sp_error *err = NULL;
  sp_pool *p = sp_pool_open(dsn, NULL, &err);
  if (p == NULL) {
    fprintf(stderr, "open: %s\n", sp_error_message(err));
    sp_error_free(err);
    atomic_fetch_add(&errors, 1);
    return NULL;
  }
  sp_stats st = {.size = sizeof st};
  if (sp_pool_stats(p, &st) == SP_OK) {
    int refs = (int)st.refs, seen = atomic_load(&max_refs);
    while (refs > seen && !atomic_compare_exchange_weak(&max_refs, &seen, refs)) {
    }
  }
  for (int i = 0; i < ROUNDS; i++) {
    sp_conn *c = sp_pool_acquire(p, 30000, &err);
    if (c == NULL) {
      fprintf(stderr, "acquire: %s\n", sp_error_message(err));
      sp_error_free(err), err = NULL;
      atomic_fetch_add(&errors, 1);
      continue;
    }
    long n = count_connections(c);
    if (n < 0) atomic_fetch_add(&errors, 1);
    int seen = atomic_load(&max_seen);
    while (n > seen && !atomic_compare_exchange_weak(&max_seen, &seen, (int)n)) {
    }
    sp_conn_release(c);
  }
  sp_pool_release(p);
  return NULL;
}

int main(void) {
  dsn = dsn_for_db("sp_other", "pool_name=c_threads&max_size=4&acquire_timeout_ms=30000");
  sp_error *err = NULL;
  sp_pool *main_ref = sp_pool_open(dsn, NULL, &err);
  CHECK(main_ref != NULL, "open: %s", sp_error_message(err));
  if (main_ref == NULL) return finish("test_threads");

  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_create(&threads[i], NULL, worker, NULL) == 0, "pthread_create %d", i);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);

  CHECK(atomic_load(&errors) == 0, "%d errors in threads", atomic_load(&errors));
  CHECK(atomic_load(&max_seen) >= 1 && atomic_load(&max_seen) <= MAX_SIZE,
        "the server saw %d connections (max_size %d)", atomic_load(&max_seen), MAX_SIZE);
  CHECK(atomic_load(&max_refs) > 1, "threads shared the pool: max refs %d",
        atomic_load(&max_refs));
  sp_stats st = {.size = sizeof st};
  CHECK(sp_pool_stats(main_ref, &st) == SP_OK, "stats");
  CHECK(st.refs == 1, "refs %u after every thread released its own", st.refs);
  CHECK(st.total <= MAX_SIZE && st.created_total <= MAX_SIZE + 2,
        "total %u created %llu", st.total, (unsigned long long)st.created_total);
  CHECK(st.acquires_total >= THREADS * ROUNDS, "acquires %llu",
        (unsigned long long)st.acquires_total);
  CHECK(st.timeouts_total == 0 && st.active == 0, "timeouts %llu active %u",
        (unsigned long long)st.timeouts_total, st.active);
  printf("test_threads: server saw at most %d connections; %llu acquires, %llu connections "
         "created, max refs %d\n",
         atomic_load(&max_seen), (unsigned long long)st.acquires_total,
         (unsigned long long)st.created_total, atomic_load(&max_refs));
  sp_pool_release(main_ref);
  free(dsn);
  return finish("test_threads");
}
