/* Every function of the C ABI: happy paths, NULL for every pointer argument, malformed DSNs
 * and options, server errors with errno and SQLSTATE, stats size honouring, handle misuse. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

#define UNSIGNED_FLAG 32
#define MYSQL_TYPE_LONG 3
#define MYSQL_TYPE_VAR_STRING 253

static void test_versions(void) {
  CHECK(sp_abi_version() == ((uint32_t)SP_ABI_VERSION_MAJOR << 16 | SP_ABI_VERSION_MINOR),
        "abi %u", sp_abi_version());
  CHECK(sp_abi_version() >> 16 == 1, "abi major %u", sp_abi_version() >> 16);
  CHECK(strcmp(sp_code_name(SP_ERR_INVALID_DSN), "invalid_dsn") == 0, "%s",
        sp_code_name(SP_ERR_INVALID_DSN));
  CHECK(strcmp(sp_code_name(SP_OK), "ok") == 0, "code name of SP_OK");
  CHECK(strcmp(sp_code_name(1000), "unknown") == 0, "an unknown code has a name too");
  CHECK(strcmp(sp_version(), SHAREDPOOL_VERSION) == 0, "%s vs %s", sp_version(),
        SHAREDPOOL_VERSION);
  char macro[32];
  snprintf(macro, sizeof macro, "%d.%d.%d", SHAREDPOOL_VERSION_MAJOR, SHAREDPOOL_VERSION_MINOR,
           SHAREDPOOL_VERSION_PATCH);
  CHECK(strcmp(macro, SHAREDPOOL_VERSION) == 0, "%s", macro);
}

static void test_tls_register(void) {
  sp_error *err = NULL;
  CHECK(sp_tls_register(NULL, NULL, NULL, NULL, &err) == SP_ERR_INVALID_ARGUMENT, "NULL name");
  sp_error_free(err), err = NULL;
  CHECK(sp_tls_register("true", NULL, NULL, NULL, &err) == SP_ERR_INVALID_ARGUMENT, "a mode");
  sp_error_free(err), err = NULL;
  CHECK(sp_tls_register("c-ca", "/no/such/ca.pem", NULL, NULL, &err) == SP_ERR_INVALID_ARGUMENT,
        "missing file");
  CHECK(strstr(sp_error_message(err), "/no/such/ca.pem") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  CHECK(sp_tls_register("c-ca", "include/sharedpool.h", NULL, NULL, &err) == SP_OK, "%s",
        sp_error_message(err));
  sp_options *o = sp_options_new();
  CHECK(sp_options_set(o, "tls", "c-ca", NULL) == SP_OK, "tls=<registered name>");
  CHECK(sp_options_set(o, "tls", "never-registered", NULL) == SP_ERR_INVALID_OPTION, "unknown name");
  sp_options_free(o);
}

static void test_null_error_accessors(void) {
  CHECK(sp_error_code(NULL) == SP_OK, "code");
  CHECK(strcmp(sp_error_message(NULL), "") == 0, "message");
  CHECK(sp_error_server_errno(NULL) == 0, "errno");
  CHECK(strcmp(sp_error_sqlstate(NULL), "") == 0, "sqlstate");
  sp_error_free(NULL);
}

static void test_options(void) {
  sp_options *o = sp_options_new();
  CHECK(o != NULL, "sp_options_new");
  sp_error *err = NULL;

  CHECK(sp_options_set(o, "max_size", "3", &err) == SP_OK, "valid set");
  CHECK(err == NULL, "err untouched on success");
  CHECK(sp_options_set(o, "acquire_timeout_ms", "2000", NULL) == SP_OK, "err may be NULL");

  CHECK(sp_options_set(NULL, "max_size", "3", &err) == SP_ERR_INVALID_ARGUMENT, "NULL o");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  CHECK(strstr(sp_error_message(err), "NULL") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  CHECK(sp_options_set(o, NULL, "3", &err) == SP_ERR_INVALID_ARGUMENT, "NULL key");
  sp_error_free(err), err = NULL;
  CHECK(sp_options_set(o, "max_size", NULL, &err) == SP_ERR_INVALID_ARGUMENT, "NULL value");
  sp_error_free(err), err = NULL;
  CHECK(sp_options_set(o, "max_\xff", "3", &err) == SP_ERR_INVALID_ARGUMENT, "bad UTF-8 key");
  CHECK(strstr(sp_error_message(err), "UTF-8") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  CHECK(sp_options_set(o, "max_size", "\xc3", NULL) == SP_ERR_INVALID_ARGUMENT, "bad UTF-8 value");

  const char *bad[][2] = {
      {"no_such_option", "1"}, {"max_size", "abc"},    {"max_size", "0"},
      {"max_size", "-1"},      {"on_conflict", "maybe"}, {"headroom", "0.5"},
      {"adaptive", "perhaps"}, {"acquire_timeout_ms", "1s"}, {"tls", "sometimes"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(sp_options_set(o, bad[i][0], bad[i][1], &err) == SP_ERR_INVALID_OPTION, "%s=%s",
          bad[i][0], bad[i][1]);
    CHECK(strstr(sp_error_message(err), bad[i][0]) != NULL, "message names the option: %s",
          sp_error_message(err));
    sp_error_free(err), err = NULL;
  }
  sp_options_free(o);
  sp_options_free(NULL);
}

static void test_bad_dsns(void) {
  const char *dsns[] = {
      "",
      "not a dsn",
      "mysql://",
      "mysql://sp:pw@127.0.0.1:notaport/sp",
      "mysql://sp:pw@127.0.0.1:70000/sp",
      "postgres://sp@127.0.0.1/sp",
      "sp:pw@tcp(127.0.0.1:3306/sp",
      "mysql://sp:pw@[::1/sp",
  };
  for (size_t i = 0; i < sizeof dsns / sizeof dsns[0]; i++) {
    sp_error *err = NULL;
    sp_pool *p = sp_pool_open(dsns[i], NULL, &err);
    CHECK(p == NULL, "opened %s", dsns[i]);
    CHECK_CODE(err, SP_ERR_INVALID_DSN);
    CHECK(strstr(sp_error_message(err), "pw") == NULL, "password in message: %s",
          sp_error_message(err));
    sp_error_free(err);
    sp_pool_release(p);
  }
  sp_error *err = NULL;
  CHECK(sp_pool_open(NULL, NULL, &err) == NULL, "NULL dsn");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_open("mysql://sp@127.0.0.1/\xff", NULL, &err) == NULL, "bad UTF-8 dsn");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_open("", NULL, NULL) == NULL, "err may be NULL");

  /* Options in the DSN and in sp_options are checked too. */
  const char *bad_opts[] = {"max_size=zero", "nonsense=1", "min_idle=5&max_size=2"};
  for (size_t i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++) {
    char *dsn = dsn_with(bad_opts[i]);
    CHECK(sp_pool_open(dsn, NULL, &err) == NULL, "opened with %s", bad_opts[i]);
    CHECK_CODE(err, SP_ERR_INVALID_OPTION);
    sp_error_free(err), err = NULL;
    free(dsn);
  }
  sp_options *o = sp_options_new();
  CHECK(sp_options_set(o, "min_idle", "9", NULL) == SP_OK, "min_idle");
  CHECK(sp_options_set(o, "max_size", "2", NULL) == SP_OK, "max_size");
  CHECK(sp_pool_open(test_dsn(), o, &err) == NULL, "min_idle > max_size accepted");
  CHECK_CODE(err, SP_ERR_INVALID_OPTION);
  sp_error_free(err), err = NULL;
  sp_options_free(o);
}

