// Test support: CHECK macros that count failures, a seeded RNG, and resident-memory readings
#ifndef TG_TESTLIB_H
#define TG_TESTLIB_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int test_failures, test_checks;
#define CHECK(cond, ...) do { test_checks++; if (!(cond)) { test_failures++; \
  fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); fprintf(stderr, " " __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); CHECK(a_ == b_, "%s = %lld, expected %lld", #a, a_, b_); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); CHECK(a_ && b_ && strcmp(a_, b_) == 0, "%s = \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_); } while (0)
int test_finish(const char *name);   // prints a summary; returns the exit code
// The call failed (`failed`) with a one-line tg_error() containing needle; clears the error.
void expect_err(const char *what, bool failed, const char *needle);

// xorshift64*: fixed-seed, reproducible
typedef struct { uint64_t s; } TestRng;
uint64_t rng_next(TestRng *r);
int64_t  rng_range(TestRng *r, int64_t lo, int64_t hi);   // inclusive
double   rng_unit(TestRng *r);                              // [0, 1)

size_t rss_bytes(void);         // current resident set size
size_t peak_rss_bytes(void);    // high-water mark (VmHWM)
int64_t env_or(const char *name, int64_t dflt);
#endif
