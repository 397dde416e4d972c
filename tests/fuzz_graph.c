// Long differential fuzzing of random tensor graphs, CPU against INTERP (make fuzz)
#include "graphgen.h"
#include "testlib.h"
#include "base/timer.h"
#include <stdlib.h>
#include <time.h>

/* FUZZ_N graphs (make fuzz passes a large number), stopping after FUZZ_TIME seconds (default 600).
 * FUZZ_SEED picks the seed (default: from the clock, printed so a failure can be replayed with
 * test_fuzz_graph: FUZZ_SEED=<seed> FUZZ_FIRST=<graph> FUZZ_N=1). FUZZ_BATCH graphs run together (default 24).
 * Kernels go to the usual cache directory unless CACHE_DIR says otherwise. */
int main(void) {
  int64_t n = env_or("FUZZ_N", 100000), batch = env_or("FUZZ_BATCH", 24);
  double limit = (double)env_or("FUZZ_TIME", 600);
  uint64_t seed = (uint64_t)env_or("FUZZ_SEED", (int64_t)time(NULL));
  if (batch < 1) batch = 1;
  printf("fuzz_graph: seed %llu, up to %lld graphs or %.0f s\n", (unsigned long long)seed, (long long)n, limit);
  static GraphGen g;
  double t0 = time_s();
  int64_t done = 0;
  int bad = 0;
  while (done < n && bad == 0 && time_s() - t0 < limit) {
    int64_t before = done;
    done += gg_run_batch(&g, seed, (int)done, (int)(n - done < batch ? n - done : batch), &bad);
    if (done / 1000 != before / 1000) { printf("  %lld graphs, %.0f s\n", (long long)done, time_s() - t0); fflush(stdout); }
  }
  printf("fuzz_graph: %lld graphs, %d failed (seed %llu), %.1f s\n", (long long)done, bad, (unsigned long long)seed, time_s() - t0);
  return bad ? 1 : 0;
}
