// Decompositions: EXP2, LOG2, SIN, SQRT, POW as polynomials and bit tricks for backends without them
#include "codegen/decomp.h"
#include "base/error.h"
#include <math.h>
#include <string.h>

/* Modelled on tinygrad's codegen/decomp/transcendental.py (from SLEEF, arXiv:2001.09258). EXP2 is tinygrad's
 * xexp2: round, a polynomial on [-1/2, 1/2], scale by 2^q in two steps. Where tinygrad's version measured
 * worse than ~1 ulp, this file differs:
 * - LOG2: tinygrad's split at 0.75 cancels (3.5 ulp near 0.749); here fdlibm's e_log2: 1+f in
 *   [sqrt(2)/2, sqrt(2)), log1p's s = f/(2+f) polynomial, f split in head and tail.
 * - SIN: tinygrad's Cody-Waite adds a 4th pi part from SLEEF's other split (sin(pi) 17000 ulp off), and its
 *   sin polynomial on [-pi/2, pi/2] is 2.4 ulp; its Payne-Hanek keeps 32 mantissa bits (float64 wrong) and
 *   adds pi/2 back to r (loses r's low bits). Here every |x| >= 0.78 goes through Payne-Hanek in integer
 *   arithmetic: x/(2pi) mod 1 to 128 bits (all 53 mantissa bits, a 1/(2pi) table for every exponent),
 *   rounded to the nearest quadrant, r = x - q*pi/2 in [-pi/4, pi/4] as a head + tail pair, then
 *   fdlibm-style sin/cos kernels that add the leading term last.
 * - SQRT: tinygrad uses pow(x, 0.5) = exp2(log2(x)/2) (a few ulp); here Newton's iteration on 1/sqrt from
 *   the bit-level estimate, then one correction of x*y. */

typedef struct { ScalarType f, i, u; int mbits, bias; } FInfo;
static FInfo finfo(ScalarType f) {
  return f == DT_FLOAT64 ? (FInfo){ DT_FLOAT64, DT_INT64, DT_UINT64, 52, 1023 } : (FInfo){ DT_FLOAT32, DT_INT32, DT_UINT32, 23, 127 };
}

// ---- a small vocabulary for building the graphs ----
static DType dtl(UOp *like, ScalarType s) { return dt_vec(dt_scalar(s), like->dtype.count); }
static UOp *cf(UOp *like, double v) { return uop_const_like(like, v); }
static UOp *ci(UOp *like, int64_t v) { return uop_const_int(dt_deref(like->dtype), v); }
static UOp *add(UOp *a, UOp *b) { return uop_alu(OP_ADD, a, b); }
static UOp *sub(UOp *a, UOp *b) { return uop_alu(OP_SUB, a, b); }
static UOp *mul(UOp *a, UOp *b) { return uop_alu(OP_MUL, a, b); }
static UOp *addc(UOp *a, double c) { return add(a, cf(a, c)); }
static UOp *mulc(UOp *a, double c) { return mul(a, cf(a, c)); }
static UOp *lt(UOp *a, UOp *b) { return uop_alu(OP_CMPLT, a, b); }
static UOp *ltc(UOp *a, double c) { return lt(a, cf(a, c)); }
static UOp *nec(UOp *a, double c) { return uop_alu(OP_CMPNE, a, cf(a, c)); }
static UOp *sel(UOp *c, UOp *t, UOp *f) { return uop_where(c, t, f); }
static UOp *selc(UOp *c, double t, UOp *f) { return sel(c, cf(f, t), f); }
static UOp *andi(UOp *a, int64_t m) { return uop_alu(OP_AND, a, ci(a, m)); }
static UOp *ori(UOp *a, int64_t m) { return uop_alu(OP_OR, a, ci(a, m)); }
static UOp *shl(UOp *a, UOp *n) { return uop_alu(OP_SHL, a, n); }
static UOp *shr(UOp *a, UOp *n) { return uop_alu(OP_SHR, a, n); }
static UOp *shli(UOp *a, int n) { return shl(a, ci(a, n)); }
static UOp *shri(UOp *a, int n) { return shr(a, ci(a, n)); }
static UOp *cast(UOp *a, ScalarType s) { return uop_cast(a, dtl(a, s)); }
static UOp *bitcast(UOp *a, ScalarType s) { return uop1(OP_BITCAST, dtl(a, s), a, arg_none()); }
static UOp *bit_set(UOp *i, int64_t m) { return uop_alu(OP_CMPNE, andi(i, m), ci(i, 0)); }   // (i & m) != 0

