// Hand-coded opts for the CPU: register-tile reduce kernels (upcast two output axes, unroll the inner reduce)
#include "codegen/opt/opt_internal.h"
#include "base/env.h"
#include "base/hashmap.h"
#include "base/threadpool.h"
#include "uop/symbolic.h"

/* Accumulators a register tile may hold: three quarters of the vector registers (12 of AVX2's 16, 24 of AVX-512's
 * 32), leaving room for the tile's B vectors and a broadcast. FMA has a latency of 4-5 cycles on two pipes, so 8-10
 * independent accumulators are needed just to keep both busy: a 1024 matmul's 6x16 float tile ran at 161-166
 * GFLOP/s where 4x16 ran at 114-116 (bench_cpu_opts, BENCHMARKS.md). */
static int vector_registers(int vector_bytes) { return vector_bytes >= 64 ? 32 : 16; }
static int acc_budget(int vector_bytes) { return vector_registers(vector_bytes) * 3 / 4; }

int heur_ranges(UOp *ast, int kind, Axis *out, int max) {
  const UOpList *t = uop_toposort(ast);
  int n = 0;
  for (int64_t i = 0; i < t->n && n < max; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_RANGE && u->arg.tup[1] == kind && u->src[0]->op == OP_CONST) out[n++] = (Axis){ u, u->src[0]->arg.i };
  }
  for (int a = 1; a < n; a++)      // by id: outer axes first
    for (int b = a; b > 0 && out[b].r->arg.tup[0] < out[b - 1].r->arg.tup[0]; b--) { Axis x = out[b]; out[b] = out[b - 1]; out[b - 1] = x; }
  return n;
}

bool heur_has_reduce(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_REDUCE) return true;
  return false;
}

UOp *heur_try(UOp *ast, Opt o, const RendererCaps *caps, Opt *opts, int max, int *n) {
  UOp *r = opt_apply(ast, o, caps, NULL, 0);
  if (!r) return ast;
  if (*n < max) opts[(*n)++] = o;
  return r;
}

// The first store's index moves by exactly 1 when r does: r can be SIMD lanes with contiguous stores.
// idx(r + 1) - idx(r) when it is a constant (INT64_MIN otherwise), with r as a free variable (substituting
// r + 1 for r would recurse)
int64_t heur_step(UOp *idx, UOp *r) {
  UOp *v = uop_var("vec_probe", 0, r->src[0]->arg.i - 2), *v1 = uop_add_i(v, 1);
  UOp *d = sym_simplify(uop_sub(sym_substitute(idx, &r, &v1, 1), sym_substitute(idx, &r, &v, 1)));
  return d->op == OP_CONST ? d->arg.i : INT64_MIN;
}

bool heur_store_contiguous(UOp *ast, UOp *r) { return heur_step(ast->src[0]->src[0]->src[1], r) == 1; }

// The trips of the reduce loops around a load: the product of the reduce ranges its index uses.
static int64_t reduce_trips(UOp *load) {
  const UOpList *t = uop_toposort(load->src[0]->src[1]);
  int64_t trips = 1;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_RANGE && u->arg.tup[1] == 1 && u->src[0]->op == OP_CONST) trips *= u->src[0]->arg.i;
  }
  return trips;
}

static int64_t heaviest_trips(const UOpList *t) {
  int64_t heaviest = 1;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_LOAD && u->src[0]->op == OP_INDEX) { int64_t tr = reduce_trips(u); if (tr > heaviest) heaviest = tr; }
  }
  return heaviest;
}

int heur_main_loads(UOp *ast, UOp **out, int max) {
  const UOpList *t = uop_toposort(ast);
  int64_t heaviest = heaviest_trips(t);
  int n = 0;
  for (int64_t i = 0; i < t->n && n < max; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_LOAD && u->src[0]->op == OP_INDEX && reduce_trips(u) * 8 >= heaviest) out[n++] = u;
  }
  return n;
}

// Copies of an output axis are separate accumulators only if the main loop nest's loads depend on it: a
// convolution's gradient fused into a max-pool's backward is broadcast over the pool window, and upcasting
// the window axes would leave one accumulator (the copies are the same UOps).
bool heur_feeds_main_loop(UOp *ast, UOp *r) {
  const UOpList *t = uop_toposort(ast);
  int64_t heaviest = heaviest_trips(t);
  if (heaviest == 1) return true;                 // no reduce loads: nothing to share
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_LOAD && u->src[0]->op == OP_INDEX && reduce_trips(u) * 8 >= heaviest && uop_reaches(u->src[0]->src[1], r)) return true;
  }
  return false;
}

