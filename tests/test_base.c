// Tests of the base utilities: hash map (against a brute-force model), vectors, string builder, arena,
// env getters and scoped overrides, one-line errors, the monotonic timer
#include "testlib.h"
#include "tinygrad.h"
#include "base/arena.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/strbuf.h"
#include "base/timer.h"
#include "base/vec.h"
#include <stdlib.h>
#include <time.h>

// Random put/get/del against a plain array. A small key space keeps the table dense, so deletions
// shift long probe runs (and runs that wrap around the end of the table).
static void test_hmap_model(uint64_t keyspace, int ops, uint64_t seed) {
  HMap m = { 0 };
  uint64_t *val = calloc(keyspace + 1, 8);
  bool *has = calloc(keyspace + 1, 1);
  int64_t n = 0, mismatches = 0;
  TestRng rng = { seed };
  for (int i = 0; i < ops; i++) {
    uint64_t k = (uint64_t)rng_range(&rng, 1, (int64_t)keyspace), v = rng_next(&rng);
    int what = (int)rng_range(&rng, 0, 9);
    if (what < 4) {                      // put
      if (!has[k]) n++;
      has[k] = true; val[k] = v;
      hmap_put(&m, k, v);
    } else if (what < 8) {               // del
      bool was = has[k];
      if (was) n--;
      has[k] = false;
      if (hmap_del(&m, k) != was) mismatches++;
    } else {                             // get
      uint64_t got = 0;
      bool found = hmap_get(&m, k, &got);
      if (found != has[k] || (found && got != val[k])) mismatches++;
    }
    if (m.len != n) mismatches++;
  }
  CHECK_EQ_INT(mismatches, 0);
  // full comparison: every model key is found, and the table holds nothing else
  for (uint64_t k = 1; k <= keyspace; k++) {
    uint64_t got = 0;
    bool found = hmap_get(&m, k, &got);
    if (found != has[k] || (found && got != val[k])) mismatches++;
    if (hmap_get_or(&m, k, 12345) != (has[k] ? val[k] : 12345)) mismatches++;
  }
  int64_t occupied = 0;
  for (int64_t i = 0; i < m.cap; i++)
    if (m.keys[i]) { occupied++; if (m.keys[i] > keyspace || !has[m.keys[i]] || m.vals[i] != val[m.keys[i]]) mismatches++; }
  CHECK_EQ_INT(mismatches, 0);
  CHECK_EQ_INT(occupied, n);
  CHECK((m.cap & (m.cap - 1)) == 0 && m.len * 4 < m.cap * 3, "capacity %lld is a power of two above the load limit", (long long)m.cap);
  hmap_free(&m);
  free(val); free(has);
}

static void test_hmap(void) {
  test_hmap_model(64, 200000, 1);
  test_hmap_model(2000, 500000, 2);
  test_hmap_model(100000, 500000, 3);
  // many keys, pointer-like (multiples of 16)
  HMap m = { 0 };
  for (uint64_t i = 1; i <= 300000; i++) hmap_put(&m, i * 16, i);
  CHECK_EQ_INT(m.len, 300000);
  int bad = 0;
  for (uint64_t i = 1; i <= 300000; i++) if (hmap_get_or(&m, i * 16, 0) != i) bad++;
  for (uint64_t i = 1; i <= 300000; i += 2) if (!hmap_del(&m, i * 16)) bad++;
  for (uint64_t i = 1; i <= 300000; i++) if (hmap_get(&m, i * 16, NULL) != (i % 2 == 0)) bad++;
  CHECK_EQ_INT(bad, 0);
  CHECK(!hmap_del(&m, 16) && !hmap_del(&m, 999999999), "deleting a missing key");
  int64_t cap = m.cap;
  hmap_clear(&m);
  CHECK(m.len == 0 && m.cap == cap && !hmap_get(&m, 32, NULL), "clear keeps capacity");
  hmap_put(&m, 7, 8);
  CHECK_EQ_INT(hmap_get_or(&m, 7, 0), 8);
  hmap_free(&m);
  CHECK(m.cap == 0 && !hmap_get(&m, 7, NULL) && !hmap_del(&m, 7), "a freed map is empty and usable");
  int x;
  HMAP_PUT_PTR(&m, &x, &bad);
  CHECK(HMAP_PTR(&m, &x) == &bad && HMAP_PTR(&m, &m) == NULL);
  hmap_free(&m);
}