// Horner: c[0]*x^(n-1) + ... + c[n-1]
static UOp *poly(UOp *x, const double *c, int n) {
  UOp *acc = cf(x, c[0]);
  for (int k = 1; k < n; k++) acc = addc(mul(acc, x), c[k]);
  return acc;
}
#define POLY(x, ...) poly((x), (const double[]){ __VA_ARGS__ }, (int)(sizeof((double[]){ __VA_ARGS__ }) / sizeof(double)))

static UOp *finite_or(UOp *d, double v) {   // d if finite, else v
  return sel(ltc(d, INFINITY), sel(lt(cf(d, -INFINITY), d), d, cf(d, v)), cf(d, v));
}
// round to the nearest integer, halves away from 0 (tinygrad's rintk)
static UOp *rintk(UOp *d, ScalarType it) { return cast(add(d, sel(ltc(d, 0), cf(d, -0.5), cf(d, 0.5))), it); }
// 2^q as a float, for an integer q in the normal exponent range
static UOp *pow2if(UOp *q, FInfo fi) { return bitcast(shli(add(q, ci(q, fi.bias)), fi.mbits), fi.f); }

// ---- exp2 ----
static UOp *xexp2(UOp *d) {
  FInfo fi = finfo((ScalarType)d->dtype.scalar);
  bool f64 = fi.f == DT_FLOAT64;
  UOp *x = finite_or(d, 0), *q = rintk(x, fi.i), *s = sub(x, cast(q, fi.f));
  UOp *u = f64 ? POLY(s, 0.4434359082926529454e-9, 0.7073164598085707425e-8, 0.1017819260921760451e-6, 0.1321543872511327615e-5,
                      0.1525273353517584730e-4, 0.1540353045101147808e-3, 0.1333355814670499073e-2, 0.9618129107597600536e-2,
                      0.5550410866482046596e-1, 0.2402265069591012214e+0, 0.6931471805599452862e+0, 1.0)
               : POLY(s, 0.1535920892e-3, 0.1339262701e-2, 0.9618384764e-2, 0.5550347269e-1, 0.2402264476e+0, 0.6931471825e+0, 1.0);
  UOp *h = shri(q, 1);                                       // u * 2^q in two steps: 2^q alone may not be normal
  u = mul(mul(u, pow2if(h, fi)), pow2if(sub(q, h), fi));
  u = sel(ltc(d, f64 ? 1024 : 128), u, cf(d, INFINITY));
  u = selc(ltc(d, f64 ? -2000 : -150), 0, u);
  return selc(uop_alu(OP_CMPNE, d, d), NAN, u);
}

