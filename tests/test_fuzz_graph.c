// Differential fuzzing of random tensor graphs: CPU (compiled C) against INTERP, at a fixed seed
#include "graphgen.h"
#include "testlib.h"
#include "engine/realize.h"
#include "base/timer.h"
#include <stdlib.h>
#include <unistd.h>

/* FUZZ_N graphs (default 2000), FUZZ_BATCH graphs realized together (default 16), FUZZ_SEED (default 1).
 * Kernels compile into a fresh cache directory, so the timing includes the C compiler. The long run is
 * tests/fuzz_graph.c (make fuzz). To replay one failing graph: FUZZ_SEED=<seed> FUZZ_FIRST=<graph> FUZZ_N=1. */
static char cache_dir[] = "/tmp/tg_fuzz_graph_XXXXXX";
static void remove_cache(void) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cache_dir);
}

int main(void) {
  if (!mkdtemp(cache_dir)) { perror("mkdtemp"); return 1; }
  setenv("CACHE_DIR", cache_dir, 1);
  atexit(remove_cache);
  int n = (int)env_or("FUZZ_N", 2000), batch = (int)env_or("FUZZ_BATCH", 16), first = (int)env_or("FUZZ_FIRST", 0);
  uint64_t seed = (uint64_t)env_or("FUZZ_SEED", 1);
  if (batch < 1) batch = 1;
  static GraphGen g;
  int bad = 0;
  double t0 = time_s();
  for (int i = first; i < first + n && bad < 3; i += batch) {
    int m = first + n - i < batch ? first + n - i : batch;
    bad += gg_run_batch(&g, seed, i, m);
    test_checks++;
  }
  CHECK(bad == 0, "%d of %d random graphs differ between CPU and INTERP (seed %llu)", bad, n, (unsigned long long)seed);
  printf("%d random graphs (seed %llu) agree on CPU and INTERP: %lld CPU kernels compiled, %lld launched, %.1f s\n", n,
         (unsigned long long)seed, (long long)eng_stats.compiles, (long long)eng_stats.kernels, time_s() - t0);
  return test_finish("test_fuzz_graph");
}
