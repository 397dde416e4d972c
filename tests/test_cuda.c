// Tests of the CUDA backend: the CUDA dialect of the C renderer (everywhere), NVRTC compiles of pipeline kernels
// (where NVRTC is present), and on a GPU: copies, the allocator, launches, events, and ops against the CPU
#include "testlib.h"
#include "tinygrad.h"
#include "base/env.h"
#include "renderer/cstyle.h"
#include "runtime/cuda.h"
#include "runtime/cuda_api.h"
#include "engine/jit.h"
#include "rtlib.h"
#include <math.h>
#include <stdlib.h>

// ---- the renderer (no GPU needed) ----
// c[i] = a[4i+off] + a[4i+off+1] + a[4i+off+2] + a[4i+off+3] over n outputs: rendered source
static char *render_four_loads(int64_t n, int64_t off) {
  PB b = { .n = 0 };
  UOp *c = glob(DT_FLOAT32, n, 0), *a = glob(DT_FLOAT32, 4 * n + 4, 1), *r = rng(ic(n), 0, 0), *sum = NULL;
  for (int k = 0; k < 4; k++) {
    UOp *v = ld(ix(a, bin(OP_ADD, bin(OP_MUL, r, ic(4)), ic(off + k))));
    sum = sum ? bin(OP_ADD, sum, v) : v;
  }
  UOp *s = E(&b, stor(ix(c, r), sum));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, E(&b, endr(r)) }, 2, arg_none()));
  Program *p = prog(&b, "E_four", 2, r, NULL, 0);
  char *src = rend_cuda(p, "E_four", 256);
  program_free(p);
  return src;
}

static void test_render_loads(void) {
  // from a multiple of 4: one 16-byte load (renderer/cudaload.h), each element taken from it
  char *src = render_four_loads(1000, 0);
  CHECK(src && strstr(src, "float4 ld4_") && strstr(src, ".w;"), "%s", src ? src : tg_error());
  free(src);
  // from 4i+1 the four straddle two 16-byte slots: four scalar loads
  src = render_four_loads(1000, 1);
  CHECK(src && !strstr(src, "float4"), "%s", src ? src : tg_error());
  free(src);
  // an index past 2^30 (4 * (2^28 + 1) elements): 64-bit index math
  src = render_four_loads(((int64_t)1 << 28) + 1, 0);
  CHECK(src && strstr(src, "int64_t ridx0") && strstr(src, "4LL"), "%s", src ? src : tg_error());
  free(src);
}

static void test_render(void) {
  enum { N = 1000 };
  PB b = { .n = 0 };      // c[i] = a[i] * 2 + 1 over a parallel range
  UOp *c = glob(DT_FLOAT32, N, 0), *a = glob(DT_FLOAT32, N, 1), *r = rng(ic(N), 0, 0);
  UOp *s = E(&b, stor(ix(c, r), bin(OP_ADD, bin(OP_MUL, ld(ix(a, r)), fc(2.0)), fc(1.0))));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, E(&b, endr(r)) }, 2, arg_none()));
  Program *p = prog(&b, "E_1000", 2, r, NULL, 0);
  char *src = rend_cuda(p, "E_1000", 256);
  CHECK(src && strstr(src, "extern \"C\" __global__ void __launch_bounds__(256) E_1000(void *tg_b0, void *tg_b1, long long start, long long end)"),
        "%s", src ? src : tg_error());
  // index values within int32: 32-bit index math
  CHECK(src && strstr(src, "tg_gid < end") && strstr(src, "int ridx0 = tg_gid;"), "%s", src ? src : "");
  free(src);
  program_free(p);

  PB b2 = { .n = 0 };     // nested output ranges 8 x 16 flatten into one index; a serial program runs one thread
  UOp *o = glob(DT_FLOAT32, 128, 0), *r0 = rng(ic(8), 0, 0), *r1 = rng(ic(16), 1, 0);
  UOp *st = E(&b2, stor(ix(o, bin(OP_ADD, bin(OP_MUL, r0, ic(16)), r1)), fc(3.0)));
  UOp *e1 = E(&b2, endr(r1));
  UOp *e0 = E(&b2, uop_new(OP_END, DT_VOID_T, (UOp *[]){ r0 }, 1, arg_none()));
  E(&b2, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ st, e1, e0 }, 3, arg_none()));
  p = prog(&b2, "E_8_16", 1, r0, NULL, 0);
  src = rend_cuda(p, "E_8_16", 128);
  CHECK(src && strstr(src, "ridx0 = (uint32_t)tg_gid / 16;") && strstr(src, "ridx1 = (uint32_t)tg_gid % 16;"), "%s", src ? src : tg_error());
  free(src);
  p->par_range = NULL;
  src = rend_cuda(p, "E_8_16", 128);
  CHECK(src && strstr(src, "__launch_bounds__(1)") && !strstr(src, "tg_gid"), "%s", src ? src : tg_error());
  free(src);
  program_free(p);
}