// ---- log2 (fdlibm's e_log2 / e_log2f: k + log2(1+f) with 1+f in [sqrt(2)/2, sqrt(2)), f split in head and tail) ----
static UOp *xlog2(UOp *d) {
  FInfo fi = finfo((ScalarType)d->dtype.scalar);
  bool f64 = fi.f == DT_FLOAT64;
  UOp *den = ltc(d, f64 ? 0x1p-1022 : 0x1p-126);            // subnormals are scaled up by 2^64 first
  UOp *a = sel(den, mulc(d, 0x1p64), d);
  // move the mantissa into [sqrt(2)/2, sqrt(2)): k is the exponent of a * sqrt(2) (rounded down)
  int64_t sq = f64 ? 0x3fe6a09e667f3bcdll : 0x3f3504f3, one = f64 ? 0x3ff0000000000000ll : 0x3f800000;
  int64_t mmask = f64 ? (int64_t)((1ull << 52) - 1) : 0x7fffff;
  UOp *ix = add(bitcast(a, fi.i), ci(bitcast(a, fi.i), one - sq));
  UOp *k = sub(shri(ix, fi.mbits), ci(ix, fi.bias));
  UOp *m = bitcast(add(andi(ix, mmask), ci(ix, sq)), fi.f);
  UOp *kf = cast(k, fi.f);
  kf = sel(den, addc(kf, -64), kf);
  UOp *f = addc(m, -1), *hfsq = mul(mulc(f, 0.5), f), *s = uop_alu(OP_FDIV, f, addc(f, 2.0)), *z = mul(s, s), *w = mul(z, z), *R;
  if (f64) {
    UOp *t1 = mul(w, POLY(w, 1.531383769920937332e-01, 2.222219843214978396e-01, 3.999999999940941908e-01));
    UOp *t2 = mul(z, POLY(w, 1.479819860511658591e-01, 1.818357216161805012e-01, 2.857142874366239149e-01, 6.666666666666735130e-01));
    R = add(t2, t1);
  } else {
    UOp *t1 = mul(w, POLY(w, 0xf89e26.0p-26, 0xccce13.0p-25)), *t2 = mul(z, POLY(w, 0x91e9ee.0p-25, 0xaaaaaa.0p-24));
    R = add(t2, t1);
  }
  UOp *hi = sub(f, hfsq);
  hi = bitcast(andi(bitcast(hi, fi.i), f64 ? (int64_t)0xffffffff00000000ull : (int64_t)0xfffff000), fi.f);
  UOp *lo = add(sub(sub(f, hi), hfsq), mul(s, add(hfsq, R))), *r;
  if (f64) {   // ivln2 = ivln2hi + ivln2lo, hi*ivln2hi exact; k + val_hi summed with its error kept
    const double IH = 1.44269504072144627571e+00, IL = 1.67517131648865118353e-10;
    UOp *vhi = mulc(hi, IH), *vlo = add(mulc(add(lo, hi), IL), mulc(lo, IH));
    UOp *wsum = add(kf, vhi);
    vlo = add(vlo, add(sub(kf, wsum), vhi));
    r = add(vlo, wsum);
  } else {
    const double IH = 1.4428710938e+00, IL = -1.7605285393e-04;
    r = add(add(add(mulc(add(lo, hi), IL), mulc(lo, IH)), mulc(hi, IH)), kf);
  }
  r = sel(nec(d, INFINITY), r, cf(r, INFINITY));
  r = sel(nec(d, 0), r, cf(r, -INFINITY));                   // +-0 -> -inf
  r = selc(ltc(d, 0), NAN, r);
  return selc(uop_alu(OP_CMPNE, d, d), NAN, r);
}

// ---- sin ----
// sin(r + rlo) for |r| <= pi/4, rlo a tail below r's last bit: r + (r*s*Q(s) + rlo), s = r^2 (tinygrad's/SLEEF's
// coefficients; the leading r is added last so its rounding is the only large one)
static UOp *sin_kernel(UOp *r, UOp *rlo) {
  UOp *s = mul(r, r), *q;
  if (r->dtype.scalar == DT_FLOAT64)
    q = POLY(s, -7.97255955009037868891952e-18, 2.81009972710863200091251e-15, -7.64712219118158833288484e-13,
             1.60590430605664501629054e-10, -2.50521083763502045810755e-08, 2.75573192239198747630416e-06,
             -0.000198412698412696162806809, 0.00833333333333332974823815, -0.166666666666666657414808);
  else q = POLY(s, 2.6083159809786593541503e-06, -0.0001981069071916863322258, 0.00833307858556509017944336, -0.166666597127914428710938);
  UOp *t = mul(mul(r, s), q);
  return add(r, rlo ? add(t, rlo) : t);
}
// cos(r + rlo) for |r| <= pi/4: w + ((1 - w) - s/2 + (s^2*Q(s) - r*rlo)), w = 1 - s/2 (fdlibm's __kernel_cos).
// float32: SLEEF's coefficients; float64: Taylor to r^18.
static UOp *cos_kernel(UOp *r, UOp *rlo) {
  UOp *s = mul(r, r), *q;
  if (r->dtype.scalar == DT_FLOAT64)
    q = POLY(s, -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
             -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0);
  else q = POLY(s, -2.71811842367242206819355e-07, 2.47990446951007470488548e-05, -0.00138888787478208541870117, 0.0416666641831398010253906);
  UOp *hz = mulc(s, 0.5), *w = sub(cf(r, 1), hz);
  return add(w, add(sub(sub(cf(r, 1), w), hz), sub(mul(mul(s, s), q), mul(r, rlo))));
}