static void test_auth(void) {
  /* The test DSN with the password replaced by a wrong one. */
  const char *dsn = test_dsn();
  const char *at = strchr(dsn, '@');
  char wrong[512];
  snprintf(wrong, sizeof wrong, "mysql://sp:Wr0ngPassw0rd%s", at);
  sp_error *err = NULL;
  sp_pool *p = sp_pool_open(wrong, NULL, &err);
  CHECK(p == NULL, "opened with a wrong password");
  CHECK_CODE(err, SP_ERR_AUTH);
  CHECK(strstr(sp_error_message(err), "Wr0ngPassw0rd") == NULL, "password leaked: %s",
        sp_error_message(err));
  sp_error_free(err);
  sp_pool_release(p);
}

static void test_params_and_results(sp_conn *c) {
  static const char blob[3] = {'a', '\0', 'b'};
  sp_param ps[6] = {
      {.kind = SP_PARAM_NULL},
      {.kind = SP_PARAM_INT, .i = -5},
      {.kind = SP_PARAM_UINT, .u = UINT64_MAX},
      {.kind = SP_PARAM_DOUBLE, .d = 1.5},
      {.kind = SP_PARAM_TEXT, .data = "h\xc3\xa9llo", .len = 6},
      {.kind = SP_PARAM_BLOB, .data = blob, .len = 3},
  };
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(
      c, "SELECT ? AS n, ? AS i, ? AS u, ? AS d, ? AS t, ? AS b", ps, 6, &err);
  CHECK(r != NULL, "params query: %s", sp_error_message(err));
  CHECK(err == NULL, "err untouched on success");
  CHECK(sp_result_column_count(r) == 6, "%zu columns", sp_result_column_count(r));
  CHECK(sp_result_row_count(r) == 1, "%zu rows", sp_result_row_count(r));
  CHECK(strcmp(sp_result_column_name(r, 4), "t") == 0, "name %s", sp_result_column_name(r, 4));
  /* Kinds, classified by the library from type and flags: what each binding converts by. */
  sp_column_kind want[6] = {SP_KIND_NULL, SP_KIND_INTEGER, SP_KIND_UNSIGNED,
                            SP_KIND_FLOAT, SP_KIND_TEXT, SP_KIND_BYTES};
  for (size_t col = 0; col < 6; col++) {
    sp_column_kind k =
        sp_column_kind_of(sp_result_column_type(r, col), sp_result_column_flags(r, col));
    CHECK(k == want[col], "column %zu: kind %d, want %d (type %u, flags %u)", col, (int)k,
          (int)want[col], sp_result_column_type(r, col), sp_result_column_flags(r, col));
  }
  CHECK(strcmp(sp_column_type_name(sp_result_column_type(r, 2), sp_result_column_flags(r, 2)),
               "UNSIGNED BIGINT") == 0,
        "type name %s",
        sp_column_type_name(sp_result_column_type(r, 2), sp_result_column_flags(r, 2)));
  CHECK(strcmp(sp_column_type_name(9999, 0), "") == 0, "unknown type: empty name");
  const char *data = (const char *)1;
  size_t len = 77;
  CHECK(!sp_result_get(r, 0, 0, &data, &len), "NULL cell");
  CHECK(data == (const char *)1 && len == 77, "out-params written for a NULL cell");
  CHECK(sp_result_get(r, 0, 1, &data, &len) && len == 2 && strcmp(data, "-5") == 0, "int");
  CHECK(sp_result_get(r, 0, 2, &data, &len) && strcmp(data, "18446744073709551615") == 0,
        "uint %s", data);
  CHECK(sp_result_get(r, 0, 3, &data, &len) && strcmp(data, "1.5") == 0, "double %s", data);
  CHECK(sp_result_get(r, 0, 4, &data, &len) && len == 6 && strcmp(data, "h\xc3\xa9llo") == 0,
        "text %s", data);
  CHECK(sp_result_get(r, 0, 5, &data, &len) && len == 3 && memcmp(data, blob, 3) == 0 &&
            data[3] == '\0',
        "blob with NUL, NUL-terminated");
  CHECK(sp_result_get(r, 0, 1, NULL, NULL), "NULL out-params are fine");
  CHECK(sp_result_get(r, 0, 1, NULL, &len) && len == 2, "len only");
  /* Out of range. */
  CHECK(!sp_result_get(r, 1, 0, &data, &len), "row out of range");
  CHECK(!sp_result_get(r, 0, 6, &data, &len), "col out of range");
  CHECK(!sp_result_get(r, SIZE_MAX, SIZE_MAX, &data, &len), "huge indexes");
  CHECK(strcmp(sp_result_column_name(r, 6), "") == 0, "name out of range");
  CHECK(sp_result_column_type(r, 6) == 0 && sp_result_column_flags(r, 6) == 0, "type/flags");
  sp_result_free(r);

  /* Bad parameters. */
  sp_param bad_kind = {.kind = (sp_param_kind)42};
  CHECK(sp_conn_query(c, "SELECT ?", &bad_kind, 1, &err) == NULL, "bad kind");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  sp_param null_data = {.kind = SP_PARAM_TEXT, .data = NULL, .len = 3};
  CHECK(sp_conn_query(c, "SELECT ?", &null_data, 1, &err) == NULL, "data NULL, len 3");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  sp_param empty = {.kind = SP_PARAM_TEXT, .data = NULL, .len = 0};
  r = sp_conn_query(c, "SELECT CHAR_LENGTH(?)", &empty, 1, &err);
  CHECK(r != NULL && sp_result_get(r, 0, 0, &data, NULL) && strcmp(data, "0") == 0,
        "data NULL, len 0 is empty text: %s", sp_error_message(err));
  sp_result_free(r);
  sp_param latin1 = {.kind = SP_PARAM_TEXT, .data = "\xe9t\xe9", .len = 3};
  CHECK(sp_conn_query(c, "SELECT ?", &latin1, 1, &err) == NULL, "non-UTF-8 text");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_conn_query(c, "SELECT ?", NULL, 1, &err) == NULL, "params NULL, n 1");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_conn_query(c, NULL, NULL, 0, &err) == NULL, "NULL sql");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_conn_query(c, "SELECT '\xff'", NULL, 0, &err) == NULL, "non-UTF-8 sql");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_conn_query(NULL, "SELECT 1", NULL, 0, &err) == NULL, "NULL conn");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  r = sp_conn_query(c, "SELECT 1", NULL, 0, NULL);
  CHECK(r != NULL, "err may be NULL on success");
  sp_result_free(r);
  CHECK(sp_conn_query(c, "SELECT * FROM no_such_table", NULL, 0, NULL) == NULL, "NULL err");

  /* NULL results. */
  CHECK(sp_result_affected_rows(NULL) == 0 && sp_result_insert_id(NULL) == 0, "NULL r");
  CHECK(sp_result_column_count(NULL) == 0 && sp_result_row_count(NULL) == 0, "NULL r");
  CHECK(strcmp(sp_result_column_name(NULL, 0), "") == 0, "NULL r name");
  CHECK(sp_result_column_type(NULL, 0) == 0 && sp_result_column_flags(NULL, 0) == 0, "NULL r");
  CHECK(!sp_result_get(NULL, 0, 0, &data, &len), "NULL r get");
  sp_result_free(NULL);
}

