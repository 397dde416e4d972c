// Benchmark of the symbolic simplifier: rewrite throughput on large index-math graphs, and interning cost
#include "uop/symbolic.h"
#include "uop/uop.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

// process CPU time: the figures below use it, so a loaded machine does not inflate them
static double cpu_s(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return (double)t.tv_sec + t.tv_nsec * 1e-9; }

static uint64_t rs = 88172645463325252ull;
static int64_t rnd(int64_t lo, int64_t hi) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return lo + (int64_t)(rs % (uint64_t)(hi - lo + 1));
}

static int64_t env_n(const char *name, int64_t dflt) { const char *v = getenv(name); return v && *v ? atoll(v) : dflt; }

// one kernel-style index: ((x*4+y)//4)%8 + ((r*c+s)//c)*stride + (z*6+w*3)//3 + (q%16)//4, random vars
static UOp *index_expr(UOp **vars, int nv) {
  UOp *x = vars[rnd(0, nv - 1)], *y = vars[rnd(0, nv - 1)], *r = vars[rnd(0, nv - 1)], *s = vars[rnd(0, nv - 1)];
  UOp *z = vars[rnd(0, nv - 1)], *w = vars[rnd(0, nv - 1)], *q = vars[rnd(0, nv - 1)];
  int64_t c = rnd(2, 64), stride = rnd(1, 1024);
  UOp *a = uop_cmod(uop_cdiv(uop_add(uop_mul_i(x, 4), uop_cmod(y, uop_iconst(4))), uop_iconst(4)), uop_iconst(8));
  UOp *b = uop_mul_i(uop_cdiv(uop_add(uop_mul_i(r, c), uop_cmod(s, uop_iconst(c))), uop_iconst(c)), stride);
  UOp *d = uop_cdiv(uop_add(uop_mul_i(z, 6), uop_mul_i(w, 3)), uop_iconst(3));
  UOp *e = uop_cdiv(uop_cmod(q, uop_iconst(16)), uop_iconst(4));
  return uop_add(uop_add(a, b), uop_add(d, uop_add_i(e, rnd(-100, 100))));
}

static UOp *balanced_sum(UOp **xs, int64_t n) {
  if (n == 1) return xs[0];
  return uop_add(balanced_sum(xs, n / 2), balanced_sum(xs + n / 2, n - n / 2));
}

int main(void) {
  int64_t nexpr = env_n("BENCH_EXPRS", 50000), nsum = env_n("BENCH_SUM", 5000), nintern = env_n("BENCH_INTERN", 1000000);
  enum { NV = 256 };
  UOp *vars[NV];
  char name[16];
  for (int i = 0; i < NV; i++) { snprintf(name, sizeof name, "v%d", i); vars[i] = uop_var(name, 0, rnd(1, 4096)); }

  // 1. many independent index expressions under one SINK
  UOp **xs = malloc(sizeof(UOp *) * (size_t)(nexpr > nsum ? nexpr : nsum));
  double t0 = cpu_s();
  for (int64_t i = 0; i < nexpr; i++) xs[i] = index_expr(vars, NV);
  UOp *sink = uop_new(OP_SINK, DT_VOID_T, xs, (int)nexpr, arg_none());
  double tbuild = cpu_s() - t0;
  int64_t n0 = uop_toposort(sink)->n;
  t0 = cpu_s();
  UOp *out = sym_simplify(sink);
  double tsimp = cpu_s() - t0;
  int64_t n1 = uop_toposort(out)->n;
  t0 = cpu_s();
  UOp *again = sym_simplify(out);
  double tfix = cpu_s() - t0;
  printf("index expressions: %lld exprs, %lld nodes -> %lld nodes, build %.3f s\n", (long long)nexpr, (long long)n0, (long long)n1, tbuild);
  printf("  sym_simplify: %.3f s = %.0f nodes/s (%.2f us/node); re-simplify of the result %.3f s = %.0f nodes/s%s\n",
         tsimp, (double)n0 / tsimp, tsimp * 1e6 / (double)n0, tfix, (double)n1 / tfix, again == out ? "" : " (NOT a fixed point)");

  // 2. one long sum of terms with repeated bases (like-term combination in a big chain)
  for (int64_t i = 0; i < nsum; i++) xs[i] = uop_mul_i(vars[rnd(0, NV - 1)], rnd(-8, 8) | 1);
  UOp *sum = balanced_sum(xs, nsum);
  n0 = uop_toposort(sum)->n;
  t0 = cpu_s();
  out = sym_simplify(sum);
  tsimp = cpu_s() - t0;
  printf("balanced sum: %lld terms, %lld nodes -> %lld nodes, sym_simplify %.3f s = %.0f nodes/s\n", (long long)nsum,
         (long long)n0, (long long)uop_toposort(out)->n, tsimp, (double)n0 / tsimp);
  UOp *chain = xs[0];
  for (int64_t i = 1; i < nsum; i++) chain = uop_add(chain, xs[i]);
  t0 = cpu_s();
  out = sym_simplify(chain);
  tsimp = cpu_s() - t0;
  printf("left-leaning sum: %lld terms, sym_simplify %.3f s = %.0f nodes/s\n", (long long)nsum, tsimp, (double)uop_toposort(chain)->n / tsimp);
  free(xs);

  // 3. interning: fresh nodes (miss + allocate) and existing nodes (hit)
  uop_gc();
  UOp *v = uop_var("intern", 0, 1 << 30);
  t0 = cpu_s();
  for (int64_t i = 0; i < nintern; i++) uop_new(OP_ADD, DT_INDEX_T, (UOp *[]){ v, v }, 2, arg_int(i));
  double tnew = cpu_s() - t0;
  t0 = cpu_s();
  for (int64_t i = 0; i < nintern; i++) uop_new(OP_ADD, DT_INDEX_T, (UOp *[]){ v, v }, 2, arg_int(i));
  double thit = cpu_s() - t0;
  printf("interning: %lld fresh nodes via uop_new %.1f ns/node; re-interning existing %.1f ns/node\n", (long long)nintern,
         tnew * 1e9 / (double)nintern, thit * 1e9 / (double)nintern);
  printf("(all times are process CPU seconds)\n");
  return 0;
}
