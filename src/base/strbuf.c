// String builder (append formatted text to a growable buffer)
#include "base/strbuf.h"
#include "base/error.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(StrBuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < b->len + extra + 1) ncap *= 2;
  b->s = realloc(b->s, ncap);
  TG_ASSERT(b->s != NULL, "out of memory: string of %zu bytes", ncap);
  b->cap = ncap;
}

void sb_printf(StrBuf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  TG_ASSERT(n >= 0, "bad format string '%s'", fmt);
  reserve(b, (size_t)n);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

void sb_puts(StrBuf *b, const char *s) {
  size_t n = strlen(s);
  reserve(b, n);
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

void sb_putc(StrBuf *b, char c) {
  reserve(b, 1);
  b->s[b->len++] = c;
  b->s[b->len] = 0;
}

void sb_clear(StrBuf *b) { b->len = 0; if (b->s) b->s[0] = 0; }
void sb_free(StrBuf *b) { free(b->s); b->s = NULL; b->len = b->cap = 0; }

char *sb_take(StrBuf *b) {
  if (!b->s) reserve(b, 0), b->s[0] = 0;
  char *s = b->s;
  b->s = NULL; b->len = b->cap = 0;
  return s;
}
