// Long fuzzing of kernel opts (tests/optfuzz.h): random opt sequences on random kernels, CPU against INTERP (make fuzz)
#include "optfuzz.h"
#include <time.h>

/* FUZZ_N cases (make fuzz passes a large number), stopping after FUZZ_TIME seconds (default 600). FUZZ_SEED picks
 * the seed (default: from the clock, printed so a failure replays with test_opt_fuzz: FUZZ_SEED=<seed>
 * FUZZ_FIRST=<graph> FUZZ_N=1). FUZZ_BATCH cases compile together (default 128). Kernels build with the default
 * CFLAGS (-O2), as users' do; test_opt_fuzz uses -O0 to stay fast. */
static OptFuzz f;

int main(void) {
  int64_t n = env_or("FUZZ_N", 100000), batch = env_or("FUZZ_BATCH", 128);
  double limit = (double)env_or("FUZZ_TIME", 600);
  f.seed = (uint64_t)env_or("FUZZ_SEED", (int64_t)time(NULL));
  if (batch < 1) batch = 1;
  printf("fuzz_opt: seed %llu, up to %lld cases or %.0f s\n", (unsigned long long)f.seed, (long long)n, limit);
  double t0 = time_s();
  int graph = 0;
  while (f.ncase_total < n && f.failures == 0 && time_s() - t0 < limit) {
    int64_t before = f.ncase_total;
    graph += of_batch(&f, graph, (int)(n - f.ncase_total < batch ? n - f.ncase_total : batch), 1 << 20, NULL);
    if (f.ncase_total / 5000 != before / 5000) { printf("  %lld cases, %.0f s\n", (long long)f.ncase_total, time_s() - t0); fflush(stdout); }
  }
  of_summary(&f, time_s() - t0);
  return f.failures ? 1 : 0;
}
