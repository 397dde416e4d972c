// GPU opts (LOCAL, GROUP, GROUPTOP, NOLOCALS): refusals, CUDA source without a GPU, INTERP's virtual threads against
// plain loops, the CPU's refusal of barriers; on a GPU the same kernels against the CPU
#include "testlib.h"
#include "kernellib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "renderer/cstyle.h"
#include "runtime/buffer.h"
#include "runtime/cuda.h"
#include "runtime/cuda_api.h"
#include <math.h>
#include <stdlib.h>

static RendererCaps gpu;

static Program *codegen(UOp *ast, const Opt *opts, int n) {
  char why[160];
  UOp *k = opt_apply_list(ast, opts, n, &gpu, why, sizeof why);
  CHECK(k, "opts refused: %s", why);
  return k ? opt_codegen(k, false) : NULL;
}

// Runs p on dev with the given inputs (slot 1..); the output (slot 0) into out.
static int run_on(const char *dev, Program *p, float *out, int64_t nout, float *const *ins, const int64_t *nins, int nin) {
  Device *d = dev_get(dev);
  Buffer *b[8];
  b[0] = buf_new(d, DT_FLOAT32, nout);
  buf_copyin(b[0], out, (size_t)nout * 4);
  for (int i = 0; i < nin; i++) { b[i + 1] = buf_new(d, DT_FLOAT32, nins[i]); buf_copyin(b[i + 1], ins[i], (size_t)nins[i] * 4); }
  int rc = d->compile(d, p) == 0 && d->exec(d, p, b, NULL) == 0 && buf_copyout(b[0], out, (size_t)nout * 4) == 0 ? 0 : -1;
  for (int i = 0; i <= nin; i++) buf_unref(b[i]);
  return rc;
}

static float *ramp(int64_t n, int mod) {       // small integers: sums are exact in any order
  float *x = malloc((size_t)n * sizeof *x);
  for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 7 + 3) % mod) - (float)(mod / 2);
  return x;
}

static void expect_src(const char *src, const char *what, const char *want) {
  CHECK(src && strstr(src, want), "%s: no \"%s\" in\n%s", what, want, src ? src : tg_error());
}

// sum(x, axis 1) of a 64 x 4096 matrix: GROUP 256 + UNROLL 4, rendered for CUDA and run on INTERP
static void group_reduce(void) {
  enum { R = 64, C = 4096 };
  Schedule s;
  tg_tensor *x = tg_empty(SH(R, C), TG_FLOAT32);
  Program *p = codegen(kernel_of(tg_sum(x, (int[]){ 1 }, 1, false), &s), (Opt[]){ { OPT_GROUP, 1, 256 }, { OPT_UNROLL, 1, 4 } }, 2);
  if (!p) { sched_free(&s); return; }
  CHECK(p->nlocal == 1 && p->local_size[0] == 256 && p->local_size[1] == 1, "block %lld x %lld (%d thread ranges)", (long long)p->local_size[0],
        (long long)p->local_size[1], p->nlocal);
  char *src = rend_cuda(p, "r_group", 256);
  expect_src(src, "GROUP", "__shared__ float smem0[256];");
  expect_src(src, "GROUP", "__syncthreads();");
  expect_src(src, "GROUP", "= threadIdx.x;");
  expect_src(src, "GROUP", "__launch_bounds__(256)");
  expect_src(src, "GROUP", "tg_gid = start + (int64_t)blockIdx.x; tg_gid < end; tg_gid += (int64_t)gridDim.x");
  free(src);
  float *in = ramp((int64_t)R * C, 13), got[R] = { 0 }, want[R];
  for (int r = 0; r < R; r++) { want[r] = 0; for (int c = 0; c < C; c++) want[r] += in[r * C + c]; }
  CHECK(run_on("INTERP", p, got, R, &in, (int64_t[]){ (int64_t)R * C }, 1) == 0, "INTERP: %s", tg_error());
  CHECK(!memcmp(got, want, sizeof got), "INTERP GROUP sum: row 0 %g, want %g", got[0], want[0]);
  // the CPU's C dialect has no barriers: a clear refusal
  float junk[R];
  CHECK(run_on("CPU", p, junk, R, &in, (int64_t[]){ (int64_t)R * C }, 1) != 0 && strstr(tg_error(), "GROUP opts are for GPU devices"), "CPU ran a GROUP kernel: %s",
        tg_error() ? tg_error() : "");
  tg_clear_error();
  if (dev_get("CUDA")) {
    memset(got, 0, sizeof got);
    CHECK(run_on("CUDA", p, got, R, &in, (int64_t[]){ (int64_t)R * C }, 1) == 0 && !memcmp(got, want, sizeof got), "CUDA GROUP sum: %s, row 0 %g, want %g",
          tg_error() ? tg_error() : "values", got[0], want[0]);
  } else tg_clear_error();
  free(in);
  program_free(p);
  sched_free(&s);
}

