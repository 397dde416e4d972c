// Tests of UOp garbage collection: pins and root callbacks keep nodes (and their identity), the rest is
// freed; the toposort cache follows collections; 10M nodes built and dropped in rounds hold memory steady
#include "testlib.h"
#include "base/timer.h"
#include "uop/uop.h"
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif
#ifndef TG_ASAN
#define TG_ASAN 0
#endif

static UOp *chain(UOp *x, int64_t n) {      // n distinct ADD nodes over 1024 shared constants
  UOp *e = x;
  for (int64_t i = 0; i < n; i++) e = uop_add(e, uop_iconst(i & 1023));
  return e;
}

static UOp *held;
static void hold_roots(void *ctx) { (void)ctx; if (held) uop_gc_mark(held); }

static void test_pins_and_roots(void) {
  uop_gc();
  size_t base = uop_live_count();
  uint64_t ep = uop_gc_epoch();
  UOp *x = uop_var("gx", 0, 9);
  UOp *p = uop_add_i(uop_mul_i(x, 3), 5);          // x, 3, x*3, 5, p
  UOp *garbage = chain(uop_var("junk", 0, 1), 1000);
  (void)garbage;
  uop_pin(p);
  size_t freed = uop_gc();
  CHECK_EQ_INT(uop_gc_epoch(), ep + 1);
  CHECK_EQ_INT(freed, 1000 + 1000 + 1 - 2);       // the chain, its consts 0..999 and var, but not 3 and 5 (p has them)
  CHECK_EQ_INT(uop_live_count(), base + 5);
  CHECK(uop_add_i(uop_mul_i(uop_var("gx", 0, 9), 3), 5) == p, "an equal node interned after GC is the survivor");
  CHECK_EQ_INT(uop_live_count(), base + 5);
  // pins are counted
  uop_pin(p);
  uop_unpin(p);
  uop_gc();
  CHECK_EQ_INT(uop_live_count(), base + 5);
  uint64_t pid = p->id;
  uop_unpin(p);
  CHECK_EQ_INT(uop_gc(), 5);
  CHECK_EQ_INT(uop_live_count(), base);
  CHECK_EQ_INT(uop_gc_epoch(), ep + 3);
  UOp *p2 = uop_add_i(uop_mul_i(uop_var("gx", 0, 9), 3), 5);
  CHECK(p2->id != pid, "after its last unpin the node was freed; rebuilding makes a new one");
  // a registered root callback keeps what it marks
  held = p2;
  uop_gc_add_roots(hold_roots, NULL);
  uop_gc();
  CHECK_EQ_INT(uop_live_count(), base + 5);
  CHECK(uop_add_i(uop_mul_i(uop_var("gx", 0, 9), 3), 5) == p2);
  held = uop_mul_i(uop_var("gx", 0, 9), 3);          // now only x*3 and below
  CHECK_EQ_INT(uop_gc(), 2);
  uop_gc_remove_roots(hold_roots, NULL);
  CHECK_EQ_INT(uop_gc(), 3);
  CHECK_EQ_INT(uop_live_count(), base);
  held = NULL;
}

static void test_toposort_cache(void) {
  uop_gc();
  UOp *x = uop_var("tx", 0, 9), *r = uop_add(uop_mul_i(x, 2), x);
  uop_pin(r);
  const UOpList *t1 = uop_toposort(r);
  CHECK_EQ_INT(t1->n, 4);
  CHECK(uop_toposort(r) == t1, "cached until the next collection");
  uop_gc();
  const UOpList *t2 = uop_toposort(r);
  CHECK_EQ_INT(t2->n, 4);
  CHECK(t2->items[3] == r && t2->items[0] == x);
  uop_unpin(r);
  // freed roots must not leave stale lists behind: new nodes may reuse their addresses
  for (int round = 0; round < 50; round++) {
    UOp *y = uop_var("ty", 0, round), *e = uop_add_i(y, round);
    CHECK_EQ_INT(uop_toposort(e)->n, 3);
    uop_gc();
    UOp *z = uop_mul_i(uop_add_i(uop_var("tz", 0, round), 1), round + 2);   // 5 nodes
    const UOpList *tz = uop_toposort(z);
    CHECK(tz->n == 5 && tz->items[4] == z, "round %d: toposort of a new node at a reused address", round);
    uop_gc();
  }
}