// ---- ops run through the whole pipeline: on NULL with NULL_RENDER=CUDA (render + NVRTC), or on a GPU ----
typedef tg_tensor *(*OpFn)(tg_tensor *a, tg_tensor *b);
static tg_tensor *op_matmul_softmax(tg_tensor *a, tg_tensor *b) { return tg_softmax(tg_matmul(a, tg_transpose(b, 0, 1)), 1); }
static tg_tensor *op_transcendental(tg_tensor *a, tg_tensor *b) {
  return tg_add(tg_add(tg_exp(a), tg_log(tg_add_s(b, 1.5))), tg_add(tg_sin(a), tg_sqrt(tg_add_s(b, 2.0))));
}
static tg_tensor *op_half(tg_tensor *a, tg_tensor *b) { return tg_cast(tg_mul(tg_cast(a, TG_FLOAT16), tg_cast(b, TG_FLOAT16)), TG_FLOAT32); }
static tg_tensor *op_bf16(tg_tensor *a, tg_tensor *b) { return tg_cast(tg_add(tg_cast(a, TG_BFLOAT16), tg_cast(b, TG_BFLOAT16)), TG_FLOAT32); }
static tg_tensor *op_int(tg_tensor *a, tg_tensor *b) {
  tg_tensor *x = tg_cast(tg_mul_s(a, 100), TG_INT32), *y = tg_add_s(tg_cast(tg_mul_s(b, 7), TG_INT32), 1);
  return tg_cast(tg_add(tg_add(tg_idiv(x, y), tg_mod(x, y)), tg_bitwise_xor(tg_lshift_s(x, 3), tg_rshift_s(y, 1))), TG_FLOAT32);
}
static tg_tensor *op_reduce(tg_tensor *a, tg_tensor *b) {
  tg_tensor *m = tg_max(a, (int[]){ 1 }, 1, true), *s = tg_sum(tg_mul(a, b), (int[]){ 0 }, 1, true);
  return tg_add(tg_where(tg_lt(a, b), m, s), tg_cast(tg_argmax(b, 1, true), TG_FLOAT32));
}
static tg_tensor *op_f64(tg_tensor *a, tg_tensor *b) { return tg_cast(tg_div(tg_cast(a, TG_FLOAT64), tg_add_s(tg_cast(b, TG_FLOAT64), 0.5)), TG_FLOAT32); }
// min of ints is -max(-x): ptxas 13.0 once dropped negations folded into its 3-input max (see cudaprelude.h)
static tg_tensor *op_int_min(tg_tensor *a, tg_tensor *b) {
  tg_tensor *x = tg_cast(tg_mul_s(a, 5), TG_INT32), *y = tg_cast(tg_mul_s(b, 5), TG_INT64);
  return tg_add(tg_cast(tg_min(x, (int[]){ 1 }, 1, true), TG_FLOAT32), tg_cast(tg_min(y, (int[]){ 0 }, 1, true), TG_FLOAT32));
}
static tg_tensor *op_full_sum(tg_tensor *a, tg_tensor *b) { (void)b; return tg_reshape(tg_sum(a, NULL, 0, false), TG_SHAPE(1)); }
static const struct { const char *name; OpFn fn; double tol; } ops[] = {
  { "matmul+softmax", op_matmul_softmax, 1e-5 }, { "transcendental", op_transcendental, 1e-5 }, { "float16", op_half, 0 },
  { "bfloat16", op_bf16, 0 }, { "int32", op_int, 0 }, { "reduce", op_reduce, 1e-5 }, { "float64", op_f64, 0 },
  { "full sum", op_full_sum, 1e-5 }, { "int min", op_int_min, 0 } };
