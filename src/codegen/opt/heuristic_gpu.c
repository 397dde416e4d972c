// Hand-coded opts for GPUs (tinygrad's hand_coded_optimizations where the renderer has locals)
#include "codegen/opt/opt_internal.h"
#include "base/env.h"

/* The first rule that applies:
 * The thread range an opt makes last is threadIdx.x (uop/nest.h orders thread ranges by id), so each rule applies
 * first the opt whose threads should be outer, and last the one whose neighbouring threads read neighbouring elements.
 *   1. rows: a reduce with a main load that depends on every output axis and walks the innermost reduce axis
 *      contiguously (row sums, matrix-vector; not a matmul, whose loads each miss an output axis: they are reused
 *      across it, which rule 3 exploits): GROUP that axis over a warp (32 threads; 256 when there are too few outputs to
 *      fill the GPU with blocks), so neighbouring threads read neighbouring elements (coalesced; tinygrad's GROUPTOP
 *      would give each thread a contiguous chunk, which a warp reads as 32 separate lines), LOCAL the innermost
 *      output axis up to 8 rows a block (tinygrad's matvec rule: threads per row x rows per block; the LOCAL goes
 *      first, so the group is threadIdx.x), and UNROLL each
 *      thread's part by 4 (loads in flight).
 *   2. strided reduce, small output (<= 2048 outputs, tinygrad's bound): GROUPTOP the reduce and then LOCAL the
 *      output axis the store walks contiguously (threadIdx.x: coalesced loads across threads), up to 256 threads.
 *   3. other reduces (matmul, convolution): up to two output axes the main loop depends on get threads (LOCAL, up to
 *      16 x 16, outer axis first so the inner one is threadIdx.x) and then a 4 x 4 register tile (UPCAST of what
 *      remains: each copy's loads stay coalesced across threads); the innermost reduce unrolls by 4. Where the
 *      inner axis still fills 16 threads after it, its UPCAST comes first, so a thread's 4 outputs are adjacent
 *      and their loads one 16-byte load (renderer/cudaload.h), and the outer axis takes 8 rows a thread when it has
 *      16 blocks of them: the 4096 fp32 matmul 21.9 -> 26.5 TFLOP/s on an H100.
 *   4. elementwise: LOCAL the innermost output axis the store walks contiguously, a block of up to 256 threads
 *      (with the next axis when the first is small); none when no block of at least 32 threads divides the axes.
 *      Then UPCAST what is left of that axis by 4 (each copy a coalesced access of the whole block; 4 loads in
 *      flight a thread) when blocks are to spare (64K blocks or more left after it).
 * 0. (before the others, where the device has tensor cores, as tinygrad's) a float16/bfloat16 matmul gets TC on its
 *    innermost reduce axis that allows it, then a register tile of 8 x 4 instruction tiles a warp (UPCAST of what
 *    remains of N by 8 and M by 4, or less where they are smaller: each A fragment feeds 8 instructions, each B fragment
 *    4; 128 float accumulators a lane), 2 x 2 warps a block (LOCAL) and two K steps a trip (UNROLL 2). On an H200 a
 *    4096 float16 matmul ran at 43 TFLOP/s with 4 x 4 tiles, 67 with 8 x 4, 111 with the UNROLL, 134 with 8-byte
 *    fragment loads (BENCHMARKS.md); 8 x 8 (85), 4 x 8 (87) and 4 x 2 warps (59) were slower.
 * A reduce broadcast back over an output axis it does not depend on (softmax's rows) gets no GROUP: its final
 * reduce would be repeated for every trip of that axis inside the threads. */
enum { WARP = 32, BLOCK = 256, SMALL_OUTPUT = 2048, MANY_OUTPUTS = 1024, ELEMENTWISE_UPCAST_MIN = 1 << 16 };

typedef struct Gpu {
  const RendererCaps *caps;
  Opt *opts;
  int max, *n;
  Axis outs[16], reds[16];
  int no, nr;
} Gpu;

static void refresh(Gpu *g, UOp *ast) {
  g->no = heur_ranges(ast, AXIS_OUTPUT, g->outs, 16);
  g->nr = heur_ranges(ast, AXIS_REDUCE, g->reds, 16);
}

// Applies kind on the axis by the largest of the amounts that divides it (and is at most `most`); 0 when none did.
static int try_amounts(Gpu *g, UOp **ast, OptKind kind, const Axis *a, const int *amounts, int most) {
  for (int i = 0; amounts[i]; i++) {
    if (amounts[i] > most || a->size % amounts[i]) continue;
    UOp *next = heur_try(*ast, (Opt){ kind, (int)a->r->arg.tup[0], amounts[i] }, g->caps, g->opts, g->max, g->n);
    if (next != *ast) { *ast = next; return amounts[i]; }
  }
  return 0;
}