static void test_free_unpinned(void) {
  uop_gc();
  size_t base = uop_live_count(), bytes = uop_live_bytes();
  UOp *e = chain(uop_var("fx", 0, 1), 10000);
  CHECK_EQ_INT(uop_live_count(), base + 10000 + 1024 + 1);
  CHECK(uop_live_bytes() > bytes + 10000 * sizeof(UOp), "live bytes grow with the nodes");
  (void)e;
  CHECK_EQ_INT(uop_gc(), 10000 + 1024 + 1);
  CHECK_EQ_INT(uop_live_count(), base);
  CHECK_EQ_INT(uop_live_bytes(), bytes);
  // uop_gc_maybe collects only once the pool has grown
  CHECK_EQ_INT(uop_gc_maybe(), 0);
  chain(uop_var("fy", 0, 1), 200000);
  CHECK(uop_gc_maybe() > 0, "200k new nodes trigger a collection");
  CHECK_EQ_INT(uop_live_count(), base);
}

// 10M nodes in rounds: the live count returns to the baseline and resident memory stays bounded
static void test_rounds(void) {
  int64_t rounds = env_or("GC_ROUNDS", TG_ASAN ? 4 : 20), per = env_or("GC_ROUND_NODES", 500000);
  uop_gc();
  size_t base = uop_live_count(), rss0 = rss_bytes(), peak_after_first = 0, round_bytes = 0;
  double t0 = time_s(), build_s = 0, gc_s = 0;
  for (int64_t r = 0; r < rounds; r++) {
    double t = time_s();
    UOp *x = uop_var("round", 0, r), *e = chain(x, per);
    build_s += time_s() - t;
    CHECK_EQ_INT(uop_live_count(), base + (size_t)per + 1024 + 1);
    if (!round_bytes) round_bytes = uop_live_bytes();
    UOp *keep = uop_add_i(x, 7);                    // the small root: x, 7 and x+7
    uop_pin(keep);
    (void)e;
    t = time_s();
    size_t freed = uop_gc();
    gc_s += time_s() - t;
    CHECK_EQ_INT(freed, per + 1024 - 1);            // everything but x, 7, x+7
    CHECK_EQ_INT(uop_live_count(), base + 3);
    CHECK(uop_add_i(uop_var("round", 0, r), 7) == keep, "the pinned root keeps its identity");
    uop_unpin(keep);
    uop_gc();
    CHECK_EQ_INT(uop_live_count(), base);
    if (r == 0) peak_after_first = peak_rss_bytes();
  }
  size_t peak = peak_rss_bytes();
  printf("gc rounds: %lld x %lld nodes in %.2f s (build %.0f ns/node, gc %.0f ns/node); one round %.1f MB of nodes; "
         "rss before %.1f MB, peak after round 1 %.1f MB, final peak %.1f MB\n",
         (long long)rounds, (long long)per, time_s() - t0, build_s * 1e9 / (double)(rounds * per),
         gc_s * 1e9 / (double)(rounds * per), round_bytes / 1e6, rss0 / 1e6, peak_after_first / 1e6, peak / 1e6);
  if (TG_ASAN) return;   // ASan's quarantine holds freed memory: resident size says nothing about leaks
  CHECK(peak < rss0 + 2 * round_bytes + (32u << 20), "peak RSS %.1f MB exceeds %.1f MB + 2 x %.1f MB", peak / 1e6, rss0 / 1e6,
        round_bytes / 1e6);
  CHECK(peak < peak_after_first + round_bytes / 2, "peak RSS grew from %.1f MB after round 1 to %.1f MB", peak_after_first / 1e6,
        peak / 1e6);
}

int main(void) {
  test_pins_and_roots();
  test_toposort_cache();
  test_free_unpinned();
  test_rounds();
  return test_finish("test_gc");
}
