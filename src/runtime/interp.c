// INTERP device: runs a Program's linear UOp list directly, no compiler (the oracle backends are compared with)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")     // a*b+c rounds twice, as the C renderer's kernels (-ffp-contract=off)
#endif
#include "runtime/runtime.h"
#include "renderer/cprelude.h"
#include "uop/axis.h"
#include "codegen/wmma.h"
#include "base/error.h"
#include "base/hashmap.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

TG_CODE_HALF
TG_CODE_BF16
TG_CODE_F2I
TG_CODE_THREEFRY

/* A value slot per list position. Integers (bool, ints, index) live in i, wrapped to their dtype
 * (unsigned types below 64 bits zero-extended, uint64 as its bit pattern); float32/float16/bfloat16
 * in f (16-bit values already rounded); float64 in d; buffers and registers in p. */
typedef union { int64_t i; float f; double d; void *p; } Val;

typedef struct {
  int n;
  int *src_off, *src;     // positions of lin[i]'s sources: src[src_off[i] .. src_off[i+1])
  int *jump;              // RANGE: its END; IF: its ENDIF
  int *jidx;              // RANGE: its place in its END's range list
  int *var_slot;          // DEFINE_VAR: slot in vars
  bool *thread;           // RANGE: a thread range (LOCAL/GROUP)
} Plan;

static ScalarType st(const UOp *u) { return (ScalarType)u->dtype.scalar; }
static bool is_f32ish(ScalarType s) { return s == DT_FLOAT32 || s == DT_FLOAT16 || s == DT_BFLOAT16; }

static int64_t wrap(ScalarType t, uint64_t v) {
  return (t == DT_INT64 || t == DT_UINT64 || t == DT_INDEX) ? (int64_t)v : st_wrap_int(t, (int64_t)v);
}

static float round16(ScalarType t, float f) { return t == DT_FLOAT16 ? tg_rh(f) : t == DT_BFLOAT16 ? tg_rbf(f) : f; }

// ---- ALU, with the C renderer's semantics (see renderer/cstyle.h) ----
static int64_t int_div(Op op, ScalarType t, int64_t a, int64_t b) {
  bool sgn = !st_is_unsigned(t) && t != DT_BOOL;
  if (b == 0) return 0;
  if (t == DT_UINT64) return (int64_t)(op == OP_CDIV ? (uint64_t)a / (uint64_t)b : (uint64_t)a % (uint64_t)b);
  if (sgn && b == -1) return op == OP_CDIV ? wrap(t, 0 - (uint64_t)a) : 0;
  return wrap(t, (uint64_t)(op == OP_CDIV ? a / b : a % b));
}

static int64_t int_shift(Op op, ScalarType t, int64_t a, int64_t b) {
  int bits = st_itemsize(t) * 8;
  bool big = (uint64_t)b >= (uint64_t)bits;
  if (op == OP_SHL) return big ? 0 : wrap(t, (uint64_t)a << b);
  if (st_is_unsigned(t) || t == DT_BOOL) return big ? 0 : (int64_t)((uint64_t)a >> b);
  return big ? a >> (bits - 1) : a >> b;
}

static int64_t alu_int(Op op, ScalarType t, int64_t a, int64_t b, int64_t c) {
  uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
  bool u64 = t == DT_UINT64;
  switch (op) {
  case OP_ADD: return wrap(t, ua + ub);
  case OP_SUB: return wrap(t, ua - ub);
  case OP_MUL: return wrap(t, ua * ub);
  case OP_MULACC: return wrap(t, ua * ub + (uint64_t)c);
  case OP_NEG: return wrap(t, 0 - ua);
  case OP_TRUNC: return a;
  case OP_CDIV: case OP_CMOD: return int_div(op, t, a, b);
  case OP_MAX: return (u64 ? ua < ub : a < b) ? b : a;
  case OP_CMPLT: return u64 ? ua < ub : a < b;
  case OP_CMPNE: return a != b;
  case OP_CMPEQ: return a == b;
  case OP_AND: return wrap(t, ua & ub);
  case OP_OR: return wrap(t, ua | ub);
  case OP_XOR: return wrap(t, ua ^ ub);
  case OP_SHL: case OP_SHR: return int_shift(op, t, a, b);
  case OP_THREEFRY: return (int64_t)tg_threefry(ua, ub);
  default: TG_UNREACHABLE("INTERP: %s on integer dtype %s", op_name(op), st_name(t));
  }
}

