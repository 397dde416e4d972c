// Tests of kernel ALU semantics: every op, cast and bitcast over the dtypes, CPU vs INTERP vs a naive C reference
#include "testlib.h"
#include "rtlib.h"
#include "tinygrad.h"
#include <math.h>

// A host value: integers (and bool) in i as the dtype holds them (unsigned zero-extended, uint64 as bits),
// floats in f.
typedef struct { int64_t i; double f; } Num;
static bool isf(ScalarType t) { return st_is_float(t); }

// ---- encoding: independent of the runtime's half/bf16 code ----
static uint16_t half_bits(double v) {              // v must be representable in float16
  uint16_t s = signbit(v) ? 0x8000 : 0;
  if (isnan(v)) return 0x7e00;
  double a = fabs(v);
  if (isinf(a)) return s | 0x7c00;
  if (a < ldexp(1, -14)) return s | (uint16_t)(a / ldexp(1, -24));
  int e;
  double m = frexp(a, &e);                         // a = m 2^e, m in [0.5, 1)
  return s | (uint16_t)((e + 14) << 10) | (uint16_t)((m * 2 - 1) * 1024);
}
static double half_val(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 31 ? (m ? NAN : INFINITY) : e == 0 ? ldexp(m, -24) : ldexp(1 + m / 1024.0, e - 15);
  return h & 0x8000 ? -v : v;
}
static uint16_t bf16_bits(double v) { float f = (float)v; uint32_t u; memcpy(&u, &f, 4); return isnan(v) ? 0x7fc0 : (uint16_t)(u >> 16); }
static double bf16_val(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }

static void put(ScalarType t, void *m, int k, Num v) {
  switch (t) {
  case DT_BOOL: ((uint8_t *)m)[k] = v.i != 0; break;
  case DT_INT8: case DT_UINT8: ((uint8_t *)m)[k] = (uint8_t)v.i; break;
  case DT_INT16: case DT_UINT16: ((uint16_t *)m)[k] = (uint16_t)v.i; break;
  case DT_INT32: case DT_UINT32: ((uint32_t *)m)[k] = (uint32_t)v.i; break;
  case DT_INT64: case DT_UINT64: ((int64_t *)m)[k] = v.i; break;
  case DT_FLOAT16: ((uint16_t *)m)[k] = half_bits(v.f); break;
  case DT_BFLOAT16: ((uint16_t *)m)[k] = bf16_bits(v.f); break;
  case DT_FLOAT32: ((float *)m)[k] = (float)v.f; break;
  case DT_FLOAT64: ((double *)m)[k] = v.f; break;
  default: break;
  }
}
static Num get(ScalarType t, const void *m, int k) {
  Num v = { 0, 0 };
  switch (t) {
  case DT_BOOL: v.i = ((const uint8_t *)m)[k]; break;
  case DT_INT8: v.i = ((const int8_t *)m)[k]; break;
  case DT_UINT8: v.i = ((const uint8_t *)m)[k]; break;
  case DT_INT16: v.i = ((const int16_t *)m)[k]; break;
  case DT_UINT16: v.i = ((const uint16_t *)m)[k]; break;
  case DT_INT32: v.i = ((const int32_t *)m)[k]; break;
  case DT_UINT32: v.i = ((const uint32_t *)m)[k]; break;
  case DT_INT64: case DT_UINT64: v.i = ((const int64_t *)m)[k]; break;
  case DT_FLOAT16: v.f = half_val(((const uint16_t *)m)[k]); break;
  case DT_BFLOAT16: v.f = bf16_val(((const uint16_t *)m)[k]); break;
  case DT_FLOAT32: v.f = ((const float *)m)[k]; break;
  case DT_FLOAT64: v.f = ((const double *)m)[k]; break;
  default: break;
  }
  return v;
}

