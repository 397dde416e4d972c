// C renderer: a Program's linear UOp list -> one C function (the source the CPU backend compiles)
#include "renderer/cstyle.h"
#include "renderer/cprelude.h"
#include "renderer/cudaprelude.h"
#include "renderer/gpuflat.h"
#include "renderer/cudaload.h"
#include "uop/axis.h"
#include "codegen/wmma.h"
#include "uop/symbolic.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/strbuf.h"
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  Program *p;
  StrBuf out;
  HMap pos;                 // node -> position + 1
  char **name;              // per position: variable name, literal, or NULL
  int depth, n_alu, n_val, n_cast, n_wmma, n_wmma_frag;
  bool need_half, need_bf16, need_f2i, need_threefry, need_mma, failed;
  int scalar_accs;          // scalar accumulators (DEFINE_REG of one lane)
  bool cuda;                // the CUDA dialect (rend_cuda): a __global__ kernel with a grid-stride parallel range
  int block;                // CUDA: threads per block (the launch bound)
  UOp *flat[GPU_FLAT_MAX];  // CUDA: the output ranges one flat thread index covers (renderer/gpuflat.h)
  int nflat;
  uint64_t vec_types[DT_SCALAR_COUNT_];   // per lane type: bit k set when a vector of 2^k lanes is used
  int *load_lead, *load_lane;             // CUDA: 16-byte load groups (renderer/cudaload.h); NULL: none
  bool index32;             // CUDA: every index value fits in 32 bits: index math in int (see index_fits_int32)
} R;

static ScalarType st(const UOp *u) { return (ScalarType)u->dtype.scalar; }
static bool is_f16(ScalarType s) { return s == DT_FLOAT16 || s == DT_BFLOAT16; }

const char *rend_c_type(ScalarType s) {
  static const char *names[DT_SCALAR_COUNT_] = {
    [DT_BOOL] = "_Bool", [DT_INT8] = "int8_t", [DT_UINT8] = "uint8_t", [DT_INT16] = "int16_t",
    [DT_UINT16] = "uint16_t", [DT_INT32] = "int32_t", [DT_UINT32] = "uint32_t", [DT_INT64] = "int64_t",
    [DT_UINT64] = "uint64_t", [DT_FLOAT16] = "float", [DT_BFLOAT16] = "float", [DT_FLOAT32] = "float",
    [DT_FLOAT64] = "double", [DT_INDEX] = "int64_t", [DT_VOID] = "void" };
  return names[s];
}

// The C type of a value of node type s: index math in int where the kernel's index values fit (CUDA)
static const char *ty(R *r, ScalarType s) { return s == DT_INDEX && r->index32 ? "int" : rend_c_type(s); }

// ---- vectors: GCC/Clang generic vectors; bool lanes are int32 0/1, half/bfloat16 lanes compute as float ----

static const char *lane_type(ScalarType s) { return s == DT_BOOL ? "int32_t" : rend_c_type(s); }
static int lane_bytes(ScalarType s) { return s == DT_BOOL || s == DT_FLOAT16 || s == DT_BFLOAT16 ? 4 : s == DT_INDEX ? 8 : st_itemsize(s); }
static int lanes(const UOp *u) { return u->dtype.count; }

// The C type of a value: the scalar type, or tg_<lane>x<n> for n lanes (typedef emitted by the prelude).
static const char *ctype(R *r, DType d, char *buf, size_t n) {
  ScalarType s = (ScalarType)d.scalar;
  if (d.count == 1) return ty(r, s);
  int k = __builtin_ctz((unsigned)d.count);
  if ((1 << k) == d.count) r->vec_types[s] |= 1ull << k;
  snprintf(buf, n, "tg_%sx%d", lane_type(s), d.count);
  char *sp = strchr(buf, ' ');
  if (sp) *sp = '_';
  return buf;
}

static const char *store_type(ScalarType s) {    // how a global buffer holds it
  return is_f16(s) ? "uint16_t" : s == DT_BOOL ? "unsigned char" : rend_c_type(s);
}

static const char *unsigned_type(ScalarType s) {
  switch (st_itemsize(s)) { case 1: return "uint8_t"; case 2: return "uint16_t"; case 4: return "uint32_t"; default: return "uint64_t"; }
}