static float alu_f32(Op op, float a, float b, float c) {
  switch (op) {
  case OP_ADD: return a + b;
  case OP_SUB: return a - b;
  case OP_MUL: return a * b;
  case OP_FDIV: return a / b;
  case OP_MULACC: { float t = a * b; return t + c; }
  case OP_MAX: return a != a ? a : b != b ? b : a < b ? b : a;
  case OP_POW: return powf(a, b);
  case OP_EXP2: return exp2f(a);
  case OP_LOG2: return log2f(a);
  case OP_SIN: return sinf(a);
  case OP_SQRT: return sqrtf(a);
  case OP_RECIPROCAL: return 1.0f / a;
  case OP_NEG: return -a;
  case OP_TRUNC: return truncf(a);
  default: TG_UNREACHABLE("INTERP: %s on float32", op_name(op));
  }
}

static double alu_f64(Op op, double a, double b, double c) {
  switch (op) {
  case OP_ADD: return a + b;
  case OP_SUB: return a - b;
  case OP_MUL: return a * b;
  case OP_FDIV: return a / b;
  case OP_MULACC: { double t = a * b; return t + c; }
  case OP_MAX: return a != a ? a : b != b ? b : a < b ? b : a;
  case OP_POW: return pow(a, b);
  case OP_EXP2: return exp2(a);
  case OP_LOG2: return log2(a);
  case OP_SIN: return sin(a);
  case OP_SQRT: return sqrt(a);
  case OP_RECIPROCAL: return 1.0 / a;
  case OP_NEG: return -a;
  case OP_TRUNC: return trunc(a);
  default: TG_UNREACHABLE("INTERP: %s on float64", op_name(op));
  }
}

static int64_t cmp_float(Op op, double a, double b) {
  return op == OP_CMPLT ? a < b : op == OP_CMPNE ? a != b : a == b;
}

static double as_double(ScalarType s, Val v) {
  return is_f32ish(s) ? v.f : s == DT_FLOAT64 ? v.d : s == DT_UINT64 ? (double)(uint64_t)v.i : (double)v.i;
}

static float as_float(ScalarType s, Val v) {   // C's (float)x: one rounding from the source type
  return is_f32ish(s) ? v.f : s == DT_FLOAT64 ? (float)v.d : s == DT_UINT64 ? (float)(uint64_t)v.i : (float)v.i;
}

static Val cast_val(ScalarType t, ScalarType s, Val v) {
  Val r = { 0 };
  if (t == s) return v;
  if (t == DT_BOOL) r.i = st_is_float(s) ? as_double(s, v) != 0 : v.i != 0;
  else if (t == DT_FLOAT64) r.d = as_double(s, v);
  else if (is_f32ish(t)) r.f = round16(t, as_float(s, v));
  else if (!st_is_float(s)) r.i = wrap(t, (uint64_t)v.i);
  else {
    double x = as_double(s, v);
    if (t == DT_UINT64) r.i = (int64_t)tg_f2u64(x);
    else if (st_itemsize(t) < 4 || t == DT_INT32) r.i = wrap(t, (uint64_t)(int64_t)tg_f2i32(x));
    else r.i = wrap(t, (uint64_t)tg_f2i64(x));
  }
  return r;
}

static uint64_t to_bits(ScalarType s, Val v) {
  uint64_t b = 0;
  if (s == DT_FLOAT32) memcpy(&b, &v.f, 4);
  else if (s == DT_FLOAT64) memcpy(&b, &v.d, 8);
  else if (s == DT_FLOAT16) b = tg_f2h(v.f);
  else if (s == DT_BFLOAT16) b = tg_f2bf(v.f);
  else b = (uint64_t)v.i;
  int n = st_itemsize(s);
  return n == 8 ? b : b & ((1ull << (n * 8)) - 1);
}

static Val from_bits(ScalarType t, uint64_t b) {
  Val r = { 0 };
  if (t == DT_FLOAT32) { uint32_t w = (uint32_t)b; memcpy(&r.f, &w, 4); }
  else if (t == DT_FLOAT64) memcpy(&r.d, &b, 8);
  else if (t == DT_FLOAT16) r.f = tg_h2f((uint16_t)b);
  else if (t == DT_BFLOAT16) r.f = tg_bf2f((uint16_t)b);
  else if (t == DT_BOOL) r.i = (b & 0xff) != 0;
  else r.i = wrap(t, b);
  return r;
}

