/* What the C boundary costs, for the report (not a test: nothing is asserted). Built by
 * tests/c/run.sh so it cannot rot; run it by hand against a server:
 *   target/ctest/bench_ffi "mysql://sp:sp-secret@127.0.0.1:PORT/sp"
 * Compare the first two lines with the same loop in Rust (pool.acquire() + drop, stats()). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include "sharedpool.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DSN\n", argv[0]);
    return 2;
  }
  sp_options *o = sp_options_new();
  sp_options_set(o, "pool_name", "bench_ffi", NULL);
  sp_options_set(o, "max_size", "4", NULL);
  sp_error *err = NULL;
  sp_pool *p = sp_pool_open(argv[1], o, &err);
  sp_options_free(o);
  if (p == NULL) {
    fprintf(stderr, "open: %s\n", sp_error_message(err));
    return 1;
  }
  enum { N = 100000, Q = 5000 };
  for (int i = 0; i < 1000; i++) sp_conn_release(sp_pool_acquire(p, 1000, NULL));
  double t = now();
  for (int i = 0; i < N; i++) sp_conn_release(sp_pool_acquire(p, 1000, NULL));
  printf("sp_pool_acquire + sp_conn_release: %.3f us/cycle\n", (now() - t) / N * 1e6);

  sp_stats st;
  t = now();
  for (int i = 0; i < N; i++) {
    st.size = sizeof st;
    sp_pool_stats(p, &st);
  }
  printf("sp_pool_stats: %.3f us/call\n", (now() - t) / N * 1e6);

  sp_conn *c = sp_pool_acquire(p, 1000, &err);
  if (c == NULL) {
    fprintf(stderr, "acquire: %s\n", sp_error_message(err));
    return 1;
  }
  t = now();
  for (int i = 0; i < Q; i++) sp_result_free(sp_conn_query(c, "SELECT 1", NULL, 0, NULL));
  printf("sp_conn_query SELECT 1 on a held connection: %.1f us/query\n", (now() - t) / Q * 1e6);

  sp_result *r = sp_conn_query(c, "SELECT seq, CONCAT('row ', seq) FROM seq_1_to_100000", NULL,
                               0, &err);
  if (r == NULL) {
    fprintf(stderr, "query: %s\n", sp_error_message(err));
    return 1;
  }
  size_t rows = sp_result_row_count(r), bytes = 0, len;
  const char *data;
  t = now();
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < 2; j++)
      if (sp_result_get(r, i, j, &data, &len)) bytes += len;
  printf("sp_result_get: %.1f ns/cell (%zu rows, %zu bytes)\n", (now() - t) / (2.0 * rows) * 1e9,
         rows, bytes);
  sp_result_free(r);
  sp_conn_release(c);
  sp_pool_release(p);
  return 0;
}