static void test_table_and_server_errors(sp_conn *c) {
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, "DROP TABLE IF EXISTS c_api", NULL, 0, &err);
  sp_result_free(r);
  r = sp_conn_query(c,
                    "CREATE TABLE c_api (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
                    "name VARCHAR(20))",
                    NULL, 0, &err);
  CHECK(r != NULL, "create: %s", sp_error_message(err));
  sp_result_free(r);
  sp_param names[2] = {{.kind = SP_PARAM_TEXT, .data = "ann", .len = 3},
                       {.kind = SP_PARAM_TEXT, .data = "bob", .len = 3}};
  r = sp_conn_query(c, "INSERT INTO c_api (name) VALUES (?), (?)", names, 2, &err);
  CHECK(r != NULL, "insert: %s", sp_error_message(err));
  CHECK(sp_result_affected_rows(r) == 2, "affected %llu",
        (unsigned long long)sp_result_affected_rows(r));
  CHECK(sp_result_insert_id(r) == 1, "insert id %llu", (unsigned long long)sp_result_insert_id(r));
  CHECK(sp_result_column_count(r) == 0, "no result set");
  sp_result_free(r);
  r = sp_conn_query(c, "SELECT id, name FROM c_api ORDER BY id", NULL, 0, &err);
  CHECK(r != NULL && sp_result_row_count(r) == 2, "select");
  CHECK(strcmp(sp_result_column_name(r, 0), "id") == 0, "%s", sp_result_column_name(r, 0));
  CHECK(sp_result_column_type(r, 0) == MYSQL_TYPE_LONG, "type %u", sp_result_column_type(r, 0));
  CHECK(sp_result_column_flags(r, 0) & UNSIGNED_FLAG, "flags %u", sp_result_column_flags(r, 0));
  CHECK(sp_result_column_type(r, 1) == MYSQL_TYPE_VAR_STRING, "type %u",
        sp_result_column_type(r, 1));
  const char *data;
  size_t len;
  CHECK(sp_result_get(r, 1, 1, &data, &len) && strcmp(data, "bob") == 0, "bob");
  sp_result_free(r);

  r = sp_conn_query(c, "SELECT * FROM no_such_table", NULL, 0, &err);
  CHECK(r == NULL, "query of a missing table");
  CHECK_CODE(err, SP_ERR_SERVER);
  CHECK(sp_error_server_errno(err) == 1146, "errno %u", sp_error_server_errno(err));
  CHECK(strcmp(sp_error_sqlstate(err), "42S02") == 0, "sqlstate %s", sp_error_sqlstate(err));
  CHECK(strstr(sp_error_message(err), "no_such_table") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  r = sp_conn_query(c, "SELEC 1", NULL, 0, &err);
  CHECK(r == NULL && sp_error_server_errno(err) == 1064, "syntax error %u",
        sp_error_server_errno(err));
  CHECK(strcmp(sp_error_sqlstate(err), "42000") == 0, "sqlstate %s", sp_error_sqlstate(err));
  sp_error_free(err), err = NULL;
  CHECK(query_long(c, "SELECT 7") == 7, "the connection works after server errors");
  r = sp_conn_query(c, "DROP TABLE c_api", NULL, 0, NULL);
  sp_result_free(r);
}