static Val alu(UOp *u, const Val *a) {
  Op op = (Op)u->op;
  ScalarType t = st(u), s = u->nsrc ? st(u->src[0]) : t;
  Val r = { 0 };
  if (op == OP_CAST) return cast_val(t, s, a[0]);
  if (op == OP_BITCAST) return from_bits(t, to_bits(s, a[0]));
  if (op == OP_WHERE) return a[0].i ? a[1] : a[2];
  if (op == OP_THREEFRY || !st_is_float(s)) {
    r.i = alu_int(op, t, a[0].i, u->nsrc > 1 ? a[1].i : 0, u->nsrc > 2 ? a[2].i : 0);
    return r;
  }
  if (op_is_comparison(op)) { r.i = cmp_float(op, as_double(s, a[0]), as_double(s, a[1])); return r; }
  if (t == DT_FLOAT64) r.d = alu_f64(op, a[0].d, u->nsrc > 1 ? a[1].d : 0, u->nsrc > 2 ? a[2].d : 0);
  else r.f = round16(t, alu_f32(op, a[0].f, u->nsrc > 1 ? a[1].f : 0, u->nsrc > 2 ? a[2].f : 0));
  return r;
}

// ---- memory ----
static Val mem_load(ScalarType t, const void *base, int64_t i) {
  Val r = { 0 };
  switch (t) {
  case DT_BOOL: r.i = ((const uint8_t *)base)[i] != 0; break;
  case DT_INT8: r.i = ((const int8_t *)base)[i]; break;
  case DT_UINT8: r.i = ((const uint8_t *)base)[i]; break;
  case DT_INT16: r.i = ((const int16_t *)base)[i]; break;
  case DT_UINT16: r.i = ((const uint16_t *)base)[i]; break;
  case DT_INT32: r.i = ((const int32_t *)base)[i]; break;
  case DT_UINT32: r.i = ((const uint32_t *)base)[i]; break;
  case DT_INT64: case DT_UINT64: case DT_INDEX: r.i = ((const int64_t *)base)[i]; break;
  case DT_FLOAT16: r.f = tg_h2f(((const uint16_t *)base)[i]); break;
  case DT_BFLOAT16: r.f = tg_bf2f(((const uint16_t *)base)[i]); break;
  case DT_FLOAT32: r.f = ((const float *)base)[i]; break;
  case DT_FLOAT64: r.d = ((const double *)base)[i]; break;
  default: TG_UNREACHABLE("INTERP: load of %s", st_name(t));
  }
  return r;
}

static void mem_store(ScalarType t, void *base, int64_t i, Val v) {
  switch (t) {
  case DT_BOOL: case DT_INT8: case DT_UINT8: ((uint8_t *)base)[i] = (uint8_t)v.i; break;
  case DT_INT16: case DT_UINT16: ((uint16_t *)base)[i] = (uint16_t)v.i; break;
  case DT_INT32: case DT_UINT32: ((uint32_t *)base)[i] = (uint32_t)v.i; break;
  case DT_INT64: case DT_UINT64: case DT_INDEX: ((int64_t *)base)[i] = v.i; break;
  case DT_FLOAT16: ((uint16_t *)base)[i] = tg_f2h(v.f); break;
  case DT_BFLOAT16: ((uint16_t *)base)[i] = tg_f2bf(v.f); break;
  case DT_FLOAT32: ((float *)base)[i] = v.f; break;
  case DT_FLOAT64: ((double *)base)[i] = v.d; break;
  default: TG_UNREACHABLE("INTERP: store of %s", st_name(t));
  }
}

// ---- the run ----
typedef struct {
  Program *p;
  Plan *pl;
  Val *v;
  int64_t *limit;        // per position: element count of a DEFINE_GLOBAL/DEFINE_REG/DEFINE_LOCAL
  Buffer **bufs;
  const int64_t *vars;
  bool in_block;         // a virtual thread of a block (see run_block): thread ranges hold its own indices
  int64_t tid;           // in a block: the thread's number
  int64_t *phase;        // shared: how many times the threads have met at a barrier, plus 1
  struct Shadow **shadow;// per DEFINE_LOCAL position: who last wrote and read each element, in which phase
} Run;

/* The race check on shared memory. A thread may read an element another thread wrote, or write one another thread
 * read or wrote with a different value, only across a BARRIER. Run one after another, virtual threads would hide a
 * missing barrier (the last thread to store sees every part), so INTERP checks instead, and aborts on a race. */
typedef struct Shadow { int64_t w_phase, w_tid, r_phase, r_tid; } Shadow;
enum { MANY_READERS = -2 };