// Loads that lanes over r would read contiguously, and loads they would have to gather (neither contiguous nor
// the same for every lane). Only the loads of the heaviest loop nest count: a gather in an epilogue, or in a
// reduce 8x shorter than the main one (a max-pool's window beside a convolution), costs little.
void heur_load_steps(UOp *ast, UOp *r, int *contiguous, int *gathers) {
  const UOpList *t = uop_toposort(ast);
  int64_t heaviest = heaviest_trips(t);
  *contiguous = *gathers = 0;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op != OP_LOAD || u->src[0]->op != OP_INDEX || reduce_trips(u) * 8 < heaviest) continue;
    int64_t st = heur_step(u->src[0]->src[1], r);
    *contiguous += st == 1;
    *gathers += st != 1 && st != 0;
  }
}

static int store_itemsize(UOp *ast) { return st_itemsize((ScalarType)ast->src[0]->src[0]->dtype.scalar); }

/* SIMD lanes for a reduce kernel, the first that fits of:
 *   0. an output axis the store walks contiguously and no load has to gather over;
 *   1. an output axis some loads walk contiguously and none gathers over, the store scattering its lanes (the
 *      output channels of a convolution whose weight has cout innermost: the input is the same for every lane,
 *      and the scattered store runs once per output, after the whole reduce);
 *   2. the reduce axis most loads walk contiguously with no gathers (its lanes are added after the loop);
 *   3. an output axis the store walks contiguously anyway.
 * Returns the lane axis id, or -1. */
static bool lanes_fit_output(UOp *ast, Axis *outs, int no, int i, int lanes, int rule) {
  int c, g;
  if (outs[i].size % lanes) return false;
  if (i == 0 && outs[i].size / lanes < 2 * tp_threads() && no > 1) return false;   // the first axis feeds the threads
  bool contiguous_store = heur_store_contiguous(ast, outs[i].r);
  heur_load_steps(ast, outs[i].r, &c, &g);
  if (rule == 0) return contiguous_store && !g;
  if (rule == 1) return !contiguous_store && !g && c > 0;
  return contiguous_store;
}

static bool vectorize_axis(UOp **ast, UOp *r, int lanes, Opt *opts, int max, int *nopts) {
  UOp *next = heur_try(*ast, (Opt){ OPT_VECTORIZE, (int)r->arg.tup[0], lanes }, NULL, opts, max, nopts);
  if (next == *ast) return false;
  *ast = next;
  return true;
}

static int pick_vector_axis(UOp **ast, int lanes, Axis *outs, int no, Axis *reds, int nr, Opt *opts, int max, int *nopts) {
  for (int rule = 0; rule < 4; rule++) {
    if (rule == 2) {
      int best = -1, most = 0;
      for (int i = 0; i < nr; i++) {
        int c = 0, g = 0;
        if (reds[i].size % lanes == 0) heur_load_steps(*ast, reds[i].r, &c, &g);
        if (!g && c > most) { most = c; best = i; }
      }
      if (best >= 0 && vectorize_axis(ast, reds[best].r, lanes, opts, max, nopts)) return (int)reds[best].r->arg.tup[0];
      continue;
    }
    for (int i = no - 1; i >= 0; i--)
      if (lanes_fit_output(*ast, outs, no, i, lanes, rule) && vectorize_axis(ast, outs[i].r, lanes, opts, max, nopts))
        return (int)outs[i].r->arg.tup[0];
  }
  return -1;
}

// No axis fits SIMD lanes: the innermost output axis the store walks contiguously, with no load gathering over
// it, padded to a multiple of 16-byte lanes when that adds at most a quarter (PADTO: 10 outputs -> 12), then
// vectorized. Returns the lane axis id, or -1.
static int pad_for_lanes(UOp **ast, int max_lanes, Axis *outs, int no, Opt *opts, int max, int *nopts) {
  int lanes = max_lanes < 4 ? max_lanes : 4;
  if (no == 0 || lanes < 2) return -1;
  Axis *in = &outs[no - 1];
  int c, g;
  heur_load_steps(*ast, in->r, &c, &g);
  if (in->size % lanes == 0 || g || !heur_store_contiguous(*ast, in->r) || (no == 1 && in->size < 2 * lanes * tp_threads())) return -1;
  int axis = (int)in->r->arg.tup[0], before = *nopts;
  UOp *padded = heur_try(*ast, (Opt){ OPT_PADTO, axis, lanes }, NULL, opts, max, nopts);
  if (padded == *ast) return -1;
  UOp *vec = heur_try(padded, (Opt){ OPT_VECTORIZE, axis, lanes }, NULL, opts, max, nopts);
  if (vec == padded) { *nopts = before; return -1; }   // padding alone buys nothing
  *ast = vec;
  return axis;
}

/* The vectors a trip of the main loop keeps live: its accumulators (REDUCEs) and the vector loads that several of
 * them share. A matmul's 6x16 tile unrolled by 4 holds 12 + 8: GCC then re-reads B from memory for every FMA and the
 * kernel becomes load bound (1024: 106 against 161-166 GFLOP/s unrolled not at all). A load with one user is
 * folded into its FMA, and scalar loads (broadcasts) are used at once: neither counts. */