static void test_stats(sp_pool *p) {
  sp_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  CHECK(sp_pool_stats(p, &st) == SP_OK, "stats");
  CHECK(st.size == sizeof st, "size %u", st.size);
  CHECK(st.max_size == 3 && st.refs == 1 && st.active == 1, "max %u refs %u active %u",
        st.max_size, st.refs, st.active);
  CHECK(st.total >= 1 && st.total <= 3 && st.acquires_total >= 1, "total %u acquires %llu",
        st.total, (unsigned long long)st.acquires_total);

  /* An older caller that knows only the fields up to `waiting`. */
  unsigned char buf[sizeof(sp_stats) + 16];
  memset(buf, 0xAB, sizeof buf);
  uint32_t old = offsetof(sp_stats, waiting) + sizeof(uint32_t);
  memcpy(buf, &old, sizeof old);
  CHECK(sp_pool_stats(p, (sp_stats *)(void *)buf) == SP_OK, "old size");
  uint32_t got;
  memcpy(&got, buf, sizeof got);
  CHECK(got == old, "size written back %u", got);
  int untouched = 1;
  for (size_t i = old; i < sizeof buf; i++) untouched &= buf[i] == 0xAB;
  CHECK(untouched, "wrote past the caller's size");
  uint32_t max_size;
  memcpy(&max_size, buf + offsetof(sp_stats, max_size), sizeof max_size);
  CHECK(max_size == 3, "max_size %u in the old struct", max_size);

  /* Sizes that cannot hold even `size`, and NULLs. */
  st.size = 3;
  CHECK(sp_pool_stats(p, &st) == SP_ERR_INVALID_ARGUMENT, "size 3");
  st.size = 0;
  CHECK(sp_pool_stats(p, &st) == SP_ERR_INVALID_ARGUMENT, "size 0");
  CHECK(st.size == 0, "nothing written on failure");
  CHECK(sp_pool_stats(p, NULL) == SP_ERR_INVALID_ARGUMENT, "NULL out");
  st.size = sizeof st;
  CHECK(sp_pool_stats(NULL, &st) == SP_ERR_INVALID_ARGUMENT, "NULL pool");
}

