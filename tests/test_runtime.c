// Tests of the runtime: hand-built linear Programs on CPU vs INTERP vs a naive C reference, the disk cache, errors
#include "testlib.h"
#include "tinygrad.h"
#include "base/env.h"
#include "base/threadpool.h"
#include "base/timer.h"
#include "runtime/cpu.h"
#include "runtime/device.h"
#include "renderer/cstyle.h"
#include "uop/uop.h"
#include "rtlib.h"
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- (a) elementwise, threaded ----
typedef struct { int *hits; pthread_t seen[64]; int nseen; pthread_mutex_t mu; } TpCtx;

static void tp_fn(void *ctx, int64_t s, int64_t e) {
  TpCtx *c = ctx;
  if (e - s > 10) {
    for (int64_t i = s; i < e; i++) c->hits[i]++;
    usleep(3000);          // give every worker time to take a chunk
  }
  pthread_mutex_lock(&c->mu);
  bool found = false;
  for (int i = 0; i < c->nseen; i++) found |= pthread_equal(c->seen[i], pthread_self());
  if (!found && c->nseen < 64) c->seen[c->nseen++] = pthread_self();
  pthread_mutex_unlock(&c->mu);
}

static void test_threadpool(void) {
  enum { N = 1000 };
  static int hits[N];
  TpCtx c = { .hits = hits, .mu = PTHREAD_MUTEX_INITIALIZER };
  tp_run(N, tp_fn, &c);
  int bad = 0;
  for (int i = 0; i < N; i++) bad += hits[i] != 1;
  CHECK_EQ_INT(bad, 0);
  CHECK(tp_threads() < 2 || c.nseen >= 2, "tp_run used %d threads of %d", c.nseen, tp_threads());
  for (int k = 0; k < 2000; k++) tp_run(7, tp_fn, &c);    // many small jobs back to back
  bad = 0;
  for (int i = 0; i < N; i++) bad += hits[i] != 1;
  CHECK_EQ_INT(bad, 0);
}

static void test_elementwise(void) {
  enum { N = 1000 };
  PB b = { .n = 0 };
  UOp *c = glob(DT_FLOAT32, N, 0), *a = glob(DT_FLOAT32, N, 1), *bb = glob(DT_FLOAT32, N, 2);
  UOp *r = rng(ic(N), 0, 0);
  UOp *v = bin(OP_ADD, bin(OP_MUL, ld(ix(a, r)), ld(ix(bb, r))), fc(1.0));
  UOp *s = E(&b, stor(ix(c, r), v));
  UOp *e = E(&b, endr(r));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e }, 2, arg_none()));
  float ha[N], hb[N], out[N];
  for (int i = 0; i < N; i++) { ha[i] = (float)i * 0.5f; hb[i] = (float)(N - i) * 0.25f; }
  const char *devs[] = { "CPU", "INTERP" };
  for (int d = 0; d < 2; d++) {
    Program *p = prog(&b, "E_1000", 3, r, NULL, 0);
    Device *dev = dev_get(devs[d]);
    Buffer *bufs[3] = { mkbuf(dev, DT_FLOAT32, N, NULL), mkbuf(dev, DT_FLOAT32, N, ha), mkbuf(dev, DT_FLOAT32, N, hb) };
    CHECK_EQ_INT(run(devs[d], p, bufs, NULL), 0);
    buf_copyout(bufs[0], out, sizeof out);
    int bad = 0;
    for (int i = 0; i < N; i++) bad += out[i] != ha[i] * hb[i] + 1.0f;
    CHECK(bad == 0, "%s: %d wrong elements", devs[d], bad);
    if (d == 0) CHECK(p->src && strstr(p->src, "for (int64_t ridx0 = start; ridx0 < end; ridx0++)"), "par loop:\n%s", p->src);
    for (int k = 0; k < 3; k++) buf_unref(bufs[k]);
    program_free(p);
  }
}

