// BEAM search: finds opts, results match INTERP, the disk cache (hits, IGNORE_BEAM_CACHE, corrupt files), failures
#include "testlib.h"
#include "tinygrad.h"
#include "codegen/opt/beam.h"
#include "engine/realize.h"
#include "base/env.h"
#include "base/timer.h"
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

/* Small kernels and short timing (BEAM_MIN_US=200, BEAM_REPEATS=2, BEAM_ROUNDS=2) keep each search to a few
 * compiler runs. Every realize here runs exactly one kernel: inputs come from tg_from_data. */
static char cache_dir[] = "/tmp/tg_test_beam_XXXXXX";
static void remove_cache(void) {
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cache_dir);
}

static tg_tensor *input(const int64_t *shape, int nd, int salt) {
  int64_t n = 1;
  for (int i = 0; i < nd; i++) n *= shape[i];
  float *d = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) d[i] = (float)((i * 7 + salt * 13) % 17 - 8) / 8;   // exact: sums do not depend on order
  tg_tensor *t = tg_from_data(d, TG_FLOAT32, shape, nd);
  free(d);
  return t;
}

// The kernels under test, on dev: a matmul (2 output axes, a reduce; big enough that opts beat the launch cost
// clearly) and a row max (a reduce).
static tg_tensor *matmul(const char *dev) { return tg_matmul(tg_to(input(TG_SHAPE(48, 64), 1), dev), tg_to(input(TG_SHAPE(64, 64), 2), dev)); }
static tg_tensor *rowmax(const char *dev) { return tg_max(tg_to(input(TG_SHAPE(8, 64), 3), dev), (int[]){ 1 }, 1, false); }

// Realizes build() on CPU (BEAM as set) and on INTERP; both must agree exactly (the inputs make sums exact).
static void check_against_interp(tg_tensor *(*build)(const char *), const char *what) {
  tg_scope_begin();
  tg_tensor *c = build("CPU"), *i = build("INTERP");
  int64_t n = tg_numel(c);
  float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
  CHECK(tg_data(c, a, (size_t)n * sizeof(float)) == 0, "%s on CPU: %s", what, tg_error());
  int tok = env_push("BEAM", "0");
  CHECK(tg_data(i, b, (size_t)n * sizeof(float)) == 0, "%s on INTERP: %s", what, tg_error());
  env_pop(tok);
  int bad = 0;
  for (int64_t k = 0; k < n; k++) bad += a[k] != b[k];
  CHECK(bad == 0, "%s: %d of %lld values differ from INTERP", what, bad, (long long)n);
  free(a); free(b);
  tg_scope_end();
}

// The single BEAM cache file in dir/beam, or "" when there is not exactly one.
static void the_cache_file(const char *dir, char *out, size_t n) {
  char sub[256];
  snprintf(sub, sizeof sub, "%s/beam", dir);
  DIR *d = opendir(sub);
  int count = 0;
  out[0] = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    if (strstr(e->d_name, ".txt")) { count++; snprintf(out, n, "%s/%s", sub, e->d_name); }
  if (d) closedir(d);
  if (count != 1) out[0] = 0;
}