// ---- inputs ----
static int inputs(ScalarType t, Num *out) {
  static const int64_t ints[] = { 0, 1, -1, 2, -7, 7, 31, 32, 100, 127, 128, 255, 256, -129, 63, 64, 2147483647LL, -2147483647LL - 1,
                                  9007199254740993LL, INT64_MAX, INT64_MIN, 3000000000LL };
  static const double fls[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 2.5, -2.7, 3.0, 255.9, 256.0, -129.0, 65504.0, 1e-40, 6e-8, 3e9, -3e9,
                                1e19, 2e19, -1e19, 3e38, -3e38, INFINITY, -INFINITY, NAN, 1e300 };
  int n = 0;
  if (t == DT_BOOL) { out[n++].i = 0; out[n++].i = 1; return n; }
  if (!isf(t)) {
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++) {
      int64_t w = t == DT_UINT64 || t == DT_INT64 ? ints[k] : st_wrap_int(t, ints[k]);
      bool dup = false;
      for (int j = 0; j < n; j++) dup |= out[j].i == w;
      if (!dup) out[n++] = (Num){ w, 0 };
    }
    return n;
  }
  for (size_t k = 0; k < sizeof fls / sizeof *fls; k++) {
    double v = t == DT_FLOAT64 ? fls[k] : st_round_float(t, fls[k]);
    bool dup = false;
    for (int j = 0; j < n; j++) dup |= memcmp(&out[j].f, &v, 8) == 0 || (isnan(v) && isnan(out[j].f));
    if (!dup) out[n++] = (Num){ 0, v };
  }
  return n;
}

// ---- the naive reference ----
#define REF_INT(NAME, T, UT, BITS, SIGNED) \
  static int64_t NAME(Op op, T a, T b, T c) { \
    switch (op) { \
    case OP_ADD: return (T)(UT)((UT)a + (UT)b); \
    case OP_SUB: return (T)(UT)((UT)a - (UT)b); \
    case OP_MUL: return (T)(UT)((UT)a * (UT)b); \
    case OP_MULACC: return (T)(UT)((UT)a * (UT)b + (UT)c); \
    case OP_NEG: return (T)(UT)(0 - (UT)a); \
    case OP_CDIV: return b == 0 ? 0 : (SIGNED && b == (T)-1) ? (T)(UT)(0 - (UT)a) : a / b; \
    case OP_CMOD: return b == 0 ? 0 : (SIGNED && b == (T)-1) ? 0 : a % b; \
    case OP_MAX: return a < b ? b : a; \
    case OP_AND: return a & b; \
    case OP_OR: return a | b; \
    case OP_XOR: return a ^ b; \
    case OP_SHL: return (uint64_t)(int64_t)b >= BITS ? 0 : (T)(UT)((UT)a << b); \
    case OP_SHR: return (uint64_t)(int64_t)b >= BITS ? (SIGNED && ((uint64_t)(int64_t)a >> 63) ? -1 : 0) : a >> b; \
    case OP_CMPLT: return a < b; \
    case OP_CMPNE: return a != b; \
    case OP_CMPEQ: return a == b; \
    case OP_WHERE: return a < b ? a : b; \
    default: return 0; \
    } \
  }
REF_INT(ref_i32, int32_t, uint32_t, 32, 1)
REF_INT(ref_u8, uint8_t, uint8_t, 8, 0)
REF_INT(ref_i64, int64_t, uint64_t, 64, 1)

static float ref_f32(Op op, float a, float b) {
  float t;
  switch (op) {
  case OP_ADD: return a + b;
  case OP_SUB: return a - b;
  case OP_MUL: return a * b;
  case OP_FDIV: return a / b;
  case OP_MULACC: t = a * b; return t + a;
  case OP_MAX: return isnan(a) || isnan(b) ? NAN : a < b ? b : a;
  case OP_POW: return powf(a, b);
  case OP_EXP2: return exp2f(a);
  case OP_LOG2: return log2f(a);
  case OP_SIN: return sinf(a);
  case OP_SQRT: return sqrtf(a);
  case OP_RECIPROCAL: return 1.0f / a;
  case OP_NEG: return -a;
  case OP_TRUNC: return truncf(a);
  case OP_WHERE: return a < b ? a : b;
  default: return 0;
  }
}
static double ref_f64(Op op, double a, double b) {
  double t;
  switch (op) {
  case OP_ADD: return a + b;
  case OP_SUB: return a - b;
  case OP_MUL: return a * b;
  case OP_FDIV: return a / b;
  case OP_MULACC: t = a * b; return t + a;
  case OP_MAX: return isnan(a) || isnan(b) ? NAN : a < b ? b : a;
  case OP_POW: return pow(a, b);
  case OP_EXP2: return exp2(a);
  case OP_LOG2: return log2(a);
  case OP_SIN: return sin(a);
  case OP_SQRT: return sqrt(a);
  case OP_RECIPROCAL: return 1.0 / a;
  case OP_NEG: return -a;
  case OP_TRUNC: return trunc(a);
  case OP_WHERE: return a < b ? a : b;
  default: return 0;
  }
}

