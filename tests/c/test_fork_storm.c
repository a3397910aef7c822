/* fork() while other threads hammer the pool: every child, forked at a random moment of the
 * parent's acquire / query / release / stats / open traffic, must get a connection of its own and
 * run a statement within its time limit (alarm). A lock held by a parent thread at the fork and
 * inherited locked by the child would hang the child: alarm kills it and the test fails. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define THREADS 4
#define FORKS 200
#define CHILD_LIMIT_S 10

static sp_pool *pool;
static atomic_bool stop;
static atomic_long borrows;

static void *hammer(void *arg) {
  long which = (long)arg;
  char *dsn = dsn_with("pool_name=c_fork_storm&max_size=4");
  while (!atomic_load(&stop)) {
    sp_error *err = NULL;
    sp_conn *c = sp_pool_acquire(pool, 5000, &err);
    if (c == NULL) {
      CHECK(0, "parent acquire: %s", sp_error_message(err));
      sp_error_free(err);
      break;
    }
    sp_result_free(sp_conn_query(c, "SELECT 1", NULL, 0, NULL));
    sp_conn_release(c);
    atomic_fetch_add(&borrows, 1);
    if (which == 0) {
      sp_stats s = {.size = sizeof s};
      sp_pool_stats(pool, &s);
      sp_pool *again = sp_pool_open(dsn, NULL, NULL); /* registry and handle-table traffic */
      sp_pool_release(again);
    }
  }
  free(dsn);
  return NULL;
}

/* The child: a fresh connection through the inherited handle, bounded by an alarm. */
static int child(void) {
  alarm(CHILD_LIMIT_S);
  sp_error *err = NULL;
  sp_conn *c = sp_pool_acquire(pool, 5000, &err);
  if (c == NULL) {
    fprintf(stderr, "child acquire: %s\n", sp_error_message(err));
    return 1;
  }
  long one = query_long(c, "SELECT 1");
  sp_conn_release(c);
  char *dsn = dsn_with("pool_name=c_fork_storm&max_size=4");
  sp_pool *again = sp_pool_open(dsn, NULL, &err); /* the registry, in the child */
  free(dsn);
  if (again == NULL) {
    fprintf(stderr, "child open: %s\n", sp_error_message(err));
    return 1;
  }
  sp_stats s = {.size = sizeof s};
  sp_code rc = sp_pool_stats(again, &s);
  sp_pool_release(again);
  return one == 1 && rc == SP_OK ? 0 : 1;
}

int main(void) {
  pool = open_or_die("pool_name=c_fork_storm&max_size=4");
  pthread_t threads[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, hammer, (void *)i);

  int hung = 0, failed = 0;
  for (int i = 0; i < FORKS; i++) {
    struct timespec pause = {0, (long)(rand() % 2000) * 1000};
    nanosleep(&pause, NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(child());
    CHECK(pid > 0, "fork");
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid) {
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) hung++;
      else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    if (hung + failed >= 3) break; /* enough to fail; don't spend minutes on more */
  }
  atomic_store(&stop, true);
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);

  CHECK(hung == 0, "%d of %d children hung past %d s (a lock inherited locked)", hung, FORKS,
        CHILD_LIMIT_S);
  CHECK(failed == 0, "%d of %d children failed", failed, FORKS);
  CHECK(atomic_load(&borrows) > FORKS, "the parent threads made only %ld borrows",
        atomic_load(&borrows));
  sp_pool_release(pool);
  return finish("test_fork_storm");
}
