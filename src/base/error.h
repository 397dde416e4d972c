// Errors: one-line user errors (tg_error) and aborting internal invariants (TG_ASSERT)
#ifndef TG_ERROR_H
#define TG_ERROR_H
#include <stdbool.h>

// Record a user error (bad shape, dtype, file, device). Overwrites the previous message.
void tg_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool tg_has_error(void);

// A broken internal invariant is a bug: print file, line, condition and message, then abort.
_Noreturn void tg_panic_(const char *file, int line, const char *cond, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
#define TG_ASSERT(cond, ...) \
  do { if (__builtin_expect(!(cond), 0)) tg_panic_(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)
#define TG_UNREACHABLE(...) tg_panic_(__FILE__, __LINE__, "unreachable", __VA_ARGS__)
#endif
