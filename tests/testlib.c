// Test support: CHECK counters, a seeded RNG, and resident-memory readings
#include "testlib.h"
#include "tinygrad.h"
#include <stdlib.h>
#include <unistd.h>

int test_failures, test_checks;

int test_finish(const char *name) {
  printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
  return test_failures ? 1 : 0;
}

uint64_t rng_next(TestRng *r) {
  r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
  return r->s * 0x2545F4914F6CDD1DULL;
}
int64_t rng_range(TestRng *r, int64_t lo, int64_t hi) { return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1)); }
double rng_unit(TestRng *r) { return (double)(rng_next(r) >> 11) / 9007199254740992.0; }

static size_t status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0, klen = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, klen)) { kb = (size_t)strtoull(line + klen + 1, NULL, 10); break; }
  fclose(f);
  return kb * 1024;
}
size_t rss_bytes(void) { return status_kb("VmRSS"); }
size_t peak_rss_bytes(void) { return status_kb("VmHWM"); }
int64_t env_or(const char *name, int64_t dflt) { const char *v = getenv(name); return v && *v ? atoll(v) : dflt; }

void expect_err(const char *what, bool failed, const char *needle) {
  const char *e = tg_error();
  CHECK(failed, "%s: expected failure", what);
  CHECK(e != NULL && strstr(e, needle) != NULL, "%s: message '%s' lacks '%s'", what, e ? e : "(null)", needle);
  CHECK(e == NULL || strchr(e, '\n') == NULL, "%s: message is not one line", what);
  tg_clear_error();
}
