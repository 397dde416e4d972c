// Errors: one-line user errors (tg_error) and aborting internal invariants (TG_ASSERT)
#include "base/error.h"
#include "tinygrad.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char err_msg[1024];
static _Thread_local bool err_set;

void tg_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_msg, sizeof err_msg, fmt, ap);
  va_end(ap);
  for (char *p = err_msg; *p; p++) if (*p == '\n') *p = ' ';   // always one line
  err_set = true;
}

bool tg_has_error(void) { return err_set; }
const char *tg_error(void) { return err_set ? err_msg : NULL; }
void tg_clear_error(void) { err_set = false; err_msg[0] = 0; }

_Noreturn void tg_panic_(const char *file, int line, const char *cond, const char *fmt, ...) {
  fprintf(stderr, "tinygrad.c internal error at %s:%d: assertion '%s' failed: ", file, line, cond);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}
