// The TC opt: a float16/bfloat16 matmul's M, N, K axes become warp-level tensor-core tiles (WMMA, codegen/wmma.h)
#include "codegen/opt/opt_internal.h"
#include "codegen/wmma.h"
#include "uop/symbolic.h"
#include <stdio.h>

/* Matched: REDUCE(ADD, MUL(x, y), ranges...) of dtype float32 (or the inputs' 16-bit type), possibly with a CAST
 * between the REDUCE and the MUL, where x and y are float16/bfloat16 values, each possibly CAST to float32 (tinygrad
 * matches the same). M is the innermost output axis x depends on and y does not, N the same for y, K the given reduce
 * axis, which both depend on. */
typedef struct TcMatch { UOp *red, *x, *y, *m, *n, *k; ScalarType in; } TcMatch;
enum { MAX_STORES = 256, MAX_REDUCE_SRCS = 16 };

static ScalarType st(const UOp *u) { return (ScalarType)u->dtype.scalar; }
static bool is16(ScalarType s) { return s == DT_FLOAT16 || s == DT_BFLOAT16; }

// a 16-bit float operand, under at most one CAST to float32
static UOp *operand(UOp *u) {
  if (u->op == OP_CAST && st(u) == DT_FLOAT32 && u->dtype.count == 1) u = u->src[0];
  return is16(st(u)) && u->dtype.count == 1 ? u : NULL;
}

static UOp *only_reduce(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  UOp *red = NULL;
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_REDUCE) { if (red) return NULL; red = t->items[i]; }
  return red;
}

static bool reduces_over(const UOp *red, const UOp *r) {
  for (uint32_t k = 1; k < red->nsrc; k++) if (red->src[k] == r) return true;
  return false;
}

// The innermost (highest id) constant output axis of size divisible by div that a reaches and b does not.
static UOp *own_axis(UOp *ast, UOp *a, UOp *b, int div) {
  Axis outs[16];
  int no = heur_ranges(ast, AXIS_OUTPUT, outs, 16);
  for (int i = no - 1; i >= 0; i--)
    if (outs[i].size % div == 0 && uop_reaches(a, outs[i].r) && !uop_reaches(b, outs[i].r)) return outs[i].r;
  return NULL;
}

static bool has_kind(UOp *ast, int kind) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && axis_kind(t->items[i]) == kind) return true;
  return false;
}

static bool any_thread(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (axis_is_thread(t->items[i])) return true;
  return false;
}

static const char *match(UOp *ast, Opt o, const RendererCaps *caps, TcMatch *m) {
  if (!caps || !caps->tc) return "the device has no tensor cores";
  if ((ast->arg.kind == ARG_INT && (ast->arg.i & KERNEL_NOLOCALS)) || kernel_threads(ast)) return "the kernel is marked NOLOCALS or THREAD";
  if (any_thread(ast) || has_kind(ast, AXIS_LANE)) return "TC must come before thread ranges and VECTORIZE";
  if (!(m->red = only_reduce(ast))) return "the kernel needs exactly one reduce";
  if (ast->nsrc * WMMA_NC > MAX_STORES || m->red->nsrc > MAX_REDUCE_SRCS) return "the kernel has too many stores or reduce ranges";
  UOp *body = m->red->src[0];
  ScalarType acc = st(m->red);
  if (m->red->arg.i != OP_ADD || m->red->dtype.count != 1 || (acc != DT_FLOAT32 && !is16(acc))) return "the reduce is not a float sum";
  if (body->op == OP_CAST && st(body) == acc) body = body->src[0];
  if (body->op != OP_MUL || !(m->x = operand(body->src[0])) || !(m->y = operand(body->src[1]))) return "the reduce is not a sum of products of float16/bfloat16 values";
  m->in = st(m->x);
  if (st(m->y) != m->in || (is16(acc) && acc != m->in)) return "the inputs' dtypes differ";
  m->k = opt_find_range(ast, o.axis);
  if (!m->k || !reduces_over(m->red, m->k) || m->k->src[0]->op != OP_CONST) return "the axis is not a constant-size reduce axis of the sum";
  if (m->k->src[0]->arg.i % WMMA_K) return "K is not a multiple of 16";
  if (!uop_reaches(m->x, m->k) || !uop_reaches(m->y, m->k)) return "an input does not depend on K";
  if (!(m->m = own_axis(ast, m->x, m->y, WMMA_M))) return "no output axis of A alone (M) of a multiple of 16";
  if (!(m->n = own_axis(ast, m->y, m->x, WMMA_N))) return "no output axis of B alone (N) of a multiple of 8";
  return caps->local_max < WMMA_LANES ? "a block holds fewer than 32 threads" : NULL;
}