static void fail(R *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(R *r, const char *fmt, ...) {
  if (r->failed) return;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tg_set_error("rend_c(%s): %s", r->p->name, msg);
  r->failed = true;
}

static const char *nm(R *r, UOp *u) {
  uint64_t at = hmap_get_or(&r->pos, (uint64_t)(uintptr_t)u, 0);
  TG_ASSERT(at, "rend_c: a source is not in the linear list");
  const char *s = r->name[at - 1];
  if (!s) { fail(r, "%s has no C value here", op_name((Op)u->op)); return "0"; }
  return s;
}

static void line(R *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(R *r, const char *fmt, ...) {
  for (int i = 0; i < r->depth + 1; i++) sb_puts(&r->out, "  ");
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < (int)sizeof buf) sb_puts(&r->out, buf);
  else {
    char *big = malloc((size_t)n + 1);
    TG_ASSERT(big, "out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_puts(&r->out, big);
    free(big);
  }
  sb_putc(&r->out, '\n');
}

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  TG_ASSERT(d, "out of memory");
  return d;
}

// ---- literals ----
static char *int_literal(ScalarType t, int64_t v) {
  char b[64];
  switch (t) {
  case DT_BOOL: snprintf(b, sizeof b, "%d", v != 0); break;
  case DT_INT32:
    if (v == INT32_MIN) snprintf(b, sizeof b, "(-2147483647-1)");
    else snprintf(b, sizeof b, v < 0 ? "(%" PRId64 ")" : "%" PRId64, v);
    break;
  case DT_INT64: case DT_INDEX:
    if (v == INT64_MIN) snprintf(b, sizeof b, "(-9223372036854775807LL-1)");
    else snprintf(b, sizeof b, v < 0 ? "(%" PRId64 "LL)" : "%" PRId64 "LL", v);
    break;
  case DT_UINT64: snprintf(b, sizeof b, "%" PRIu64 "ULL", (uint64_t)v); break;
  case DT_UINT32: snprintf(b, sizeof b, "%" PRIu64 "u", (uint64_t)(uint32_t)v); break;
  default: snprintf(b, sizeof b, "((%s)%" PRId64 ")", rend_c_type(t), st_wrap_int(t, v)); break;
  }
  return xstrdup(b);
}

static char *float_literal(ScalarType t, double v) {
  bool dbl = t == DT_FLOAT64;
  char b[64];
  if (isnan(v)) return xstrdup(dbl ? "__builtin_nan(\"\")" : "__builtin_nanf(\"\")");
  if (isinf(v)) return xstrdup(v > 0 ? (dbl ? "__builtin_inf()" : "__builtin_inff()") : (dbl ? "(-__builtin_inf())" : "(-__builtin_inff())"));
  char num[48];
  snprintf(num, sizeof num, dbl ? "%.17g" : "%.9g", dbl ? v : (double)(float)v);
  if (!strpbrk(num, ".e")) strcat(num, ".0");
  snprintf(b, sizeof b, signbit(v) ? "(%s%s)" : "%s%s", num, dbl ? "" : "f");
  return xstrdup(b);
}

static char *scalar_literal(UOp *u) {
  ScalarType t = st(u);
  if (st_is_float(t)) return float_literal(t, st_round_float(t, uop_const_value(u)));
  return int_literal(t, u->arg.kind == ARG_INT ? u->arg.i : (int64_t)uop_const_value(u));
}

static char *const_literal(R *r, UOp *u) {
  char *one = scalar_literal(u);
  if (r->index32 && st(u) == DT_INDEX && lanes(u) == 1) {   // an int literal keeps the math in int
    free(one);
    char b[32];
    snprintf(b, sizeof b, u->arg.i < 0 ? "(%" PRId64 ")" : "%" PRId64, u->arg.i);
    return xstrdup(b);
  }
  if (lanes(u) == 1) return one;
  char tb[48];
  StrBuf e = { 0 };
  sb_printf(&e, "((%s){", ctype(r, u->dtype, tb, sizeof tb));
  for (int l = 0; l < lanes(u); l++) sb_printf(&e, l ? ", %s" : "%s", one);
  sb_puts(&e, "})");
  free(one);
  return sb_take(&e);
}

// ---- memory access ----
typedef struct { UOp *buf, *idx, *gate; } Access;

static bool access_of(R *r, UOp *index, Access *a) {
  if (index->op != OP_INDEX || index->nsrc < 2) { fail(r, "LOAD/STORE through %s (vector pointers are not supported)", op_name((Op)index->op)); return false; }
  a->buf = index->src[0];
  a->idx = index->src[1];
  a->gate = index->nsrc >= 3 && st(index->src[index->nsrc - 1]) == DT_BOOL ? index->src[index->nsrc - 1] : NULL;
  if (index->nsrc > 3 || (index->nsrc == 3 && !a->gate)) { fail(r, "INDEX with %u sources", index->nsrc); return false; }
  if (a->buf->op != OP_DEFINE_GLOBAL && a->buf->op != OP_DEFINE_REG && a->buf->op != OP_DEFINE_LOCAL) { fail(r, "INDEX into %s", op_name((Op)a->buf->op)); return false; }
  return true;
}

static void load_expr(R *r, const Access *a, const char *idx, StrBuf *e) {
  const char *buf = nm(r, a->buf);
  ScalarType t = st(a->buf);
  if (a->buf->op != OP_DEFINE_GLOBAL) sb_printf(e, "%s[%s]", buf, idx);   // registers and shared memory hold the C type
  else if (t == DT_FLOAT16) { sb_printf(e, "tg_h2f(%s[%s])", buf, idx); r->need_half = true; }
  else if (t == DT_BFLOAT16) { sb_printf(e, "tg_bf2f(%s[%s])", buf, idx); r->need_bf16 = true; }
  else if (t == DT_BOOL) sb_printf(e, "(%s[%s] != 0)", buf, idx);
  else sb_printf(e, "%s[%s]", buf, idx);
}

// A buffer whose elements are the lanes' C type: vector accesses are one unaligned memcpy.
static bool plain_lanes(UOp *buf) {
  ScalarType t = st(buf);
  return buf->op == OP_DEFINE_GLOBAL && !is_f16(t) && t != DT_BOOL;
}

static char *new_name(R *r, int i, const char *prefix, int *counter) {
  char nbuf[32];
  snprintf(nbuf, sizeof nbuf, "%s%d", prefix, (*counter)++);
  r->name[i] = xstrdup(nbuf);
  return r->name[i];
}

// n contiguous elements from buf[idx]: "T v; if (gate) {...} else v = alt;"
static void render_vector_load(R *r, int i, UOp *u, const Access *a, UOp *alt) {
  char tb[48], ib[160];
  const char *T = ctype(r, u->dtype, tb, sizeof tb), *name = new_name(r, i, "val", &r->n_val), *idx = nm(r, a->idx);
  line(r, "%s %s;", T, name);
  if (a->gate) { line(r, "if (%s) {", nm(r, a->gate)); r->depth++; }
  if (plain_lanes(a->buf)) line(r, "__builtin_memcpy(&%s, %s + %s, sizeof %s);", name, nm(r, a->buf), idx, name);
  else {
    StrBuf e = { 0 };
    snprintf(ib, sizeof ib, "%s + l_", idx);
    load_expr(r, a, ib, &e);
    line(r, "for (int l_ = 0; l_ < %d; l_++) %s[l_] = %s;", lanes(u), name, e.s);
    sb_free(&e);
  }
  if (a->gate) { r->depth--; line(r, "} else %s = %s;", name, alt ? nm(r, alt) : "0"); }
}

// CUDA: a member of a group of four consecutive loads. The group's first member in the list loads all four
// (its own element's index minus its lane is the group's 16-byte-aligned start); every member takes its element.
static void render_grouped_load(R *r, int i, UOp *u, const Access *a) {
  static const char *lane_name[4] = { "x", "y", "z", "w" };
  int lead = r->load_lead[i], l = r->load_lane[i];
  char tb[48], vn[32];
  snprintf(vn, sizeof vn, "ld4_%d", lead);
  if (lead == i) {
    const char *vt = st(a->buf) == DT_FLOAT32 ? "float4" : st(a->buf) == DT_INT32 ? "int4" : "uint4";
    line(r, "%s %s = *(const %s *)(%s + %s - %d);", vt, vn, vt, nm(r, a->buf), nm(r, a->idx), l);
  }
  line(r, "%s %s = %s.%s;", ctype(r, u->dtype, tb, sizeof tb), new_name(r, i, "val", &r->n_val), vn, lane_name[l]);
}

static void render_load(R *r, int i, UOp *u) {
  Access a;
  if (!access_of(r, u->src[0], &a)) return;
  if (r->load_lead && r->load_lead[i] >= 0) { render_grouped_load(r, i, u, &a); return; }
  UOp *alt = u->nsrc >= 2 && st(u->src[1]) != DT_VOID ? u->src[1] : NULL;
  if (!a.gate && u->nsrc >= 3 && st(u->src[2]) == DT_BOOL) a.gate = u->src[2];    // LOAD(idx, alt, gate) form
  if (lanes(u) > 1 && a.buf->op == OP_DEFINE_GLOBAL) { render_vector_load(r, i, u, &a, alt); return; }
  StrBuf e = { 0 };
  if (a.gate) sb_printf(&e, "%s ? ", nm(r, a.gate));
  load_expr(r, &a, nm(r, a.idx), &e);
  if (a.gate) sb_printf(&e, " : %s", alt ? nm(r, alt) : "0");
  char tb[48];
  const char *T = ctype(r, u->dtype, tb, sizeof tb), *name = new_name(r, i, "val", &r->n_val);
  line(r, "%s %s = %s;", T, name, e.s);
  sb_free(&e);
}

static void store_stmt(R *r, const Access *a, const char *idx, const char *v, StrBuf *e) {
  const char *buf = nm(r, a->buf);
  ScalarType t = st(a->buf);
  if (a->buf->op != OP_DEFINE_GLOBAL) sb_printf(e, "%s[%s] = %s;", buf, idx, v);
  else if (t == DT_FLOAT16) { sb_printf(e, "%s[%s] = tg_f2h(%s);", buf, idx, v); r->need_half = true; }
  else if (t == DT_BFLOAT16) { sb_printf(e, "%s[%s] = tg_f2bf(%s);", buf, idx, v); r->need_bf16 = true; }
  else if (t == DT_BOOL) sb_printf(e, "%s[%s] = (unsigned char)%s;", buf, idx, v);
  else sb_printf(e, "%s[%s] = %s;", buf, idx, v);
}

static void render_store(R *r, UOp *u) {
  Access a;
  if (!access_of(r, u->src[0], &a)) return;
  if (!a.gate && u->nsrc >= 3 && st(u->src[2]) == DT_BOOL) a.gate = u->src[2];
  const char *idx = nm(r, a.idx), *v = nm(r, u->src[1]);
  StrBuf e = { 0 };
  if (lanes(u->src[1]) > 1 && a.buf->op == OP_DEFINE_GLOBAL && plain_lanes(a.buf))
    sb_printf(&e, "__builtin_memcpy(%s + %s, &%s, sizeof %s);", nm(r, a.buf), idx, v, v);
  else if (lanes(u->src[1]) > 1 && a.buf->op == OP_DEFINE_GLOBAL) {
    char ib[160], vb[160];
    snprintf(ib, sizeof ib, "%s + l_", idx);
    snprintf(vb, sizeof vb, "%s[l_]", v);
    sb_printf(&e, "for (int l_ = 0; l_ < %d; l_++) ", lanes(u->src[1]));
    store_stmt(r, &a, ib, vb, &e);
  } else store_stmt(r, &a, idx, v, &e);
  if (a.gate) line(r, "if (%s) %s", nm(r, a.gate), e.s);
  else line(r, "%s", e.s);
  sb_free(&e);
}

// ---- ALU ----
static void round_open(R *r, ScalarType t, StrBuf *e) {
  if (t == DT_FLOAT16) { sb_puts(e, "tg_rh("); r->need_half = true; }
  if (t == DT_BFLOAT16) { sb_puts(e, "tg_rbf("); r->need_bf16 = true; }
}
static void round_close(ScalarType t, StrBuf *e) { if (is_f16(t)) sb_putc(e, ')'); }

static void int_div(R *r, UOp *u, const char *a, const char *b, StrBuf *e) {
  UOp *d = u->src[1];
  bool sgn = !st_is_unsigned(st(u)), div = u->op == OP_CDIV;
  if (d->op == OP_CONST && d->arg.kind == ARG_INT && d->arg.i != 0 && !(sgn && d->arg.i == -1))
    sb_printf(e, div ? "%s / %s" : "%s %% %s", a, b);
  else if (!sgn) sb_printf(e, div ? "(%s == 0 ? 0 : %s / %s)" : "(%s == 0 ? 0 : %s %% %s)", b, a, b);
  else if (div) sb_printf(e, "(%s == 0 ? 0 : %s == -1 ? -%s : %s / %s)", b, b, a, a, b);
  else sb_printf(e, "(%s == 0 || %s == -1 ? 0 : %s %% %s)", b, b, a, b);
  (void)r;
}

static void shift(UOp *u, const char *a, const char *b, StrBuf *e) {
  ScalarType t = st(u);
  int bits = st_itemsize(t) * 8;
  const char *T = rend_c_type(t);
  if (u->op == OP_SHL)
    sb_printf(e, "((uint64_t)(%s) >= %d ? (%s)0 : (%s)((%s)(%s) << (%s)))", b, bits, T, T, unsigned_type(t), a, b);
  else if (st_is_unsigned(t))
    sb_printf(e, "((uint64_t)(%s) >= %d ? (%s)0 : (%s)((%s) >> (%s)))", b, bits, T, T, a, b);
  else
    sb_printf(e, "((uint64_t)(%s) >= %d ? (%s)((%s) >> %d) : (%s)((%s) >> (%s)))", b, bits, T, a, bits - 1, T, a, b);
}

static const char *fn_suffix(ScalarType t) { return t == DT_FLOAT64 ? "" : "f"; }

// Signed 32/64-bit arithmetic is rendered through the unsigned type so it wraps with defined behaviour.
// (-fwrapv would say the same, but GCC 12 miscompiles SLP-vectorized code under -fwrapv.) index math
// stays plain signed: it is bounded by buffer sizes and never overflows.
static bool wraps(ScalarType t) { return t == DT_INT32 || t == DT_INT64; }

static bool unary_expr(R *r, UOp *u, const char *a, StrBuf *e) {
  ScalarType t = st(u);
  const char *f = fn_suffix(t);
  switch ((Op)u->op) {
  case OP_EXP2: sb_printf(e, "__builtin_exp2%s(%s)", f, a); break;
  case OP_LOG2: sb_printf(e, "__builtin_log2%s(%s)", f, a); break;
  case OP_SIN: sb_printf(e, "__builtin_sin%s(%s)", f, a); break;
  case OP_SQRT: sb_printf(e, "__builtin_sqrt%s(%s)", f, a); break;
  case OP_TRUNC: if (st_is_float(t)) sb_printf(e, "__builtin_trunc%s(%s)", f, a); else sb_puts(e, a); break;
  case OP_RECIPROCAL: sb_printf(e, t == DT_FLOAT64 ? "1.0 / %s" : "1.0f / %s", a); break;
  case OP_NEG:
    if (wraps(t)) sb_printf(e, "(%s)-(%s)%s", rend_c_type(t), unsigned_type(t), a);
    else sb_printf(e, "-%s", a);
    break;
  default: return false;
  }
  (void)r;
  return true;
}

static bool binary_expr(R *r, UOp *u, const char *a, const char *b, StrBuf *e) {
  bool fl = st_is_float(st(u->src[0]));
  switch ((Op)u->op) {
  case OP_ADD: case OP_SUB: case OP_MUL: {
    const char *o = u->op == OP_ADD ? "+" : u->op == OP_SUB ? "-" : "*";
    if (wraps(st(u))) {     // two's complement wraparound without -fwrapv (see wraps())
      const char *U = unsigned_type(st(u));
      sb_printf(e, "(%s)((%s)%s %s (%s)%s)", rend_c_type(st(u)), U, a, o, U, b);
    } else sb_printf(e, "%s %s %s", a, o, b);
    break;
  }
  case OP_FDIV: sb_printf(e, "%s / %s", a, b); break;
  case OP_CDIV: case OP_CMOD: int_div(r, u, a, b, e); break;
  case OP_MAX:
    if (fl) sb_printf(e, "(%s != %s ? %s : %s != %s ? %s : %s < %s ? %s : %s)", a, a, a, b, b, b, a, b, b, a);
    else if (r->cuda && !st_is_unsigned(st(u)) && st(u) != DT_BOOL) sb_printf(e, "tg_smax(%s, %s)", a, b);   // see cudaprelude.h
    else sb_printf(e, "(%s < %s ? %s : %s)", a, b, b, a);
    break;
  case OP_POW: sb_printf(e, "__builtin_pow%s(%s, %s)", fn_suffix(st(u)), a, b); break;
  case OP_CMPLT: sb_printf(e, "%s < %s", a, b); break;
  case OP_CMPNE: sb_printf(e, "%s != %s", a, b); break;
  case OP_CMPEQ: sb_printf(e, "%s == %s", a, b); break;
  case OP_AND: sb_printf(e, "%s & %s", a, b); break;
  case OP_OR: sb_printf(e, "%s | %s", a, b); break;
  case OP_XOR: sb_printf(e, "%s ^ %s", a, b); break;
  case OP_SHL: case OP_SHR:
    if (st(u) == DT_BOOL) { fail(r, "%s of bool", op_name((Op)u->op)); return true; }
    shift(u, a, b, e);
    break;
  case OP_THREEFRY: sb_printf(e, "tg_threefry(%s, %s)", a, b); r->need_threefry = true; break;
  default: return false;
  }
  return true;
}

static void cast_expr(R *r, UOp *u, const char *a, StrBuf *e) {
  ScalarType t = st(u), s = st(u->src[0]);
  const char *T = rend_c_type(t);
  if (t == s || (t == DT_INDEX && s == DT_INT64) || (t == DT_INT64 && s == DT_INDEX)) sb_puts(e, a);
  else if (t == DT_BOOL) sb_printf(e, "%s != 0", a);
  else if (is_f16(t)) { round_open(r, t, e); sb_printf(e, st_is_float(s) && s != DT_FLOAT64 ? "%s" : "(float)%s", a); round_close(t, e); }
  else if (st_is_float(t)) sb_printf(e, "(%s)%s", T, a);
  else if (!st_is_float(s)) sb_printf(e, "(%s)%s", T, a);
  else {
    r->need_f2i = true;
    int sz = st_itemsize(t);
    if (t == DT_UINT64) sb_printf(e, "tg_f2u64(%s)", a);
    else if (sz < 4 || t == DT_INT32) sb_printf(e, "(%s)tg_f2i32(%s)", T, a);
    else sb_printf(e, "(%s)tg_f2i64(%s)", T, a);
  }
}

static void render_bitcast(R *r, int i, UOp *u) {
  ScalarType t = st(u), s = st(u->src[0]);
  if (lanes(u) > 1) {
    if (lane_bytes(t) != st_itemsize(t) || lane_bytes(s) != st_itemsize(s) || st_itemsize(t) != st_itemsize(s)) { fail(r, "vector BITCAST %s -> %s", st_name(s), st_name(t)); return; }
    char tb[48];
    const char *T = ctype(r, u->dtype, tb, sizeof tb), *name = new_name(r, i, "cast", &r->n_cast);
    line(r, "%s %s; __builtin_memcpy(&%s, &%s, sizeof %s);", T, name, name, nm(r, u->src[0]), name);
    return;
  }
  if (st_itemsize(t) != st_itemsize(s)) { fail(r, "BITCAST %s -> %s changes the size", st_name(s), st_name(t)); return; }
  const char *a = nm(r, u->src[0]);
  char name[32], src[128], dst[64];
  snprintf(name, sizeof name, "cast%d", r->n_cast++);
  r->name[i] = xstrdup(name);
  if (s == DT_FLOAT16) { snprintf(src, sizeof src, "tg_f2h(%s)", a); r->need_half = true; }
  else if (s == DT_BFLOAT16) { snprintf(src, sizeof src, "tg_f2bf(%s)", a); r->need_bf16 = true; }
  else snprintf(src, sizeof src, "%s", a);
  if (t == DT_FLOAT16) { snprintf(dst, sizeof dst, "tg_h2f(d_)"); r->need_half = true; }
  else if (t == DT_BFLOAT16) { snprintf(dst, sizeof dst, "tg_bf2f(d_)"); r->need_bf16 = true; }
  else if (t == DT_BOOL) snprintf(dst, sizeof dst, "d_ != 0");
  else snprintf(dst, sizeof dst, "d_");
  line(r, "%s %s; { %s s_ = %s; %s d_; __builtin_memcpy(&d_, &s_, sizeof d_); %s = %s; }", rend_c_type(t), name,
       store_type(s), src, store_type(t), name, dst);
}

// The scalar C expression of an ALU node over operand expressions a, b, c.
static void alu_expr(R *r, UOp *u, const char *a, const char *b, const char *c, StrBuf *e) {
  Op op = (Op)u->op;
  ScalarType t = st(u);
  bool rounds = is_f16(t) && op != OP_CAST && op != OP_WHERE;   // a select needs no rounding
  if (rounds) round_open(r, t, e);
  if (op == OP_CAST) cast_expr(r, u, a, e);
  else if (op == OP_WHERE) sb_printf(e, "%s ? %s : %s", a, b, c);
  else if (op == OP_MULACC && wraps(t)) {
    const char *U = unsigned_type(t);
    sb_printf(e, "(%s)((%s)%s * (%s)%s + (%s)%s)", rend_c_type(t), U, a, U, b, U, c);
  } else if (op == OP_MULACC) sb_printf(e, "%s * %s + %s", a, b, c);
  else if (!(u->nsrc == 1 ? unary_expr(r, u, a, e) : binary_expr(r, u, a, b, e))) fail(r, "unsupported ALU op %s", op_name(op));
  if (rounds) round_close(t, e);
}

// Float arithmetic maps onto the vector operators; everything else runs per lane (the compiler vectorizes
// these small loops: compares, selects, casts).
static bool native_vector_op(UOp *u) {
  ScalarType t = st(u);
  if (t != DT_FLOAT32 && t != DT_FLOAT64) return false;
  return u->op == OP_ADD || u->op == OP_SUB || u->op == OP_MUL || u->op == OP_FDIV || u->op == OP_MULACC || u->op == OP_NEG;
}

static void render_vector_alu(R *r, int i, UOp *u, const char *name) {
  char tb[48];
  const char *T = ctype(r, u->dtype, tb, sizeof tb);
  const char *src[3] = { "", "", "" };
  for (uint32_t k = 0; k < u->nsrc && k < 3; k++) src[k] = nm(r, u->src[k]);
  StrBuf e = { 0 };
  if (native_vector_op(u)) {
    if (u->op == OP_NEG) sb_printf(&e, "-%s", src[0]);
    else if (u->op == OP_MULACC) sb_printf(&e, "%s * %s + %s", src[0], src[1], src[2]);
    else sb_printf(&e, "%s %s %s", src[0], u->op == OP_ADD ? "+" : u->op == OP_SUB ? "-" : u->op == OP_MUL ? "*" : "/", src[1]);
    line(r, "%s %s = %s;", T, name, e.s);
  } else {
    char lane[3][96];
    for (int k = 0; k < 3; k++) snprintf(lane[k], sizeof lane[k], "%s[l_]", src[k]);
    alu_expr(r, u, lane[0], lane[1], lane[2], &e);
    line(r, "%s %s;", T, name);
    line(r, "for (int l_ = 0; l_ < %d; l_++) %s[l_] = %s;", lanes(u), name, e.s);
  }
  sb_free(&e);
  (void)i;
}

static void render_alu(R *r, int i, UOp *u) {
  Op op = (Op)u->op;
  const char *name = new_name(r, i, op == OP_CAST ? "cast" : "alu", op == OP_CAST ? &r->n_cast : &r->n_alu);
  if (lanes(u) > 1) { render_vector_alu(r, i, u, name); return; }
  const char *a = u->nsrc > 0 ? nm(r, u->src[0]) : "", *b = u->nsrc > 1 ? nm(r, u->src[1]) : "", *c = u->nsrc > 2 ? nm(r, u->src[2]) : "";
  StrBuf e = { 0 };
  alu_expr(r, u, a, b, c, &e);
  line(r, "%s %s = %s;", ty(r, st(u)), name, e.s ? e.s : "0");
  sb_free(&e);
}

static void render_vectorize(R *r, int i, UOp *u) {
  char tb[48];
  const char *T = ctype(r, u->dtype, tb, sizeof tb), *name = new_name(r, i, "vec", &r->n_alu);
  StrBuf e = { 0 };
  for (uint32_t k = 0; k < u->nsrc; k++) sb_printf(&e, k ? ", %s" : "%s", nm(r, u->src[k]));
  line(r, "%s %s = (%s){ %s };", T, name, T, e.s);
  sb_free(&e);
}

static void render_gep(R *r, int i, UOp *u) {
  const char *name = new_name(r, i, "alu", &r->n_alu), *v = nm(r, u->src[0]);
  int64_t lane = u->arg.kind == ARG_INT ? u->arg.i : u->arg.tup[0];
  if (st(u) == DT_BOOL) line(r, "_Bool %s = %s[%" PRId64 "] != 0;", name, v, lane);
  else line(r, "%s %s = %s[%" PRId64 "];", ty(r, st(u)), name, v, lane);
}

// ---- tensor cores ----
// A plain (ungated) load's INDEX into a global buffer of its own 16-bit type, else NULL.
static UOp *plain16(UOp *u) {
  UOp *ix = u->op == OP_LOAD && u->nsrc == 1 ? u->src[0] : NULL;
  return ix && ix->op == OP_INDEX && ix->nsrc == 2 && ix->src[0]->op == OP_DEFINE_GLOBAL && st(ix->src[0]) == st(u) ? ix : NULL;
}

// The 16 bits of a float16/bfloat16 operand: a plain load's own bits (the float it was widened to goes unused), else
// the value narrowed again (exact: it is a 16-bit value).
static void bits16(R *r, UOp *u, StrBuf *e) {
  UOp *ix = plain16(u);
  bool f16 = st(u) == DT_FLOAT16;
  if (ix) sb_printf(e, "%s[%s]", nm(r, ix->src[0]), nm(r, ix->src[1]));
  else sb_printf(e, "%s(%s)", f16 ? "tg_f2h" : "tg_f2bf", nm(r, u));
  if (f16) r->need_half = true; else r->need_bf16 = true;
}

/* A fragment register: two 16-bit operands, low half first. Where they are buf[i] and buf[i + 1] with i provably even,
 * one 32-bit load (a row-major A's pairs are contiguous along K): CUDA buffers start at cuMemAlloc'd addresses
 * (256-byte aligned; the memory planner shares storage from its start), so buf + i is 4-byte aligned. */
static void fragment_reg(R *r, UOp *lo, UOp *hi, StrBuf *e) {
  UOp *a = plain16(lo), *b = plain16(hi);
  if (a && b && a->src[0] == b->src[0]) {
    UOp *step = sym_simplify(uop_sub(b->src[1], a->src[1])), *odd = sym_simplify(uop_cmod(a->src[1], uop_iconst(2)));
    if (step->op == OP_CONST && step->arg.i == 1 && odd->op == OP_CONST && odd->arg.i == 0) {
      sb_printf(e, "*(const uint32_t *)(%s + %s)", nm(r, a->src[0]), nm(r, a->src[1]));
      return;
    }
  }
  sb_puts(e, "tg_pack2(");
  bits16(r, lo, e);
  sb_puts(e, ", ");
  bits16(r, hi, e);
  sb_puts(e, ")");
}

// Whether the plain loads lo and hi read buf[i] and buf[i + step] of one buffer with i a multiple of align.
static bool adjacent(UOp *lo, UOp *hi, int step, int align) {
  UOp *a = plain16(lo), *b = plain16(hi);
  if (!a || !b || a->src[0] != b->src[0]) return false;
  UOp *d = sym_simplify(uop_sub(b->src[1], a->src[1])), *rem = sym_simplify(uop_cmod(a->src[1], uop_iconst(align)));
  return d->op == OP_CONST && d->arg.i == step && rem->op == OP_CONST && rem->arg.i == 0;
}

/* Two fragment registers (sources k, k + 1 and h, h + 1) that are 4 consecutive 16-bit elements from an 8-byte
 * aligned place (the TC opt's K order gives a lane 4 consecutive elements): one 64-bit load, its halves the registers. */
static bool fragment_quad(R *r, UOp *const *src, int k, int h, char **regs) {
  if (!adjacent(src[k], src[k + 1], 1, 4) || !adjacent(src[k], src[h], 2, 4) || !adjacent(src[h], src[h + 1], 1, 2)) return false;
  UOp *ix = plain16(src[k]);
  int id = r->n_wmma_frag++;
  line(r, "uint2 frag%d = *(const uint2 *)(%s + %s);", id, nm(r, ix->src[0]), nm(r, ix->src[1]));
  char b[32];
  snprintf(b, sizeof b, "frag%d.x", id);
  regs[k / 2] = xstrdup(b);
  snprintf(b, sizeof b, "frag%d.y", id);
  regs[h / 2] = xstrdup(b);
  return true;
}

// One mma for the four WMMA nodes of an instruction (the first one reached emits it and names all four).
static void render_wmma(R *r, int i, UOp *u) {
  if (r->name[i]) return;
  if (!r->cuda) { fail(r, "WMMA: the C dialect has no tensor cores (TC opts are for CUDA)"); return; }
  ScalarType in = wmma_in_type(u);
  if (in != DT_FLOAT16 && in != DT_BFLOAT16) { fail(r, "WMMA of %s inputs", st_name(in)); return; }
  int id = r->n_wmma++;
  StrBuf e = { 0 };
  sb_printf(&e, "%s(wmma%d", in == DT_FLOAT16 ? "tg_mma_f16" : "tg_mma_bf16", id);
  // registers: A's 0 and 2, 1 and 3, B's 0 and 1 hold 4 consecutive elements when their pairs run along K
  char *regs[(WMMA_NA + WMMA_NB) / 2] = { 0 };
  if (!(wmma_flags(u) & WMMA_A_ROWS)) { fragment_quad(r, u->src, 0, 4, regs); fragment_quad(r, u->src, 2, 6, regs); }
  if (!(wmma_flags(u) & WMMA_B_ROWS)) fragment_quad(r, u->src, WMMA_NA, WMMA_NA + 2, regs);
  for (int k = 0; k < WMMA_NA + WMMA_NB; k += 2) {
    bool trans = wmma_flags(u) & (k < WMMA_NA ? WMMA_A_ROWS : WMMA_B_ROWS);   // pairs along M or N: transpose the blocks
    sb_puts(&e, trans ? ", tg_movt(" : ", ");
    if (regs[k / 2]) sb_puts(&e, regs[k / 2]);
    else fragment_reg(r, u->src[k], u->src[k + 1], &e);
    if (trans) sb_puts(&e, ")");
    free(regs[k / 2]);
  }
  for (int k = WMMA_NA + WMMA_NB; k < WMMA_SRCS; k++) sb_printf(&e, ", %s", nm(r, u->src[k]));
  line(r, "float wmma%d[4];", id);
  line(r, "%s);", e.s);
  sb_free(&e);
  r->need_mma = true;
  for (int j = i; j < r->p->nlin; j++)
    if (wmma_same(r->p->lin[j], u)) {
      char nbuf[32];
      snprintf(nbuf, sizeof nbuf, "wmma%d[%d]", id, wmma_component(r->p->lin[j]));
      r->name[j] = xstrdup(nbuf);
    }
}

// ---- structure ----
static int flat_pos(R *r, const UOp *u) {
  for (int k = 0; k < r->nflat; k++) if (r->flat[k] == u) return k;
  return -1;
}

/* The unit a grid-stride loop hands out: a thread, or with thread ranges a whole block (every thread of a block then
 * takes the same trips, so its barriers are reached by all of them). */
static const char *first_unit(R *r) { return r->p->nlocal ? "(int64_t)blockIdx.x" : "(int64_t)blockIdx.x * blockDim.x + threadIdx.x"; }
static const char *unit_stride(R *r) { return r->p->nlocal ? "(int64_t)gridDim.x" : "(int64_t)gridDim.x * blockDim.x"; }

static int thread_dim(R *r, const UOp *u) {
  for (int k = 0; k < r->p->nlocal; k++) if (r->p->local_range[k] == u) return k;
  return -1;
}

/* CUDA: the flattened output ranges are one grid-stride loop over a flat index tg_gid; each range's index
 * is derived from it where the range opened, and only the first opens a brace. */
static void render_flat_range(R *r, UOp *u, int k, const char *name) {
  int64_t inner = gpu_flat_inner(r->flat + k, r->nflat - k), size = u->src[0]->arg.i;
  const char *T = ty(r, st(u));
  // a flat index below 2^31 is split with 32-bit division (64-bit division is a long software sequence)
  const char *gid = r->p->par_size * gpu_flat_inner(r->flat, r->nflat) <= INT32_MAX ? "(uint32_t)tg_gid" : "tg_gid";
  if (k == 0) {
    line(r, "for (int64_t tg_gid = start + %s; tg_gid < end; tg_gid += %s) {", first_unit(r), unit_stride(r));
    r->depth++;
    if (inner == 1) line(r, "%s %s = tg_gid;", T, name);
    else line(r, "%s %s = %s / %" PRId64 ";", T, name, gid, inner);
  } else if (k == r->nflat - 1) line(r, "%s %s = %s %% %" PRId64 ";", T, name, gid, size);
  else line(r, "%s %s = %s / %" PRId64 " %% %" PRId64 ";", T, name, gid, inner, size);
}

static void render_range(R *r, int i, UOp *u) {
  int64_t id = u->arg.kind == ARG_TUPLE ? u->arg.tup[0] : u->arg.i;
  char name[48];
  snprintf(name, sizeof name, "ridx%" PRId64, id);
  for (int k = 0; k < i; k++)     // a duplicate id would shadow an open loop: make the name unique
    if (r->name[k] && !strcmp(r->name[k], name)) { snprintf(name, sizeof name, "ridx%" PRId64 "_%d", id, i); break; }
  r->name[i] = xstrdup(name);
  const char *T = ty(r, st(u)), *bound = nm(r, u->src[0]);
  int k = flat_pos(r, u), dim = r->cuda ? thread_dim(r, u) : -1;
  if (k >= 0) { render_flat_range(r, u, k, name); return; }
  if (dim >= 0) { line(r, "%s %s = threadIdx.%c;", T, name, "xyz"[dim]); return; }   // no loop: the block's threads
  if (u == r->p->par_range && r->cuda) {    // grid-stride: thread t of the grid runs trips start+t, start+t+grid, ...
    char guard[160] = "";
    if (u->src[0]->op != OP_CONST) snprintf(guard, sizeof guard, " && %s < %s", name, bound);
    line(r, "for (%s %s = start + %s; %s < end%s; %s += %s) {", T, name, first_unit(r), name, guard, name, unit_stride(r));
  } else if (u == r->p->par_range && u->src[0]->op == OP_CONST)
    line(r, "for (%s %s = start; %s < end; %s++) {", T, name, name, name);
  else if (u == r->p->par_range)
    line(r, "for (%s %s = start; %s < end && %s < %s; %s++) {", T, name, name, name, bound, name);
  else line(r, "for (%s %s = 0; %s < %s; %s++) {", T, name, name, bound, name);
  r->depth++;
}

static void close_brace(R *r) { r->depth--; line(r, "}"); }

static bool valid_var_name(const char *s) {
  static const char *reserved[] = { "bufs", "vars", "start", "end", "auto", "break", "case", "char", "const", "continue",
    "default", "do", "double", "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned",
    "void", "volatile", "while", "asm", "typeof" };
  static const char *prefixes[] = { "data", "alu", "val", "cast", "acc", "ridx", "wmma", "frag", "tg_", "_", "s_", "d_" };
  if (!s[0] || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (const char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) return false;
  size_t n = strlen(s);
  if (n > 40 || (n >= 2 && !strcmp(s + n - 2, "_t"))) return false;
  for (size_t k = 0; k < sizeof reserved / sizeof *reserved; k++) if (!strcmp(s, reserved[k])) return false;
  for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) if (!strncmp(s, prefixes[k], strlen(prefixes[k]))) return false;
  return true;
}

static void render_hoisted(R *r, int i, UOp *u) {   // CONST, DEFINE_GLOBAL, DEFINE_VAR: visible everywhere
  char name[64];
  if (u->op == OP_CONST) { r->name[i] = const_literal(r, u); return; }
  if (u->op == OP_DEFINE_GLOBAL) {
    snprintf(name, sizeof name, "data%" PRId64, u->arg.i);
    line(r, r->cuda ? "%s *restrict %s = (%s *)tg_b%" PRId64 ";" : "%s *restrict %s = (%s *)bufs[%" PRId64 "];", store_type(st(u)), name,
         store_type(st(u)), u->arg.i);
  } else {
    int slot = 0;
    while (slot < r->p->nvars && r->p->vars[slot] != u) slot++;
    const char *v = uop_var_name(u);
    if (valid_var_name(v)) snprintf(name, sizeof name, "%s", v);
    else snprintf(name, sizeof name, "var%d", slot);
    line(r, r->cuda ? "%s %s = (%s)tg_v%d;" : "%s %s = (%s)vars[%d];", ty(r, st(u)), name, ty(r, st(u)), slot);
  }
  r->name[i] = xstrdup(name);
}

// CUDA: an array the block's threads share, of the C type its values compute in
static void render_local(R *r, int i, UOp *u) {
  char name[32];
  snprintf(name, sizeof name, "smem%" PRId64, u->arg.kind == ARG_INT ? u->arg.i : (int64_t)i);
  r->name[i] = xstrdup(name);
  if (!r->cuda) { fail(r, "DEFINE_LOCAL: the C dialect has no shared memory (GROUP opts are for GPU devices)"); return; }
  if (u->dtype.size < 1) { fail(r, "DEFINE_LOCAL without a size"); return; }
  line(r, "__shared__ %s %s[%" PRId64 "];", rend_c_type(st(u)), name, u->dtype.size);
}

static void render_node(R *r, int i) {
  UOp *u = r->p->lin[i];
  Op op = (Op)u->op;
  if (u->dtype.vcount != 1) { fail(r, "vector pointer on %s (not supported)", op_name(op)); return; }
  switch (op) {
  case OP_CONST: case OP_DEFINE_GLOBAL: case OP_DEFINE_VAR: break;    // rendered up front
  case OP_RANGE: render_range(r, i, u); break;
  case OP_END:
    for (uint32_t k = 0; k < u->nsrc; k++)
      if (u->src[k]->op == OP_RANGE && flat_pos(r, u->src[k]) <= 0 && (!r->cuda || thread_dim(r, u->src[k]) < 0)) close_brace(r);
    break;
  case OP_IF: line(r, "if (%s) {", nm(r, u->src[0])); r->depth++; break;
  case OP_ENDIF: close_brace(r); break;
  case OP_DEFINE_REG: {
    char name[32];
    snprintf(name, sizeof name, "acc%" PRId64, u->arg.kind == ARG_INT ? u->arg.i : (int64_t)i);
    r->name[i] = xstrdup(name);
    if (u->dtype.size < 1) fail(r, "DEFINE_REG without a size");
    r->scalar_accs += u->dtype.count == 1;
    char tb[48];
    line(r, "%s %s[%" PRId64 "];", ctype(r, dt_vec(dt_scalar(st(u)), u->dtype.count), tb, sizeof tb), name, u->dtype.size);
    break;
  }
  case OP_DEFINE_LOCAL: render_local(r, i, u); break;
  case OP_BARRIER:
    if (r->cuda) line(r, "__syncthreads();");
    else fail(r, "BARRIER: the C dialect has no threads of a block (GROUP opts are for GPU devices)");
    break;
  case OP_INDEX: break;                              // inlined into its LOAD/STORE
  case OP_LOAD: render_load(r, i, u); break;
  case OP_STORE: render_store(r, u); break;
  case OP_BITCAST: render_bitcast(r, i, u); break;
  case OP_AFTER: r->name[i] = xstrdup(nm(r, u->src[0])); break;
  case OP_VECTORIZE: render_vectorize(r, i, u); break;
  case OP_GEP: render_gep(r, i, u); break;
  case OP_WMMA: render_wmma(r, i, u); break;
  case OP_SINK: case OP_NOOP: case OP_GROUP: break;
  default:
    if (op_is_alu(op)) render_alu(r, i, u);
    else fail(r, "unsupported op %s", op_name(op));
  }
}

// CUDA: one parameter per buffer and per var (device pointers and values go straight into cuLaunchKernel's
// argument list), then the [start, end) of the parallel range.
static void cuda_signature(R *r, StrBuf *sb, const char *fn) {
  sb_printf(sb, "extern \"C\" __global__ void __launch_bounds__(%d) %s(", r->block, fn);
  for (int i = 0; i < r->p->nbufs; i++) sb_printf(sb, "void *tg_b%d, ", i);
  for (int i = 0; i < r->p->nvars; i++) sb_printf(sb, "long long tg_v%d, ", i);
  sb_puts(sb, "long long start, long long end) {\n");
}

static void prelude(R *r, StrBuf *sb, const char *fn) {
  sb_printf(sb, "// tinygrad.c kernel %s\n", r->p->name);
  if (r->cuda) sb_puts(sb, TG_CUDA_PRELUDE);
  else sb_puts(sb, "typedef __INT8_TYPE__ int8_t; typedef __INT16_TYPE__ int16_t; typedef __INT32_TYPE__ int32_t; "
              "typedef __INT64_TYPE__ int64_t;\n"
              "typedef __UINT8_TYPE__ uint8_t; typedef __UINT16_TYPE__ uint16_t; typedef __UINT32_TYPE__ uint32_t; "
              "typedef __UINT64_TYPE__ uint64_t;\n");
  if (r->need_half) sb_puts(sb, r->cuda ? TG_CUDA_HALF : TG_CODE_STR(TG_CODE_HALF) "\n");
  if (r->need_bf16) sb_puts(sb, r->cuda ? TG_CUDA_BF16 : TG_CODE_STR(TG_CODE_BF16) "\n");
  if (r->need_f2i) sb_puts(sb, TG_CODE_STR(TG_CODE_F2I) "\n");
  if (r->need_threefry) sb_puts(sb, TG_CODE_STR(TG_CODE_THREEFRY) "\n");
  if (r->need_mma) sb_puts(sb, TG_CUDA_MMA);
  for (int t = 0; t < DT_SCALAR_COUNT_; t++)
    for (int k = 1; k < 7; k++)
      if (r->vec_types[t] >> k & 1) {
        char tb[48];
        const char *name = ctype(r, dt_vec(dt_scalar((ScalarType)t), 1 << k), tb, sizeof tb);
        sb_printf(sb, "typedef %s %s __attribute__((vector_size(%d)));\n", lane_type((ScalarType)t), name, lane_bytes((ScalarType)t) << k);
      }
  if (r->cuda) cuda_signature(r, sb, fn);
  else {
    // GCC 12.2's loop vectorizer miscompiles some loops that update several scalar accumulators (a 4x4 int64 sum
    // into 9 accumulators added 1/4 of the terms at -O2; right at -O1, with clang, and with the loop vectorizer
    // off: tests/test_opt_fuzz.c keeps the case). Such kernels turn it off; their vectors come from VECTORIZE.
    if (r->scalar_accs > 1) sb_puts(sb, "#if defined(__GNUC__) && !defined(__clang__)\n__attribute__((optimize(\"no-tree-loop-vectorize\")))\n#endif\n");
    sb_printf(sb, "void %s(void **bufs, const int64_t *vars, int64_t start, int64_t end) {\n", fn);
  }
}

/* CUDA: whether every index value of the kernel (each node's interval from the simplifier's range analysis) lies
 * within +-2^30, so its index math can be 32-bit with room to spare (a grid-stride loop adds its stride to a value
 * below the bound before comparing): a 64-bit multiply-add is several instructions on a GPU, and a matmul's
 * inner loop computes addresses for every load (the H100's 4096 fp32 matmul: heuristic 25.3 -> 25.7, an 8x4 tile 21.8 ->
 * 26.5 TFLOP/s). CUDA_INDEX32=0 keeps int64. */
enum { INDEX32_BOUND = 1 << 30 };
static bool index_fits_int32(const Program *p) {
  if (!env_int("CUDA_INDEX32", 1)) return false;
  for (int i = 0; i < p->nlin; i++) {
    UOp *u = p->lin[i];
    if (u->dtype.scalar != DT_INDEX) continue;
    if (u->op == OP_CONST && u->arg.kind != ARG_INT) return false;
    if (uop_vmin(u) < -INDEX32_BOUND || uop_vmax(u) > INDEX32_BOUND) return false;
  }
  return true;
}

static char *render(Program *p, const char *fn_name, bool cuda, int block) {
  program_verify(p);
  R r = { .p = p, .cuda = cuda, .block = block };
  if (cuda) r.nflat = gpu_flat_ranges(p, r.flat, GPU_FLAT_MAX);
  if (cuda) r.index32 = index_fits_int32(p);
  if (cuda && env_int("CUDA_LD4", 1)) {
    r.load_lead = malloc((size_t)(p->nlin + 1) * sizeof(int));
    r.load_lane = malloc((size_t)(p->nlin + 1) * sizeof(int));
    TG_ASSERT(r.load_lead && r.load_lane, "out of memory");
    cuda_load_groups(p, r.load_lead, r.load_lane);
  }
  r.name = calloc((size_t)p->nlin + 1, sizeof(char *));
  TG_ASSERT(r.name, "out of memory");
  for (int i = 0; i < p->nlin; i++) hmap_put(&r.pos, (uint64_t)(uintptr_t)p->lin[i], (uint64_t)i + 1);
  for (int i = 0; i < p->nlin; i++)
    if (p->lin[i]->op == OP_CONST || p->lin[i]->op == OP_DEFINE_GLOBAL || p->lin[i]->op == OP_DEFINE_VAR) render_hoisted(&r, i, p->lin[i]);
  for (int i = 0; i < p->nlin && !r.failed; i++) render_node(&r, i);
  char *res = NULL;
  if (!r.failed) {
    StrBuf sb = { 0 };
    prelude(&r, &sb, fn_name);
    sb_puts(&sb, r.out.s ? r.out.s : "");
    sb_puts(&sb, "}\n");
    res = sb_take(&sb);
  }
  for (int i = 0; i < p->nlin; i++) free(r.name[i]);
  free(r.name);
  free(r.load_lead);
  free(r.load_lane);
  sb_free(&r.out);
  hmap_free(&r.pos);
  return res;
}

char *rend_c(Program *p, const char *fn_name) { return render(p, fn_name, false, 0); }

char *rend_cuda(Program *p, const char *fn_name, int block) {
  if (block < 1 || block > 1024) { tg_set_error("rend_cuda(%s): %d threads per block (want 1..1024)", p->name, block); return NULL; }
  if (p->nlocal) block = (int)(p->local_size[0] * p->local_size[1] * p->local_size[2]);   // the block the thread ranges make
  else if (!p->par_range) block = 1;
  return render(p, fn_name, true, block);
}