enum { NOPS = sizeof ops / sizeof *ops, R = 24, C = 40 };

static void inputs(tg_tensor **a, tg_tensor **b, const char *dev) {
  static float ha[R * C], hb[R * C];
  TestRng rng = { 42 };
  for (int i = 0; i < R * C; i++) { ha[i] = (float)(rng_unit(&rng) * 2 - 1); hb[i] = (float)rng_unit(&rng); }
  *a = tg_to(tg_from_data(ha, TG_FLOAT32, TG_SHAPE(R, C)), dev);
  *b = tg_to(tg_from_data(hb, TG_FLOAT32, TG_SHAPE(R, C)), dev);
}

static void test_null_render(void) {
  int tok = env_push("NULL_RENDER", "CUDA");
  RtCudaStats before = rt_cuda_stats();
  tg_tensor *a, *b;
  inputs(&a, &b, "NULL");
  for (int i = 0; i < NOPS; i++) {
    tg_tensor *t = ops[i].fn(a, b);
    CHECK(t && tg_realize(t), "%s on NULL (CUDA render): %s", ops[i].name, tg_error());
    tg_free(t);
  }
  RtCudaStats after = rt_cuda_stats();
  if (nvrtc_available()) {
    CHECK(after.compiled + after.cache_hits > before.compiled + before.cache_hits, "NVRTC compiled no kernel");
    printf("test_cuda: NVRTC %s compiled %lld kernels (%lld from the disk cache)\n", nvrtc_version_str(),
           (long long)(after.compiled - before.compiled), (long long)(after.cache_hits - before.cache_hits));
  } else printf("test_cuda: NVRTC not found: kernels rendered, compile checks skipped\n");
  tg_free(a);
  tg_free(b);
  env_pop(tok);
}

// ---- on a GPU ----
static void test_copies(Device *d) {
  size_t sizes[] = { 0, 1, 1000, 3 * (8 << 20) + 12345 };   // the last crosses several staging chunks
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    size_t n = sizes[k];
    unsigned char *in = malloc(n + 1), *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) in[i] = (unsigned char)(i * 131 + k);
    Buffer *buf = buf_new(d, DT_UINT8, (int64_t)n);
    CHECK(buf_copyin(buf, in, n) == 0 && buf_copyout(buf, out, n) == 0, "%s", tg_error());
    CHECK(n == 0 || memcmp(in, out, n) == 0, "round trip of %zu bytes", n);
    buf_unref(buf);
    free(in);
    free(out);
  }
  RtCudaStats s0 = rt_cuda_stats();
  Buffer *x = buf_new(d, DT_FLOAT32, 4096);
  buf_ensure(x);
  buf_unref(x);
  x = buf_new(d, DT_FLOAT32, 4096);
  buf_ensure(x);
  CHECK(rt_cuda_stats().alloc_reuses > s0.alloc_reuses, "a freed block of the same size was not reused");
  buf_unref(x);
}