// ---- (b) reduce with a register accumulator ----
static void test_reduce(void) {
  enum { M = 64, K = 16 };
  PB b = { .n = 0 };
  UOp *out = glob(DT_FLOAT32, M, 0), *a = glob(DT_FLOAT32, M * K, 1);
  UOp *r0 = rng(ic(M), 0, 0), *r1 = rng(ic(K), 1, 1);
  UOp *acc = uop0(OP_DEFINE_REG, dt_ptr(DT_FLOAT_T, ADDR_REG, 1), arg_int(0));
  UOp *ia = ix(acc, ic(0));
  E(&b, r0);
  E(&b, stor(ia, fc(0.0)));
  E(&b, r1);
  UOp *x = ld(ix(a, bin(OP_ADD, bin(OP_MUL, r0, ic(K)), r1)));
  E(&b, stor(ia, bin(OP_ADD, ld(ia), x)));
  UOp *e1 = E(&b, endr(r1));
  UOp *fin = uop2(OP_LOAD, DT_FLOAT_T, ia, e1, arg_none());    // after the loop: END is a void dependency
  UOp *s = E(&b, stor(ix(out, r0), fin));
  UOp *e0 = E(&b, endr(r0));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e0 }, 2, arg_none()));
  static float ha[M * K];
  float ref[M], got[M];
  for (int i = 0; i < M * K; i++) ha[i] = (float)((i * 7919) % 101) * 0.125f - 3.0f;
  for (int i = 0; i < M; i++) { float t = 0; for (int j = 0; j < K; j++) t += ha[i * K + j]; ref[i] = t; }
  const char *devs[] = { "CPU", "INTERP" };
  for (int d = 0; d < 2; d++) {
    Program *p = prog(&b, "r_64_16", 2, r0, NULL, 0);
    Device *dev = dev_get(devs[d]);
    Buffer *bufs[2] = { mkbuf(dev, DT_FLOAT32, M, NULL), mkbuf(dev, DT_FLOAT32, M * K, ha) };
    CHECK_EQ_INT(run(devs[d], p, bufs, NULL), 0);
    buf_copyout(bufs[0], got, sizeof got);
    CHECK(memcmp(got, ref, sizeof ref) == 0, "%s: reduce differs (got[0]=%g ref %g)", devs[d], got[0], ref[0]);
    buf_unref(bufs[0]); buf_unref(bufs[1]);
    program_free(p);
  }
}

// ---- (c) gated load (padding) and gated store ----
static void test_gates(void) {
  enum { N = 12, IN = 8 };
  PB b = { .n = 0 };
  UOp *out = glob(DT_INT32, N, 0), *a = glob(DT_INT32, IN, 1);
  UOp *r = rng(ic(N), 0, 0);
  UOp *valid = bin(OP_AND, bin(OP_CMPLT, ic(1), r), bin(OP_CMPLT, r, ic(IN + 2)));
  UOp *gl = uop2(OP_LOAD, DT_INT32_T, ixg(a, bin(OP_ADD, r, ic(-2)), valid), uop_const_int(DT_INT32_T, -1), arg_none());
  UOp *even = bin(OP_CMPEQ, bin(OP_CMOD, r, ic(2)), ic(0));
  UOp *s = E(&b, stor(ixg(out, r, even), gl));
  UOp *e = E(&b, endr(r));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e }, 2, arg_none()));
  int32_t ha[IN] = { 10, 11, 12, 13, 14, 15, 16, 17 }, init[N], got[N];
  for (int i = 0; i < N; i++) init[i] = 999;
  const char *devs[] = { "CPU", "INTERP" };
  for (int d = 0; d < 2; d++) {
    Program *p = prog(&b, "E_12_pad", 2, r, NULL, 0);
    Device *dev = dev_get(devs[d]);
    Buffer *bufs[2] = { mkbuf(dev, DT_INT32, N, init), mkbuf(dev, DT_INT32, IN, ha) };
    CHECK_EQ_INT(run(devs[d], p, bufs, NULL), 0);
    buf_copyout(bufs[0], got, sizeof got);
    for (int i = 0; i < N; i++) {
      int32_t want = i % 2 ? 999 : (i >= 2 && i < IN + 2) ? ha[i - 2] : -1;
      CHECK(got[i] == want, "%s: out[%d] = %d, want %d", devs[d], i, got[i], want);
    }
    buf_unref(bufs[0]); buf_unref(bufs[1]);
    program_free(p);
  }
}