static int loop_vectors(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  HMap users = { 0 };
  uop_count_users(t, &users);
  int n = 0;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_REDUCE && u->dtype.count > 1) n++;
    if (u->op == OP_LOAD && u->dtype.count > 1 && reduce_trips(u) > 1 && hmap_get_or(&users, (uint64_t)(uintptr_t)u, 0) > 1) n++;
  }
  hmap_free(&users);
  return n;
}

/* An unroll that outgrows the registers, measured on the demo's kernels and the matmul (BENCHMARKS.md): a body with
 * more than twice the registers in vectors (a conv forward's 6x2 tile unrolled over 5 kernel columns: 18 -> 42) ran
 * 10-15% slower; a full register tile partially unrolled past the registers (the 1024 matmul's 6x16 tile by 4: 12 ->
 * 20) ran 1.6x slower. Bodies just past the registers gain from the unroll all the same (a conv weight gradient,
 * 12 -> 18 by 4: 1.9x faster than not unrolled), as GCC folds the extra loads into their FMAs. */
static bool too_many_vectors(UOp *unrolled, bool partial, bool full_tile, int vector_bytes) {
  int n = loop_vectors(opt_finish(unrolled)), regs = vector_registers(vector_bytes);
  return n > 2 * regs || (partial && full_tile && n > regs);
}

/* Upcast a register-tile axis by the largest k <= most that divides it, or by `most` after padding it to a multiple
 * (PADTO; its loads read the clamped last row) when that gives more useful accumulators a trip than the divisor and
 * the padding adds at most 1/8 (a 1024-row matmul: 6 rows a tile over 1026 rows, where the divisors give 4). The
 * threaded axis keeps 4 trips per thread. Returns the new kernel, or ast unchanged. */
static UOp *upcast_tile_axis(UOp *ast, Axis ax, int most, bool threaded, Opt *opts, int max, int *nopts) {
  int axis = (int)ax.r->arg.tup[0], best = 0;
  for (int k = most; k >= 2 && !best; k--)
    if (ax.size % k == 0 && !(threaded && ax.size / k < 4 * tp_threads())) best = k;
  int64_t padded = (ax.size + most - 1) / most * most;
  bool pad_wins = (double)most * (double)ax.size / (double)padded > best + 0.5;     // useful accumulators a trip
  if (pad_wins && most >= 3 && (padded - ax.size) * 8 <= ax.size && !(threaded && padded / most < 4 * tp_threads())) {
    int before = *nopts;
    UOp *p = heur_try(ast, (Opt){ OPT_PADTO, axis, most }, NULL, opts, max, nopts);
    UOp *up = p != ast ? heur_try(p, (Opt){ OPT_UPCAST, axis, most }, NULL, opts, max, nopts) : p;
    if (up != p) return up;
    *nopts = before;
  }
  return best ? heur_try(ast, (Opt){ OPT_UPCAST, axis, best }, NULL, opts, max, nopts) : ast;
}

/* Still no lanes: the innermost output axis they divide, its loads gathered lane by lane. The vector ALU work still
 * pays where it outweighs the loads: a batchnorm fused into a max-pool (a 2x2 window of stride-2 loads, ~10 ops an
 * element) ran 7.3 -> 3.9 ms, the other pool of the demo network 2.2 -> 0.4 ms. Returns the lane axis id, or -1. */
static int gather_lanes(UOp **ast, int lanes, Axis *outs, int no, Opt *opts, int max, int *nopts) {
  for (int i = no - 1; i >= 0 && lanes >= 2; i--) {
    if (outs[i].size % lanes || (i == 0 && outs[i].size / lanes < 2 * tp_threads() && no > 1)) continue;
    if (vectorize_axis(ast, outs[i].r, lanes, opts, max, nopts)) return (int)outs[i].r->arg.tup[0];
  }
  return -1;
}

/* Cache blocking of a matmul-like kernel by loop order: when a main-loop load reads a buffer larger than the L2
 * cache (a matmul's B) through the second output axis but not the first, the two swap, so the outer loop walks
 * B's column panels and each panel stays in cache while the inner loop goes through every row of A (which then
 * streams from L3). The outer axis is the threaded one: it keeps at least two trips per thread. */