static void test_launch(Device *d) {
  enum { N = 100000 };
  PB b = { .n = 0 };      // c[i] = a[i] * 2 + 1, with the parallel range's bound a var
  UOp *v = uop_var("n", 1, N);
  UOp *c = glob(DT_FLOAT32, N, 0), *a = glob(DT_FLOAT32, N, 1), *r = rng(v, 0, 0);
  UOp *s = E(&b, stor(ix(c, r), bin(OP_ADD, bin(OP_MUL, ld(ix(a, r)), fc(2.0)), fc(1.0))));
  E(&b, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ s, E(&b, endr(r)) }, 2, arg_none()));
  Program *p = prog(&b, "E_var", 2, r, (UOp *[]){ v }, 1);
  static float ha[N], hc[N], zero[N];
  for (int i = 0; i < N; i++) ha[i] = (float)i;
  Buffer *bc = buf_new(d, DT_FLOAT32, N), *ba = buf_new(d, DT_FLOAT32, N);
  buf_copyin(bc, zero, sizeof zero);
  buf_copyin(ba, ha, sizeof ha);
  int64_t n = 77777;
  CHECK(rt_cuda_timer_begin(d) == 0 && run(d->name, p, (Buffer *[]){ bc, ba }, &n) == 0, "%s", tg_error());
  double t = rt_cuda_timer_end(d);
  CHECK(t > 0 && t < 1, "event time %g s", t);
  CHECK(buf_copyout(bc, hc, sizeof hc) == 0, "%s", tg_error());
  int bad = 0;
  for (int i = 0; i < N; i++) bad += hc[i] != (i < n ? ha[i] * 2 + 1 : 0);
  CHECK_EQ_INT(bad, 0);
  buf_unref(bc);
  buf_unref(ba);
  program_free(p);
}

static bool close_to(float g, float w, double tol) {
  if (isnan(w)) return isnan(g);
  return tol == 0 ? memcmp(&g, &w, sizeof g) == 0 : fabs((double)g - w) <= tol * (1 + fabs((double)w));
}

static void test_ops_vs_cpu(Device *d) {
  tg_tensor *a, *b, *ga, *gb;
  inputs(&a, &b, "CPU");
  inputs(&ga, &gb, d->name);
  for (int i = 0; i < NOPS; i++) {
    tg_tensor *want = ops[i].fn(a, b), *got = ops[i].fn(ga, gb);
    static float w[R * R * 4], g[R * R * 4];
    size_t nbytes = 0;
    int rc = -1;
    if (want && got && tg_realize(want) && tg_realize(got)) {
      tg_tensor *gc = tg_to(got, "CPU");
      nbytes = tg_dtype_size(TG_FLOAT32);
      for (int64_t n = tg_numel(want); n > 1; n--) nbytes += tg_dtype_size(TG_FLOAT32);
      rc = nbytes <= sizeof w && tg_data(want, w, nbytes) == 0 && tg_data(gc, g, nbytes) == 0 ? 0 : -1;
      tg_free(gc);
    }
    CHECK(rc == 0, "%s on %s: %s", ops[i].name, d->name, tg_error());
    int bad = 0, first = -1;
    for (size_t k = 0; rc == 0 && k < nbytes / 4; k++) if (!close_to(g[k], w[k], ops[i].tol)) { bad++; if (first < 0) first = (int)k; }
    CHECK(bad == 0, "%s: %d of %zu differ from CPU (first [%d]: %.9g vs %.9g)", ops[i].name, bad, nbytes / 4, first,
          first >= 0 ? g[first] : 0.f, first >= 0 ? w[first] : 0.f);
    tg_free(want);
    tg_free(got);
  }
  tg_free(a); tg_free(b); tg_free(ga); tg_free(gb);
}

// JIT replays as one CUDA graph: new input buffers and new variable values each call, results equal to
// GRAPH=0 (launch by launch) and to the CPU
static tg_tensor *graph_cache;
static int graph_fn(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  int64_t n = tg_sym(tg_add_s(in[1], 1));
  tg_tensor *rows = tg_shrink(graph_cache, (int64_t[]){ 0, n, 0, 64 }, 4);          // (pos+1, 64)
  out[0] = tg_sum(tg_mul(tg_relu(tg_add(rows, in[0])), in[0]), (int[]){ 0 }, 1, false);
  return 1;
}

