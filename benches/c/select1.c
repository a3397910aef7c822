/* SELECT 1 over loopback, closed loop, through sharedpool's C ABI (max_size=8) against one
 * dedicated raw libmariadb connection per client (the floor).
 *
 *   select1 --out FILE [--quick] [--reps N]      (reads SHAREDPOOL_TEST_DSN)
 *
 * For every repetition, client count and mode it reports throughput, p50/p99 latency and the
 * server's own counts: Connections and Threads_created deltas, Max_used_connections after
 * FLUSH STATUS (minus the benchmark's own status connection). Built and run by benches/run.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sharedpool.h"

#define MAX_SIZE "8"

enum phase { WARM, MEASURE, STOP };

typedef struct {
  char host[256], user[128], pass[128], db[128];
  unsigned port;
  const char *dsn;
} target;

typedef struct {
  const target *t;
  sp_pool *pool;          /* NULL: raw mode */
  _Atomic int *phase;
  pthread_barrier_t *barrier;
  uint64_t *lat;          /* measured latencies, ns */
  size_t n, cap, errors;
  char first_error[256];
} worker;

static void die(const char *what, const char *msg) {
  fprintf(stderr, "select1: %s: %s\n", what, msg);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* mysql://user:pass@host:port/db[?…] (no percent-decoding: the test DSN needs none) */
static void parse_dsn(const char *dsn, target *t) {
  memset(t, 0, sizeof *t);
  t->dsn = dsn;
  t->port = 3306;
  const char *p = strncmp(dsn, "mysql://", 8) == 0 ? dsn + 8 : NULL;
  const char *at = p ? strrchr(p, '@') : NULL;
  if (!at) die("SHAREDPOOL_TEST_DSN", "expected mysql://user:pass@host:port/db");
  const char *colon = memchr(p, ':', (size_t)(at - p));
  size_t ul = colon ? (size_t)(colon - p) : (size_t)(at - p);
  snprintf(t->user, sizeof t->user, "%.*s", (int)ul, p);
  if (colon) snprintf(t->pass, sizeof t->pass, "%.*s", (int)(at - colon - 1), colon + 1);
  const char *h = at + 1, *slash = strchr(h, '/');
  size_t hl = slash ? (size_t)(slash - h) : strlen(h);
  const char *pc = memchr(h, ':', hl);
  snprintf(t->host, sizeof t->host, "%.*s", (int)(pc ? (size_t)(pc - h) : hl), h);
  if (pc) t->port = (unsigned)strtoul(pc + 1, NULL, 10);
  if (slash) snprintf(t->db, sizeof t->db, "%.*s", (int)strcspn(slash + 1, "?"), slash + 1);
}

#define RAW_TIMEOUT_S 10

static MYSQL *raw_connect(const target *t, char *err, size_t errlen) {
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    snprintf(err, errlen, "mysql_init: out of memory");
    return NULL;
  }
  /* Connect, read and write timeouts (libmariadb's defaults wait forever): a stalled server
   * fails the run instead of hanging it. */
  unsigned int timeout_s = RAW_TIMEOUT_S;
  if (mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s) ||
      mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout_s) ||
      mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout_s)) {
    snprintf(err, errlen, "mysql_options: %s", mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  if (!mysql_real_connect(m, t->host, t->user, t->pass, t->db, t->port, NULL, 0)) {
    snprintf(err, errlen, "%s (%u)", mysql_error(m), mysql_errno(m));
    mysql_close(m);
    return NULL;
  }
  return m;
}

/* One SELECT 1 on a raw connection, result read and freed. */
static int raw_select1(MYSQL *m, char *err, size_t errlen) {
  if (mysql_real_query(m, "SELECT 1", 8) != 0) goto fail;
  MYSQL_RES *r = mysql_store_result(m);
  if (!r) goto fail;
  if (!mysql_fetch_row(r)) {
    mysql_free_result(r);
    goto fail;
  }
  mysql_free_result(r);
  return 0;
fail:
  snprintf(err, errlen, "%s (%u)", mysql_error(m), mysql_errno(m));
  return -1;
}

/* One SELECT 1 through the pool: acquire, query, release. */
static int pool_select1(sp_pool *pool, char *err, size_t errlen) {
  sp_error *e = NULL;
  sp_conn *c = sp_pool_acquire(pool, -1, &e);
  if (!c) goto fail;
  sp_result *r = sp_conn_query(c, "SELECT 1", NULL, 0, &e);
  if (!r) {
    sp_conn_release(c);
    goto fail;
  }
  const char *data;
  size_t len;
  bool ok = sp_result_row_count(r) == 1 && sp_result_get(r, 0, 0, &data, &len) && len == 1;
  sp_result_free(r);
  sp_conn_release(c);
  if (!ok) {
    snprintf(err, errlen, "SELECT 1 returned something else");
    return -1;
  }
  return 0;
fail:
  snprintf(err, errlen, "%s", e ? sp_error_message(e) : "unknown error");
  sp_error_free(e);
  return -1;
}

static void push(worker *w, uint64_t ns) {
  if (w->n == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 4096;
    w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
    if (!w->lat) die("realloc", strerror(errno));
  }
  w->lat[w->n++] = ns;
}

static void *run_worker(void *arg) {
  worker *w = arg;
  char err[256] = "";
  MYSQL *m = NULL;
  if (!w->pool && !(m = raw_connect(w->t, err, sizeof err))) {
    w->errors++;
    snprintf(w->first_error, sizeof w->first_error, "connect: %s", err);
  }
  pthread_barrier_wait(w->barrier);
  if (!w->pool && !m) return NULL;
  for (;;) {
    int p = atomic_load_explicit(w->phase, memory_order_relaxed);
    if (p == STOP) break;
    uint64_t t0 = now_ns();
    int rc = w->pool ? pool_select1(w->pool, err, sizeof err) : raw_select1(m, err, sizeof err);
    uint64_t dt = now_ns() - t0;
    if (p != MEASURE) continue;
    if (rc == 0) {
      push(w, dt);
    } else if (w->errors++ == 0) {
      snprintf(w->first_error, sizeof w->first_error, "%s", err);
    }
  }
  if (m) mysql_close(m);
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void status(MYSQL *s, long long *connections, long long *max_used, long long *threads_created) {
  const char *q =
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Connections','Max_used_connections','Threads_created')";
  if (mysql_query(s, q) != 0) die("SHOW GLOBAL STATUS", mysql_error(s));
  MYSQL_RES *r = mysql_store_result(s);
  if (!r) die("SHOW GLOBAL STATUS", mysql_error(s));
  MYSQL_ROW row;
  while ((row = mysql_fetch_row(r))) {
    long long v = atoll(row[1]);
    if (!strcmp(row[0], "Connections")) *connections = v;
    if (!strcmp(row[0], "Max_used_connections")) *max_used = v;
    if (!strcmp(row[0], "Threads_created")) *threads_created = v;
  }
  mysql_free_result(r);
}

/* One measurement; appends a JSON object to `out`. Returns false when the mode is unusable. */
static bool measure(FILE *out, bool *first, const target *t, MYSQL *srv, const char *mode, int clients,
                    int rep, unsigned warm_ms, unsigned measure_ms) {
  sp_pool *pool = NULL;
  usleep(100 * 1000); /* let the previous run's connections go */
  if (mysql_query(srv, "FLUSH STATUS") != 0) die("FLUSH STATUS", mysql_error(srv));
  long long c0 = 0, m0 = 0, th0 = 0, c1 = 0, m1 = 0, th1 = 0;
  status(srv, &c0, &m0, &th0);
  if (strcmp(mode, "sharedpool") == 0) {
    sp_error *e = NULL;
    sp_options *o = sp_options_new();
    if (!o || sp_options_set(o, "max_size", MAX_SIZE, &e) != SP_OK ||
        sp_options_set(o, "pool_name", "bench-select1-c", &e) != SP_OK ||
        !(pool = sp_pool_open(t->dsn, o, &e))) {
      fprintf(stderr, "select1: sharedpool: %s\n", e ? sp_error_message(e) : "out of memory");
      sp_error_free(e);
      sp_options_free(o);
      return false;
    }
    sp_options_free(o);
  }
  _Atomic int phase = WARM;
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)clients + 1);
  worker *ws = calloc((size_t)clients, sizeof *ws);
  pthread_t *th = calloc((size_t)clients, sizeof *th);
  if (!ws || !th) die("calloc", strerror(errno));
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  for (int i = 0; i < clients; i++) {
    ws[i] = (worker){.t = t, .pool = pool, .phase = &phase, .barrier = &barrier};
    if (pthread_create(&th[i], &attr, run_worker, &ws[i]) != 0) die("pthread_create", strerror(errno));
  }
  pthread_barrier_wait(&barrier);
  usleep(warm_ms * 1000);
  atomic_store(&phase, MEASURE);
  uint64_t t0 = now_ns();
  usleep(measure_ms * 1000);
  atomic_store(&phase, STOP);
  double secs = (double)(now_ns() - t0) / 1e9;
  size_t total = 0, errors = 0;
  const char *first_error = NULL;
  for (int i = 0; i < clients; i++) {
    pthread_join(th[i], NULL);
    total += ws[i].n;
    errors += ws[i].errors;
    if (!first_error && ws[i].errors) first_error = ws[i].first_error;
  }
  status(srv, &c1, &m1, &th1);
  uint64_t *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) die("malloc", strerror(errno));
  size_t k = 0;
  for (int i = 0; i < clients; i++) {
    memcpy(all + k, ws[i].lat, ws[i].n * sizeof *all);
    k += ws[i].n;
  }
  qsort(all, total, sizeof *all, cmp_u64);
  double p50 = total ? (double)all[total / 2] / 1e3 : 0;
  double p99 = total ? (double)all[(size_t)((double)(total - 1) * 0.99)] / 1e3 : 0;
  fprintf(out,
          "%s    {\"mode\": \"%s\", \"clients\": %d, \"rep\": %d, \"ops\": %zu, \"errors\": %zu, "
          "\"secs\": %.4f, \"ops_per_s\": %.1f, \"latency\": {\"p50_us\": %.2f, \"p99_us\": %.2f}, "
          "\"server\": {\"connections\": %lld, \"max_used_connections\": %lld, \"threads_created\": %lld}",
          *first ? "" : ",\n", mode, clients, rep, total, errors, secs, (double)total / secs, p50, p99,
          c1 - c0, m1 - 1, th1 - th0);
  if (first_error) {
    fputs(", \"first_error\": \"", out);
    for (const char *c = first_error; *c; c++)
      if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20) fputc(*c, out);
    fputc('"', out);
  }
  fputc('}', out);
  *first = false;
  fprintf(stderr, "select1: %-10s clients=%-3d rep=%d %10.0f ops/s p50=%.1fus p99=%.1fus errors=%zu\n", mode,
          clients, rep, (double)total / secs, p50, p99, errors);
  for (int i = 0; i < clients; i++) free(ws[i].lat);
  free(all);
  free(ws);
  free(th);
  pthread_attr_destroy(&attr);
  pthread_barrier_destroy(&barrier);
  sp_pool_release(pool);
  return total > 0;
}