// r (n trips) -> r' of n/tile trips (the same id), or 0 when one trip is left
static UOp *outer(UOp *r, int tile) {
  int64_t n = r->src[0]->arg.i / tile;
  return n > 1 ? uop1(OP_RANGE, r->dtype, uop_iconst(n), arg_tuple(r->arg.tup, (int)r->arg.n)) : uop_iconst(0);
}

static int64_t next_range_id(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  int64_t id = 0;
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[0] >= id) id = t->items[i]->arg.tup[0] + 1;
  return id;
}

// Along one axis: base * tile + the lane's part (g or 2t, wmma_at) + the offset
static UOp *at(UOp *base, int tile, WmmaAt a, UOp *g, UOp *t2) {
  return uop_add(uop_add_i(uop_mul_i(base, tile), a.off), a.g ? g : t2);
}

/* Along K: which element of the 16-step a K slot of the instruction takes. Any bijection gives the same sum when A and
 * B use the same one; this one gives each lane 4 consecutive elements (slots 2t, 2t+1, 2t+8, 2t+9 -> 4t .. 4t+3), so
 * an operand whose pairs run along K is read 8 bytes at a time (renderer) instead of 4. */
static UOp *k_at(UOp *base, WmmaAt a, UOp *g, UOp *t2) {
  UOp *slot = uop_add_i(a.g ? g : t2, a.off);
  UOp *quad = uop_cdiv(uop_cmod(slot, uop_iconst(8)), uop_iconst(2)), *half = uop_cdiv(slot, uop_iconst(8));
  UOp *k = uop_add(uop_add(uop_mul_i(quad, 4), uop_mul_i(half, 2)), uop_cmod(slot, uop_iconst(2)));
  return uop_add(uop_mul_i(base, WMMA_K), k);
}

// An operand that is a load walking `along` contiguously and `k` not: its pairs are better taken along `along`.
static bool pairs_along(UOp *x, UOp *along, UOp *k) {
  if (x->op != OP_LOAD || x->src[0]->op != OP_INDEX || along->src[0]->op != OP_CONST || along->src[0]->arg.i < 2) return false;
  UOp *idx = x->src[0]->src[1];
  return heur_step(idx, along) == 1 && heur_step(idx, k) != 1;
}

/* The rewrite. lane = the warp range (32 threads), g = lane / 4, t = lane % 4; m', n', k' the tiles' own loops.
 *   A_j = x[m -> m'*16 + (A_j's row), k -> k'*16 + k_at(its column)]     B_j = y[k -> k'*16 + k_at(its row), n -> n'*8 + (its column)]
 *   (codegen/wmma.h; with each operand's pairs along the axis its memory is contiguous in)
 *   W_c = WMMA(A, B, 0), red_c = REDUCE(ADD, W_c, the reduce's other ranges, k')   (float32 accumulators)
 * and every store is repeated for c = 0..3 with the reduce -> red_c (cast back to a 16-bit reduce's dtype),
 * m -> m'*16 + g + c_row(c), n -> n'*8 + 2t + c_col(c). The linearizer folds the accumulator into C. */
