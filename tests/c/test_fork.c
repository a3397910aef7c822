/* After fork(), the child never uses the parent's connections: through the same sp_pool
 * handle it gets a connection of its own, a connection the parent had borrowed refuses to run
 * statements in the child, and the parent's connections still work afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  sp_pool *p = open_or_die("pool_name=c_fork&max_size=3");
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  sp_conn *held = sp_pool_acquire(p, 5000, &err); /* stays borrowed across the fork */
  CHECK(held != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL || held == NULL) return finish("test_fork");
  long parent_id = query_long(c, "SELECT CONNECTION_ID()");
  long held_id = query_long(held, "SELECT CONNECTION_ID()");
  CHECK(held_id > 0 && held_id != parent_id, "two connections: %ld %ld", held_id, parent_id);
  sp_result_free(sp_conn_query(held, "SET @keep = 7", NULL, 0, NULL)); /* a dirty session */
  sp_conn_release(c); /* idle in the pool when the child is forked */

  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    sp_result *r = sp_conn_query(held, "SELECT CONNECTION_ID()", NULL, 0, &err);
    CHECK(r == NULL, "the child ran a statement on the parent's borrowed connection");
    CHECK_CODE(err, SP_ERR_CONNECTION_LOST);
    CHECK(strstr(sp_error_message(err), "fork") != NULL, "%s", sp_error_message(err));
    sp_error_free(err), err = NULL;
    sp_result_free(r);
    sp_conn_release(held); /* given up in the child, not a byte on the parent's socket */
    sp_conn *cc = sp_pool_acquire(p, 5000, &err);
    CHECK(cc != NULL, "child acquire: %s", sp_error_message(err));
    long child_id = cc ? query_long(cc, "SELECT CONNECTION_ID()") : -3;
    CHECK(child_id > 0 && child_id != parent_id && child_id != held_id,
          "child used connection %ld, parent's are %ld and %ld", child_id, parent_id, held_id);
    sp_conn_release(cc);
    sp_pool_release(p);
    int rc = finish("test_fork (child)");
    fflush(NULL);
    _exit(rc);
  }
  CHECK(pid > 0, "fork");
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "child failed (status %d)", status);

  c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "parent acquire: %s", sp_error_message(err));
  CHECK(query_long(c, "SELECT CONNECTION_ID()") == parent_id,
        "the parent's idle connection was replaced after the child ran");
  CHECK(query_long(c, "SELECT 1") == 1, "the parent's connection works");
  CHECK(query_long(held, "SELECT CONNECTION_ID()") == held_id,
        "the parent's borrowed connection is intact after the child released it");
  CHECK(query_long(held, "SELECT @keep") == 7,
        "the child's release reset the parent's session (bytes on the parent's socket)");
  sp_conn_release(held);
  sp_conn_release(c);
  sp_pool_release(p);
  return finish("test_fork");
}