// 1/(2pi) in 32-bit words: bit k after the binary point is bit (31 - k%32) of word k/32 + 1; word 0 is 0.
static const uint32_t INV_2PI[] = { 0,
  0x28be60db, 0x9391054a, 0x7f09d5f4, 0x7d4d3770, 0x36d8a566, 0x4f10e410, 0x7f9458ea, 0xf7aef158, 0x6dc91b8e, 0x909374b8,
  0x01924bba, 0x82746487, 0x3f877ac7, 0x2c4a69cf, 0xba208d7d, 0x4baed121, 0x3a671c09, 0xad17df90, 0x4e64758e, 0x60d4ce7d,
  0x272117e2, 0xef7e4a0e, 0xc7fe25ff, 0xf7816603, 0xfbcbc462, 0xd6829b47, 0xdb4d9fb3, 0xc9f2c26d, 0xd3d18fd9, 0xa797fa8b,
  0x5d49eeb1, 0xfaf97c5e, 0xcf41ce7d, 0xe294a4ba, 0x9afed7ec, 0x47e35742, 0x1580cc11, 0xbf1edaea, 0xfc33ef08, 0x26bd0d87 };

// INV_2PI[i + k] as uint64 (0 outside the table), for an int32 node i
static UOp *ph_word(UOp *i, int k, int nwords, UOp *like) {
  UOp *acc = ci(like, 0);
  for (int j = nwords - 1; j >= 0; j--)
    if (INV_2PI[j]) acc = sel(uop_alu(OP_CMPNE, i, ci(i, j - k)), acc, ci(like, INV_2PI[j]));
  return acc;
}

// Adds frac(m * 2^(t-32) / (2pi)) to cols[0..3], 32 fraction bits each (bits 1-32 first), for a uint64 m < 2^32
// and an int32 t. The 1/(2pi) bits that matter start at bit t-32 (higher ones only add whole turns): a
// window of 5 words (w0 holds the last integer bits) times m, as 32x32-bit products summed by column.
static void ph_cols(UOp *m, UOp *t, int nwords, UOp **cols) {
  UOp *i = shri(t, 5), *e = cast(andi(t, 31), DT_UINT64), *off = sub(ci(e, 32), e);
  UOp *w[6], *P[5];
  for (int k = 0; k < 6; k++) w[k] = ph_word(i, k, nwords, m);
  for (int k = 0; k < 5; k++) P[k] = mul(m, andi(uop_alu(OP_OR, shl(w[k], e), shr(w[k + 1], off)), 0xffffffff));
  for (int k = 0; k < 4; k++) {   // m * w_k / 2^32: its low half is fraction word k+1, its high half word k
    UOp *v = add(andi(P[k], 0xffffffff), shri(P[k + 1], 32));
    cols[k] = cols[k] ? add(cols[k], v) : v;
  }
}