static void test_vec(void) {
  VEC(int64_t) v = { 0 };
  for (int64_t i = 0; i < 100000; i++) {
    vec_push(&v, i * 3);
    if (v.cap < v.len || (v.cap & (v.cap - 1))) { CHECK(0, "cap %lld for len %lld", (long long)v.cap, (long long)v.len); break; }
  }
  CHECK_EQ_INT(v.len, 100000);
  CHECK_EQ_INT(vec_last(&v), 99999 * 3);
  int bad = 0;
  for (int64_t i = 99999; i >= 50000; i--) if (vec_pop(&v) != i * 3) bad++;
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(v.len, 50000);
  for (int64_t i = 0; i < 50000; i++) if (v.data[i] != i * 3) bad++;
  CHECK_EQ_INT(bad, 0);
  vec_reserve(&v, 300000);
  CHECK(v.cap >= 300000 && v.len == 50000 && v.data[49999] == 49999 * 3, "reserve keeps contents");
  vec_clear(&v);
  CHECK(v.len == 0 && v.cap >= 300000);
  vec_free(&v);
  CHECK(v.data == NULL && v.len == 0 && v.cap == 0);
  VEC(struct { int a; double b; }) w = { 0 };
  vec_push(&w, ((__typeof__(*w.data)){ 1, 2.5 }));
  CHECK(w.len == 1 && w.data[0].a == 1 && w.data[0].b == 2.5);
  vec_free(&w);
}

static void test_strbuf(void) {
  StrBuf b = { 0 };
  char *empty = sb_take(&b);
  CHECK_STR(empty, "");
  free(empty);
  sb_printf(&b, "%d-%s", 42, "x");
  sb_putc(&b, '!');
  sb_puts(&b, "end");
  CHECK_STR(b.s, "42-x!end");
  CHECK_EQ_INT(b.len, 8);
  for (int i = 0; i < 2000; i++) sb_printf(&b, "%04d", i);          // grows well past the first block
  CHECK_EQ_INT(b.len, 8 + 8000);
  CHECK(strlen(b.s) == b.len && !strncmp(b.s + 8 + 4 * 1999, "1999", 4), "NUL-terminated, contents kept");
  char *big = malloc(100001);
  memset(big, 'a', 100000); big[100000] = 0;
  sb_printf(&b, "%s", big);
  CHECK_EQ_INT(b.len, 8 + 8000 + 100000);
  free(big);
  char *s = sb_take(&b);
  CHECK(s && strlen(s) == 108008 && b.s == NULL && b.len == 0 && b.cap == 0, "take hands over the string and empties the builder");
  free(s);
  sb_puts(&b, "abc");
  sb_clear(&b);
  CHECK(b.len == 0 && b.s && b.s[0] == 0);
  sb_puts(&b, "z");
  CHECK_STR(b.s, "z");
  sb_free(&b);
  CHECK(b.s == NULL && b.len == 0);
}

static void test_arena(void) {
  Arena a = { 0 };
  int bad = 0;
  for (int i = 1; i < 5000; i++) {
    size_t n = (size_t)(i * 7 % 301) + 1;
    unsigned char *p = arena_alloc(&a, n);
    if ((uintptr_t)p % 16) bad++;
    for (size_t k = 0; k < n; k++) if (p[k]) { bad++; break; }
    memset(p, 0xAB, n);                 // dirty it: later allocations must still come back zeroed
  }
  CHECK_EQ_INT(bad, 0);
  unsigned char *huge = arena_alloc(&a, 1 << 20);    // larger than a block
  CHECK(huge && (uintptr_t)huge % 16 == 0 && huge[0] == 0 && huge[(1 << 20) - 1] == 0);
  memset(huge, 1, 1 << 20);
  char *s = arena_strdup(&a, "hello arena");
  CHECK_STR(s, "hello arena");
  CHECK(a.used_total >= (1u << 20), "used_total %zu", a.used_total);
  arena_reset(&a);
  CHECK(a.head == NULL && a.used_total == 0);
  unsigned char *p = arena_alloc(&a, 64);
  for (int k = 0; k < 64; k++) if (p[k]) bad++;
  CHECK_EQ_INT(bad, 0);
  arena_reset(&a);
}