static Num ref_alu(Op op, ScalarType t, Num a, Num b) {
  Num r = { 0, 0 };
  if (op_is_comparison(op) && isf(t)) r.i = op == OP_CMPLT ? a.f < b.f : op == OP_CMPNE ? a.f != b.f : a.f == b.f;
  else if (t == DT_INT32) r.i = ref_i32(op, (int32_t)a.i, (int32_t)b.i, (int32_t)a.i);
  else if (t == DT_UINT8) r.i = ref_u8(op, (uint8_t)a.i, (uint8_t)b.i, (uint8_t)a.i);
  else if (t == DT_INT64) r.i = ref_i64(op, a.i, b.i, a.i);
  else if (t == DT_FLOAT64) r.f = ref_f64(op, a.f, b.f);
  else r.f = st_round_float(t, ref_f32(op, (float)a.f, (float)b.f));
  return r;
}

static bool num_eq(ScalarType t, Num a, Num b, bool approx) {
  if (!isf(t)) return a.i == b.i;
  if (isnan(a.f) || isnan(b.f)) return isnan(a.f) && isnan(b.f);
  if (approx && isfinite(b.f)) return fabs(a.f - b.f) <= fabs(b.f) * ldexp(1, t == DT_FLOAT32 ? -22 : -7);
  return a.f == b.f && signbit(a.f) == signbit(b.f);
}

// ---- running one kernel on CPU and INTERP, comparing both with expectations ----
typedef struct { ScalarType t; Num *want; const char *what[64]; int nwhat; bool approx[64]; } Out;

static void check_outputs(const char *kname, PB *b, UOp *par, Out *outs, int nout, ScalarType *in_t, Num **in, int nin, int n) {
  Buffer *bufs[2][16];
  void *host[2][16];
  const char *devs[] = { "CPU", "INTERP" };
  for (int d = 0; d < 2; d++) {
    Device *dev = dev_get(devs[d]);
    for (int k = 0; k < nout; k++) bufs[d][k] = mkbuf(dev, outs[k].t, (int64_t)outs[k].nwhat * n, NULL);
    for (int k = 0; k < nin; k++) {
      void *m = calloc((size_t)n, 8);
      for (int i = 0; i < n; i++) put(in_t[k], m, i, in[k][i]);
      bufs[d][nout + k] = mkbuf(dev, in_t[k], n, m);
      free(m);
    }
    Program *p = prog(b, kname, nout + nin, par, NULL, 0);
    CHECK(run(devs[d], p, bufs[d], NULL) == 0, "%s on %s: %s", kname, devs[d], tg_error() ? tg_error() : "");
    program_free(p);
    for (int k = 0; k < nout; k++) {
      host[d][k] = malloc(bufs[d][k]->nbytes);
      buf_copyout(bufs[d][k], host[d][k], bufs[d][k]->nbytes);
    }
    for (int k = 0; k < nout + nin; k++) buf_unref(bufs[d][k]);
  }
  for (int k = 0; k < nout; k++) {
    int bad = 0;
    for (int j = 0; j < outs[k].nwhat * n; j++) {
      Num c = get(outs[k].t, host[0][k], j), it = get(outs[k].t, host[1][k], j), w = outs[k].want[j];
      bool ok_ci = num_eq(outs[k].t, c, it, false), ok_w = num_eq(outs[k].t, it, w, outs[k].approx[j / n]);
      if ((!ok_ci || !ok_w) && bad++ < 3)
        CHECK(false, "%s %s [%d]: a=%g/%lld CPU %.9g/%lld INTERP %.9g/%lld want %.9g/%lld", kname, outs[k].what[j / n], j % n,
              in[0][j % n].f, (long long)in[0][j % n].i, c.f, (long long)c.i, it.f, (long long)it.i, w.f, (long long)w.i);
    }
    test_checks++;
    free(host[0][k]);
    free(host[1][k]);
  }
}

