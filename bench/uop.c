// Benchmark of the UOp foundation: interning (new nodes and cache hits), graph_rewrite throughput, GC
#include "base/timer.h"
#include "uop/rewrite.h"
#include "uop/uop.h"
#include <stdio.h>
#include <stdlib.h>

static int64_t N;

static UOp *build(UOp *x, int64_t n) {   // a chain (x+0)+1, ..+2 ...: n distinct nodes plus consts
  UOp *e = x;
  for (int64_t i = 0; i < n; i++) e = uop_add(e, uop_iconst(i & 1023));
  return e;
}

static UOp *never(Match *m) { (void)m; return NULL; }
static UOp *rename_var(Match *m) { return m->root->arg.str[0] == 'x' ? uop_var("y", 0, 100) : NULL; }
static const Rule never_rules[] = { RULE(PAT(OP_MUL, P(x), PCV(0)), never), RULES_END };
static const Rule rename_rules[] = { RULE(POP(OP_DEFINE_VAR, x), rename_var), RULES_END };   // x -> y: rebuilds all
static Pass never_pass = PASS("never", never_rules), rename_pass = PASS("rename", rename_rules);

static void report(const char *label, double secs, int64_t n, const char *unit) {
  printf("%-44s %10.1f ns/%s  %8.2f M%s/s\n", label, secs * 1e9 / (double)n, unit, (double)n / secs / 1e6, unit);
}

int main(int argc, char **argv) {
  N = argc > 1 ? atoll(argv[1]) : 1000000;
  printf("bench_uop: chain of %lld nodes\n", (long long)N);
  UOp *x = uop_var("x", 0, 100);

  double t = time_s();
  UOp *root = build(x, N);
  report("intern, new nodes", time_s() - t, N, "node");
  t = time_s();
  UOp *again = build(x, N);
  report("intern, existing nodes (cache hits)", time_s() - t, N, "node");
  if (again != root) { fprintf(stderr, "interning is broken\n"); return 1; }
  uop_pin(root);

  t = time_s();
  const UOpList *topo = uop_toposort(root);
  report("toposort (first, uncached)", time_s() - t, topo->n, "node");

  t = time_s();
  UOp *r = graph_rewrite(root, &never_pass, NULL);
  report("graph_rewrite, no rule fires (visits)", time_s() - t, topo->n, "node");
  if (r != root) return 1;
  t = time_s();
  r = graph_rewrite(root, &rename_pass, NULL);
  report("graph_rewrite, every node rebuilt (per node)", time_s() - t, N, "node");
  t = time_s();
  r = graph_rewrite_pre(root, &never_pass, NULL);
  report("graph_rewrite_pre, no rule fires (visits)", time_s() - t, topo->n, "node");

  // GC: everything but root is garbage (the renamed chain); then a collection that keeps N live nodes
  size_t live = uop_live_count();
  t = time_s();
  size_t freed = uop_gc();
  report("gc, sweeping garbage (per freed node)", time_s() - t, (int64_t)freed, "node");
  t = time_s();
  uop_gc();
  report("gc, marking live nodes (per live node)", time_s() - t, (int64_t)uop_live_count(), "node");
  printf("%-44s %10zu -> %zu nodes, %.1f bytes/node\n", "live nodes before/after", live, uop_live_count(),
         (double)uop_live_bytes() / (double)uop_live_count());
  uop_unpin(root);
  t = time_s();
  freed = uop_gc();
  report("gc, freeing the whole chain", time_s() - t, (int64_t)freed, "node");
  return 0;
}