static bool same_val(ScalarType t, const Val *a, const Val *b) {   // bit for bit, in the member t uses
  if (t == DT_FLOAT64) return !memcmp(&a->d, &b->d, sizeof a->d);
  if (st_is_float(t)) return !memcmp(&a->f, &b->f, sizeof a->f);
  return a->i == b->i;
}

static void race_check(Run *r, int at, int buf_pos, int64_t e, bool store, const Val *old, const Val *val) {
  Shadow *sh = &r->shadow[buf_pos][e];
  int64_t ph = *r->phase;
  const char *what = NULL;
  if (!store && sh->w_phase == ph && sh->w_tid != r->tid) what = "reads an element another thread wrote";
  if (store && sh->r_phase == ph && sh->r_tid != r->tid) what = "writes an element another thread read";
  if (store && sh->w_phase == ph && sh->w_tid != r->tid && !same_val(st(r->p->lin[buf_pos]), old, val))
    what = "writes another value where another thread wrote";
  TG_ASSERT(!what, "INTERP: program %s, lin[%d]: thread %lld %s (element %lld of DEFINE_LOCAL %lld) with no BARRIER between", r->p->name, at,
            (long long)r->tid, what, (long long)e, (long long)r->p->lin[buf_pos]->arg.i);
  if (store) { sh->w_phase = ph; sh->w_tid = r->tid; }
  else { sh->r_tid = sh->r_phase == ph && sh->r_tid != r->tid ? MANY_READERS : r->tid; sh->r_phase = ph; }
}

static Val *S(Run *r, int i, int k) { return &r->v[r->pl->src[r->pl->src_off[i] + k]]; }
static int nsrc(Run *r, int i) { return r->pl->src_off[i + 1] - r->pl->src_off[i]; }

// The element an INDEX addresses; returns false when its gate is off. Aborts when out of bounds.
static bool address(Run *r, int at, int idx_pos, void **base, int64_t *elem) {
  UOp *index = r->p->lin[idx_pos];
  TG_ASSERT(index->op == OP_INDEX && nsrc(r, idx_pos) >= 2, "INTERP: lin[%d] %s accesses memory through %s", at,
            op_name((Op)r->p->lin[at]->op), op_name((Op)index->op));
  int n = nsrc(r, idx_pos);
  if (n >= 3 && st(index->src[n - 1]) == DT_BOOL && !S(r, idx_pos, n - 1)->i) return false;
  int buf_pos = r->pl->src[r->pl->src_off[idx_pos]];
  *base = r->v[buf_pos].p;
  *elem = S(r, idx_pos, 1)->i;
  TG_ASSERT(*elem >= 0 && *elem < r->limit[buf_pos],
            "INTERP: program %s, lin[%d] %s: index %lld is outside %s %lld of %lld elements", r->p->name, at,
            op_name((Op)r->p->lin[at]->op), (long long)*elem, op_name((Op)r->p->lin[buf_pos]->op),
            (long long)r->p->lin[buf_pos]->arg.i, (long long)r->limit[buf_pos]);
  return true;
}

static ScalarType mem_type(Run *r, int idx_pos) {
  UOp *buf = r->p->lin[r->pl->src[r->pl->src_off[idx_pos]]];
  return buf->op == OP_DEFINE_REG || buf->op == OP_DEFINE_LOCAL ? DT_VOID : st(buf);    // registers and shared memory hold Vals
}

static void do_load(Run *r, int i, UOp *u) {
  int idx_pos = r->pl->src[r->pl->src_off[i]];
  bool alt = u->nsrc >= 2 && st(u->src[1]) != DT_VOID;
  bool gate = !(u->nsrc >= 3 && st(u->src[2]) == DT_BOOL) || S(r, i, 2)->i;
  void *base;
  int64_t e;
  if (gate && address(r, i, idx_pos, &base, &e)) {
    ScalarType t = mem_type(r, idx_pos);
    int buf_pos = r->pl->src[r->pl->src_off[idx_pos]];
    if (r->shadow[buf_pos]) race_check(r, i, buf_pos, e, false, NULL, NULL);
    r->v[i] = t == DT_VOID ? ((Val *)base)[e] : mem_load(t, base, e);
  } else r->v[i] = alt ? *S(r, i, 1) : (Val){ 0 };
}