// ---- (d) ALU ops: out[k*n + i] = op_k(a[i], b[i]) for every pair of inputs ----
static UOp *mk(Op op, UOp *a, UOp *b) {
  if (op == OP_WHERE) return uop3(OP_WHERE, a->dtype, bin(OP_CMPLT, a, b), a, b, arg_none());
  if (op == OP_MULACC) return uop3(OP_MULACC, a->dtype, a, b, a, arg_none());
  if (op_is_unary(op)) return un(op, a);
  return bin(op, a, b);
}

static void alu_sweep(ScalarType t) {
  static const Op iops[] = { OP_ADD, OP_SUB, OP_MUL, OP_CDIV, OP_CMOD, OP_MAX, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_NEG,
                             OP_MULACC, OP_WHERE };
  static const Op fops[] = { OP_ADD, OP_SUB, OP_MUL, OP_FDIV, OP_MAX, OP_POW, OP_EXP2, OP_LOG2, OP_SIN, OP_SQRT, OP_RECIPROCAL,
                             OP_NEG, OP_TRUNC, OP_MULACC, OP_WHERE };
  static const Op cmps[] = { OP_CMPLT, OP_CMPNE, OP_CMPEQ };
  const Op *ops = isf(t) ? fops : iops;
  int nops = isf(t) ? (int)(sizeof fops / sizeof *fops) : (int)(sizeof iops / sizeof *iops), ncmp = 3;
  Num vals[64];
  int nv = inputs(t, vals), n = nv * nv;
  Num *a = calloc((size_t)n, sizeof(Num)), *b = calloc((size_t)n, sizeof(Num));
  for (int i = 0; i < n; i++) { a[i] = vals[i / nv]; b[i] = vals[i % nv]; }
  PB pb = { .n = 0 };
  UOp *gout = glob(t, (int64_t)nops * n, 0), *gcmp = glob(DT_BOOL, (int64_t)ncmp * n, 1), *ga = glob(t, n, 2), *gb = glob(t, n, 3);
  UOp *r = rng(ic(n), 0, 0), *la = ld(ix(ga, r)), *lb = ld(ix(gb, r));
  Out outs[2] = { { .t = t, .nwhat = nops }, { .t = DT_BOOL, .nwhat = ncmp } };
  outs[0].want = calloc((size_t)nops * n, sizeof(Num));
  outs[1].want = calloc((size_t)ncmp * n, sizeof(Num));
  for (int k = 0; k < nops; k++) {
    E(&pb, stor(ix(gout, bin(OP_ADD, r, ic((int64_t)k * n))), mk(ops[k], la, lb)));
    outs[0].what[k] = op_name(ops[k]);
    outs[0].approx[k] = ops[k] == OP_EXP2 || ops[k] == OP_LOG2 || ops[k] == OP_SIN || ops[k] == OP_POW;
    for (int i = 0; i < n; i++) outs[0].want[k * n + i] = ref_alu(ops[k], t, a[i], b[i]);
  }
  for (int k = 0; k < ncmp; k++) {
    E(&pb, stor(ix(gcmp, bin(OP_ADD, r, ic((int64_t)k * n))), mk(cmps[k], la, lb)));
    outs[1].what[k] = op_name(cmps[k]);
    for (int i = 0; i < n; i++) outs[1].want[k * n + i] = ref_alu(cmps[k], t, a[i], b[i]);
  }
  E(&pb, endr(r));
  E(&pb, uop0(OP_SINK, DT_VOID_T, arg_none()));
  char name[32];
  snprintf(name, sizeof name, "E_alu_%s", st_short(t));
  ScalarType in_t[2] = { t, t };
  Num *in[2] = { a, b };
  check_outputs(name, &pb, r, outs, 2, in_t, in, 2, n);
  free(outs[0].want); free(outs[1].want); free(a); free(b);
}

// ---- casts: out_j[i] = (T_j)a[i] ----
static const ScalarType cast_targets[] = { DT_BOOL, DT_INT8, DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_UINT32, DT_INT64, DT_UINT64,
                                           DT_FLOAT16, DT_BFLOAT16, DT_FLOAT32, DT_FLOAT64 };