// A 48 x 40 @ 40 x 64 matmul with a 16 x 8 block and a 2 x 3 register tile (LOCAL only: the CPU runs the thread
// ranges as loops), and sum over axis 0 with GROUPTOP + LOCAL (two thread dimensions, shared memory indexed by both)
static void local_matmul(void) {
  enum { M = 48, K = 40, N = 64 };
  Schedule s;
  tg_tensor *a = tg_empty(SH(M, K), TG_FLOAT32), *b = tg_empty(SH(K, N), TG_FLOAT32);
  Program *p = codegen(kernel_of(tg_matmul(a, b), &s), (Opt[]){ { OPT_LOCAL, 0, 8 }, { OPT_LOCAL, 1, 16 }, { OPT_UPCAST, 1, 2 }, { OPT_UPCAST, 0, 3 } }, 4);
  if (!p) { sched_free(&s); return; }
  CHECK(p->nlocal == 2 && p->local_size[0] == 16 && p->local_size[1] == 8, "block %lld x %lld", (long long)p->local_size[0], (long long)p->local_size[1]);
  char *src = rend_cuda(p, "r_mm", 256);
  expect_src(src, "LOCAL", "= threadIdx.y;");
  expect_src(src, "LOCAL", "__launch_bounds__(128)");
  CHECK(src && !strstr(src, "__shared__") && !strstr(src, "__syncthreads"), "LOCAL alone needs no shared memory:\n%s", src ? src : "");
  free(src);
  float *ha = ramp(M * K, 7), *hb = ramp(K * N, 5), *ins[2] = { ha, hb }, want[M * N], got[M * N];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) { want[i * N + j] = 0; for (int k = 0; k < K; k++) want[i * N + j] += ha[i * K + k] * hb[k * N + j]; }
  const char *devs[] = { "INTERP", "CPU", "CUDA" };
  for (int d = 0; d < 3; d++) {
    if (d == 2 && !dev_get("CUDA")) { tg_clear_error(); break; }
    memset(got, 0, sizeof got);
    CHECK(run_on(devs[d], p, got, M * N, ins, (int64_t[]){ M * K, K * N }, 2) == 0, "%s: %s", devs[d], tg_error());
    CHECK(!memcmp(got, want, sizeof got), "%s LOCAL matmul differs: [0] %g, want %g", devs[d], got[0], want[0]);
  }
  free(ha); free(hb);
  program_free(p);
  sched_free(&s);

  enum { R = 96, O = 24 };
  tg_tensor *x = tg_empty(SH(R, O), TG_FLOAT32);
  p = codegen(kernel_of(tg_sum(x, (int[]){ 0 }, 1, false), &s), (Opt[]){ { OPT_LOCAL, 0, 8 }, { OPT_GROUPTOP, 1, 4 }, { OPT_UPCAST, 0, 3 } }, 3);
  if (!p) { sched_free(&s); return; }
  float *in = ramp(R * O, 11), sw[O], sg[O];
  for (int o = 0; o < O; o++) { sw[o] = 0; for (int r = 0; r < R; r++) sw[o] += in[r * O + o]; }
  for (int d = 0; d < 3; d += 2) {
    if (d == 2 && !dev_get("CUDA")) { tg_clear_error(); break; }
    memset(sg, 0, sizeof sg);
    CHECK(run_on(devs[d], p, sg, O, &in, (int64_t[]){ R * O }, 1) == 0 && !memcmp(sg, sw, sizeof sg), "%s GROUPTOP sum: %s [0] %g, want %g", devs[d],
          tg_error() ? tg_error() : "", sg[0], sw[0]);
  }
  free(in);
  program_free(p);
  sched_free(&s);
}

