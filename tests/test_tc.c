// The TC opt (tensor cores): refusals, the CUDA source (mma.sync), INTERP's warp-wide WMMA against the plain kernel for
// float16 and bfloat16 matmuls, the GPU heuristic's choice; on a GPU with tensor cores the same kernels against INTERP
#include "testlib.h"
#include "kernellib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "renderer/cprelude.h"
#include "runtime/buffer.h"
#include "runtime/cuda.h"
#include "base/env.h"
#include <stdlib.h>

TG_CODE_HALF
TG_CODE_BF16

static RendererCaps gpu;

static int reduce_axis(UOp *ast) {       // the id of the (first) reduce range
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[1] == AXIS_REDUCE) return (int)t->items[i]->arg.tup[0];
  return -1;
}

static void refused(UOp *ast, const RendererCaps *caps, const Opt *opts, int n, const char *reason) {
  char why[200] = "";
  UOp *k = opt_apply_list(ast, opts, n, caps, why, sizeof why);
  CHECK(!k && strstr(why, reason), "expected a refusal with \"%s\", got %s", reason, k ? "the opts applied" : why);
}

static tg_tensor *mm(int64_t m, int64_t k, int64_t n, tg_dtype dt) { return tg_matmul(tg_empty(SH(m, k), dt), tg_empty(SH(k, n), dt)); }

static void refusals(void) {
  Schedule s;
  RendererCaps turing = caps_gpu_sm(75);
  CHECK(gpu.tc && !turing.tc && caps_gpu_arch("sm_80").tc && !caps_gpu_arch("sm_75").tc, "tensor cores from sm_80 on");
  UOp *f32 = kernel_of(mm(32, 32, 32, TG_FLOAT32), &s);
  refused(f32, &gpu, (Opt[]){ { OPT_TC, reduce_axis(f32), 0 } }, 1, "not a sum of products of float16/bfloat16");
  sched_free(&s);
  UOp *h = kernel_of(mm(32, 32, 32, TG_FLOAT16), &s);
  int k = reduce_axis(h);
  refused(h, NULL, (Opt[]){ { OPT_TC, k, 0 } }, 1, "no tensor cores");
  refused(h, &turing, (Opt[]){ { OPT_TC, k, 0 } }, 1, "no tensor cores");
  refused(h, &gpu, (Opt[]){ { OPT_TC, 0, 0 } }, 1, "not a constant-size reduce axis");
  refused(h, &gpu, (Opt[]){ { OPT_LOCAL, 0, 4 }, { OPT_TC, k, 0 } }, 2, "before thread ranges");
  refused(h, &gpu, (Opt[]){ { OPT_UPCAST, 0, 2 }, { OPT_TC, k, 0 } }, 2, "exactly one reduce");
  sched_free(&s);
  UOp *odd_k = kernel_of(mm(32, 40, 32, TG_FLOAT16), &s);
  refused(odd_k, &gpu, (Opt[]){ { OPT_TC, reduce_axis(odd_k), 0 } }, 1, "K is not a multiple of 16");
  sched_free(&s);
  UOp *odd_m = kernel_of(mm(24, 32, 32, TG_BFLOAT16), &s);
  refused(odd_m, &gpu, (Opt[]){ { OPT_TC, reduce_axis(odd_m), 0 } }, 1, "(M) of a multiple of 16");
  sched_free(&s);
  UOp *odd_n = kernel_of(mm(32, 32, 12, TG_FLOAT16), &s);
  refused(odd_n, &gpu, (Opt[]){ { OPT_TC, reduce_axis(odd_n), 0 } }, 1, "(N) of a multiple of 8");
  sched_free(&s);
  UOp *sum = kernel_of(tg_sum(tg_empty(SH(32, 32), TG_FLOAT16), (int[]){ 1 }, 1, false), &s);
  refused(sum, &gpu, (Opt[]){ { OPT_TC, reduce_axis(sum), 0 } }, 1, "not a sum of products");
  sched_free(&s);
}

// ---- running a kernel on a device with given inputs ----
static float value(int64_t i, int salt) { return (float)((i * 7 + salt * 3) % 5) - 2.0f; }   // small integers: exact sums (bf16 too)

// Fresh buffers on dev for p's slots, inputs (slots 1..) filled with value(i, slot) in their dtype.
static int make_bufs(Device *d, Program *p, Buffer **b) {
  int nb = 0;
  for (int j = 0; j < p->nlin; j++) {
    UOp *g = p->lin[j];
    if (g->op != OP_DEFINE_GLOBAL) continue;
    int slot = (int)g->arg.i;
    ScalarType t = (ScalarType)g->dtype.scalar;
    int64_t n = g->dtype.size, isz = st_itemsize(t);
    b[slot] = buf_new(d, t, n);
    char *host = calloc((size_t)n, (size_t)isz);
    for (int64_t i = 0; i < n && slot > 0; i++) {
      float v = value(i, slot);
      if (t == DT_FLOAT16) ((uint16_t *)host)[i] = tg_f2h(v);
      else if (t == DT_BFLOAT16) ((uint16_t *)host)[i] = tg_f2bf(v);
      else ((float *)host)[i] = v;
    }
    buf_copyin(b[slot], host, (size_t)(n * isz));
    free(host);
    nb = slot + 1 > nb ? slot + 1 : nb;
  }
  return nb;
}