static void test_env(void) {
  setenv("TG_TEST_ENV_X", "17", 1);
  setenv("TG_TEST_ENV_F", "2.5", 1);
  setenv("TG_TEST_ENV_BAD", "abc", 1);
  setenv("TG_TEST_ENV_EMPTY", "", 1);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_X", 3), 17);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_MISSING", 3), 3);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_BAD", 4), 4);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_EMPTY", 5), 5);
  CHECK(env_float("TG_TEST_ENV_F", 0) == 2.5 && env_float("TG_TEST_ENV_MISSING", 1.25) == 1.25);
  CHECK_STR(env_str("TG_TEST_ENV_X", NULL), "17");
  CHECK(env_str("TG_TEST_ENV_EMPTY", NULL) == NULL, "empty counts as unset");
  // nesting: an inner override shadows, pop restores, popping an outer token drops everything after it
  int t1 = env_push("TG_TEST_ENV_X", "1");
  CHECK_EQ_INT(env_int("TG_TEST_ENV_X", 0), 1);
  int t2 = env_push_int("TG_TEST_ENV_X", 2);
  int t3 = env_push("TG_TEST_ENV_Y", "0x10");
  CHECK_EQ_INT(env_int("TG_TEST_ENV_X", 0), 2);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_Y", 0), 16);
  env_pop(t3);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_Y", 9), 9);
  env_pop(t2);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_X", 0), 1);
  int t4 = env_push("TG_TEST_ENV_Y", "5");
  env_pop(t1);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_X", 0), 17);
  CHECK_EQ_INT(env_int("TG_TEST_ENV_Y", 9), 9);
  (void)t4;
  // DEBUG is cached in tg_debug(), refreshed on every push and pop
  int d0 = tg_debug();
  int td = env_push_int("DEBUG", d0 + 3);
  CHECK_EQ_INT(tg_debug(), d0 + 3);
  int td2 = env_push("DEBUG", "0");
  CHECK_EQ_INT(tg_debug(), 0);
  env_pop(td2);
  CHECK_EQ_INT(tg_debug(), d0 + 3);
  env_pop(td);
  CHECK_EQ_INT(tg_debug(), d0);
}

static void test_errors(void) {
  tg_clear_error();
  CHECK(!tg_has_error() && tg_error() == NULL);
  tg_set_error("first line\nsecond line\nthird %d", 3);
  CHECK(tg_has_error());
  CHECK_STR(tg_error(), "first line second line third 3");
  tg_set_error("replaced");
  CHECK_STR(tg_error(), "replaced");
  char longmsg[3000];
  memset(longmsg, 'x', sizeof longmsg - 1); longmsg[sizeof longmsg - 1] = 0;
  tg_set_error("%s\n", longmsg);
  CHECK(tg_error() && strlen(tg_error()) < sizeof longmsg && !strchr(tg_error(), '\n'), "long messages are truncated, still one line");
  tg_clear_error();
  CHECK(!tg_has_error() && tg_error() == NULL);
}

static void test_timer(void) {
  uint64_t prev = time_ns();
  int backwards = 0;
  for (int i = 0; i < 100000; i++) { uint64_t t = time_ns(); if (t < prev) backwards++; prev = t; }
  CHECK_EQ_INT(backwards, 0);
  uint64_t a = time_ns();
  nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
  uint64_t b = time_ns();
  CHECK(b - a >= 2000000 && b - a < 2000000000ull, "2 ms sleep measured as %llu ns", (unsigned long long)(b - a));
  double s = time_s();
  CHECK(s > 0 && s * 1e9 >= (double)a, "time_s agrees with time_ns");
}

int main(void) {
  test_hmap();
  test_vec();
  test_strbuf();
  test_arena();
  test_env();
  test_errors();
  test_timer();
  return test_finish("test_base");
}