// ---- (e) a symbolic size bound at exec ----
static void test_symbolic(void) {
  enum { N = 100 };
  UOp *n = uop_var("n", 1, N);
  PB b = { .n = 0 };
  UOp *out = glob(DT_INT64, N, 0), *a = glob(DT_INT64, N, 1);
  UOp *r = rng(n, 0, 0);
  UOp *s = E(&b, stor(ix(out, r), bin(OP_ADD, bin(OP_MUL, ld(ix(a, r)), ic(2)), n)));
  UOp *e = E(&b, endr(r));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e }, 2, arg_none()));
  int64_t ha[N], got[N];
  for (int i = 0; i < N; i++) ha[i] = i * 3 - 50;
  const char *devs[] = { "CPU", "INTERP" };
  for (int d = 0; d < 2; d++) {
    Program *p = prog(&b, "E_n", 2, r, &n, 1);
    Device *dev = dev_get(devs[d]);
    CHECK_EQ_INT(dev->compile(dev, p), 0);
    int64_t vals[] = { 37, 100, 1 };
    for (int k = 0; k < 3; k++) {
      Buffer *bufs[2] = { mkbuf(dev, DT_INT64, N, NULL), mkbuf(dev, DT_INT64, N, ha) };
      CHECK_EQ_INT(dev->exec(dev, p, bufs, &vals[k]), 0);
      buf_copyout(bufs[0], got, sizeof got);
      int bad = 0;
      for (int i = 0; i < N; i++) bad += got[i] != (i < vals[k] ? ha[i] * 2 + vals[k] : 0);
      CHECK(bad == 0, "%s n=%lld: %d wrong", devs[d], (long long)vals[k], bad);
      buf_unref(bufs[0]); buf_unref(bufs[1]);
    }
    Buffer *bufs[2] = { mkbuf(dev, DT_INT64, N, NULL), mkbuf(dev, DT_INT64, N, ha) };
    int64_t bad_n = 101;
    tg_clear_error();
    CHECK_EQ_INT(dev->exec(dev, p, bufs, &bad_n), -1);
    CHECK(tg_error() && strstr(tg_error(), "outside [1, 100]"), "error: %s", tg_error());
    Buffer *wrong[2] = { bufs[0], mkbuf(dev, DT_INT32, N, NULL) };
    CHECK_EQ_INT(dev->exec(dev, p, wrong, &vals[0]), -1);
    CHECK(tg_error() && strstr(tg_error(), "expects int64"), "error: %s", tg_error());
    buf_unref(wrong[1]);
    buf_unref(bufs[0]); buf_unref(bufs[1]);
    program_free(p);
  }
}

// ---- (f) the disk cache ----
static PB cache_prog_b;
static Program *cache_prog(const char *name) {
  PB *b = &cache_prog_b;
  b->n = 0;
  UOp *out = glob(DT_FLOAT32, 16, 0);
  UOp *r = rng(ic(16), 0, 0);
  UOp *s = E(b, stor(ix(out, r), bin(OP_MUL, uop_cast(r, DT_FLOAT_T), fc(3.0))));
  UOp *e = E(b, endr(r));
  E(b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e }, 2, arg_none()));
  return prog(b, name, 1, r, NULL, 0);
}

static bool cache_prog_runs(Program *p) {
  Device *cpu = dev_get("CPU");
  Buffer *o = mkbuf(cpu, DT_FLOAT32, 16, NULL);
  float got[16];
  bool ok = cpu->exec(cpu, p, &o, NULL) == 0 && buf_copyout(o, got, sizeof got) == 0;
  for (int i = 0; i < 16; i++) ok = ok && got[i] == (float)i * 3.0f;
  buf_unref(o);
  return ok;
}

static int cache_files(const char *dir, char *path, size_t n) {   // count of .so files; path of the last
  DIR *d = opendir(dir);
  int count = 0;
  if (!d) return 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t len = strlen(e->d_name);
    if (len > 3 && !strcmp(e->d_name + len - 3, ".so")) { count++; snprintf(path, n, "%s/%s", dir, e->d_name); }
  }
  closedir(d);
  return count;
}