// Runs p on dev; the output (slot 0) as floats into out (n elements). 0 on success.
static int run(const char *dev, Program *p, float *out, int64_t n) {
  Device *d = dev_get(dev);
  Buffer *b[8] = { 0 };
  int nb = make_bufs(d, p, b);
  ScalarType t = b[0]->dtype;
  uint16_t *raw = calloc((size_t)n, 4);
  int rc = d->compile(d, p) == 0 && d->exec(d, p, b, NULL) == 0 && buf_copyout(b[0], t == DT_FLOAT32 ? (void *)out : raw, (size_t)(n * st_itemsize(t))) == 0 ? 0 : -1;
  for (int64_t i = 0; i < n && t != DT_FLOAT32; i++) out[i] = t == DT_FLOAT16 ? tg_h2f(raw[i]) : tg_bf2f(raw[i]);
  free(raw);
  for (int j = 0; j < nb; j++) if (b[j]) buf_unref(b[j]);
  return rc;
}

// t's kernel with opts (rendered for CUDA, with mma.sync; movt: whether operands are transposed across the warp, -1:
// either) against the plain kernel, both on INTERP; on a GPU too.
static void against_plain_movt(const char *what, tg_tensor *t, const Opt *extra, int nextra, int movt) {
  Schedule s;
  UOp *ast = kernel_of(t, &s);
  Opt opts[8] = { { OPT_TC, reduce_axis(ast), 0 } };
  for (int i = 0; i < nextra; i++) opts[i + 1] = extra[i];
  char why[200];
  UOp *k = opt_apply_list(ast, opts, nextra + 1, &gpu, why, sizeof why);
  CHECK(k, "%s: %s", what, why);
  if (!k) { sched_free(&s); return; }
  Program *p = opt_codegen(k, false), *plain = opt_codegen(ast, false);
  CHECK(p->nlocal >= 1 && p->local_size[0] == 32, "%s: threadIdx.x is %lld threads, want a warp", what, (long long)p->local_size[0]);
  CHECK(rt_cuda_render_only(p) == 0 && strstr(p->src, "mma.sync.aligned.m16n8k16.row.col.f32") && strstr(p->src, "tg_mma_"),
        "%s: %s", what, p->src ? p->src : tg_error());
  CHECK(movt < 0 || !p->src || (strstr(p->src, "tg_movt(*") != NULL) == movt, "%s: %s movmatrix", what, movt ? "no" : "a");
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  float *want = calloc((size_t)n, 4), *got = calloc((size_t)n, 4);
  CHECK(run("INTERP", plain, want, n) == 0, "%s plain: %s", what, tg_error());
  CHECK(run("INTERP", p, got, n) == 0, "%s TC on INTERP: %s", what, tg_error());
  CHECK(!memcmp(got, want, (size_t)n * 4), "%s: TC on INTERP differs: [0] %g [%lld] %g, want %g %g", what, got[0], (long long)n - 1, got[n - 1], want[0], want[n - 1]);
  if (movt == 0) {            // the CPU's C dialect has no tensor cores: a clear refusal
    Device *cpu = dev_get("CPU");
    CHECK(cpu->compile(cpu, p) != 0 && strstr(tg_error(), "no tensor cores"), "%s: the CPU compiled a WMMA kernel: %s", what,
          tg_error() ? tg_error() : "");
    tg_clear_error();
  }
  Device *cuda = dev_get("CUDA");
  if (cuda && cuda->caps.tc) {
    memset(got, 0, (size_t)n * 4);
    CHECK(run("CUDA", p, got, n) == 0 && !memcmp(got, want, (size_t)n * 4), "%s on CUDA: %s [0] %g, want %g", what, tg_error() ? tg_error() : "values",
          got[0], want[0]);
  } else tg_clear_error();
  free(want); free(got);
  program_free(p); program_free(plain);
  sched_free(&s);
}

static void against_plain(const char *what, tg_tensor *t, const Opt *extra, int nextra) { against_plain_movt(what, t, extra, nextra, -1); }