enum { L2_BYTES = 1 << 20 };
static UOp *panel_outermost(UOp *ast, Opt *opts, int max, int *nopts) {
  Axis outs[16];
  UOp *loads[32];
  int no = heur_ranges(ast, 0, outs, 16), nl = heur_main_loads(ast, loads, 32);
  if (no < 2 || outs[1].size < 2 * tp_threads()) return ast;
  for (int i = 0; i < nl; i++) {
    UOp *g = loads[i]->src[0]->src[0], *idx = loads[i]->src[0]->src[1];
    int64_t bytes = g->dtype.size * st_itemsize((ScalarType)g->dtype.scalar);
    if (g->op != OP_DEFINE_GLOBAL || bytes < 2 * L2_BYTES || uop_reaches(idx, outs[0].r) || !uop_reaches(idx, outs[1].r)) continue;
    return heur_try(ast, (Opt){ OPT_SWAP, (int)outs[0].r->arg.tup[0], (int)outs[1].r->arg.tup[0] }, NULL, opts, max, nopts);
  }
  return ast;
}

UOp *opt_heuristic(UOp *ast, const RendererCaps *caps, Opt *opts, int max, int *nopts) {
  *nopts = 0;
  if (caps && caps->has_local) return opt_heuristic_gpu(ast, caps, opts, max, nopts);
  int vector_bytes = caps ? caps->vector_bytes : 0;
  if (env_int("NOOPT", 0) || !heur_has_reduce(ast)) return ast;
  Axis outs[16], reds[16];
  int no = heur_ranges(ast, 0, outs, 16), nr = heur_ranges(ast, 1, reds, 16);
  // the widest vectors that fit an axis; down to 16 bytes (an axis of 20 still gets 4 float lanes)
  int vec_axis = -1;
  for (int lanes = vector_bytes / store_itemsize(ast); lanes >= 2 && lanes * store_itemsize(ast) >= 16 && vec_axis < 0 && ast->nsrc == 1; lanes /= 2)
    vec_axis = pick_vector_axis(&ast, lanes, outs, no, reds, nr, opts, max, nopts);
  if (vec_axis < 0 && ast->nsrc == 1) vec_axis = pad_for_lanes(&ast, vector_bytes / store_itemsize(ast), outs, no, opts, max, nopts);
  if (vec_axis < 0 && ast->nsrc == 1) vec_axis = gather_lanes(&ast, vector_bytes / store_itemsize(ast), outs, no, opts, max, nopts);
  if (vec_axis >= 0) {   // the split changed the ranges
    no = heur_ranges(ast, 0, outs, 16);
    nr = heur_ranges(ast, 1, reds, 16);
  }
  // register tiles: upcast up to two output axes, keeping the accumulators (vectors) within the
  // budget so they stay in registers; the vector axis's own trips go by 2 at most. The first axis is split over
  // threads, so it keeps enough trips for every core.
  int acc = 1, done = 0, budget = acc_budget(vector_bytes);
  // the vector axis first (its 2 vectors share each broadcast load, as a matmul tile's 16 columns do), then the
  // others from the innermost: a conv whose lanes are output channels tiles 2 channel vectors x 5 columns, where
  // columns first took 5 x 2 rows with one vector (the eval pass's conv2: 228 -> 158 ms)
  int order[16], nord = 0;
  for (int i = no - 1; i >= 0; i--) if (outs[i].r->arg.tup[0] == vec_axis) order[nord++] = i;
  for (int i = no - 1; i >= 0; i--) if (outs[i].r->arg.tup[0] != vec_axis) order[nord++] = i;
  for (int oi = 0; oi < nord && done < 2; oi++) {
    int i = order[oi];
    bool vaxis = outs[i].r->arg.tup[0] == vec_axis;
    if (!heur_feeds_main_loop(ast, outs[i].r)) continue;
    // a lone output axis (a column sum) takes the whole budget: more lanes per row read whole cache lines and
    // pages, where its reduce walks rows far apart
    // a non-vector axis takes at most half the budget, so a tile spans two axes and shares loads both ways (a
    // conv's 12 output rows in one axis ran 1.4x slower than 6 rows x 2 channels)
    int most = vaxis ? (no == 1 ? budget : 2) : budget / acc < budget / 2 ? budget / acc : budget / 2;
    if (most > 32) most = 32;
    UOp *next = upcast_tile_axis(ast, outs[i], most, i == 0, opts, max, nopts);
    if (next != ast) { ast = next; done++; acc *= (int)(opts[*nopts - 1].amount); }
  }
  ast = panel_outermost(ast, opts, max, nopts);
  // unroll the innermost reduce axis, fully when small, else by 4, unless its loop body's vectors would outgrow the
  // registers (see too_many_vectors)
  if (nr > 0) {
    Axis in = reds[nr - 1];
    int k = in.size <= 8 ? (int)in.size : in.size % 4 == 0 ? 4 : 0, before = *nopts;
    UOp *next = k >= 2 ? heur_try(ast, (Opt){ OPT_UNROLL, (int)in.r->arg.tup[0], k }, NULL, opts, max, nopts) : ast;
    if (next != ast && !too_many_vectors(next, k < in.size, acc >= budget, vector_bytes)) ast = next;
    else *nopts = before;
  }
  return ast;
}
