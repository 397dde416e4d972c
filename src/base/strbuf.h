// String builder (append formatted text to a growable buffer)
#ifndef TG_STRBUF_H
#define TG_STRBUF_H
#include <stddef.h>

typedef struct StrBuf { char *s; size_t len, cap; } StrBuf;   // s is always NUL-terminated once used

void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_puts(StrBuf *b, const char *s);
void sb_putc(StrBuf *b, char c);
void sb_clear(StrBuf *b);
void sb_free(StrBuf *b);
char *sb_take(StrBuf *b);      // hands the malloc'd string to the caller, leaves b empty
#endif