static void do_store(Run *r, int i, UOp *u) {
  int idx_pos = r->pl->src[r->pl->src_off[i]];
  if (u->nsrc >= 3 && st(u->src[2]) == DT_BOOL && !S(r, i, 2)->i) return;
  void *base;
  int64_t e;
  if (!address(r, i, idx_pos, &base, &e)) return;
  ScalarType t = mem_type(r, idx_pos);
  int buf_pos = r->pl->src[r->pl->src_off[idx_pos]];
  if (r->shadow[buf_pos]) race_check(r, i, buf_pos, e, true, &((Val *)base)[e], S(r, i, 1));
  if (t == DT_VOID) ((Val *)base)[e] = *S(r, i, 1);
  else mem_store(t, base, e, *S(r, i, 1));
}

// Closes the END's ranges from its k-th (innermost first): the next pc.
static int end_step(Run *r, int end_pos, int k) {
  for (int n = nsrc(r, end_pos); k < n; k++) {
    int rp = r->pl->src[r->pl->src_off[end_pos] + k];
    r->v[rp].i++;
    if (r->v[rp].i < S(r, rp, 0)->i) return rp + 1;
  }
  return end_pos + 1;
}

static int step(Run *r, int i);

/* ---- the threads of a block ----
 * The thread ranges form one chain from `first` to its END (codegen/program.h). Each combination of their values is a
 * virtual thread with its own copy of the values (and of every register array) that runs from the chain's start
 * until a BARRIER or the chain's END; once every thread has stopped, those at a barrier go on. DEFINE_LOCAL arrays
 * are shared. Values computed inside the chain are not used after it, so the main run continues past its END. */
typedef struct { Val *v; int64_t *limit; int pc; bool done; } VThread;

static int block_ranges(Run *r, int first, int end, int *pos, int64_t *size) {
  int n = 0;
  for (int i = first; i < end; i++)
    if (r->p->lin[i]->op == OP_RANGE && r->pl->thread[i]) {
      TG_ASSERT(n < 8 && r->p->lin[i]->src[0]->op == OP_CONST, "INTERP: program %s: thread range lin[%d] of symbolic size or too many", r->p->name, i);
      pos[n] = i;
      size[n++] = r->p->lin[i]->src[0]->arg.i;
    }
  return n;
}

static void thread_start(Run *r, VThread *t, int64_t id, const int *pos, const int64_t *size, int n, int first) {
  int nlin = r->p->nlin;
  t->v = malloc((size_t)nlin * sizeof(Val));
  t->limit = malloc((size_t)nlin * sizeof(int64_t));
  TG_ASSERT(t->v && t->limit, "out of memory");
  memcpy(t->v, r->v, (size_t)nlin * sizeof(Val));
  memcpy(t->limit, r->limit, (size_t)nlin * sizeof(int64_t));
  for (int i = 0; i < nlin; i++)
    if (r->p->lin[i]->op == OP_DEFINE_REG && r->v[i].p) {          // registers are private
      t->v[i].p = calloc((size_t)r->limit[i], sizeof(Val));
      TG_ASSERT(t->v[i].p, "out of memory");
    }
  for (int k = n - 1; k >= 0; k--) { t->v[pos[k]].i = id % size[k]; id /= size[k]; }
  t->pc = first + 1;
  t->done = false;
}

static void thread_free(Run *r, VThread *t) {
  for (int i = 0; i < r->p->nlin; i++) if (r->p->lin[i]->op == OP_DEFINE_REG && r->v[i].p) free(t->v[i].p);
  free(t->v);
  free(t->limit);
}

typedef enum { RAN_TO_END, AT_BARRIER, AT_WMMA } Stop;

// Runs t until a BARRIER (passed), a WMMA (not run: it needs the whole warp) or the end of the block.
static Stop thread_run(Run *tr, VThread *t, int end) {
  tr->v = t->v;
  tr->limit = t->limit;
  while (t->pc != end) {
    TG_ASSERT(t->pc < end, "INTERP: program %s: a thread left its block", tr->p->name);
    if (tr->p->lin[t->pc]->op == OP_BARRIER) { t->pc++; return AT_BARRIER; }
    if (tr->p->lin[t->pc]->op == OP_WMMA) return AT_WMMA;
    t->pc = step(tr, t->pc);
  }
  t->done = true;
  return RAN_TO_END;
}

/* Every thread waits at the WMMA at pc: each warp (32 consecutive threads: the warp range is the innermost thread
 * range) puts its lanes' fragments together (codegen/wmma.h) and each lane gets its element of A @ B + C, summed in
 * k order in float32 (products of 16-bit floats are exact in float32). */