static const int POW2[] = { 256, 128, 64, 32, 16, 8, 4, 2, 0 };

static int64_t output_size(const Gpu *g) {
  int64_t n = 1;
  for (int i = 0; i < g->no; i++) n *= g->outs[i].size;
  return n;
}

static bool every_output_feeds(UOp *ast, const Gpu *g) {
  for (int i = 0; i < g->no; i++) if (!heur_feeds_main_loop(ast, g->outs[i].r)) return false;
  return true;
}

// The innermost output axis the store walks contiguously (-1: none).
static int store_axis(UOp *ast, const Gpu *g) {
  for (int i = g->no - 1; i >= 0; i--)
    if (heur_step(ast->src[0]->src[0]->src[1], g->outs[i].r) == 1) return i;
  return -1;
}

static void unroll_inner(Gpu *g, UOp **ast) {
  refresh(g, *ast);
  if (g->nr && g->reds[g->nr - 1].size % 4 == 0 && g->reds[g->nr - 1].size >= 8)
    try_amounts(g, ast, OPT_UNROLL, &g->reds[g->nr - 1], (const int[]){ 4, 0 }, 4);
}

// A main load that reads every output element's own data, walking r contiguously.
static bool streams_rows(UOp *ast, const Gpu *g, UOp *r) {
  UOp *loads[64];
  int n = heur_main_loads(ast, loads, 64);
  for (int i = 0; i < n; i++) {
    UOp *idx = loads[i]->src[0]->src[1];
    bool all = heur_step(idx, r) == 1;
    for (int k = 0; k < g->no && all; k++) all = uop_reaches(idx, g->outs[k].r);
    if (all) return true;
  }
  return false;
}

static bool rule_rows(Gpu *g, UOp **ast) {
  Axis red = g->reds[g->nr - 1];
  if (red.size < WARP || !every_output_feeds(*ast, g) || !streams_rows(*ast, g, red.r)) return false;
  bool many = output_size(g) >= MANY_OUTPUTS;
  UOp *before = *ast;
  int nbefore = *g->n;
  if (many && g->no) try_amounts(g, ast, OPT_LOCAL, &g->outs[g->no - 1], POW2, BLOCK / WARP);   // first: the group is threadIdx.x
  if (!try_amounts(g, ast, OPT_GROUP, &red, POW2, many ? WARP : BLOCK)) { *ast = before; *g->n = nbefore; return false; }
  unroll_inner(g, ast);
  return true;
}

// The largest divisor of n up to most, preferring whole warps.
static int64_t block_divisor(int64_t n, int64_t most) {
  for (int64_t d = most / WARP * WARP; d >= WARP; d -= WARP) if (n % d == 0) return d;
  for (int64_t d = most < n ? most : n; d > 1; d--) if (n % d == 0) return d;
  return 1;
}

static bool rule_strided(Gpu *g, UOp **ast) {
  int s = store_axis(*ast, g);
  if (output_size(g) > SMALL_OUTPUT || s < 0 || !every_output_feeds(*ast, g)) return false;
  // the group first: the output axis, which the loads walk contiguously, becomes threadIdx.x
  int64_t local = block_divisor(g->outs[s].size, 64);
  try_amounts(g, ast, OPT_GROUPTOP, &g->reds[0], POW2, (int)(BLOCK / local));
  refresh(g, *ast);
  try_amounts(g, ast, OPT_LOCAL, &g->outs[s], POW2, 64);
  unroll_inner(g, ast);
  return true;
}

// Threads on up to two output axes the main loop depends on (outer first: the inner one becomes threadIdx.x), then a
// register tile over what remains of them.
static void rule_tile(Gpu *g, UOp **ast) {
  int ids[2], na = 0;
  for (int i = g->no - 1; i >= 0 && na < 2; i--)
    if (heur_feeds_main_loop(*ast, g->outs[i].r)) ids[na++] = (int)g->outs[i].r->arg.tup[0];
  bool inner_first = false;
  for (int i = 0; i < g->no && na > 0; i++)
    if (g->outs[i].r->arg.tup[0] == ids[0] && g->outs[i].size % 64 == 0 && heur_store_contiguous(*ast, g->outs[i].r))
      inner_first = try_amounts(g, ast, OPT_UPCAST, &g->outs[i], (const int[]){ 4, 0 }, 4) > 0;
  for (int k = na - 1; k >= 0; k--) {
    refresh(g, *ast);
    for (int i = 0; i < g->no; i++)
      if (g->outs[i].r->arg.tup[0] == ids[k]) { try_amounts(g, ast, OPT_LOCAL, &g->outs[i], POW2, 16); break; }
  }
  // after 16-byte column loads, 8 rows a thread (a 4 x 8 tile: 26.5 against 25.7 TFLOP/s for 4 x 4)
  for (int k = inner_first; k < na; k++) {
    refresh(g, *ast);
    for (int i = 0; i < g->no; i++)
      if (g->outs[i].r->arg.tup[0] == ids[k] && g->outs[i].size >= 8) {
        try_amounts(g, ast, OPT_UPCAST, &g->outs[i], (const int[]){ 8, 4, 2, 0 }, inner_first && g->outs[i].size >= 8 * 16 ? 8 : 4);
        break;
      }
  }
  unroll_inner(g, ast);
}

