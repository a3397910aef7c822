/* A tiny check harness for the C tests: CHECK counts, prints failures, and FINISH exits
 * non-zero when any failed. Thread-safe counters (C11 atomics). */
#ifndef SHAREDPOOL_TEST_CHECK_H
#define SHAREDPOOL_TEST_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharedpool.h"

static atomic_int checks_passed;
static atomic_int checks_failed;

#define CHECK(cond, ...)                                                         \
  do {                                                                           \
    if (cond) {                                                                  \
      atomic_fetch_add(&checks_passed, 1);                                       \
    } else {                                                                     \
      atomic_fetch_add(&checks_failed, 1);                                       \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
      fprintf(stderr, __VA_ARGS__);                                              \
      fputc('\n', stderr);                                                       \
    }                                                                            \
  } while (0)

/* Checks an error's code, printing its message when it differs. */
#define CHECK_CODE(err, want)                                                    \
  CHECK(sp_error_code(err) == (want), "want %s, got %d (%s)", #want,             \
        (int)sp_error_code(err), sp_error_message(err))

/* The test server's DSN; exits (a failure, never a skip) when it is missing. */
static inline const char *test_dsn(void) {
  const char *dsn = getenv("SHAREDPOOL_TEST_DSN");
  if (dsn == NULL || dsn[0] == '\0') {
    fprintf(stderr, "FAIL: SHAREDPOOL_TEST_DSN is not set (run under tests/mariadb.sh run)\n");
    exit(2);
  }
  return dsn;
}

/* test_dsn() with "?k=v&..." (or "&k=v...") appended; the caller frees. */
static inline char *dsn_with(const char *query) {
  const char *base = test_dsn();
  size_t n = strlen(base) + strlen(query) + 2;
  char *s = malloc(n);
  snprintf(s, n, "%s%c%s", base, strchr(base, '?') ? '&' : '?', query);
  return s;
}

/* Opens a pool on the test server with DSN options `query`; exits when that fails. */
static inline sp_pool *open_or_die(const char *query) {
  char *dsn = dsn_with(query);
  sp_error *err = NULL;
  sp_pool *p = sp_pool_open(dsn, NULL, &err);
  if (p == NULL) {
    fprintf(stderr, "FAIL: sp_pool_open(%s): %s\n", query, sp_error_message(err));
    exit(2);
  }
  free(dsn);
  return p;
}

/* Runs `sql` on `c` and returns the first cell as a long (-1 for NULL, -2 on error). */
static inline long query_long(sp_conn *c, const char *sql) {
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, sql, NULL, 0, &err);
  if (r == NULL) {
    fprintf(stderr, "query %s: %s\n", sql, sp_error_message(err));
    sp_error_free(err);
    return -2;
  }
  const char *data = NULL;
  long v = sp_result_get(r, 0, 0, &data, NULL) ? strtol(data, NULL, 10) : -1;
  sp_result_free(r);
  return v;
}

/* Prints the summary line and returns the exit status. */
static inline int finish(const char *name) {
  int passed = atomic_load(&checks_passed), failed = atomic_load(&checks_failed);
  printf("%s: %d checks passed, %d failed\n", name, passed, failed);
  return failed == 0 ? 0 : 1;
}

#endif
