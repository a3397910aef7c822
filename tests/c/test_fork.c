/* After fork(), the child never uses the parent's connections: through the same sp_pool
 * handle it gets a connection of its own, and the parent's connection still works. */
#define _POSIX_C_SOURCE 200809L
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  sp_pool *p = open_or_die("pool_name=c_fork&max_size=2");
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(p, 5000, &err);
  CHECK(c != NULL, "acquire: %s", sp_error_message(err));
  if (c == NULL) return finish("test_fork");
  long parent_id = query_long(c, "SELECT CONNECTION_ID()");
  sp_conn_release(c); /* idle in the pool when the child is forked */

  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    sp_conn *cc = sp_pool_acquire(p, 5000, &err);
    CHECK(cc != NULL, "child acquire: %s", sp_error_message(err));
    long child_id = cc ? query_long(cc, "SELECT CONNECTION_ID()") : -3;
    CHECK(child_id > 0 && child_id != parent_id, "child used connection %ld, parent's is %ld",
          child_id, parent_id);
    sp_conn_release(cc);
    sp_pool_release(p);
    _exit(finish("test_fork (child)"));
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
  sp_conn_release(c);
  sp_pool_release(p);
  return finish("test_fork");
}