static void refused(UOp *ast, const RendererCaps *caps, const Opt *opts, int n, const char *reason) {
  char why[160] = "";
  UOp *k = opt_apply_list(ast, opts, n, caps, why, sizeof why);
  CHECK(!k && strstr(why, reason), "expected a refusal with \"%s\", got %s", reason, k ? "the opts applied" : why);
}

static void refusals(void) {
  Schedule s;
  UOp *ast = kernel_of(tg_sum(tg_empty(SH(8192, 4096), TG_FLOAT32), (int[]){ 1 }, 1, false), &s);
  refused(ast, NULL, (Opt[]){ { OPT_LOCAL, 0, 8 } }, 1, "the device has no locals");
  refused(ast, &gpu, (Opt[]){ { OPT_LOCAL, 1, 8 } }, 1, "LOCAL needs an output axis");
  refused(ast, &gpu, (Opt[]){ { OPT_GROUP, 0, 8 } }, 1, "GROUP needs a reduce axis");
  refused(ast, &gpu, (Opt[]){ { OPT_GROUP, 1, 3 } }, 1, "amount does not divide the axis");
  refused(ast, &gpu, (Opt[]){ { OPT_GROUP, 1, 256 }, { OPT_LOCAL, 0, 8 } }, 2, "more threads than a block may have");
  refused(ast, &gpu, (Opt[]){ { OPT_GROUP, 1, 2 }, { OPT_GROUP, 1, 2 }, { OPT_GROUP, 1, 2 }, { OPT_LOCAL, 0, 2 } }, 4, "at most 3 thread dimensions");
  // 16 copies of a 256 x 4 block's parts: 64 KiB of shared memory
  refused(ast, &gpu, (Opt[]){ { OPT_GROUP, 1, 256 }, { OPT_LOCAL, 0, 4 }, { OPT_UPCAST, 0, 16 } }, 3, "shared memory");
  refused(ast, &gpu, (Opt[]){ { OPT_NOLOCALS, 0, 0 }, { OPT_GROUP, 1, 32 } }, 2, "NOLOCALS");
  refused(ast, &gpu, (Opt[]){ { OPT_LOCAL, 0, 8 }, { OPT_NOLOCALS, 0, 0 } }, 2, "already has thread ranges");
  refused(ast, &gpu, (Opt[]){ { OPT_LOCAL, 0, 8 }, { OPT_VECTORIZE, 1, 4 } }, 2, "thread ranges");
  char why[160];
  UOp *k = opt_apply_list(ast, (Opt[]){ { OPT_NOLOCALS, 0, 0 } }, 1, &gpu, why, sizeof why);
  CHECK(k && k->arg.kind == ARG_INT && k->arg.i == KERNEL_NOLOCALS, "NOLOCALS marks the kernel");
  sched_free(&s);
}

// BEAM tries threads only where the device has them
static void beam_proposals(void) {
  Schedule s;
  UOp *ast = kernel_of(tg_sum(tg_empty(SH(64, 256), TG_FLOAT32), (int[]){ 1 }, 1, false), &s);
  RendererCaps cpu = { .vector_bytes = 32 };
  Opt acts[512];
  int count[OPT_NKINDS] = { 0 };
  for (int i = 0, n = beam_actions(ast, &gpu, acts, 512); i < n; i++) count[acts[i].kind]++;
  CHECK(count[OPT_LOCAL] == 5 && count[OPT_GROUP] == 7 && count[OPT_GROUPTOP] == 7 && count[OPT_NOLOCALS] == 1,
        "GPU actions: LOCAL %d GROUP %d GROUPTOP %d NOLOCALS %d", count[OPT_LOCAL], count[OPT_GROUP], count[OPT_GROUPTOP], count[OPT_NOLOCALS]);
  for (int i = 0, n = beam_actions(ast, &cpu, acts, 512); i < n; i++)
    CHECK(acts[i].kind < OPT_LOCAL || acts[i].kind == OPT_THREAD, "a CPU search tries %s", opt_name(acts[i].kind));
  for (int i = 0, n = beam_actions(ast, &gpu, acts, 512); i < n; i++)
    CHECK(acts[i].kind != OPT_THREAD, "a GPU search tries THREAD");
  sched_free(&s);
}