static void test_metrics(void) {
  char *text = sp_metrics_text();
  CHECK(text != NULL, "metrics");
  if (text != NULL) {
    CHECK(strstr(text, "c_api") != NULL, "pool label with pool_name in metrics");
    CHECK(strstr(text, "sp-secret") == NULL, "password in metrics");
    CHECK(strstr(text, "# TYPE") != NULL, "Prometheus text format");
  }
  sp_string_free(text);
  sp_string_free(NULL);
}

static atomic_int log_calls;
static void on_log(void *ctx, int level, const char *message) {
  CHECK(ctx == (void *)&log_calls, "ctx passed back");
  CHECK(level >= 1 && level <= 4 && message != NULL, "level %d", level);
  CHECK(message == NULL || strstr(message, "sp-secret") == NULL, "password in a log event: %s",
        message);
  atomic_fetch_add(&log_calls, 1);
}

static void test_conflicts_and_log(void) {
  sp_set_log_callback(on_log, &log_calls);
  sp_pool *a = open_or_die("pool_name=c_api_conflict&max_size=2");
  sp_error *err = NULL;
  char *dsn = dsn_with("pool_name=c_api_conflict&max_size=5");
  CHECK(sp_pool_open(dsn, NULL, &err) == NULL, "conflicting open");
  CHECK_CODE(err, SP_ERR_CONFIG_CONFLICT);
  CHECK(strstr(sp_error_message(err), "max_size") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  sp_options *o = sp_options_new();
  CHECK(sp_options_set(o, "on_conflict", "reuse", NULL) == SP_OK, "reuse");
  sp_pool *b = sp_pool_open(dsn, o, &err);
  CHECK(b != NULL, "reuse open: %s", sp_error_message(err));
  sp_stats st = {.size = sizeof st};
  CHECK(sp_pool_stats(b, &st) == SP_OK && st.refs == 2 && st.max_size == 2,
        "shared pool: refs %u max %u", st.refs, st.max_size);
  sp_options_free(o);
  free(dsn);

  /* An acquire timeout is an event the callback hears about. */
  sp_conn *c1 = sp_pool_acquire(a, 1000, NULL);
  sp_conn *c2 = sp_pool_acquire(b, 1000, NULL);
  CHECK(c1 && c2, "two connections");
  CHECK(sp_pool_acquire(a, 50, &err) == NULL, "third acquire");
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  sp_error_free(err), err = NULL;
  CHECK(atomic_load(&log_calls) >= 1, "log callback called %d times", atomic_load(&log_calls));
  sp_set_log_callback(NULL, NULL);
  int before = atomic_load(&log_calls);
  CHECK(sp_pool_acquire(a, 10, NULL) == NULL, "timeout again");
  CHECK(atomic_load(&log_calls) == before, "callback called after it was removed");
  sp_conn_release(c1);
  sp_conn_release(c2);
  sp_pool_release(b);
  sp_pool_release(a);
}

static void test_acquire_ex_and_discard(sp_pool *p) {
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire_ex(p, NULL, &err);
  CHECK(c != NULL, "acquire_ex NULL options: %s", sp_error_message(err));
  sp_conn_release(c);

  sp_acquire_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.timeout_ms = 1000;
  o.label = "c-api-test";
  c = sp_pool_acquire_ex(p, &o, &err);
  CHECK(c != NULL, "acquire_ex: %s", sp_error_message(err));
  sp_stats before = {.size = sizeof before};
  sp_pool_stats(p, &before);
  sp_conn_discard(c);
  sp_stats after = {.size = sizeof after};
  sp_pool_stats(p, &after);
  CHECK(after.closed_total == before.closed_total + 1, "discard closes: %llu -> %llu",
        (unsigned long long)before.closed_total, (unsigned long long)after.closed_total);
  sp_conn_discard(NULL);

  /* An older, shorter struct: only size and timeout_ms. */
  o.size = offsetof(sp_acquire_options, cancel);
  c = sp_pool_acquire_ex(p, &o, &err);
  CHECK(c != NULL, "short options: %s", sp_error_message(err));
  sp_conn_release(c);

  o.size = 2;
  CHECK(sp_pool_acquire_ex(p, &o, &err) == NULL, "size 2");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  o.size = sizeof o;
  o.label = "\xff";
  CHECK(sp_pool_acquire_ex(p, &o, &err) == NULL, "bad UTF-8 label");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_acquire_ex(NULL, NULL, &err) == NULL, "NULL pool");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;

  /* A token triggered before the wait cancels it. */
  sp_cancel *token = sp_cancel_new();
  CHECK(token != NULL, "sp_cancel_new");
  sp_conn *held[3];
  for (int i = 0; i < 3; i++) held[i] = sp_pool_acquire(p, 1000, NULL);
  sp_cancel_trigger(token);
  sp_cancel_trigger(token);
  o.label = NULL;
  o.cancel = token;
  o.timeout_ms = 5000;
  CHECK(sp_pool_acquire_ex(p, &o, &err) == NULL, "cancelled acquire");
  CHECK_CODE(err, SP_ERR_CANCELLED);
  sp_error_free(err), err = NULL;

  /* waited_ms (ABI 1.3): time already spent waiting elsewhere is taken off the timeout; with
     none left, a full pool fails at once instead of waiting the 5 s. */
  o.cancel = NULL;
  o.waited_ms = 5000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK(sp_pool_acquire_ex(p, &o, &err) == NULL, "acquire with no time left");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK_CODE(err, SP_ERR_TIMEOUT);
  sp_error_free(err), err = NULL;
  double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  CHECK(waited < 1.0, "waited_ms taken off the timeout: the call waited %.3f s", waited);
  o.waited_ms = 4800; /* 200 ms left: a returned connection is still handed over */
  sp_conn_release(held[0]);
  c = sp_pool_acquire_ex(p, &o, &err);
  CHECK(c != NULL, "acquire with 200 ms left and an idle connection: %s", sp_error_message(err));
  held[0] = c;
  o.waited_ms = 0;
  for (int i = 0; i < 3; i++) sp_conn_release(held[i]);
  sp_cancel_trigger(NULL);
  sp_cancel_free(token);
  sp_cancel_free(NULL);
}

