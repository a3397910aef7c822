/* A reused connection never leaks one borrower's session into the next: user variables,
 * time_zone, temporary tables and open transactions are gone for the next borrower. */
#include "check.h"

static sp_pool *pool;

static sp_conn *borrow(void) {
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(pool, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  sp_error_free(err);
  return c;
}

static void run(sp_conn *c, const char *sql) {
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, sql, NULL, 0, &err);
  CHECK(r != NULL, "%s: %s", sql, sp_error_message(err));
  sp_error_free(err);
  sp_result_free(r);
}

static uint64_t resets(void) {
  sp_stats st = {.size = sizeof st};
  CHECK(sp_pool_stats(pool, &st) == SP_OK, "stats");
  return st.resets_total;
}

int main(void) {
  pool = open_or_die("pool_name=c_session&max_size=1");
  sp_conn *c = borrow();
  long id = query_long(c, "SELECT CONNECTION_ID()");
  run(c, "DROP TABLE IF EXISTS c_session");
  run(c, "CREATE TABLE c_session (a INT) ENGINE=InnoDB");
  sp_conn_release(c);

  /* A user variable. */
  c = borrow();
  run(c, "SET @x = 42");
  CHECK(query_long(c, "SELECT @x") == 42, "set on this borrower");
  sp_conn_release(c);
  c = borrow();
  CHECK(query_long(c, "SELECT CONNECTION_ID()") == id, "the same connection was reused");
  CHECK(query_long(c, "SELECT @x") == -1, "@x leaked to the next borrower");
  sp_conn_release(c);

  /* time_zone and a temporary table. */
  c = borrow();
  run(c, "SET time_zone = '+05:00'");
  run(c, "CREATE TEMPORARY TABLE c_tmp (a INT)");
  sp_conn_release(c);
  c = borrow();
  CHECK(query_long(c, "SELECT @@session.time_zone = @@global.time_zone") == 1,
        "time_zone leaked");
  sp_error *err = NULL;
  sp_result *r = sp_conn_query(c, "SELECT COUNT(*) FROM c_tmp", NULL, 0, &err);
  CHECK(r == NULL && sp_error_server_errno(err) == 1146, "temporary table leaked (errno %u)",
        sp_error_server_errno(err));
  sp_result_free(r);
  sp_error_free(err), err = NULL;
  sp_conn_release(c);

  /* An open transaction is rolled back. */
  c = borrow();
  run(c, "BEGIN");
  run(c, "INSERT INTO c_session VALUES (1)");
  sp_conn_release(c);
  c = borrow();
  CHECK(query_long(c, "SELECT COUNT(*) FROM c_session") == 0, "uncommitted insert survived");
  CHECK(query_long(c, "SELECT @@in_transaction") == 0, "transaction still open");
  sp_conn_release(c);

  /* A clean borrower costs no reset. */
  uint64_t before = resets();
  c = borrow();
  CHECK(query_long(c, "SELECT 1") == 1, "select");
  sp_conn_release(c);
  CHECK(resets() == before, "clean borrower was reset (%llu -> %llu)",
        (unsigned long long)before, (unsigned long long)resets());
  c = borrow();
  run(c, "SET @y = 1");
  sp_conn_release(c);
  CHECK(resets() == before + 1, "dirty borrower was not reset");

  c = borrow();
  run(c, "DROP TABLE c_session");
  sp_conn_release(c);
  sp_pool_release(pool);
  return finish("test_session");
}