// Kernels of other dtypes and shapes with GPU opts: rendered for CUDA and, where NVRTC is, compiled; run on INTERP.
static void other_kernels(void) {
  tg_tensor *x = tg_empty(SH(16, 64), TG_FLOAT32);
  struct { const char *what; tg_tensor *t; Opt opts[3]; int n; } ks[] = {
    { "float16 sum", tg_sum(tg_cast(x, TG_FLOAT16), (int[]){ 1 }, 1, false), { { OPT_GROUP, 1, 16 }, { OPT_LOCAL, 0, 4 } }, 2 },
    { "bool any", tg_any(tg_gt_s(x, 0.5), (int[]){ 1 }, 1, false), { { OPT_GROUPTOP, 1, 8 } }, 1 },
    { "int32 max", tg_max(tg_cast(x, TG_INT32), (int[]){ 0 }, 1, false), { { OPT_LOCAL, 0, 16 }, { OPT_GROUP, 1, 4 }, { OPT_UPCAST, 0, 2 } }, 3 },
    { "float64 matvec", tg_matmul(tg_cast(x, TG_FLOAT64), tg_empty(SH(64), TG_FLOAT64)), { { OPT_GROUP, 1, 32 }, { OPT_UNROLL, 1, 2 } }, 2 },
    { "softmax", tg_softmax(x, 1), { { OPT_GROUP, 2, 16 }, { OPT_GROUP, 3, 16 } }, 2 },
  };
  for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
    Schedule s;
    char why[160];
    UOp *k = opt_apply_list(kernel_of(ks[i].t, &s), ks[i].opts, ks[i].n, &gpu, why, sizeof why);
    CHECK(k, "%s: %s", ks[i].what, why);
    if (!k) { sched_free(&s); continue; }
    Program *p = opt_codegen(k, false);
    CHECK(p->nlocal > 0, "%s: no thread ranges", ks[i].what);
    CHECK(rt_cuda_render_only(p) == 0 && strstr(p->src, "__syncthreads();"), "%s: %s", ks[i].what, p->src ? p->src : tg_error());
    Device *interp = dev_get("INTERP");
    Buffer *b[8] = { 0 };
    int nb = 0;
    for (int j = 0; j < p->nlin; j++)
      if (p->lin[j]->op == OP_DEFINE_GLOBAL) {
        int slot = (int)p->lin[j]->arg.i;
        b[slot] = buf_new(interp, (ScalarType)p->lin[j]->dtype.scalar, p->lin[j]->dtype.size);
        buf_ensure(b[slot]);
        memset(b[slot]->ptr, 0, b[slot]->nbytes);
        nb = slot + 1 > nb ? slot + 1 : nb;
      }
    CHECK(interp->compile(interp, p) == 0 && interp->exec(interp, p, b, NULL) == 0, "%s on INTERP: %s", ks[i].what, tg_error());
    for (int j = 0; j < nb; j++) if (b[j]) buf_unref(b[j]);
    program_free(p);
    sched_free(&s);
  }
  if (!nvrtc_available()) printf("test_locals: NVRTC not found: CUDA sources rendered, not compiled\n");
}

int main(void) {
  gpu = caps_gpu();
  tg_scope_begin();
  refusals();
  beam_proposals();
  other_kernels();
  group_reduce();
  local_matmul();
  tg_scope_end();
  return test_finish("test_locals");
}