// Payne-Hanek: sin(x) for x >= 1/2 of any size: x / (2pi) mod 1 to 128 bits in integer arithmetic, rounded to
// the nearest quadrant, so r = x - q*pi/2 is in [-pi/4, pi/4] and accurate to the last bit.
static UOp *sin_payne_hanek(UOp *x) {
  bool f64 = x->dtype.scalar == DT_FLOAT64;
  FInfo fi = finfo(f64 ? DT_FLOAT64 : DT_FLOAT32);
  UOp *c[4] = { 0 };
  if (f64) {                            // x = M * 2^(ex-1075), M = 53 bits = M1 * 2^32 + M0
    UOp *bits = bitcast(x, DT_UINT64), *ex = cast(andi(shri(bits, 52), 2047), DT_INT32);
    UOp *M = ori(andi(bits, (int64_t)((1ull << 52) - 1)), (int64_t)(1ull << 52));
    ph_cols(shri(M, 32), addc(ex, -1011), 41, c);
    ph_cols(andi(M, 0xffffffff), addc(ex, -1043), 41, c);
  } else {                              // x = (mantissa << 8) * 2^(ex-126-32)
    UOp *bits = bitcast(x, DT_UINT32), *ex = cast(andi(shri(bits, 23), 255), DT_INT32);
    ph_cols(shli(cast(ori(andi(bits, 0x7fffff), 0x800000), DT_UINT64), 8), addc(ex, -126), 8, c);
  }
  for (int k = 3; k > 0; k--) { c[k - 1] = add(c[k - 1], shri(c[k], 32)); c[k] = andi(c[k], 0xffffffff); }
  // the top 2 fraction bits are the quadrant; round to the nearest one
  UOp *q = cast(andi(shri(c[0], 30), 3), DT_INT32), *g = andi(c[0], (1 << 30) - 1);
  UOp *up = uop_alu(OP_CMPLT, ci(g, (1 << 29) - 1), g);
  UOp *gs = sub(cast(g, DT_INT64), sel(up, ci(cast(g, DT_INT64), 1 << 30), ci(cast(g, DT_INT64), 0)));
  q = add(q, sel(up, ci(q, 1), ci(q, 0)));
  // r = (A + B / 2^32) * pi/2^63, A = gs:c1 (|A| <= 2^61), B = c2:c3 / 2^32. pi/2^63 = C_HI + C_LO where a
  // head of A times C_HI is exact; the rest are small terms.
  ScalarType F = fi.f;
  UOp *A = add(shli(gs, 32), cast(c[1], DT_INT64));
  UOp *B = add(cast(c[2], F), mulc(cast(c[3], F), 0x1p-32));
  const double C_HI = f64 ? 0x1.921fb50000000p-62 : 0x1.92p-62, C_LO = f64 ? 0x1.110b4611a6263p-88 : 0x1.fb54442d1846ap-74;
  int keep = f64 ? 26 : 12;             // significant bits of A's head (C_HI has as many)
  UOp *a = cast(A, F);
  UOp *a_hi = bitcast(andi(bitcast(a, fi.i), ~(((int64_t)1 << (fi.mbits - keep + 1)) - 1)), F);
  UOp *lo = add(add(cast(sub(A, cast(a, DT_INT64)), F), sub(a, a_hi)), mulc(B, 0x1p-32));
  UOp *main = mulc(a_hi, C_HI), *tail = add(mulc(a_hi, C_LO), mulc(lo, C_HI + C_LO));
  UOp *r = add(main, tail), *rlo = sub(tail, sub(r, main));            // r + rlo = main + tail (Fast2Sum)
  UOp *v = sel(bit_set(q, 1), cos_kernel(r, rlo), sin_kernel(r, rlo));
  return mul(v, sel(bit_set(q, 2), cf(v, -1), cf(v, 1)));
}

static UOp *xsin(UOp *d) {
  UOp *x = finite_or(d, 0), *neg = ltc(x, 0), *xa = sel(neg, uop_neg(x), x);
  UOp *r = sel(ltc(xa, 0.78), sin_kernel(xa, NULL), sin_payne_hanek(xa));
  r = sel(neg, uop_neg(r), r);
  return sel(ltc(d, INFINITY), sel(lt(cf(d, -INFINITY), d), r, cf(d, NAN)), cf(d, NAN));   // inf, nan -> nan
}

