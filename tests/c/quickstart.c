/* The README's C quick start: cc app.c $(pkg-config --cflags --libs sharedpool) */
#include <sharedpool.h>
#include <stdio.h>

int main(int argc, char **argv) {
  const char *dsn = argc > 1 ? argv[1] : "mysql://app:secret@127.0.0.1:3306/app";
  sp_error *err = NULL;
  sp_pool *pool = sp_pool_open(dsn, NULL, &err); /* shared by every open of this DSN */
  sp_param who = {.kind = SP_PARAM_TEXT, .data = "world", .len = 5};
  sp_result *r = pool ? sp_pool_query(pool, "SELECT CONCAT('hello, ', ?)", &who, 1, &err) : NULL;
  const char *text;
  int ok = r != NULL && sp_result_get(r, 0, 0, &text, NULL);
  if (ok) printf("%s\n", text);
  else fprintf(stderr, "error %d: %s\n", sp_error_code(err), sp_error_message(err));
  sp_result_free(r);
  sp_error_free(err);
  sp_pool_release(pool);
  return ok ? 0 : 1;
}