static void run_wmma(Run *r, VThread *ts, int64_t nthreads, int pc) {
  UOp *u = r->p->lin[pc];
  const int *src = r->pl->src + r->pl->src_off[pc];
  int c = wmma_component(u), flags = wmma_flags(u);
  for (int64_t w = 0; w < nthreads; w += WMMA_LANES) {
    float a[WMMA_M][WMMA_K], b[WMMA_K][WMMA_N], acc[WMMA_M][WMMA_N];
    for (int l = 0; l < WMMA_LANES; l++) {
      Val *v = ts[w + l].v;
      int g = l / 4, t2 = 2 * (l % 4);
      TG_ASSERT(ts[w + l].pc == pc, "INTERP: program %s: the lanes of a warp wait at different WMMAs", r->p->name);
      WmmaAt p, q;
      for (int j = 0; j < WMMA_NA; j++) { wmma_a_at(j, flags & WMMA_A_ROWS, &p, &q); a[wmma_at(p, l)][wmma_at(q, l)] = v[src[j]].f; }
      for (int j = 0; j < WMMA_NB; j++) { wmma_b_at(j, flags & WMMA_B_ROWS, &p, &q); b[wmma_at(p, l)][wmma_at(q, l)] = v[src[WMMA_NA + j]].f; }
      for (int j = 0; j < WMMA_NC; j++) acc[g + wmma_c_row(j)][t2 + wmma_c_col(j)] = v[src[WMMA_NA + WMMA_NB + j]].f;
    }
    for (int l = 0; l < WMMA_LANES; l++) {
      int row = l / 4 + wmma_c_row(c), col = 2 * (l % 4) + wmma_c_col(c);
      float d = acc[row][col];
      for (int k = 0; k < WMMA_K; k++) d += a[row][k] * b[k][col];
      ts[w + l].v[pc].f = d;
      ts[w + l].pc = pc + 1;
    }
  }
}

static void check_warp(Run *r, const int *pos, const int64_t *size, int n, int64_t nthreads) {
  bool warp = n > 0 && axis_kind(r->p->lin[pos[n - 1]]) == AXIS_WARP && size[n - 1] == WMMA_LANES && nthreads % WMMA_LANES == 0;
  TG_ASSERT(warp, "INTERP: program %s: a WMMA outside a warp (the innermost thread range must be a warp range of 32)", r->p->name);
}

static int run_block(Run *r, int first) {
  int end = r->pl->jump[first], pos[8];
  int64_t size[8], nthreads = 1;
  int n = block_ranges(r, first, end, pos, size);
  for (int k = 0; k < n; k++) nthreads *= size[k];
  VThread *ts = calloc((size_t)nthreads, sizeof *ts);
  TG_ASSERT(ts, "out of memory");
  for (int64_t t = 0; t < nthreads; t++) thread_start(r, &ts[t], t, pos, size, n, first);
  Run tr = *r;
  tr.in_block = true;
  // Phases count barriers only: the next block (a trip of the loops around) starts in the phase this one ended in,
  // as a GPU's grid-stride loop runs it on the same threads, so a missing barrier before shared memory is reused
  // between blocks is a race too. A WMMA is a meeting point of the warp's lanes, not of shared memory: no new phase.
  for (;;) {
    int64_t stopped[3] = { 0 };
    for (int64_t t = 0; t < nthreads; t++) {
      tr.tid = t;
      if (!ts[t].done) stopped[thread_run(&tr, &ts[t], end)]++;
    }
    int64_t waiting = stopped[AT_BARRIER] + stopped[AT_WMMA];
    TG_ASSERT(waiting == 0 || stopped[AT_BARRIER] == nthreads || stopped[AT_WMMA] == nthreads,
              "INTERP: program %s: %lld of %lld threads wait at a BARRIER or WMMA the others never reach", r->p->name, (long long)waiting,
              (long long)nthreads);
    if (!waiting) break;
    if (stopped[AT_WMMA]) {
      check_warp(r, pos, size, n, nthreads);
      run_wmma(r, ts, nthreads, ts[0].pc);
    } else ++*r->phase;
  }
  for (int64_t t = 0; t < nthreads; t++) thread_free(r, &ts[t]);
  free(ts);
  return end + 1;
}