enum { NTARGETS = sizeof cast_targets / sizeof *cast_targets };

static int64_t f2i_x86(ScalarType t, double x) {   // what cvttss2si/cvttsd2si give, as documented in cprelude.h
  int64_t i32 = (isnan(x) || x <= -2147483649.0 || x >= 2147483648.0) ? INT32_MIN : (int64_t)x;
  int64_t i64 = (isnan(x) || x < -9223372036854775808.0 || x >= 9223372036854775808.0) ? INT64_MIN : (int64_t)x;
  if (t == DT_UINT64) return x >= 9223372036854775808.0 && x < 18446744073709551616.0 ? (int64_t)(uint64_t)x : i64;
  if (st_itemsize(t) < 4 || t == DT_INT32) return st_wrap_int(t, i32);
  return st_wrap_int(t, i64);
}

static float int_to_float(ScalarType s, int64_t i) { return s == DT_UINT64 ? (float)(uint64_t)i : (float)i; }

static Num ref_cast(ScalarType t, ScalarType s, Num v) {
  Num r = { 0, 0 };
  if (t == DT_BOOL) r.i = isf(s) ? v.f != 0 : v.i != 0;
  else if (t == DT_FLOAT64) r.f = isf(s) ? v.f : s == DT_UINT64 ? (double)(uint64_t)v.i : (double)v.i;
  else if (isf(t)) r.f = st_round_float(t, isf(s) ? (float)v.f : int_to_float(s, v.i));
  else if (isf(s)) r.i = f2i_x86(t, v.f);
  else r.i = t == DT_UINT64 || t == DT_INT64 ? v.i : st_wrap_int(t, v.i);
  return r;
}

static void cast_sweep(ScalarType s) {
  Num vals[64];
  int n = inputs(s, vals);
  PB pb = { .n = 0 };
  UOp *ga = glob(s, n, NTARGETS), *r = rng(ic(n), 0, 0), *la = ld(ix(ga, r));
  Out outs[NTARGETS];
  for (int j = 0; j < NTARGETS; j++) {
    ScalarType t = cast_targets[j];
    outs[j] = (Out){ .t = t, .nwhat = 1, .what = { st_name(t) } };
    outs[j].want = calloc((size_t)n, sizeof(Num));
    for (int i = 0; i < n; i++) outs[j].want[i] = ref_cast(t, s, vals[i]);
    E(&pb, stor(ix(glob(t, n, j), r), uop1(OP_CAST, dt_scalar(t), la, arg_none())));
  }
  E(&pb, endr(r));
  E(&pb, uop0(OP_SINK, DT_VOID_T, arg_none()));
  char name[32];
  snprintf(name, sizeof name, "E_cast_%s", st_short(s));
  Num *in[1] = { vals };
  check_outputs(name, &pb, r, outs, NTARGETS, &s, in, 1, n);
  for (int j = 0; j < NTARGETS; j++) free(outs[j].want);
}

// ---- bitcasts: out[i] = bits of a[i] as T ----
static void bitcast_pair(ScalarType s, ScalarType t) {
  Num vals[64];
  int n = inputs(s, vals);
  PB pb = { .n = 0 };
  UOp *ga = glob(s, n, 1), *r = rng(ic(n), 0, 0);
  E(&pb, stor(ix(glob(t, n, 0), r), uop1(OP_BITCAST, dt_scalar(t), ld(ix(ga, r)), arg_none())));
  E(&pb, endr(r));
  E(&pb, uop0(OP_SINK, DT_VOID_T, arg_none()));
  Out o = { .t = t, .nwhat = 1, .what = { "BITCAST" } };
  o.want = calloc((size_t)n, sizeof(Num));
  for (int i = 0; i < n; i++) {
    unsigned char m[8] = { 0 };
    put(s, m, 0, vals[i]);
    o.want[i] = get(t, m, 0);
  }
  char name[48];
  snprintf(name, sizeof name, "E_bitcast_%s_%s", st_short(s), st_short(t));
  Num *in[1] = { vals };
  check_outputs(name, &pb, r, &o, 1, &s, in, 1, n);
  free(o.want);
}