static void corrupt(const char *path, int how) {
  if (how == 0) { CHECK(truncate(path, 200) == 0); return; }
  FILE *f = fopen(path, "wb");
  fputs("this is not an ELF file", f);
  fclose(f);
}

static void test_disk_cache(const char *root) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/cache_test/sub", root);          // also checks that missing dirs are created
  int dir_tok = env_push("CACHE_DIR", dir);
  Device *cpu = dev_get("CPU");
  rt_cpu_stats_reset();
  double t0 = time_s();
  Program *p = cache_prog("E_16_cache");
  CHECK_EQ_INT(cpu->compile(cpu, p), 0);
  double cold = time_s() - t0;
  CHECK(cache_prog_runs(p));
  program_free(p);
  RtCpuStats s = rt_cpu_stats();
  CHECK(s.cold == 1 && s.hits == 0, "cold %lld hits %lld", (long long)s.cold, (long long)s.hits);
  char path[1024];
  CHECK_EQ_INT(cache_files(dir, path, sizeof path), 1);
  t0 = time_s();
  p = cache_prog("E_16_cache");
  CHECK_EQ_INT(cpu->compile(cpu, p), 0);
  double hit = time_s() - t0;
  CHECK(cache_prog_runs(p));
  program_free(p);
  s = rt_cpu_stats();
  CHECK(s.cold == 1 && s.hits == 1, "second compile should be a cache hit (cold %lld hits %lld)", (long long)s.cold, (long long)s.hits);
  printf("compile latency: cold %.1f ms, disk-cache hit %.2f ms\n", cold * 1e3, hit * 1e3);
  for (int how = 0; how < 2; how++) {
    corrupt(path, how);
    p = cache_prog("E_16_cache");
    CHECK_EQ_INT(cpu->compile(cpu, p), 0);
    CHECK(cache_prog_runs(p), "rebuilt kernel runs");
    program_free(p);
    s = rt_cpu_stats();
    CHECK_EQ_INT(s.rebuilt, how + 1);
    CHECK_EQ_INT(s.cold, how + 2);
  }
  int tok = env_push("CACHELEVEL", "0");
  p = cache_prog("E_16_nocache");
  CHECK_EQ_INT(cpu->compile(cpu, p), 0);
  CHECK(cache_prog_runs(p));
  program_free(p);
  env_pop(tok);
  CHECK_EQ_INT(cache_files(dir, path, sizeof path), 1);
  env_pop(dir_tok);
}

// ---- (g) compile errors ----
static void test_compile_errors(void) {
  Device *cpu = dev_get("CPU");
  const char *names[] = { "CFLAGS", "CC" }, *vals[] = { "-O1 -include /nonexistent/tg_missing.h", "/nonexistent/tg-cc" };
  for (int k = 0; k < 2; k++) {
    int tok = env_push(names[k], vals[k]);
    Program *p = cache_prog("E_16_err");
    tg_clear_error();
    CHECK_EQ_INT(cpu->compile(cpu, p), -1);
    const char *err = tg_error();
    CHECK(err && strstr(err, "CPU compile of E_16_err failed") && !strchr(err, '\n'), "error: %s", err ? err : "(none)");
    if (err) printf("compile error (%s): %s\n", names[k], err);
    Buffer *o = mkbuf(cpu, DT_FLOAT32, 16, NULL);
    CHECK_EQ_INT(cpu->exec(cpu, p, &o, NULL), -1);
    buf_unref(o);
    program_free(p);
    env_pop(tok);
  }
}