static void values(void) {
  tg_dtype dts[2] = { TG_FLOAT16, TG_BFLOAT16 };
  for (int d = 0; d < 2; d++) {
    tg_dtype dt = dts[d];
    against_plain(d ? "bf16 32x32x32" : "f16 32x32x32", mm(32, 32, 32, dt), NULL, 0);
    against_plain(d ? "bf16 64x48x64 local+upcast" : "f16 64x48x64 local+upcast", mm(64, 48, 64, dt),
                  (Opt[]){ { OPT_LOCAL, 1, 2 }, { OPT_UPCAST, 0, 2 }, { OPT_UPCAST, 1, 2 } }, 3);
    against_plain(d ? "bf16 16x64x8 unroll" : "f16 16x64x8 unroll", mm(16, 64, 8, dt), (Opt[]){ { OPT_UNROLL, 2, 2 } }, 1);
    against_plain(d ? "bf16 batched 3x32x16x24" : "f16 batched 3x32x16x24",
                  tg_matmul(tg_empty(SH(3, 32, 16), dt), tg_empty(SH(3, 16, 24), dt)), (Opt[]){ { OPT_LOCAL, 0, 3 } }, 1);
  }
  // operand layouts: a row-major B's pairs run along N (transposed across the warp), x @ w.T's along K (loaded as they
  // are), a.T @ b's A pairs along M (transposed)
  tg_tensor *w = tg_empty(SH(24, 48), TG_FLOAT16), *at = tg_empty(SH(48, 32), TG_BFLOAT16);
  against_plain_movt("f16 row-major 32x48x24", mm(32, 48, 24, TG_FLOAT16), NULL, 0, 1);
  against_plain_movt("f16 x @ w.T 32x48x24", tg_matmul(tg_empty(SH(32, 48), TG_FLOAT16), tg_transpose(w, 0, 1)), NULL, 0, 0);
  against_plain_movt("bf16 a.T @ w.T 32x48x24", tg_matmul(tg_transpose(at, 0, 1), tg_transpose(tg_cast(w, TG_BFLOAT16), 0, 1)),
                     (Opt[]){ { OPT_UPCAST, 1, 3 } }, 1, 1);
  // float32 accumulation of float16 inputs (the products cast first), and a bias added after the reduce
  tg_tensor *a = tg_cast(tg_empty(SH(32, 64), TG_FLOAT16), TG_FLOAT32), *b = tg_cast(tg_empty(SH(64, 16), TG_FLOAT16), TG_FLOAT32);
  against_plain("f16 -> f32 32x64x16 + bias", tg_add(tg_matmul(a, b), tg_empty(SH(16), TG_FLOAT32)), (Opt[]){ { OPT_GROUP, 2, 2 } }, 1);
}

// The GPU heuristic starts a float16 matmul with TC (tinygrad's hand_coded_optimizations), and not without tensor cores.
static void heuristic(void) {
  Schedule s;
  UOp *ast = kernel_of(mm(256, 256, 256, TG_FLOAT16), &s);
  Opt opts[16];
  int n = 0;
  opt_heuristic(ast, &gpu, opts, 16, &n);
  CHECK(n >= 1 && opts[0].kind == OPT_TC, "heuristic on sm_90: %d opts, first %s", n, n ? opt_name(opts[0].kind) : "none");
  RendererCaps turing = caps_gpu_sm(75);
  opt_heuristic(ast, &turing, opts, 16, &n);
  for (int i = 0; i < n; i++) CHECK(opts[i].kind != OPT_TC, "heuristic on sm_75 picked TC");
  Opt acts[512];
  int tc = 0;
  for (int i = 0, na = beam_actions(ast, &gpu, acts, 512); i < na; i++) tc += acts[i].kind == OPT_TC;
  CHECK(tc == 1, "BEAM proposes TC %d times, want once", tc);
  // DEV=NULL NULL_RENDER=CUDA optimizes for sm_90 (tensor cores); the engine renders the float16 matmul with TC (and
  // NVRTC-compiles it where NVRTC is). The schedule goes first: realizing may collect its AST.
  int tok = env_push("NULL_RENDER", "CUDA");
  Device *nd = dev_get("NULL");
  CHECK(nd && nd->caps.tc, "NULL_RENDER=CUDA: no tensor cores in the caps");
  if (nd) {
    opt_heuristic(ast, &nd->caps, opts, 16, &n);
    CHECK(n >= 1 && opts[0].kind == OPT_TC, "heuristic for NULL_RENDER=CUDA: first opt %s", n ? opt_name(opts[0].kind) : "none");
  }
  sched_free(&s);
  tg_tensor *c = tg_matmul(tg_to(tg_empty(SH(64, 32), TG_FLOAT16), "NULL"), tg_to(tg_empty(SH(32, 64), TG_FLOAT16), "NULL"));
  CHECK(c && tg_realize(c), "float16 matmul on NULL (CUDA render): %s", tg_error());
  env_pop(tok);
}

int main(void) {
  gpu = caps_gpu();
  tg_scope_begin();
  refusals();
  values();
  heuristic();
  tg_scope_end();
  return test_finish("test_tc");
}