static int step(Run *r, int i) {
  UOp *u = r->p->lin[i];
  switch ((Op)u->op) {
  case OP_CONST:
    if (st_is_float(st(u))) {
      double x = st_round_float(st(u), uop_const_value(u));
      if (st(u) == DT_FLOAT64) r->v[i].d = x; else r->v[i].f = (float)x;
    } else r->v[i].i = u->arg.kind == ARG_INT ? u->arg.i : (int64_t)uop_const_value(u);
    return i + 1;
  case OP_DEFINE_GLOBAL: {
    Buffer *b = r->bufs[u->arg.i];
    buf_ensure(b);
    r->v[i].p = b->ptr;
    r->limit[i] = u->dtype.size >= 0 && u->dtype.size < b->size ? u->dtype.size : b->size;
    return i + 1;
  }
  case OP_DEFINE_VAR: r->v[i].i = wrap(st(u), (uint64_t)r->vars[r->pl->var_slot[i]]); return i + 1;
  case OP_DEFINE_REG: case OP_DEFINE_LOCAL:
    if (!r->v[i].p) {
      TG_ASSERT(u->dtype.size > 0, "INTERP: %s without a size", op_name((Op)u->op));
      r->v[i].p = calloc((size_t)u->dtype.size, sizeof(Val));
      TG_ASSERT(r->v[i].p, "out of memory");
      r->limit[i] = u->dtype.size;
      if (u->op == OP_DEFINE_LOCAL) r->shadow[i] = calloc((size_t)u->dtype.size, sizeof(Shadow));
      TG_ASSERT(u->op != OP_DEFINE_LOCAL || r->shadow[i], "out of memory");
    }
    return i + 1;
  case OP_RANGE:
    if (r->pl->thread[i]) return r->in_block ? i + 1 : run_block(r, i);   // a thread's index was set when it started
    r->v[i].i = 0;
    return 0 < S(r, i, 0)->i ? i + 1 : end_step(r, r->pl->jump[i], r->pl->jidx[i] + 1);
  case OP_END: return r->in_block && r->pl->thread[r->pl->src[r->pl->src_off[i]]] ? i + 1 : end_step(r, i, 0);
  case OP_IF: return S(r, i, 0)->i ? i + 1 : r->pl->jump[i] + 1;
  case OP_LOAD: do_load(r, i, u); return i + 1;
  case OP_STORE: do_store(r, i, u); return i + 1;
  case OP_AFTER: r->v[i] = *S(r, i, 0); return i + 1;
  case OP_INDEX: case OP_ENDIF: case OP_SINK: case OP_NOOP: case OP_GROUP: case OP_BARRIER: return i + 1;
  case OP_WMMA: TG_UNREACHABLE("INTERP: program %s: a WMMA outside the threads of a block", r->p->name);
  default: {
    TG_ASSERT(op_is_alu((Op)u->op), "INTERP: program %s: unsupported op %s", r->p->name, op_name((Op)u->op));
    Val a[3] = { { 0 } };
    for (int k = 0; k < (int)u->nsrc && k < 3; k++) a[k] = *S(r, i, k);
    r->v[i] = alu(u, a);
    return i + 1;
  }
  }
}

// ---- plan (made at compile) ----
static void plan_free(Plan *pl) {
  if (!pl) return;
  free(pl->src_off); free(pl->src); free(pl->jump); free(pl->jidx); free(pl->var_slot); free(pl->thread);
  free(pl);
}

static int cmp_desc(const void *a, const void *b) { return *(const int *)b - *(const int *)a; }

static Plan *plan_new(Program *p) {
  int n = p->nlin, total = 0;
  for (int i = 0; i < n; i++) total += (int)p->lin[i]->nsrc;
  Plan *pl = calloc(1, sizeof *pl);
  TG_ASSERT(pl, "out of memory");
  pl->n = n;
  pl->src_off = calloc((size_t)n + 1, sizeof(int));
  pl->src = calloc((size_t)total + 1, sizeof(int));
  pl->jump = calloc((size_t)n + 1, sizeof(int));
  pl->jidx = calloc((size_t)n + 1, sizeof(int));
  pl->var_slot = calloc((size_t)n + 1, sizeof(int));
  pl->thread = calloc((size_t)n + 1, sizeof(bool));
  TG_ASSERT(pl->src_off && pl->src && pl->jump && pl->jidx && pl->var_slot && pl->thread, "out of memory");
  HMap pos = { 0 };
  for (int i = 0; i < n; i++) hmap_put(&pos, (uint64_t)(uintptr_t)p->lin[i], (uint64_t)i);
  int at = 0;
  for (int i = 0; i < n; i++) {
    UOp *u = p->lin[i];
    pl->src_off[i] = at;
    for (uint32_t k = 0; k < u->nsrc; k++)      // an END keeps only its RANGEs, innermost (latest) first
      if (u->op != OP_END || u->src[k]->op == OP_RANGE) pl->src[at++] = (int)hmap_get_or(&pos, (uint64_t)(uintptr_t)u->src[k], 0);
    if (u->op == OP_END) {
      qsort(pl->src + pl->src_off[i], (size_t)(at - pl->src_off[i]), sizeof(int), cmp_desc);
      for (int k = pl->src_off[i]; k < at; k++) { pl->jump[pl->src[k]] = i; pl->jidx[pl->src[k]] = k - pl->src_off[i]; }
    }
    if (u->op == OP_ENDIF) pl->jump[hmap_get_or(&pos, (uint64_t)(uintptr_t)u->src[0], 0)] = i;
    pl->thread[i] = axis_is_thread(u);
    TG_ASSERT(u->op != OP_END || !axis_is_thread(u->src[0]) || at - pl->src_off[i] == 1, "INTERP: program %s: an END closes a thread range with others",
              p->name);
    if (u->op == OP_DEFINE_VAR)
      for (int k = 0; k < p->nvars; k++) if (p->vars[k] == u) pl->var_slot[i] = k;
  }
  pl->src_off[n] = at;
  hmap_free(&pos);
  return pl;
}

