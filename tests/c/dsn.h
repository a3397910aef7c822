/* DSN helpers for the C tests: the test DSN pointed at another database. */
#ifndef SHAREDPOOL_TEST_DSN_H
#define SHAREDPOOL_TEST_DSN_H

#include "check.h"

/* test_dsn() with its database replaced by `db` and `query` appended; the caller frees. */
static inline char *dsn_for_db(const char *db, const char *query) {
  const char *base = test_dsn();
  const char *q = strchr(base, '?');
  size_t end = q ? (size_t)(q - base) : strlen(base);
  size_t slash = end;
  while (slash > 0 && base[slash - 1] != '/') slash--;
  size_t n = strlen(base) + strlen(db) + strlen(query) + 4;
  char *s = malloc(n);
  snprintf(s, n, "%.*s%s%s%s%s", (int)slash, base, db, q ? q : "", q ? "&" : "?", query);
  return s;
}

#endif
