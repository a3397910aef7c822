/* After fork(), the child never uses the parent's connections: through the same sp_pool
 * handle it gets a connection of its own, a connection the parent had borrowed refuses to run
 * statements in the child, and the parent's connections still work afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void *sleep_on(void *c) {
  sp_result_free(sp_conn_query(c, "SELECT SLEEP(1)", NULL, 0, NULL));
  return NULL;
}

/* A parent's thread is inside a statement on `busy` (its handle locked) when the process forks:
 * the child's release and discard of it return at once instead of waiting for that lock. */
static void fork_during_a_statement(sp_pool *p) {
  sp_error *err = NULL;
  sp_conn *busy = sp_pool_acquire(p, 5000, &err);
  sp_conn *other = sp_pool_acquire(p, 5000, &err);
  CHECK(busy != NULL && other != NULL, "acquire: %s", sp_error_message(err));
  if (busy == NULL || other == NULL) return;
  pthread_t t;
  pthread_create(&t, NULL, sleep_on, busy);
  struct timespec settle = {0, 200 * 1000 * 1000};
  nanosleep(&settle, NULL);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(5);
    sp_conn_release(busy);
    sp_conn_discard(busy); /* the second give-back of a handle is ignored, here too */
    sp_conn_discard(other);
    _exit(0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0,
        "the child's release of a connection busy in a parent's thread hung or failed (status %d)",
        status);
  pthread_join(t, NULL);
  CHECK(query_long(busy, "SELECT 2") == 2, "the parent's busy connection works after the fork");
  CHECK(query_long(other, "SELECT 3") == 3, "the parent's other connection works after the fork");
  sp_conn_release(busy);
  sp_conn_release(other);
}

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
  fork_during_a_statement(p);
  sp_pool_release(p);
  return finish("test_fork");
}