// ---- threefry: Random123's known answers ----
static uint64_t ref_threefry(uint64_t x, uint64_t key) {   // Random123 threefry2x32_20, written from its paper
  static const int R[8] = { 13, 15, 26, 6, 17, 29, 16, 24 };
  uint32_t ks[3] = { (uint32_t)key, (uint32_t)(key >> 32), 0x1BD11BDA ^ (uint32_t)key ^ (uint32_t)(key >> 32) };
  uint32_t X0 = (uint32_t)x + ks[0], X1 = (uint32_t)(x >> 32) + ks[1];
  for (int r = 0; r < 20; r++) {
    X0 += X1; X1 = (X1 << R[r % 8]) | (X1 >> (32 - R[r % 8])); X1 ^= X0;
    if (r % 4 == 3) { int j = (r + 1) / 4; X0 += ks[j % 3]; X1 += ks[(j + 1) % 3] + (uint32_t)j; }
  }
  return (uint64_t)X1 << 32 | X0;
}

static void threefry_checks(void) {
  enum { N = 3 + 16 };
  Num x[N], k[N];
  uint64_t kat_x[3] = { 0, ~0ull, 0x85a308d3243f6a88ull }, kat_k[3] = { 0, ~0ull, 0x0370734413198a2eull };
  uint64_t kat_out[3] = { 0x99ba4efe6b200159ull, 0xbb002be71cb996fcull, 0x483df7a0c4923a9cull };
  TestRng rand = { 12345 };
  for (int i = 0; i < N; i++) {
    x[i].i = (int64_t)(i < 3 ? kat_x[i] : rng_next(&rand));
    k[i].i = (int64_t)(i < 3 ? kat_k[i] : rng_next(&rand));
  }
  for (int i = 0; i < 3; i++) CHECK(ref_threefry(kat_x[i], kat_k[i]) == kat_out[i], "reference threefry KAT %d", i);
  PB pb = { .n = 0 };
  UOp *gx = glob(DT_UINT64, N, 1), *gk = glob(DT_UINT64, N, 2), *r = rng(ic(N), 0, 0);
  E(&pb, stor(ix(glob(DT_UINT64, N, 0), r), bin(OP_THREEFRY, ld(ix(gx, r)), ld(ix(gk, r)))));
  E(&pb, endr(r));
  E(&pb, uop0(OP_SINK, DT_VOID_T, arg_none()));
  Out o = { .t = DT_UINT64, .nwhat = 1, .what = { "THREEFRY" } };
  o.want = calloc(N, sizeof(Num));
  for (int i = 0; i < N; i++) o.want[i].i = (int64_t)ref_threefry((uint64_t)x[i].i, (uint64_t)k[i].i);
  ScalarType in_t[2] = { DT_UINT64, DT_UINT64 };
  Num *in[2] = { x, k };
  check_outputs("E_threefry", &pb, r, &o, 1, in_t, in, 2, N);
  free(o.want);
}

int main(void) {
  char tmpl[] = "/tmp/tg_test_runtime_alu_XXXXXX";
  char *dir = mkdtemp(tmpl);
  CHECK(dir != NULL);
  setenv("CACHE_DIR", dir, 1);
  ScalarType types[] = { DT_INT32, DT_UINT8, DT_INT64, DT_FLOAT32, DT_FLOAT64, DT_FLOAT16, DT_BFLOAT16 };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) alu_sweep(types[i]);
  ScalarType srcs[] = { DT_FLOAT32, DT_FLOAT64, DT_FLOAT16, DT_BFLOAT16, DT_INT32, DT_UINT8, DT_INT64, DT_UINT64, DT_BOOL };
  for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) cast_sweep(srcs[i]);
  ScalarType pairs[][2] = { { DT_FLOAT32, DT_INT32 }, { DT_FLOAT32, DT_UINT32 }, { DT_INT32, DT_FLOAT32 }, { DT_FLOAT64, DT_INT64 },
                            { DT_INT64, DT_FLOAT64 }, { DT_FLOAT16, DT_UINT16 }, { DT_FLOAT16, DT_INT16 }, { DT_BFLOAT16, DT_INT16 },
                            { DT_FLOAT16, DT_BFLOAT16 } };
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) bitcast_pair(pairs[i][0], pairs[i][1]);
  threefry_checks();
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_runtime_alu");
}