// ---- (h) the registry, buffers, NULL, and INTERP's bounds check ----
static void test_devices(void) {
  tg_clear_error();
  CHECK(dev_get("FOO") == NULL);
  CHECK_STR(tg_error(), "unknown device 'FOO' (known: CPU, INTERP, NULL)");
  Device *cuda = dev_get("CUDA");     // a GPU, or a one-line reason there is none (no driver, no GPU)
  CHECK(cuda || (strstr(tg_error(), "CUDA") && !strchr(tg_error(), '\n')), "%s", tg_error());
  CHECK(dev_get("CUDA:99") == NULL && strstr(tg_error(), "CUDA"), "%s", tg_error());
  CHECK(dev_get("CL") == NULL && strstr(tg_error(), "not built"));
  CHECK(dev_get("LLVM") == NULL && strstr(tg_error(), "not built"));
  CHECK(dev_get("CPU:1") == NULL && strstr(tg_error(), "does not exist"), "%s", tg_error());
  CHECK(dev_get("CPU:x") == NULL);
  Device *cpu = dev_get("CPU");
  CHECK(cpu && dev_get("CPU:0") == cpu && dev_get("cpu") == cpu, "devices are singletons");
  CHECK(dev_get("INTERP") && dev_get("NULL") && dev_get("INTERP") != cpu);
  CHECK_STR(dev_get("INTERP")->name, "INTERP");
  int tok = env_push("DEV", "INTERP");
  CHECK(dev_default() == dev_get("INTERP"));
  env_pop(tok);
  CHECK(dev_default() == cpu || getenv("DEV"));
  Buffer *b = buf_new(cpu, DT_FLOAT16, 10);
  CHECK(b && b->nbytes == 20 && b->ptr == NULL, "lazy allocation");
  uint16_t h[10] = { 0 };
  tg_clear_error();
  CHECK_EQ_INT(buf_copyin(b, h, 19), -1);
  CHECK(tg_error() && strstr(tg_error(), "19 bytes"), "%s", tg_error());
  CHECK_EQ_INT(buf_copyout(b, h, 40), -1);
  CHECK_EQ_INT(buf_copyin(b, h, 20), 0);
  CHECK(b->ptr && ((uintptr_t)b->ptr & 63) == 0, "64-byte aligned");
  buf_ref(b);
  buf_unref(b);
  CHECK_EQ_INT(b->refcount, 1);
  buf_unref(b);
  CHECK(buf_new(cpu, DT_FLOAT32, -1) == NULL);
  // NULL renders but runs nothing
  Device *nul = dev_get("NULL");
  Program *p = cache_prog("E_16_null");
  CHECK_EQ_INT(nul->compile(nul, p), 0);
  CHECK(p->src && strstr(p->src, "void kernel(void **bufs"), "NULL renders C");
  Buffer *o = mkbuf(nul, DT_FLOAT32, 16, NULL);
  CHECK_EQ_INT(nul->exec(nul, p, &o, NULL), 0);
  buf_unref(o);
  program_free(p);
}

static void test_interp_oob(void) {
  PB b = { .n = 0 };
  UOp *out = glob(DT_FLOAT32, 8, 0);
  UOp *r = rng(ic(9), 0, 0);           // one past the end: a scheduler bug INTERP must catch
  UOp *s = E(&b, stor(ix(out, r), fc(1.0)));
  UOp *e = E(&b, endr(r));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, e }, 2, arg_none()));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    Program *p = prog(&b, "E_oob", 1, NULL, NULL, 0);
    Device *d = dev_get("INTERP");
    Buffer *o = mkbuf(d, DT_FLOAT32, 8, NULL);
    run("INTERP", p, &o, NULL);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "INTERP must abort on an out-of-bounds store (status %d)", status);
}

int main(void) {
  char tmpl[] = "/tmp/tg_test_runtime_XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL);
  setenv("CACHE_DIR", dir, 1);
  if (!getenv("THREADS")) setenv("THREADS", "4", 1);
  double t0 = time_s();
  test_threadpool();
  test_elementwise();
  test_reduce();
  test_gates();
  test_symbolic();
  test_disk_cache(dir);
  test_compile_errors();
  test_devices();
  test_interp_oob();
  RtCpuStats s = rt_cpu_stats();
  printf("runtime tests: %.2f s; CPU compiles since reset: %lld cold (%.1f ms avg), %lld hits\n", time_s() - t0,
         (long long)s.cold, s.cold ? s.cold_s / (double)s.cold * 1e3 : 0.0, (long long)s.hits);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_runtime");
}
