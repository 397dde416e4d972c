// The hand-coded opts: each rule of codegen/opt/heuristic.c asserted on a named kernel shape (32-byte vectors)
#include "testlib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "tensor/gradient.h"
#include "schedule/schedule.h"
#include "codegen/opt/opt.h"
#include "base/env.h"
#include <stdlib.h>

static tg_tensor *E(const int64_t *sh, int nd) { return tg_empty(sh, nd, TG_FLOAT32); }
#define SH(...) (int64_t[]){ __VA_ARGS__ }, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))

// The kernel with the most reduce ranges (the main loop nest of a schedule)
static int main_kernel(Schedule *s) {
  int best = s->n - 1, most = -1;
  for (int i = 0; i < s->n; i++) {
    if (!s->items[i].ast) continue;
    const UOpList *t = uop_toposort(s->items[i].ast);
    int k = 0;
    for (int64_t j = 0; j < t->n; j++) k += t->items[j]->op == OP_RANGE && t->items[j]->arg.tup[1] == 1;
    if (k > most) { most = k; best = i; }
  }
  return best;
}

// The opts the heuristic picks for the last kernel of t's schedule (or its main kernel), as "KIND(axis,amount) ..."
static void opts_for(tg_tensor *t, const RendererCaps *caps, bool pick_main, char *out, size_t len) {
  Schedule s;
  UOp *root = grad_fn_strip(t->uop);
  out[0] = 0;
  if (sched_create(&s, &root, 1, dev_get("CPU")) != 0 || s.n == 0) { snprintf(out, len, "schedule failed: %s", tg_error()); return; }
  Opt opts[16];
  int n = 0, pick = s.n - 1;
  if (pick_main) pick = main_kernel(&s);
  opt_finish(opt_heuristic(s.items[pick].ast, caps, opts, 16, &n));
  size_t k = 0;
  for (int i = 0; i < n && k < len; i++)
    k += (size_t)snprintf(out + k, len - k, "%s%s(%d,%d)", i ? " " : "", opt_name(opts[i].kind), opts[i].axis, opts[i].amount);
  sched_free(&s);
}

static void opts_of(tg_tensor *t, int vector_bytes, bool pick_main, char *out, size_t len) {
  RendererCaps caps = { .vector_bytes = vector_bytes };
  opts_for(t, &caps, pick_main, out, len);
}

static void expect_in(const char *what, tg_tensor *t, int vector_bytes, bool pick_main, const char *want) {
  char got[256];
  opts_of(t, vector_bytes, pick_main, got, sizeof got);
  CHECK(!strcmp(got, want), "%s: opts \"%s\", expected \"%s\"", what, got, want);
}
static void expect(const char *what, tg_tensor *t, int vector_bytes, const char *want) { expect_in(what, t, vector_bytes, false, want); }

// d/dx of sum(conv2d(max_pool2d(x), w) * g): the conv's input gradient fused into the max-pool's backward
static tg_tensor *pool_conv_dx(void) {
  tg_tensor *x = tg_realize(tg_rand(SH(2, 32, 20, 20), TG_FLOAT32)), *w = E(SH(64, 32, 3, 3)), *g = E(SH(2, 64, 8, 8)), *dx;
  tg_requires_grad(x, true);
  tg_tensor *y = tg_conv2d(tg_max_pool2d(x, (int[]){ 2, 2 }, NULL, NULL), w, NULL, 1, NULL, NULL, NULL);
  tg_gradient(tg_sum(tg_mul(y, g), NULL, 0, false), &x, 1, &dx);
  return dx;
}

// the padded, masked kernel computes the right values (a 64x32 @ 32x10 matmul against a C loop)
static void padded_matmul_values(void) {
  float a[64 * 32], b[32 * 10], c[64 * 10];
  for (int i = 0; i < 64 * 32; i++) a[i] = (float)((i * 37) % 11) - 5;
  for (int i = 0; i < 32 * 10; i++) b[i] = (float)((i * 13) % 7) - 3;
  tg_tensor *y = tg_matmul(tg_from_data(a, TG_FLOAT32, SH(64, 32)), tg_from_data(b, TG_FLOAT32, SH(32, 10)));
  CHECK(tg_data(y, c, sizeof c) == 0, "padded matmul: %s", tg_error());
  int wrong = 0;
  for (int i = 0; i < 64; i++)
    for (int j = 0; j < 10; j++) {
      float want = 0;
      for (int k = 0; k < 32; k++) want += a[i * 32 + k] * b[k * 10 + j];
      wrong += c[i * 10 + j] != want;
    }
  CHECK(wrong == 0, "padded matmul: %d of 640 outputs wrong", wrong);
}