static void rule_elementwise(Gpu *g, UOp **ast) {
  int s = store_axis(*ast, g);
  if (s < 0) return;
  int64_t threads = block_divisor(g->outs[s].size, BLOCK), more = 1;
  if (s > 0 && threads < BLOCK / 2) more = block_divisor(g->outs[s - 1].size, BLOCK / threads);   // the next axis adds threads
  if (threads * more < WARP) return;
  if (more > 1) *ast = heur_try(*ast, (Opt){ OPT_LOCAL, (int)g->outs[s - 1].r->arg.tup[0], (int)more }, g->caps, g->opts, g->max, g->n);
  *ast = heur_try(*ast, (Opt){ OPT_LOCAL, (int)g->outs[s].r->arg.tup[0], (int)threads }, g->caps, g->opts, g->max, g->n);
  // 4 copies a thread, each a block-wide coalesced access: more loads in flight (output_size counts blocks now)
  refresh(g, *ast);
  for (int i = 0; i < g->no; i++)
    if (g->outs[i].r->arg.tup[0] == g->outs[s].r->arg.tup[0] && g->outs[i].size % 4 == 0 && output_size(g) >= 4 * ELEMENTWISE_UPCAST_MIN)
      *ast = heur_try(*ast, (Opt){ OPT_UPCAST, (int)g->outs[i].r->arg.tup[0], 4 }, g->caps, g->opts, g->max, g->n);
}

static int64_t size_of(UOp *ast, int id) {
  UOp *r = opt_find_range(ast, id);
  return r && r->src[0]->op == OP_CONST ? r->src[0]->arg.i : 1;
}

static bool rule_tc(Gpu *g, UOp **ast) {
  int m = -1, n = -1, k = -1;
  UOp *before = *ast;
  for (int i = g->nr - 1; i >= 0 && *ast == before; i--)
    if (opt_tc_axes(*ast, (k = (int)g->reds[i].r->arg.tup[0]), g->caps, &m, &n))
      *ast = heur_try(*ast, (Opt){ OPT_TC, k, 0 }, g->caps, g->opts, g->max, g->n);
  if (*ast == before) return false;
  const int ids[2] = { n, m }, most[2] = { 8, 4 };
  for (int a = 0; a < 2; a++)              // 8 x 4 tiles a warp, then 2 x 2 warps a block, where the axes allow
    for (int amt = most[a]; amt >= 2; amt /= 2)
      if (size_of(*ast, ids[a]) % amt == 0 && size_of(*ast, ids[a]) >= amt) {
        UOp *next = heur_try(*ast, (Opt){ OPT_UPCAST, ids[a], amt }, g->caps, g->opts, g->max, g->n);
        if (next != *ast) { *ast = next; break; }
      }
  for (int a = 1; a >= 0; a--)
    if (size_of(*ast, ids[a]) % 2 == 0 && size_of(*ast, ids[a]) >= 2)
      *ast = heur_try(*ast, (Opt){ OPT_LOCAL, ids[a], 2 }, g->caps, g->opts, g->max, g->n);
  if (size_of(*ast, k) % 2 == 0 && size_of(*ast, k) >= 4)     // two K steps a trip: the next step's loads overlap the mmas
    *ast = heur_try(*ast, (Opt){ OPT_UNROLL, k, 2 }, g->caps, g->opts, g->max, g->n);
  return true;
}

UOp *opt_heuristic_gpu(UOp *ast, const RendererCaps *caps, Opt *opts, int max, int *nopts) {
  *nopts = 0;
  if (env_int("NOOPT", 0)) return ast;
  Gpu g = { .caps = caps, .opts = opts, .max = max, .n = nopts };
  refresh(&g, ast);
  if (!heur_has_reduce(ast)) rule_elementwise(&g, &ast);
  else if (g.nr && !rule_tc(&g, &ast) && !rule_rows(&g, &ast) && !rule_strided(&g, &ast)) rule_tile(&g, &ast);
  return ast;
}
