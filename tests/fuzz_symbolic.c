// Long fuzz run of the symbolic simplifier (make fuzz): FUZZ_N expressions (default 3,000,000),
// seed FUZZ_SEED; the same generator and checks as test_symbolic_fuzz.
#include "symgen.h"
#include "base/timer.h"

int main(void) {
  int64_t n = env_or("FUZZ_N", 3000000), seed = env_or("FUZZ_SEED", 1);
  SymGen g = { .rng = { (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1 } };
  int64_t changed = 0, not_fixed = 0, failures = 0;
  double t0 = time_s();
  for (int64_t i = 0; i < n && failures < 20; i++) {
    UOp *e = symgen_expr(&g), *s = sym_simplify(e);
    changed += s != e;
    if (sym_simplify(s) != s && not_fixed++ < 10) {
      char *a = uop_expr(s);
      fprintf(stderr, "not a fixed point: %s\n", a);
      free(a);
    }
    if (!symgen_check(&g, e, s, 6)) { fprintf(stderr, "    (case %lld, seed %lld)\n", (long long)i, (long long)seed); failures++; }
    if (i % 2000 == 1999) uop_gc();
    if (i % 500000 == 499999) fprintf(stderr, "fuzz_symbolic: %lld cases, %.1f s\n", (long long)i + 1, time_s() - t0);
  }
  printf("fuzz_symbolic: seed %lld, %lld expressions, %lld changed, %lld not idempotent, %lld failing, %.1f s\n", (long long)seed,
         (long long)n, (long long)changed, (long long)not_fixed, (long long)failures, time_s() - t0);
  CHECK(failures == 0, "%lld failing expressions", (long long)failures);
  CHECK(not_fixed == 0, "%lld results are not a fixed point", (long long)not_fixed);
  return test_finish("fuzz_symbolic");
}