static int opts_in_file(const char *path) {
  FILE *f = fopen(path, "r");
  char line[128];
  int n = -1;
  while (f && fgets(line, sizeof line, f)) if (sscanf(line, "opts %d", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

// Runs fn with stderr going to a file; returns what it wrote (malloc'd).
static char *capture_stderr(void (*fn)(void)) {
  char path[] = "/tmp/tg_test_beam_err_XXXXXX";
  int fd = mkstemp(path), saved = dup(2);
  fflush(stderr);
  dup2(fd, 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *text = calloc(1, 65536);
  lseek(fd, 0, SEEK_SET);
  ssize_t got = read(fd, text, 65535);
  if (got < 0) text[0] = 0;
  close(fd);
  unlink(path);
  return text;
}

static void realize_rowmax(void) { eng_cache_clear(); check_against_interp(rowmax, "row max"); }
static void realize_matmul(void) { eng_cache_clear(); check_against_interp(matmul, "matmul"); }

static void test_search_and_cache(void) {
  BeamStats s0 = beam_stats;
  double t0 = time_s();
  realize_matmul();
  CHECK_EQ_INT(beam_stats.searches - s0.searches, 1);
  CHECK(beam_stats.runs > s0.runs, "the search timed candidates");
  CHECK(beam_stats.candidates - s0.candidates > 10, "only %lld candidates", (long long)(beam_stats.candidates - s0.candidates));
  CHECK_EQ_INT(beam_stats.compile_failed - s0.compile_failed, 0);
  char path[512];
  the_cache_file(cache_dir, path, sizeof path);
  CHECK(path[0], "one BEAM cache file after one search");
  CHECK(opts_in_file(path) >= 1, "the matmul got no opts (%s)", path);
  printf("  matmul search: %.1f s, %lld candidates, %lld timing launches\n", time_s() - t0,
         (long long)(beam_stats.candidates - s0.candidates), (long long)(beam_stats.runs - s0.runs));

  // a new kernel cache (as in a new process): the disk cache answers, nothing is timed
  BeamStats s1 = beam_stats;
  int dbg = env_push("DEBUG", "3");
  char *err = capture_stderr(realize_matmul);
  env_pop(dbg);
  CHECK_EQ_INT(beam_stats.cache_hits - s1.cache_hits, 1);
  CHECK_EQ_INT(beam_stats.searches - s1.searches, 0);
  CHECK_EQ_INT(beam_stats.runs - s1.runs, 0);
  CHECK(strstr(err, "(BEAM):") && strstr(err, "opts for"), "DEBUG=3 prints the BEAM opts:\n%s", err);
  free(err);
}

// A reduce kernel in a cache directory of its own: IGNORE_BEAM_CACHE=1 searches again; its file corrupted three
// ways, each time a warning and a new search.
static void test_corrupt_cache(void) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/corrupt", cache_dir);
  int tok = env_push("CACHE_DIR", dir), ver = env_push("BEAM_VERIFY", "1");
  BeamStats s0 = beam_stats;
  realize_rowmax();
  CHECK_EQ_INT(beam_stats.searches - s0.searches, 1);
  CHECK_EQ_INT(beam_stats.verify_failed - s0.verify_failed, 0);
  env_pop(ver);
  int ig = env_push("IGNORE_BEAM_CACHE", "1");
  BeamStats s1 = beam_stats;
  realize_rowmax();
  env_pop(ig);
  CHECK_EQ_INT(beam_stats.searches - s1.searches, 1);
  CHECK_EQ_INT(beam_stats.cache_hits - s1.cache_hits, 0);
  char path[512];
  the_cache_file(dir, path, sizeof path);
  CHECK(path[0], "one BEAM cache file in %s", dir);
  FILE *f = fopen(path, "rb");
  char good[4096];
  size_t len = f ? fread(good, 1, sizeof good, f) : 0;
  if (f) fclose(f);
  const char *kinds[] = { "garbage", "truncated", "an opt that no longer applies" };
  for (int k = 0; k < 3 && path[0]; k++) {
    f = fopen(path, "wb");
    if (k == 0) fputs("\x01\x02 not a cache file \xff", f);
    if (k == 1) fwrite(good, 1, len / 2, f);
    if (k == 2) {                    // well formed, with its checksum (FNV-1a of the lines before it)
      const char *text = "tinygrad.c beam 1\nopts 1\nUPCAST 9 4\n";
      uint64_t h = 0xcbf29ce484222325ULL;
      for (const char *c = text; *c; c++) { h ^= (unsigned char)*c; h *= 0x100000001b3ULL; }
      fprintf(f, "%scheck %016llx\n", text, (unsigned long long)h);
    }
    fclose(f);
    BeamStats s = beam_stats;
    char *err = capture_stderr(realize_rowmax);
    CHECK(strstr(err, "BEAM cache: ignoring"), "%s cache file: no warning:\n%s", kinds[k], err);
    if (k == 2) CHECK(strstr(err, "no longer apply"), "the stale entry's warning says why:\n%s", err);
    CHECK_EQ_INT(beam_stats.searches - s.searches, 1);
    free(err);
    s = beam_stats;                  // the search rewrote the file: the next kernel cache reads it
    realize_rowmax();
    CHECK_EQ_INT(beam_stats.cache_hits - s.cache_hits, 1);
  }
  env_pop(tok);
}

// Candidates that fail to compile are counted (and reported at DEBUG=2), never dropped silently.
static void test_compile_failures(void) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/failing", cache_dir);
  int a = env_push("CACHE_DIR", dir), b = env_push("CC", "false"), c = env_push("IGNORE_BEAM_CACHE", "1");
  BeamStats s0 = beam_stats;
  eng_cache_clear();
  tg_scope_begin();
  float out[8];
  CHECK(tg_data(rowmax("CPU"), out, sizeof out) != 0, "a kernel built by `false` cannot run");
  tg_clear_error();
  tg_scope_end();
  CHECK(beam_stats.compile_failed - s0.compile_failed >= 1, "compile failures counted");
  env_pop(c); env_pop(b); env_pop(a);
}

int main(void) {
  if (!mkdtemp(cache_dir)) { perror("mkdtemp"); return 1; }
  atexit(remove_cache);
  int t[] = { env_push("CACHE_DIR", cache_dir), env_push("BEAM", "2"), env_push("BEAM_ROUNDS", "2"),
              env_push("BEAM_MIN_US", "200"), env_push("BEAM_REPEATS", "2") };
  double t0 = time_s();
  test_search_and_cache();
  test_corrupt_cache();
  test_compile_failures();
  for (int i = 4; i >= 0; i--) env_pop(t[i]);
  printf("  %lld searches, %lld cache hits, %lld candidates (%lld failed to compile) in %.1f s\n", (long long)beam_stats.searches,
         (long long)beam_stats.cache_hits, (long long)beam_stats.candidates, (long long)beam_stats.compile_failed, time_s() - t0);
  return test_finish("test_beam");
}