int main(int argc, char **argv) {
  const char *outpath = NULL;
  bool quick = false;
  int reps = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) quick = true;
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) outpath = argv[++i];
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: select1 --out FILE [--quick] [--reps N]\n");
      return 2;
    }
  }
  if (reps < 1) reps = quick ? 2 : 5;
  const char *dsn = getenv("SHAREDPOOL_TEST_DSN");
  if (!dsn) die("SHAREDPOOL_TEST_DSN", "not set: run through tests/mariadb.sh run (make bench does)");
  target t;
  parse_dsn(dsn, &t);
  static const int full_clients[] = {1, 4, 16, 64, 256}, quick_clients[] = {1, 16, 64};
  const int *clients = quick ? quick_clients : full_clients;
  int nclients = quick ? 3 : 5;
  unsigned warm_ms = quick ? 100 : 300, measure_ms = quick ? 300 : 1500;
  if (mysql_library_init(0, NULL, NULL) != 0) die("mysql_library_init", "failed");
  char err[256];
  MYSQL *srv = raw_connect(&t, err, sizeof err);
  if (!srv) die("status connection", err);
  FILE *out = outpath ? fopen(outpath, "w") : stdout;
  if (!out) die(outpath, strerror(errno));
  fprintf(out, "{\n  \"bench\": \"select1\", \"language\": \"c\", \"max_size\": %s, \"quick\": %s, \"reps\": %d, "
               "\"measure_ms\": %u,\n  \"what\": \"SELECT 1 closed loop; raw = one libmariadb connection per "
               "client (floor); sharedpool via the C ABI\",\n  \"note\": \"server.max_used_connections excludes the "
               "benchmark's own status connection\",\n  \"rows\": [\n",
          MAX_SIZE, quick ? "true" : "false", reps, measure_ms);
  static const char *modes[] = {"raw", "sharedpool"};
  bool first = true, broken[2] = {false, false};
  for (int rep = 0; rep < reps; rep++)
    for (int c = 0; c < nclients; c++)
      for (int k = 0; k < 2; k++) {
        int m = (k + rep) % 2;
        if (!broken[m] && !measure(out, &first, &t, srv, modes[m], clients[c], rep, warm_ms, measure_ms)) {
          fprintf(stderr, "select1: %s failed, skipped from now on\n", modes[m]);
          broken[m] = true;
        }
      }
  fprintf(out, "\n  ],\n  \"failed\": [");
  for (int m = 0, n = 0; m < 2; m++)
    if (broken[m]) fprintf(out, "%s{\"mode\": \"%s\"}", n++ ? ", " : "", modes[m]);
  fprintf(out, "]\n}\n");
  if (out != stdout) fclose(out);
  mysql_close(srv);
  mysql_library_end();
  return 0;
}