// the packed matmul (B of 2 MB in panels, swapped loops) against a C loop and against MATMUL_PACK=0
static void packed_matmul_values(void) {
  enum { M = 64, K = 512, N = 1024 };
  static float a[M * K], b[K * N], c[M * N], plain[M * N];
  for (int i = 0; i < M * K; i++) a[i] = (float)((i * 37) % 11) - 5;
  for (int i = 0; i < K * N; i++) b[i] = (float)((i * 13) % 7) - 3;
  tg_tensor *ta = tg_from_data(a, TG_FLOAT32, SH(M, K)), *tb = tg_from_data(b, TG_FLOAT32, SH(K, N));
  CHECK(tg_data(tg_matmul(ta, tb), c, sizeof c) == 0, "packed matmul: %s", tg_error());
  int tok = env_push_int("MATMUL_PACK", 0);
  CHECK(tg_data(tg_matmul(ta, tb), plain, sizeof plain) == 0, "plain matmul: %s", tg_error());
  env_pop(tok);
  int wrong = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j += 7) {
      float want = 0;
      for (int k = 0; k < K; k++) want += a[i * K + k] * b[k * N + j];
      wrong += c[i * N + j] != want;
    }
  CHECK(wrong == 0, "packed matmul: %d outputs differ from a C loop", wrong);
  CHECK(memcmp(c, plain, sizeof c) == 0, "packed and plain matmuls differ");
}

// The GPU rules (codegen/opt/heuristic_gpu.c), for a device with locals
static void expect_gpu(const char *what, tg_tensor *t, const char *want) {
  char got[256];
  RendererCaps caps = caps_gpu();
  opts_for(t, &caps, true, got, sizeof got);
  CHECK(!strcmp(got, want), "GPU %s: opts \"%s\", expected \"%s\"", what, got, want);
}

static void gpu_rules(void) {
  // rows: a warp of threads over the contiguous reduce axis (coalesced), 8 rows a block, 4 loads in flight
  expect_gpu("row sum 8192x8192", tg_sum(E(SH(8192, 8192)), (int[]){ 1 }, 1, false), "LOCAL(0,8) GROUP(1,32) UNROLL(1,4)");
  expect_gpu("matvec 4096x4096 @ 4096", tg_matmul(E(SH(4096, 4096)), E(SH(4096))), "LOCAL(0,8) GROUP(1,32) UNROLL(1,4)");
  // ... too few rows to fill the GPU with blocks: 256 threads a row
  expect_gpu("row sum 64x4096", tg_sum(E(SH(64, 4096)), (int[]){ 1 }, 1, false), "GROUP(1,256) UNROLL(1,4)");
  // a small output over a strided reduce: threads along the contiguous output axis, the reduce split in chunks
  expect_gpu("sum 4096x64 over axis 0", tg_sum(E(SH(4096, 64)), (int[]){ 0 }, 1, false), "GROUPTOP(1,4) LOCAL(0,64) UNROLL(1,4)");
  // matmul: a 16x16 block (the store's axis is threadIdx.x), a 4 x 8 register tile, the reduce unrolled by 4; the
  // columns' UPCAST first, so a thread's 4 columns are adjacent (16-byte loads of B; after the LOCALs it strode 16);
  // 8 rows a thread where the rows still fill 16 blocks of 128 (2048 rows; 1024 keep 4)
  expect_gpu("matmul 2048", tg_matmul(E(SH(2048, 1024)), E(SH(1024, 1024))), "UPCAST(1,4) LOCAL(0,16) LOCAL(1,16) UPCAST(0,8) UNROLL(2,4)");
  expect_gpu("matmul 1024", tg_matmul(E(SH(1024, 1024)), E(SH(1024, 1024))), "UPCAST(1,4) LOCAL(0,16) LOCAL(1,16) UPCAST(0,4) UNROLL(2,4)");
  expect_gpu("conv 32->32 5x5 on 24x24", tg_conv2d(E(SH(8, 32, 24, 24)), E(SH(32, 32, 5, 5)), NULL, 1, NULL, NULL, NULL), "LOCAL(2,4) LOCAL(3,4)");
  // softmax: its reduces are broadcast back over the row (no GROUP): threads over rows
  expect_gpu("softmax rows 64x1000", tg_softmax(E(SH(64, 1000)), 1), "LOCAL(0,16) UNROLL(3,4)");
  // elementwise: a block along the store's contiguous axis (with the next axis when that is short), 4 copies a
  // thread; contiguous shapes merge into one axis first, a transposed read keeps two
  expect_gpu("elementwise 8192x8192", tg_add(E(SH(8192, 8192)), E(SH(8192, 8192))), "LOCAL(0,256) UPCAST(0,4)");
  expect_gpu("elementwise 100x10", tg_add(E(SH(100, 10)), E(SH(100, 10))), "LOCAL(0,250)");
  expect_gpu("elementwise 100x10, one input transposed", tg_add(tg_permute(E(SH(10, 100)), (int[]){ 1, 0 }, 2), E(SH(100, 10))),
             "LOCAL(0,25) LOCAL(1,10)");
  expect_gpu("elementwise 5x5", tg_add(E(SH(5, 5)), E(SH(5, 5))), "");
  int tok = env_push_int("NOOPT", 1);
  expect_gpu("NOOPT row sum", tg_sum(E(SH(8192, 8192)), (int[]){ 1 }, 1, false), "");
  env_pop(tok);
}