// ---- sqrt: Newton's iteration on 1/sqrt from the bit-level estimate, then one correction of x*y ----
static UOp *xsqrt(UOp *d) {
  FInfo fi = finfo((ScalarType)d->dtype.scalar);
  bool f64 = fi.f == DT_FLOAT64;
  UOp *tiny = ltc(d, f64 ? 0x1p-500 : 0x1p-64);
  UOp *a = sel(tiny, mulc(d, f64 ? 0x1p600 : 0x1p64), d);
  UOp *y = bitcast(sub(ci(bitcast(a, fi.i), f64 ? 0x5fe6eb50c7b537a9ll : 0x5f3759df), shri(bitcast(a, fi.i), 1)), fi.f);
  UOp *h = mulc(a, 0.5);
  for (int k = 0; k < (f64 ? 4 : 3); k++) y = mul(y, sub(cf(y, 1.5), mul(mul(h, y), y)));
  UOp *s = mul(a, y);
  s = add(s, mul(sub(a, mul(s, s)), mulc(y, 0.5)));
  s = sel(tiny, mulc(s, f64 ? 0x1p-300 : 0x1p-32), s);
  s = sel(uop_alu(OP_CMPEQ, d, cf(d, 0)), d, s);           // keeps -0.0
  s = sel(uop_alu(OP_CMPEQ, d, cf(d, INFINITY)), d, s);
  return selc(ltc(d, 0), NAN, selc(uop_alu(OP_CMPNE, d, d), NAN, s));
}

// ---- pow, as tinygrad's xpow: exp2(y * log2|x|) with torch's rules for negative bases and y == 0 ----
static UOp *xpow(UOp *b, UOp *e) {
  UOp *negb = ltc(b, 0);
  UOp *ret = uop_alu1(OP_EXP2, mul(uop_alu1(OP_LOG2, sel(negb, uop_neg(b), b)), e));
  UOp *non_int = uop_alu(OP_CMPNE, e, cast(cast(e, DT_INT32), (ScalarType)e->dtype.scalar));
  UOp *ea = cast(sel(ltc(e, 0), uop_neg(e), e), DT_INT32);
  UOp *odd = uop_alu(OP_CMPNE, uop_alu(OP_CMOD, ea, ci(ea, 2)), ci(ea, 0));
  UOp *neg_base = sel(non_int, sel(nec(b, -INFINITY), cf(ret, NAN), ret), sel(odd, uop_neg(ret), ret));
  return sel(uop_alu(OP_CMPEQ, e, cf(e, 0)), cf(ret, 1), sel(negb, neg_base, ret));
}

// ---- the pass ----
static UOp *via_f32(Match *m) {          // float16/bfloat16: compute in float32, round once
  UOp *u = m->root, *src[2];
  for (uint32_t k = 0; k < u->nsrc; k++) src[k] = cast(u->src[k], DT_FLOAT32);
  UOp *r = uop_new((Op)u->op, dtl(u, DT_FLOAT32), src, (int)u->nsrc, u->arg);
  return uop_cast(r, u->dtype);
}
static UOp *r_exp2(Match *m) { return xexp2(m->root->src[0]); }
static UOp *r_log2(Match *m) { return xlog2(m->root->src[0]); }
static UOp *r_sin(Match *m) { return xsin(m->root->src[0]); }
static UOp *r_sqrt(Match *m) { return xsqrt(m->root->src[0]); }
static UOp *r_pow(Match *m) { return xpow(m->root->src[0], m->root->src[1]); }

#define DT_HALVES (DTM(DT_FLOAT16) | DTM(DT_BFLOAT16))
#define DT_F3264 (DTM(DT_FLOAT32) | DTM(DT_FLOAT64))
static const Rule decomp_rules[] = {
  RULE(UP(.ops = OPSET(OP_EXP2, OP_LOG2, OP_SIN, OP_SQRT, OP_POW), .dtypes = DT_HALVES), via_f32),
  RULE(UP(.ops = OPSET(OP_EXP2), .dtypes = DT_F3264), r_exp2),
  RULE(UP(.ops = OPSET(OP_LOG2), .dtypes = DT_F3264), r_log2),
  RULE(UP(.ops = OPSET(OP_SIN), .dtypes = DT_F3264), r_sin),
  RULE(UP(.ops = OPSET(OP_SQRT), .dtypes = DT_F3264), r_sqrt),
  RULE(UP(.ops = OPSET(OP_POW), .dtypes = DT_F3264), r_pow),
  RULES_END
};
Pass cg_decomp_pass = PASS("decomp_transcendental", decomp_rules);

UOp *cg_decomp(UOp *ast) { return graph_rewrite(ast, &cg_decomp_pass, NULL); }
