// Compile latency of the CPU backend: render, cold compile, disk-cache hit; and thread-pool launch overhead
#include "base/threadpool.h"
#include "base/timer.h"
#include "runtime/cpu.h"
#include "runtime/device.h"
#include "renderer/cstyle.h"
#include "uop/uop.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NK = 8 };

// out[i] = a[i] * b[i] + k over n elements (k makes each kernel's source distinct), or with a
// 16-wide register reduce when reduce is set.
static UOp *push(UOp **lin, int *n, UOp *u) { lin[(*n)++] = u; return u; }

static Program *kernel(int k, bool reduce) {
  static UOp *lin[64];
  int n = 0;
#define L(u) push(lin, &n, (u))
  int64_t N = 4096, t0[2] = { 0, 0 }, t1[2] = { 1, 1 };
  DType f = dt_scalar(DT_FLOAT32);
  UOp *o = L(uop0(OP_DEFINE_GLOBAL, dt_ptr(f, ADDR_GLOBAL, N), arg_int(0)));
  UOp *a = L(uop0(OP_DEFINE_GLOBAL, dt_ptr(f, ADDR_GLOBAL, N * 16), arg_int(1)));
  UOp *kc = L(uop_const(f, k + 0.5)), *sixteen = L(uop_iconst(16)), *zero = L(uop_iconst(0)), *fz = L(uop_const(f, 0));
  UOp *r = L(uop1(OP_RANGE, DT_INDEX_T, L(uop_iconst(N)), arg_tuple(t0, 2)));
  UOp *v;
  if (reduce) {
    UOp *acc = L(uop0(OP_DEFINE_REG, dt_ptr(f, ADDR_REG, 1), arg_int(0)));
    UOp *ia = L(uop2(OP_INDEX, acc->dtype, acc, zero, arg_none()));
    L(uop2(OP_STORE, DT_VOID_T, ia, fz, arg_none()));
    UOp *r1 = L(uop1(OP_RANGE, DT_INDEX_T, sixteen, arg_tuple(t1, 2)));
    UOp *idx = L(uop2(OP_ADD, DT_INDEX_T, L(uop2(OP_MUL, DT_INDEX_T, r, sixteen, arg_none())), r1, arg_none()));
    UOp *x = L(uop1(OP_LOAD, f, L(uop2(OP_INDEX, a->dtype, a, idx, arg_none())), arg_none()));
    UOp *cur = L(uop1(OP_LOAD, f, ia, arg_none()));
    L(uop2(OP_STORE, DT_VOID_T, ia, L(uop2(OP_ADD, f, cur, L(uop2(OP_MUL, f, x, kc, arg_none())), arg_none())), arg_none()));
    UOp *e1 = L(uop1(OP_END, DT_VOID_T, r1, arg_none()));
    v = L(uop2(OP_LOAD, f, ia, e1, arg_none()));
  } else {
    UOp *x = L(uop1(OP_LOAD, f, L(uop2(OP_INDEX, a->dtype, a, r, arg_none())), arg_none()));
    v = L(uop2(OP_ADD, f, L(uop2(OP_MUL, f, x, x, arg_none())), kc, arg_none()));
  }
  UOp *s = L(uop2(OP_STORE, DT_VOID_T, L(uop2(OP_INDEX, o->dtype, o, r, arg_none())), v, arg_none()));
  UOp *e = L(uop1(OP_END, DT_VOID_T, r, arg_none()));
  L(uop2(OP_SINK, DT_VOID_T, s, e, arg_none()));
#undef L
  Program *p = calloc(1, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s_4096_%d", reduce ? "r" : "E", k);
  p->lin = malloc(sizeof(UOp *) * (size_t)n);
  memcpy(p->lin, lin, sizeof(UOp *) * (size_t)n);
  p->nlin = n;
  p->nbufs = 2;
  p->par_range = r;
  p->par_size = N;
  return p;
}

static void noop(void *ctx, int64_t s, int64_t e) { (void)ctx; (void)s; (void)e; }

int main(void) {
  char tmpl[] = "/tmp/tg_bench_compile_XXXXXX";
  char *dir = mkdtemp(tmpl);
  if (!dir) return 1;
  setenv("CACHE_DIR", dir, 1);
  Device *cpu = dev_get("CPU");
  double render = 0, cold[NK * 2], hit[NK * 2];
  for (int i = 0; i < NK * 2; i++) {
    Program *p = kernel(i, i % 2);
    double t0 = time_s();
    char *src = rend_c(p, "kernel");
    render += time_s() - t0;
    free(src);
    t0 = time_s();
    if (cpu->compile(cpu, p) != 0) { fprintf(stderr, "compile failed\n"); return 1; }
    cold[i] = time_s() - t0;
    program_free(p);
  }
  for (int i = 0; i < NK * 2; i++) {
    Program *p = kernel(i, i % 2);
    double t0 = time_s();
    if (cpu->compile(cpu, p) != 0) return 1;
    hit[i] = time_s() - t0;
    program_free(p);
  }
  double cmin = 1e9, cmax = 0, csum = 0, hsum = 0, hmax = 0;
  for (int i = 0; i < NK * 2; i++) {
    csum += cold[i]; hsum += hit[i];
    cmin = cold[i] < cmin ? cold[i] : cmin; cmax = cold[i] > cmax ? cold[i] : cmax; hmax = hit[i] > hmax ? hit[i] : hmax;
  }
  RtCpuStats s = rt_cpu_stats();
  printf("CPU compile (cc -O2 -march=native, %d kernels, elementwise and reduce):\n", NK * 2);
  printf("  render to C       %8.3f ms per kernel\n", render / (NK * 2) * 1e3);
  printf("  cold compile      %8.1f ms per kernel (min %.1f, max %.1f)\n", csum / (NK * 2) * 1e3, cmin * 1e3, cmax * 1e3);
  printf("  disk-cache hit    %8.3f ms per kernel (max %.3f)\n", hsum / (NK * 2) * 1e3, hmax * 1e3);
  printf("  stats: %lld cold, %lld hits, %lld rebuilt\n", (long long)s.cold, (long long)s.hits, (long long)s.rebuilt);
  int reps = 20000;
  tp_run(1000, noop, NULL);
  double t0 = time_s();
  for (int i = 0; i < reps; i++) tp_run(1000, noop, NULL);
  printf("thread pool: %d threads, empty tp_run %.2f us\n", tp_threads(), (time_s() - t0) / reps * 1e6);
  Program *p = kernel(0, false);
  cpu->compile(cpu, p);
  Buffer *bufs[2] = { buf_new(cpu, DT_FLOAT32, 4096), buf_new(cpu, DT_FLOAT32, 4096 * 16) };
  buf_ensure(bufs[0]); buf_ensure(bufs[1]);
  memset(bufs[1]->ptr, 0, bufs[1]->nbytes);
  t0 = time_s();
  for (int i = 0; i < reps; i++) cpu->exec(cpu, p, bufs, NULL);
  printf("CPU exec of E_4096: %.2f us per launch\n", (time_s() - t0) / reps * 1e6);
  buf_unref(bufs[0]); buf_unref(bufs[1]);
  program_free(p);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) != 0;
}
