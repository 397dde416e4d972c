// Differential fuzzing of random tensor graphs: CPU (compiled C) against INTERP, at a fixed seed
#include "graphgen.h"
#include "testlib.h"
#include "engine/realize.h"
#include "base/timer.h"
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* FUZZ_N graphs (default 2000), FUZZ_BATCH graphs realized together (default 24), FUZZ_SEED (default 1),
 * FUZZ_JOBS processes (default 2: the C compiler is most of the time, and it runs one kernel at a time).
 * Kernels compile into a fresh cache directory, so the timing includes the C compiler. The long run is
 * tests/fuzz_graph.c (make fuzz). To replay one failing graph: FUZZ_SEED=<seed> FUZZ_FIRST=<graph> FUZZ_N=1. */
static char cache_dir[] = "/tmp/tg_fuzz_graph_XXXXXX";
static void remove_cache(void) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cache_dir);
}

// Bugs the fuzzer found, kept as fixed cases. INTERP aborts on an out-of-bounds access, even one whose value is
// thrown away, so running there checks that kernels keep their load gates.
static void regressions(void) {
  tg_scope_begin();
  float d[30], o[175];
  for (int i = 0; i < 30; i++) d[i] = (float)(i % 7) - 3;
  tg_tensor *x = tg_to(tg_from_data(d, TG_FLOAT32, TG_SHAPE(1, 5, 6)), "INTERP");
  // where(c, load(gated by c), 0): the symbolic WHERE rules dropped the gate, so the load read out of bounds
  tg_tensor *p = tg_pad(tg_mul_s(x, 2), (int64_t[]){ 2, 2, -1, 1, 1, 0 }, 6, 0);
  CHECK(tg_data(p, o, sizeof o) == 0, "%s", tg_error());
  CHECK(o[2 * 35 + 0 * 7 + 1] == 2 * d[6] && o[0] == 0, "pad with a negative pad");
  // contiguous of a copy: the kernel indexed the CONTIGUOUS itself instead of loading the copy
  tg_tensor *c = tg_sum(tg_contiguous(tg_to(tg_from_data(d, TG_FLOAT32, TG_SHAPE(1, 1, 1)), "INTERP")), (int[]){ 0 }, 1, true);
  CHECK(tg_item(c) == d[0], "%s", tg_error() ? tg_error() : "contiguous of a copy");
  // a reduce over an expanded input is needed once per output element: no realize loop, no assertion
  tg_tensor *e = tg_max(tg_expand(tg_reshape(x, TG_SHAPE(5, 1, 6)), TG_SHAPE(5, 2, 6)), (int[]){ 0 }, 1, false);
  CHECK(tg_data(tg_add(e, e), o, 12 * sizeof(float)) == 0, "%s", tg_error());
  CHECK(o[0] == 2 * 3 && o[6] == o[0], "max over an expand: %g", o[0]);
  tg_scope_end();
}

int main(void) {
  if (!mkdtemp(cache_dir)) { perror("mkdtemp"); return 1; }
  setenv("CACHE_DIR", cache_dir, 1);
  atexit(remove_cache);
  int n = (int)env_or("FUZZ_N", 2000), batch = (int)env_or("FUZZ_BATCH", 24), first = (int)env_or("FUZZ_FIRST", 0);
  uint64_t seed = (uint64_t)env_or("FUZZ_SEED", 1);
  if (batch < 1) batch = 1;
  int jobs = (int)env_or("FUZZ_JOBS", 2);
  jobs = jobs < 1 ? 1 : jobs > 16 ? 16 : jobs;
  // split [first, first+n) among the jobs before any tg_ call (fork copies no runtime state then)
  int me = 0;
  pid_t kids[16];
  for (int j = 1; j < jobs; j++) {
    kids[j] = fork();
    if (kids[j] == 0) { me = j; break; }
    if (kids[j] < 0) { perror("fork"); return 1; }
  }
  if (me == 0 && !getenv("FUZZ_FIRST")) regressions();
  int lo = first + (int)((int64_t)n * me / jobs), hi = first + (int)((int64_t)n * (me + 1) / jobs);
  static GraphGen g;
  int bad = 0;
  double t0 = time_s();
  for (int i = lo; i < hi && bad < 3;) {
    i += gg_run_batch(&g, seed, i, hi - i < batch ? hi - i : batch, &bad);
    test_checks++;
  }
  if (me) _exit(bad > 100 ? 100 : bad);       // a child reports its failures in its exit status
  for (int j = 1; j < jobs; j++) {
    int st = 0;
    if (waitpid(kids[j], &st, 0) < 0 || !WIFEXITED(st)) { fprintf(stderr, "fuzz worker %d crashed\n", j); bad++; }
    else bad += WEXITSTATUS(st);
  }
  CHECK(bad == 0, "%d of %d random graphs differ between CPU and INTERP (seed %llu)", bad, n, (unsigned long long)seed);
  printf("%d random graphs (seed %llu, %d jobs) run on CPU and INTERP in %.1f s; job 0 compiled %lld CPU kernels\n", n,
         (unsigned long long)seed, jobs, time_s() - t0, (long long)eng_stats.compiles);
  return test_finish("test_fuzz_graph");
}
