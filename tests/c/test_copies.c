/* Two copies of the library in one process (this program links one; it loads a second from
 * another path, as a Python wheel's bundled copy or a ctypes.CDLL of an installed one would be):
 * both serve the same registry, so one DSN is one pool and handles work with either copy. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "check.h"

typedef sp_pool *(*open_fn)(const char *, const sp_options *, sp_error **);
typedef enum sp_code (*stats_fn)(const sp_pool *, sp_stats *);
typedef sp_conn *(*acquire_fn)(sp_pool *, int64_t, sp_error **);
typedef void (*release_fn)(sp_pool *);

static uint32_t refs(stats_fn stats, const sp_pool *p) {
  sp_stats s = {.size = sizeof s};
  return stats(p, &s) == SP_OK ? s.refs : 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH-OF-A-SECOND-COPY\n", argv[0]);
    return 2;
  }
  void *second = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  CHECK(second != NULL, "dlopen %s: %s", argv[1], dlerror());
  if (second == NULL) return 1;
  open_fn open2 = (open_fn)dlsym(second, "sp_pool_open");
  stats_fn stats2 = (stats_fn)dlsym(second, "sp_pool_stats");
  acquire_fn acquire2 = (acquire_fn)dlsym(second, "sp_pool_acquire");
  release_fn release2 = (release_fn)dlsym(second, "sp_pool_release");
  CHECK(open2 && stats2 && acquire2 && release2, "symbols of the second copy");

  /* Really a second copy: its functions live in the other file. */
  Dl_info info;
  CHECK(dladdr((void *)open2, &info) && strcmp(info.dli_fname, argv[1]) == 0,
        "second copy mapped from %s", info.dli_fname);
  CHECK((void *)open2 != (void *)sp_pool_open, "two copies are mapped");

  char *dsn = dsn_with("pool_name=two_copies");
  sp_error *err = NULL;
  sp_pool *a = sp_pool_open(dsn, NULL, &err);
  CHECK(a != NULL, "open (linked copy): %s", sp_error_message(err));
  sp_pool *b = open2(dsn, NULL, &err);
  CHECK(b != NULL, "open (second copy): %s", sp_error_message(err));
  free(dsn);
  if (a == NULL || b == NULL) return 1;

  /* One pool, two references, seen the same from both copies. */
  CHECK(refs(sp_pool_stats, a) == 2, "refs via the linked copy: %u", refs(sp_pool_stats, a));
  CHECK(refs(stats2, a) == 2, "the second copy knows the linked copy's handle");
  CHECK(refs(sp_pool_stats, b) == 2, "the linked copy knows the second copy's handle");

  /* A connection borrowed through one copy goes back through the other. */
  sp_conn *c = acquire2(b, 5000, &err);
  CHECK(c != NULL, "acquire via the second copy: %s", sp_error_message(err));
  if (c) {
    CHECK(query_long(c, "SELECT 41 + 1") == 42, "query on it via the linked copy");
    sp_conn_release(c);
  }
  sp_stats s = {.size = sizeof s};
  CHECK(sp_pool_stats(a, &s) == SP_OK && s.active == 0 && s.acquires_total == 1,
        "active %u, acquires %llu", s.active, (unsigned long long)s.acquires_total);

  release2(a);
  CHECK(refs(sp_pool_stats, b) == 1, "a release through the second copy counts");
  sp_pool_release(b);
  CHECK(sp_pool_stats(b, &s) == SP_ERR_INVALID_ARGUMENT, "released handles are invalid in both");
  CHECK(stats2(b, &s) == SP_ERR_INVALID_ARGUMENT, "...copies");
  sp_error_free(err);
  dlclose(second);
  return finish("test_copies");
}