static void graph_run(bool graphs, float out[20][64], bool *used_graph) {
  tg_scope_begin();
  int tok = env_push_int("GRAPH", graphs);
  tg_manual_seed(3);
  graph_cache = tg_realize(tg_to(tg_randn((int64_t[]){ 32, 64 }, 2, TG_FLOAT32), "CUDA"));
  tg_jit *j = tg_jit_new(graph_fn, NULL);
  tg_tensor *pos = tg_variable("pos", 0, 31);
  for (int call = 0; call < 20; call++) {
    tg_scope_begin();
    tg_bind(pos, call % 32);
    tg_tensor *x = tg_realize(tg_to(tg_randn((int64_t[]){ 1, 64 }, 2, TG_FLOAT32), "CUDA")), *in[2] = { x, pos }, *o[1];
    CHECK(tg_jit_call(j, in, 2, o, 1) == 1, "graph call %d: %s", call, tg_error());
    CHECK(tg_data(o[0], out[call], 64 * sizeof(float)) == 0, "%s", tg_error());
    tg_scope_end();
  }
  *used_graph = tg_jit_capture(j) && tg_jit_capture(j)->graph;
  env_pop(tok);
  tg_jit_free(j);
  tg_scope_end();
}

// CUDA:0 -> CUDA:1 (a peer copy), computed there, read back; skipped with one GPU
static void test_two_gpus(void) {
  Device *d1 = dev_get("CUDA:1");
  if (!d1) { printf("test_cuda: two-GPU checks skipped: %s\n", tg_error()); tg_clear_error(); return; }
  tg_scope_begin();
  tg_manual_seed(5);
  tg_tensor *x = tg_realize(tg_to(tg_randn((int64_t[]){ 1000, 37 }, 2, TG_FLOAT32), "CUDA:0"));
  tg_tensor *y = tg_add_s(tg_mul_s(tg_to(x, "CUDA:1"), 2), 1), *back = tg_to(tg_to(y, "CUDA:0"), "CPU");
  static float want[1000 * 37], got[1000 * 37];
  CHECK(tg_data(tg_to(x, "CPU"), want, sizeof want) == 0 && tg_data(back, got, sizeof got) == 0, "%s", tg_error());
  int bad = 0;
  for (int i = 0; i < 1000 * 37; i++) bad += got[i] != want[i] * 2 + 1;
  CHECK(bad == 0, "CUDA:0 -> CUDA:1 -> CUDA:0: %d of %d values differ", bad, 1000 * 37);
  printf("test_cuda: two GPUs: %s and %s\n", rt_cuda_gpu_name(dev_get("CUDA:0")), rt_cuda_gpu_name(d1));
  tg_scope_end();
}

static void test_jit_graph(void) {
  static float with[20][64], without[20][64];
  bool g1, g0;
  graph_run(true, with, &g1);
  graph_run(false, without, &g0);
  CHECK(g1 && !g0, "replays used a CUDA graph (%d) and GRAPH=0 did not (%d)", g1, g0);
  CHECK(memcmp(with, without, sizeof with) == 0, "graph replays equal launch-by-launch replays");
}

int main(void) {
  test_render();
  test_render_loads();
  test_null_render();
  Device *d = dev_get("CUDA");
  if (!d) {
    printf("test_cuda: GPU checks skipped: %s\n", tg_error());
    tg_clear_error();
    return test_finish("test_cuda");
  }
  printf("test_cuda: %s (%s)\n", rt_cuda_gpu_name(d), rt_cuda_arch(d));
  test_copies(d);
  test_launch(d);
  test_ops_vs_cpu(d);
  test_jit_graph();
  test_two_gpus();
  return test_finish("test_cuda");
}
