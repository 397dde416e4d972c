// Benchmark of the UOp foundation: interning (new nodes and cache hits), graph_rewrite throughput, GC
// usage: bench_uop [nodes] [reps]   (each figure is the best of reps runs)
#include "base/timer.h"
#include "uop/rewrite.h"
#include "uop/uop.h"
#include <stdio.h>
#include <stdlib.h>

static UOp *build(UOp *x, int64_t n) {   // a chain (x+0)+1, ..+2 ...: n distinct ADD nodes over 1024 consts
  UOp *e = x;
  for (int64_t i = 0; i < n; i++) e = uop_add(e, uop_iconst(i & 1023));
  return e;
}

static UOp *never(Match *m) { (void)m; return NULL; }
static UOp *rename_var(Match *m) { return m->root->arg.str[0] == 'x' ? uop_var("y", 0, 100) : NULL; }
static const Rule never_rules[] = { RULE(PAT(OP_MUL, P(x), PCV(0)), never), RULES_END };
static const Rule rename_rules[] = { RULE(POP(OP_DEFINE_VAR, x), rename_var), RULES_END };   // x -> y: rebuilds all
static Pass never_pass = PASS("never", never_rules), rename_pass = PASS("rename", rename_rules);

enum { NEW, HIT, TOPO, RW_NONE, RW_ALL, RW_PRE, GC_SWEEP, GC_MARK, GC_FREE, NFIG };
static const char *const labels[NFIG] = {
  "intern, new nodes", "intern, existing nodes (cache hits)", "toposort (uncached)",
  "graph_rewrite, no rule fires (per node)", "graph_rewrite, every node rebuilt (per node)",
  "graph_rewrite_pre, no rule fires (per node)", "gc, sweep of garbage (per freed node)",
  "gc, mark of live nodes (per live node)", "gc, freeing everything (per node)",
};
static double best[NFIG];
static int64_t count[NFIG];

static double t0;
static void start(void) { t0 = time_s(); }
static void stop(int fig, int64_t n) {
  double dt = time_s() - t0;
  if (best[fig] == 0 || dt < best[fig]) best[fig] = dt;
  count[fig] = n;
}

int main(int argc, char **argv) {
  int64_t N = argc > 1 ? atoll(argv[1]) : 1000000, reps = argc > 2 ? atoll(argv[2]) : 3;
  for (int64_t rep = 0; rep < reps; rep++) {
    uop_gc();
    UOp *x = uop_var("x", 0, 100);
    start(); UOp *root = build(x, N); stop(NEW, N);
    start(); UOp *again = build(x, N); stop(HIT, N);
    if (again != root) { fprintf(stderr, "interning is broken\n"); return 1; }
    uop_pin(root);
    start(); int64_t n = uop_toposort(root)->n; stop(TOPO, n);
    start(); UOp *r = graph_rewrite(root, &never_pass, NULL); stop(RW_NONE, n);
    if (r != root) return 1;
    start(); graph_rewrite(root, &rename_pass, NULL); stop(RW_ALL, N);
    start(); graph_rewrite_pre(root, &never_pass, NULL); stop(RW_PRE, n);
    size_t live = uop_live_count();
    start(); size_t freed = uop_gc(); stop(GC_SWEEP, (int64_t)freed);       // the renamed chain is garbage
    start(); uop_gc(); stop(GC_MARK, (int64_t)uop_live_count());           // nothing to free: mark + reinsert
    if (rep == reps - 1)
      printf("bench_uop: chain of %lld nodes, best of %lld; live %zu -> %zu nodes, %.1f bytes/node\n", (long long)N,
             (long long)reps, live, uop_live_count(), (double)uop_live_bytes() / (double)uop_live_count());
    uop_unpin(root);
    start(); freed = uop_gc(); stop(GC_FREE, (int64_t)freed);
  }
  for (int f = 0; f < NFIG; f++)
    printf("%-46s %9.1f ns/node  %7.2f Mnode/s\n", labels[f], best[f] * 1e9 / (double)count[f], (double)count[f] / best[f] / 1e6);
  return 0;
}
