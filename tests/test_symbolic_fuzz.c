// Fuzz test of the symbolic simplifier (fixed seed, part of the default suite): random integer
// expressions must evaluate the same before and after simplification, and every node's value range
// must hold. FUZZ_N scales the run (default 100000; 20000 under sanitizers, or times TG_FUZZ_SCALE).
#include "symgen.h"
#include <signal.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SYMFUZZ_DEFAULT_N 20000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYMFUZZ_DEFAULT_N 20000
#endif
#endif
#ifndef SYMFUZZ_DEFAULT_N
#define SYMFUZZ_DEFAULT_N 100000
#endif

static volatile int64_t current_case;
static void on_alarm(int sig) {
  (void)sig;
  fprintf(stderr, "test_symbolic_fuzz: case %lld did not finish in 20 s (a rule loop?)\n", (long long)current_case);
  _exit(2);
}

int main(void) {
  int64_t n = env_or("FUZZ_N", SYMFUZZ_DEFAULT_N);
  const char *scale = getenv("TG_FUZZ_SCALE");
  if (scale && *scale) n = (int64_t)((double)n * atof(scale));
  SymGen g = { .rng = { 0x5eed5eed12345ull } };
  int64_t verbose = env_or("FUZZ_VERBOSE", 0);
  signal(SIGALRM, on_alarm);
  int64_t changed = 0, smaller = 0, nodes_before = 0, nodes_after = 0, not_fixed = 0, failures = 0;
  for (int64_t i = 0; i < n && failures < 10; i++) {
    current_case = i;
    alarm(20);
    UOp *e = symgen_expr(&g), *s = sym_simplify(e);
    int64_t nb = uop_toposort(e)->n, na = uop_toposort(s)->n;
    nodes_before += nb; nodes_after += na;
    changed += s != e; smaller += na < nb;
    if (i < verbose) {
      char *a = uop_expr(e), *b = uop_expr(s);
      printf("%s\n  -> %s\n", a, b);
      free(a); free(b);
    }
    UOp *s2 = sym_simplify(s);
    if (s2 != s) {
      if (not_fixed++ < 5) {
        char *a = uop_expr(s), *b = uop_expr(s2);
        fprintf(stderr, "not a fixed point: %s -> %s\n", a, b);
        free(a); free(b);
      }
    }
    if (!symgen_check(&g, e, s, 4)) failures++;
    if (i % 2000 == 1999) uop_gc();
  }
  alarm(0);
  printf("test_symbolic_fuzz: %lld expressions, %lld changed, %lld smaller, nodes %lld -> %lld, %lld not idempotent\n",
         (long long)n, (long long)changed, (long long)smaller, (long long)nodes_before, (long long)nodes_after, (long long)not_fixed);
  CHECK(failures == 0, "%lld failing expressions", (long long)failures);
  CHECK(not_fixed == 0, "%lld simplified expressions are not a fixed point of the simplifier", (long long)not_fixed);
  return test_finish("test_symbolic_fuzz");
}