// ---- the device ----
static int interp_compile(Device *d, Program *p) {
  program_verify(p);
  for (int i = 0; i < p->nlin; i++)
    if (p->lin[i]->dtype.count != 1 || p->lin[i]->dtype.vcount != 1) {
      tg_set_error("INTERP: program %s: vector dtypes are not supported yet (lin[%d] %s)", p->name, i, op_name((Op)p->lin[i]->op));
      return -1;
    }
  if (p->dev && p->dev->release) p->dev->release(p->dev, p);
  p->lib = plan_new(p);
  p->dev = d;
  return 0;
}

static int interp_exec(Device *d, Program *p, Buffer **bufs, const int64_t *vars) {
  (void)d;
  if (rt_check_args(p, bufs, vars) < 0) return -1;
  TG_ASSERT(p->lib, "INTERP: program %s was not compiled", p->name);
  Run r = { .p = p, .pl = p->lib, .bufs = bufs, .vars = vars };
  int64_t phase = 1;                 // 0 in a Shadow: never
  r.phase = &phase;
  r.v = calloc((size_t)p->nlin + 1, sizeof(Val));
  r.limit = calloc((size_t)p->nlin + 1, sizeof(int64_t));
  r.shadow = calloc((size_t)p->nlin + 1, sizeof(Shadow *));
  TG_ASSERT(r.v && r.limit && r.shadow, "out of memory");
  for (int pc = 0; pc < p->nlin;) pc = step(&r, pc);
  for (int i = 0; i < p->nlin; i++) if (p->lin[i]->op == OP_DEFINE_REG || p->lin[i]->op == OP_DEFINE_LOCAL) { free(r.v[i].p); free(r.shadow[i]); }
  free(r.shadow);
  free(r.v);
  free(r.limit);
  return 0;
}

static void interp_release(Device *d, Program *p) {
  (void)d;
  plan_free(p->lib);
  p->lib = NULL;
}

// A launch-time integer expression (a RANGE bound): CONST, DEFINE_VAR and integer ALU.
int64_t rt_eval_int(UOp *u, const Program *p, const int64_t *vars) {
  if (u->op == OP_CONST) return u->arg.kind == ARG_INT ? u->arg.i : (int64_t)uop_const_value(u);
  if (u->op == OP_DEFINE_VAR) {
    for (int k = 0; k < p->nvars; k++) if (p->vars[k] == u) return wrap(st(u), (uint64_t)vars[k]);
    TG_UNREACHABLE("rt_eval_int: DEFINE_VAR %s is not in program %s's vars", uop_var_name(u), p->name);
  }
  TG_ASSERT(op_is_alu((Op)u->op) && u->nsrc <= 3 && !st_is_float(st(u)), "rt_eval_int: %s %s is not an integer expression",
            op_name((Op)u->op), st_name(st(u)));
  Val a[3] = { { 0 } };
  for (uint32_t k = 0; k < u->nsrc; k++) a[k].i = rt_eval_int(u->src[k], p, vars);
  return alu(u, a).i;
}

void rt_interp_init(Device *d) {
  d->caps = (RendererCaps){ .has_transcendental = true, .has_half = false, .max_upcast = 1 };
  d->host_memory = true;
  d->alloc = rt_host_alloc; d->free = rt_host_free; d->copyin = rt_host_copy; d->copyout = rt_host_copy;
  d->compile = interp_compile; d->exec = interp_exec; d->release = interp_release;
}
