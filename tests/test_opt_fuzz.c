// Random opt sequences on random kernels (tests/optfuzz.h): CPU with the opts against INTERP without, at a fixed seed
#include "optfuzz.h"
#include "base/env.h"

/* FUZZ_N cases (default 2000), FUZZ_SEED (default 1), FUZZ_BATCH cases compiled together (default 128).
 * The C compiler is most of the time: kernels build with -O0 unless CFLAGS says otherwise (2000 cases took 10-18 s
 * on 2 shared cores, against ~50 s with -O1 or the default -O2; the semantics under test are the C source's, which
 * every level compiles alike). The long run, tests/fuzz_opt.c (make fuzz), uses the default flags.
 * To replay one failing graph: FUZZ_SEED=<seed> FUZZ_FIRST=<graph> FUZZ_N=1. FUZZ_VERBOSE=1 adds the kernel AST and
 * the C source to a failure's report; FUZZ_VERBOSE=2 also names each graph and opt list before it is built (for an
 * abort inside codegen). */
static OptFuzz f;

static tg_tensor *zeros(const int64_t *shape, int nd) {
  static float z[4096];
  return tg_from_data(z, TG_FLOAT32, shape, nd);
}

// Bugs the fuzzer found, kept as fixed cases.
static void regressions(OptFuzz *of) {
  // VECTORIZE an output axis, then UPCAST a padded axis: the copies whose input is all padding reduce over the
  // weights only; once opt_finish removed the lane range they were hoisted out of the loop their siblings stay in,
  // and the linearizer aborted (reduces sharing a range are placed apart). opt_apply now checks the finished kernel.
  tg_tensor *conv = tg_conv2d(zeros(TG_SHAPE(2, 2, 3, 9)), zeros(TG_SHAPE(2, 2, 1, 1)), NULL, 1, (int[]){ 1, 2 }, (int[]){ 2, 1 }, NULL);
  of_fixed(of, conv, (Opt[]){ { OPT_VECTORIZE, 1, 2 }, { OPT_UPCAST, 2, 7 } }, 2, "conv2d x(2,2,3,9) w(2,2,1,1) stride 1,2 pad 2,1");
}

// Bugs of the C compiler's optimizer, kept as fixed cases compiled with the default flags (-O2). GCC 12.2's loop
// vectorizer added a quarter of the terms of a 4x4 int64 sum kept in 9 scalar accumulators (the renderer now turns
// it off for kernels with several scalar accumulators).
static void o2_regressions(OptFuzz *of) {
  static int32_t xi[144];
  for (int i = 0; i < 144; i++) xi[i] = i * 7 - 300;
  tg_tensor *s = tg_sum(tg_cast(tg_from_data(xi, TG_INT32, TG_SHAPE(4, 4, 9)), TG_INT64), (int[]){ 0, 1 }, 2, false);
  tg_tensor *y = tg_add(tg_mul(s, tg_full_like(s, 3)), tg_full_like(s, 1));
  of_fixed(of, y, (Opt[]){ { OPT_UPCAST, 0, 3 }, { OPT_UPCAST, 0, 3 } }, 2, "int64 sum of 4x4x9 over axes 0, 1, 9 scalar accumulators");
}

int main(void) {
  int64_t n = env_or("FUZZ_N", 2000), batch = env_or("FUZZ_BATCH", 128);
  int graph = (int)env_or("FUZZ_FIRST", 0);
  f.seed = (uint64_t)env_or("FUZZ_SEED", 1);
  if (batch < 1) batch = 1;
  int tok = env_push("CFLAGS", "-O2 -march=native -fvect-cost-model=dynamic");   // the CPU device's default flags
  of_batch(&f, 1 << 24, 1, 1 << 20, o2_regressions);
  env_pop(tok);
  setenv("CFLAGS", "-O0 -march=native", 0);
  double t0 = time_s();
  bool replay = getenv("FUZZ_FIRST") != NULL;
  while (f.ncase_total < n && f.failures < 10) {
    int64_t want = n - f.ncase_total < batch ? n - f.ncase_total : batch;
    graph += of_batch(&f, graph, (int)want, 1 << 20, f.ncase_total || replay ? NULL : regressions);
  }
  of_summary(&f, time_s() - t0);
  CHECK(f.failures == 0, "%lld of %lld cases differ or fail (seed %llu)", (long long)f.failures, (long long)f.ncase_total,
        (unsigned long long)f.seed);
  CHECK(f.applied[OPT_UPCAST] && f.applied[OPT_UNROLL] && f.applied[OPT_VECTORIZE] && f.applied[OPT_SWAP] && f.applied[OPT_PADTO] &&
        f.applied[OPT_LOCAL] && f.applied[OPT_GROUP] && f.applied[OPT_GROUPTOP] && f.applied[OPT_NOLOCALS] &&
        f.applied[OPT_THREAD] && f.applied[OPT_TC], "every opt kind was applied");
  CHECK(f.on_interp > 0, "no case with thread ranges ran on INTERP");
  return test_finish("test_opt_fuzz");
}
