// DEBUG-level logging to stderr
#include "base/log.h"
#include <stdarg.h>

void log_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tinygrad.c warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