static void test_handle_misuse(void) {
  sp_error *err = NULL;
  /* Releasing a pool while a connection is borrowed, then using and releasing it. */
  sp_pool *p = open_or_die("pool_name=c_api_orphan&max_size=1");
  sp_conn *c = sp_pool_acquire(p, 1000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  sp_pool_release(p);
  CHECK(query_long(c, "SELECT 5") == 5, "query on a connection of a released pool");
  sp_conn_release(c);

  /* Released handles are detected, not dereferenced. */
  sp_pool_release(p);
  CHECK(sp_pool_acquire(p, 10, &err) == NULL, "acquire on a released pool");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  CHECK(strstr(sp_error_message(err), "released") != NULL, "%s", sp_error_message(err));
  sp_error_free(err), err = NULL;
  sp_stats st = {.size = sizeof st};
  CHECK(sp_pool_stats(p, &st) == SP_ERR_INVALID_ARGUMENT, "stats on a released pool");
  CHECK(sp_pool_query(p, "SELECT 1", NULL, 0, &err) == NULL, "query on a released pool");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  sp_conn_release(c);
  sp_conn_discard(c);
  CHECK(sp_conn_query(c, "SELECT 1", NULL, 0, &err) == NULL, "query on a released conn");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  sp_pool_release(NULL);
  sp_conn_release(NULL);
  CHECK(sp_pool_acquire(NULL, 10, NULL) == NULL, "NULL pool, NULL err");
}

/* Autocommit off for one borrow (the PEP 249 way): the next borrower is back in the default. */
static void test_autocommit(void) {
  sp_error *err = NULL;
  sp_pool *p = open_or_die("pool_name=c_api_autocommit&max_size=1");
  sp_conn *c = sp_pool_acquire(p, 1000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  CHECK(sp_conn_set_autocommit(c, false, &err) == SP_OK, "%s", sp_error_message(err));
  CHECK(query_long(c, "SELECT @@autocommit") == 0, "autocommit off for this borrow");
  CHECK(sp_conn_set_autocommit(c, true, NULL) == SP_OK, "back on, err may be NULL");
  CHECK(query_long(c, "SELECT @@autocommit") == 1, "autocommit on again");
  CHECK(sp_conn_set_autocommit(c, false, NULL) == SP_OK, "off");
  CHECK(query_long(c, "SELECT @@autocommit") == 0, "off again");
  sp_conn_release(c);
  c = sp_pool_acquire(p, 1000, &err);
  CHECK(query_long(c, "SELECT @@autocommit") == 1, "the next borrower gets the default");
  sp_conn_release(c);
  CHECK(sp_conn_set_autocommit(c, false, &err) == SP_ERR_INVALID_ARGUMENT, "released conn");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_conn_set_autocommit(NULL, false, &err) == SP_ERR_INVALID_ARGUMENT, "NULL conn");
  CHECK(strstr(sp_error_message(err), "NULL") != NULL, "%s", sp_error_message(err));
  sp_error_free(err);
  sp_pool_release(p);
}

static void test_pool_query(sp_pool *p) {
  sp_error *err = NULL;
  sp_param x = {.kind = SP_PARAM_INT, .i = 41};
  sp_result *r = sp_pool_query(p, "SELECT ? + 1", &x, 1, &err);
  const char *data;
  CHECK(r != NULL && sp_result_get(r, 0, 0, &data, NULL) && strcmp(data, "42") == 0,
        "pool query: %s", sp_error_message(err));
  sp_result_free(r);
  CHECK(sp_pool_query(p, "SELECT * FROM no_such_table", NULL, 0, &err) == NULL, "error");
  CHECK(sp_error_server_errno(err) == 1146, "errno %u", sp_error_server_errno(err));
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_query(NULL, "SELECT 1", NULL, 0, &err) == NULL, "NULL pool");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_query(p, NULL, NULL, 0, &err) == NULL, "NULL sql");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
  CHECK(sp_pool_query(p, "SELECT ?", NULL, 2, &err) == NULL, "NULL params");
  CHECK_CODE(err, SP_ERR_INVALID_ARGUMENT);
  sp_error_free(err), err = NULL;
}

int main(void) {
  test_versions();
  test_tls_register();
  test_null_error_accessors();
  test_options();
  test_bad_dsns();
  test_auth();

  sp_options *o = sp_options_new();
  sp_options_set(o, "max_size", "3", NULL);
  sp_options_set(o, "pool_name", "c_api", NULL);
  sp_error *err = NULL;
  sp_pool *p = sp_pool_open(test_dsn(), o, &err);
  sp_options_free(o);
  CHECK(p != NULL, "open: %s", sp_error_message(err));
  if (p == NULL) return finish("test_api");
  CHECK(err == NULL, "err untouched on success");
  sp_conn *c = sp_pool_acquire(p, 2000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c != NULL) {
    test_params_and_results(c);
    test_table_and_server_errors(c);
    test_stats(p);
    test_metrics();
    sp_conn_release(c);
  }
  test_pool_query(p);
  test_acquire_ex_and_discard(p);
  test_conflicts_and_log();
  test_handle_misuse();
  test_autocommit();
  sp_pool_release(p);
  return finish("test_api");
}