static UOp *rewrite(UOp *ast, const TcMatch *m) {
  UOp *lane = uop1(OP_RANGE, m->k->dtype, uop_iconst(WMMA_LANES), arg_tuple((int64_t[]){ next_range_id(ast), AXIS_WARP }, 2));
  UOp *g = uop_cdiv(lane, uop_iconst(4)), *t2 = uop_mul_i(uop_cmod(lane, uop_iconst(4)), 2);
  UOp *mo = outer(m->m, WMMA_M), *no = outer(m->n, WMMA_N), *ko = outer(m->k, WMMA_K);
  int flags = (pairs_along(m->x, m->m, m->k) ? WMMA_A_ROWS : 0) | (pairs_along(m->y, m->n, m->k) ? WMMA_B_ROWS : 0);
  UOp *src[WMMA_SRCS], *from[3], *to[3];
  WmmaAt p, q;
  for (int j = 0; j < WMMA_NA; j++) {
    wmma_a_at(j, flags & WMMA_A_ROWS, &p, &q);
    from[0] = m->m; to[0] = at(mo, WMMA_M, p, g, t2);
    from[1] = m->k; to[1] = k_at(ko, q, g, t2);
    src[j] = sym_substitute(m->x, from, to, 2);
  }
  for (int j = 0; j < WMMA_NB; j++) {
    wmma_b_at(j, flags & WMMA_B_ROWS, &p, &q);
    from[0] = m->k; to[0] = k_at(ko, p, g, t2);
    from[1] = m->n; to[1] = at(no, WMMA_N, q, g, t2);
    src[WMMA_NA + j] = sym_substitute(m->y, from, to, 2);
  }
  for (int j = 0; j < WMMA_NC; j++) src[WMMA_NA + WMMA_NB + j] = uop_const(dt_scalar(DT_FLOAT32), 0);
  UOp *stores[MAX_STORES];
  int ns = 0;
  for (int c = 0; c < WMMA_NC; c++) {
    UOp *rsrc[MAX_REDUCE_SRCS];
    int nr = 0;
    rsrc[nr++] = wmma_node(src, m->in, c, flags);
    for (uint32_t k = 1; k < m->red->nsrc; k++) if (m->red->src[k] != m->k) rsrc[nr++] = m->red->src[k];   // match() bounds nsrc
    if (ko->op == OP_RANGE) rsrc[nr++] = ko;
    UOp *red = nr > 1 ? uop_new(OP_REDUCE, dt_scalar(DT_FLOAT32), rsrc, nr, m->red->arg) : rsrc[0];
    if (st(m->red) != DT_FLOAT32) red = uop_cast(red, m->red->dtype);
    from[0] = m->red; to[0] = red;
    from[1] = m->m; to[1] = at(mo, WMMA_M, (WmmaAt){ 1, 0, wmma_c_row(c) }, g, t2);
    from[2] = m->n; to[2] = at(no, WMMA_N, (WmmaAt){ 0, 1, wmma_c_col(c) }, g, t2);
    for (uint32_t i = 0; i < ast->nsrc; i++) stores[ns++] = sym_substitute(ast->src[i], from, to, 3);   // match() bounds nsrc
  }
  return sym_simplify(uop_new(OP_SINK, DT_VOID_T, stores, ns, ast->arg));
}

bool opt_tc_axes(UOp *ast, int k_axis, const RendererCaps *caps, int *m_axis, int *n_axis) {
  TcMatch m = { 0 };
  if (match(ast, (Opt){ OPT_TC, k_axis, 0 }, caps, &m)) return false;
  *m_axis = (int)m.m->arg.tup[0];
  *n_axis = (int)m.n->arg.tup[0];
  return true;
}

UOp *opt_tc(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen) {
  TcMatch m = { 0 };
  const char *bad = match(ast, o, caps, &m);
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "TC axis %d: %s", o.axis, bad);
    return NULL;
  }
  return rewrite(ast, &m);
}