int main(void) {
  setenv("THREADS", "2", 1);       // the first axis keeps trips for every thread: fix the count
  tg_scope_begin();
  // matmul: the store's contiguous axis (1) becomes 8 lanes, its trips by 2 and the other output axis by 6 make a
  // 6x2 tile of 12 vector accumulators; 64 rows are padded to 66 for it (6 useful accumulators a trip against the
  // divisor 4's 4). The reduce is not unrolled: by 4 the tile's body would hold 12 + 8 vectors
  expect("matmul 64x32 @ 32x64", tg_matmul(E(SH(64, 32)), E(SH(32, 64))), 32,
         "VECTORIZE(1,8) UPCAST(1,2) PADTO(0,6) UPCAST(0,6)");
  // without SIMD: a tile of scalar copies, 6 x 2; scalars hold no register across the unroll
  expect("matmul, no vectors", tg_matmul(E(SH(64, 32)), E(SH(32, 64))), 0, "PADTO(1,6) UPCAST(1,6) UPCAST(0,2) UNROLL(2,4)");
  // matrix-vector: one output axis; the reduce axis is what the loads walk contiguously, so it gets the lanes
  expect("matvec 64x256 @ 256", tg_matmul(E(SH(64, 256)), E(SH(256))), 32, "VECTORIZE(1,8) PADTO(0,6) UPCAST(0,6) UNROLL(1,4)");
  // small-output reduction over a contiguous axis: lanes on the reduce axis, added after the loop
  expect("sum of 64x1024 over axis 1", tg_sum(E(SH(64, 1024)), (int[]){ 1 }, 1, false), 32, "VECTORIZE(1,8) PADTO(0,6) UPCAST(0,6) UNROLL(1,4)");
  // ... but the first (threaded) axis keeps at least 4 trips per thread: 8 rows are not upcast
  expect("sum of 8x1024 over axis 1", tg_sum(E(SH(8, 1024)), (int[]){ 1 }, 1, false), 32, "VECTORIZE(1,8) UNROLL(1,4)");
  // a sum over the outer axis: the store walks the output contiguously and so do the loads: output lanes
  expect("sum of 256x64 over axis 0", tg_sum(E(SH(256, 64)), (int[]){ 0 }, 1, false), 32, "VECTORIZE(0,8) UNROLL(1,4)");
  // a 20-wide output: conv2d copies the weight with cout innermost, so the output channels (axis 1) take 8 lanes
  // that load the weight contiguously and scatter their store; the tile is 2 channel vectors (sharing each input
  // broadcast) x 5 of the 20-wide output columns (5 divides 20, as useful as 6 over 20 padded to 24), the kernel
  // columns unroll
  expect("conv 32->32 5x5 on 24x24", tg_conv2d(E(SH(8, 32, 24, 24)), E(SH(32, 32, 5, 5)), NULL, 1, NULL, NULL, NULL), 32,
         "VECTORIZE(1,8) UPCAST(1,2) UPCAST(3,5) UNROLL(6,5)");
  // 4 output channels keep the weight as it is: the 20-wide output axis takes 16-byte vectors (4 lanes); a 5x2
  // tile whose 5 kernel columns unrolled would hold 10 + 25 vectors, over twice the registers: no unroll
  expect("conv 32->4 5x5 on 24x24", tg_conv2d(E(SH(8, 32, 24, 24)), E(SH(4, 32, 5, 5)), NULL, 1, NULL, NULL, NULL), 32,
         "VECTORIZE(3,4) UPCAST(2,5) UPCAST(1,2)");
  // a 24-wide output: its rows take 8 lanes (contiguous store and input loads, the weight the same for every lane);
  // a 6x2 tile, not unrolled (12 + 30 vectors)
  expect("conv 32->32 5x5 on 28x28", tg_conv2d(E(SH(8, 32, 28, 28)), E(SH(32, 32, 5, 5)), NULL, 1, NULL, NULL, NULL), 32,
         "VECTORIZE(3,8) UPCAST(2,6) UPCAST(1,2)");
  // an output axis the main loop does not depend on is not upcast: its copies would be one accumulator. A matmul
  // broadcast over an inner axis of 4 (without the rule: UPCAST(2,4)); the demo network's conv input gradient
  // fused into the max-pool backward (its main kernel: lanes on channels, 2 channel vectors x 5 columns)
  expect_in("max-pool backward of a conv's dx", pool_conv_dx(), 32, true, "VECTORIZE(1,8) UPCAST(1,2) UPCAST(3,5) UNROLL(6,3)");
  expect("matmul broadcast over an inner axis", tg_mul(tg_expand(tg_reshape(tg_matmul(E(SH(64, 32)), E(SH(32, 64))), SH(64, 64, 1)), SH(64, 64, 4)), E(SH(64, 64, 4))), 32,
         "VECTORIZE(1,8) UPCAST(1,2) PADTO(0,6) UPCAST(0,6)");
  // an output of 10 fits no lanes: padded to 12 (PADTO, masked stores and loads) and vectorized by 4; the rows take
  // 6 a tile over 66 (PADTO: their loads read the clamped last row)
  expect("matmul 64x32 @ 32x10", tg_matmul(E(SH(64, 32)), E(SH(32, 10))), 32, "PADTO(1,4) VECTORIZE(1,4) PADTO(0,6) UPCAST(0,6) UNROLL(2,4)");
  // a column sum's (64, 10) output is one contiguous 640 once its ranges merge (schedule/merge_ranges.c): 8 lanes, 10
  // vector accumulators (unmerged, the 10 fits no lanes: PADTO(1,4) VECTORIZE(1,4) PADTO(0,6) UPCAST(0,6) UNROLL(2,4))
  expect("sum of 256x64x10 over axis 0", tg_sum(E(SH(256, 64, 10)), (int[]){ 0 }, 1, false), 32, "VECTORIZE(0,8) UPCAST(0,10) UNROLL(2,4)");
  // a max-pool's 2x2 windows load with stride 2 along every output axis and the 10-wide output fits no lanes: the
  // innermost output axis they divide (the 32 channels) takes them, its loads gathered (the vector ALU work of a
  // batchnorm fused into the pool outweighs the gathers); without the rule: no VECTORIZE. The batch and channel
  // axes merge into one of 256 (axis 0)
  expect("max-pool 2x2 of 20x20", tg_max_pool2d(tg_relu(E(SH(8, 32, 20, 20))), (int[]){ 2, 2 }, NULL, NULL), 32,
         "VECTORIZE(0,8) UPCAST(0,2) UPCAST(3,5) UNROLL(5,2)");
  padded_matmul_values();
  // B of 4 MB outgrows L2: tg_matmul packs it into 16-column panels (a kernel of its own), and the panel axis
  // (1) is swapped outermost so a panel stays in cache across all rows (without the rule: no SWAP)
  expect("matmul 256x1024 @ 1024x1024, B packed", tg_matmul(E(SH(256, 1024)), E(SH(1024, 1024))), 32,
         "VECTORIZE(1,8) UPCAST(1,2) PADTO(0,6) UPCAST(0,6) SWAP(0,1)");
  packed_matmul_values();
  gpu_rules();
  // elementwise kernels are left to the C compiler's vectorizer
  expect("elementwise", tg_add(E(SH(64, 64)), E(SH(64, 64))), 32, "");
  // NOOPT=1: nothing
  int tok = env_push_int("NOOPT", 1);
  expect("NOOPT matmul", tg_matmul(E(SH(64, 32)), E(SH(32, 64))), 32, "");
  env_pop(tok);
  tg_scope_end();
  return test_finish("test_heuristic");
}
