// nn functions: matmul, linear, convolution (gradient: convolutions) and pooling (windowed views), norms, attention, losses
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "base/env.h"
#include "tensor/gradient.h"
#include <math.h>
#include <string.h>

/* A large float32 B on the CPU is packed into column panels first, as BLAS does: (k, m) -> (m/16, k, 16), one
 * contiguous k x 16 panel per 16 output columns (a cache line per k). The kernel then walks one panel down k for
 * a tile of rows instead of striding across B's rows (a new page every k for m >= 1024), and the heuristic puts
 * the panel axis outermost (panel_outermost in codegen/opt/heuristic.c) so a panel stays in cache across all
 * rows. The copy is O(k m) against O(n k m) work. From 1 MB: a 512x512 B's rows are 2 KB apart, so a tile's walk
 * down 16 columns maps to 2 of L1's 64 sets (512 matmul 88 -> 150 GFLOP/s packed). MATMUL_PACK=0 turns it off. */
enum { PANEL = 16, PACK_MIN_BYTES = 1 << 20, PACK_MIN_ROWS = 64 };
static bool packs_b(const tg_tensor *a, const tg_tensor *b) {
  if (b->ndim != 2 || a->ndim < 2 || a->ndim + 2 > TG_MAX_DIMS || a->dtype != DT_FLOAT32 || b->dtype != DT_FLOAT32 ||
      strcmp(b->dev->kind, "CPU") != 0)
    return false;
  int64_t n = a->shape[a->ndim - 2], k = b->shape[0], m = b->shape[1];
  if (dim_is_sym(n) || dim_is_sym(k) || dim_is_sym(m)) return false;
  return m % PANEL == 0 && k * m * 4 >= PACK_MIN_BYTES && n >= PACK_MIN_ROWS && env_int("MATMUL_PACK", 1);
}

static tg_tensor *matmul_packed(tg_tensor *a, tg_tensor *b) {
  int64_t k = b->shape[0], m = b->shape[1], sh[TG_MAX_DIMS];
  int nd = a->ndim, ax = -2;
  tg_tensor *panels = tg_contiguous(tg_permute(tg_reshape(b, (int64_t[]){ k, m / PANEL, PANEL }, 3), (int[]){ 1, 0, 2 }, 3));
  memcpy(sh, a->shape, sizeof(int64_t) * (size_t)nd);                 // (..., n, k) -> (..., n, 1, k, 1)
  sh[nd - 1] = 1; sh[nd] = k; sh[nd + 1] = 1;
  tg_tensor *r = tg_sum(tg_mul(tg_reshape(a, sh, nd + 2), panels), &ax, 1, false);   // (..., n, m/16, 16)
  memcpy(sh, a->shape, sizeof(int64_t) * (size_t)nd);
  sh[nd - 1] = m;
  return tg_reshape(r, sh, nd);
}

tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b) {
  const char *fn = "tg_matmul";
  if (!t_check_inputs(fn, 2, a, b)) return NULL;
  if (a->ndim == 0 || b->ndim == 0) { tg_set_error("%s: both operands need at least 1 dim", fn); return NULL; }
  int64_t k = a->shape[a->ndim - 1], kb = b->shape[b->ndim >= 2 ? b->ndim - 2 : 0];
  if (k != kb) {
    char sa[256], sb[256];
    shape_str(a->shape, a->ndim, sa, sizeof sa);
    shape_str(b->shape, b->ndim, sb, sizeof sb);
    tg_set_error("%s: shapes %s and %s: inner dims differ (%lld vs %lld)", fn, sa, sb, (long long)k, (long long)kb);
    return NULL;
  }
  ScalarType dt = st_promote(a->dtype, b->dtype);
  if (packs_b(a, b)) return matmul_packed(a, b);
  tg_tensor *x = a->ndim == 1 ? tg_unsqueeze(a, 0) : a;               // (..., n, k)
  tg_tensor *w = b->ndim == 1 ? tg_unsqueeze(b, 1) : b;               // (..., k, m)
  x = tg_unsqueeze(x, -2);                                              // (..., n, 1, k)
  w = tg_unsqueeze(tg_transpose(w, -1, -2), -3);                       // (..., 1, m, k)
  int last = -1;
  tg_tensor *r = tg_sum(tg_mul(x, w), &last, 1, false);                // (..., n, m)
  if (r && dt != DT_VOID) r = tg_cast(r, (tg_dtype)dt);
  if (a->ndim == 1) r = tg_squeeze(r, -2);
  if (b->ndim == 1) r = tg_squeeze(r, -1);
  return r;
}

tg_tensor *tg_linear(tg_tensor *x, tg_tensor *w, tg_tensor *bias) {
  if (!t_check_inputs("tg_linear", 2, x, w)) return NULL;
  tg_tensor *y = tg_matmul(x, w->ndim >= 2 ? tg_transpose(w, -1, -2) : w);
  return bias ? tg_add(y, bias) : y;
}

// Windows that do not overlap (k <= s, no dilation): (..., i) padded or cropped to o*s, viewed as (..., o, s), the
// first k of each s kept. Pure reshapes, so the gradient (a max-pool's backward) is a pad, not a sum over
// the repeated copies the general form below makes.
static UOp *pool_disjoint(UOp *x, int nd, const int64_t *k, const int64_t *s) {
  const Shape xs = *ushape(x);
  int lead = xs.ndim - nd, n = 0;
  int64_t pads[2 * TG_MAX_DIMS] = { 0 }, be[2 * TG_MAX_DIMS], sh[2 * TG_MAX_DIMS], be2[4 * TG_MAX_DIMS];
  for (int j = 0; j < xs.ndim; j++) {
    int64_t o = j < lead ? 0 : (xs.d[j] - k[j - lead]) / s[j - lead] + 1, span = j < lead ? xs.d[j] : o * s[j - lead];
    pads[2 * j + 1] = span > xs.d[j] ? span - xs.d[j] : 0;
    be[2 * j] = 0; be[2 * j + 1] = span;
    if (j < lead) { sh[n] = xs.d[j]; be2[2 * n] = 0; be2[2 * n + 1] = xs.d[j]; n++; continue; }
    sh[n] = o; be2[2 * n] = 0; be2[2 * n + 1] = o; n++;
    sh[n] = s[j - lead]; be2[2 * n] = 0; be2[2 * n + 1] = k[j - lead]; n++;
  }
  UOp *t = t_reshape(t_shrink(t_pad(x, pads, xs.ndim), be, xs.ndim), sh, n);
  t = t_shrink(t, be2, n);                                         // (..., o0, k0, o1, k1)
  int perm[TG_MAX_DIMS];
  for (int j = 0; j < lead; j++) perm[j] = j;
  for (int j = 0; j < nd; j++) { perm[lead + j] = lead + 2 * j; perm[lead + nd + j] = lead + 2 * j + 1; }
  return t_permute(t, perm, n);                                    // (..., o0, o1, k0, k1)
}

// Windows over the last nd dims: (..., i) -> (..., o, k) with out[o, k] = x[o*s + k*d] (tinygrad's _pool)
static UOp *pool(UOp *x, int nd, const int64_t *k, const int64_t *s, const int64_t *d) {
  const Shape xs = *ushape(x);
  int lead = xs.ndim - nd;
  bool disjoint = true;
  for (int j = 0; j < nd; j++) disjoint &= k[j] <= s[j] && d[j] == 1;
  if (disjoint) return pool_disjoint(x, nd, k, s);
  int64_t i_[4], o_[4], e_[4];
  for (int j = 0; j < nd; j++) {
    i_[j] = xs.d[lead + j];
    o_[j] = (i_[j] - d[j] * (k[j] - 1) - 1) / s[j] + 1;
    e_[j] = (k[j] * (i_[j] + d[j]) + i_[j] - 1) / i_[j];
  }
  // repeat e times along each window dim: (..., i) -> (..., 1, i) -> (..., e, i) -> (..., e*i)
  int64_t inter[2 * TG_MAX_DIMS], rep[2 * TG_MAX_DIMS], flat[TG_MAX_DIMS];
  for (int j = 0; j < xs.ndim; j++) {
    int64_t e = j < lead ? 1 : e_[j - lead];
    inter[2 * j] = 1; inter[2 * j + 1] = xs.d[j];
    rep[2 * j] = e; rep[2 * j + 1] = xs.d[j];
    flat[j] = e * xs.d[j];
  }
  UOp *t = t_reshape(t_expand(t_reshape(x, inter, 2 * xs.ndim), rep, 2 * xs.ndim), flat, xs.ndim);
  int64_t be[2 * TG_MAX_DIMS], sh[TG_MAX_DIMS];
  int n = 0;
  // dilation: view k*(i+d) elements as (k, i+d)
  for (int j = 0; j < lead; j++) { be[2 * j] = 0; be[2 * j + 1] = xs.d[j]; sh[n++] = xs.d[j]; }
  for (int j = 0; j < nd; j++) { be[2 * (lead + j)] = 0; be[2 * (lead + j) + 1] = k[j] * (i_[j] + d[j]); sh[n++] = k[j]; sh[n++] = i_[j] + d[j]; }
  t = t_reshape(t_shrink(t, be, xs.ndim), sh, n);
  // stride: keep o*s of the i+d columns, view as (o, s), keep s == 0
  int64_t be2[2 * TG_MAX_DIMS], sh2[TG_MAX_DIMS];
  int m = 0;
  for (int j = 0; j < lead; j++) { be2[2 * j] = 0; be2[2 * j + 1] = xs.d[j]; sh2[m++] = xs.d[j]; }
  for (int j = 0; j < nd; j++) {
    int p = lead + 2 * j;
    be2[2 * p] = 0; be2[2 * p + 1] = k[j];
    be2[2 * (p + 1)] = 0; be2[2 * (p + 1) + 1] = o_[j] * s[j];
    sh2[m++] = k[j]; sh2[m++] = o_[j]; sh2[m++] = s[j];
  }
  t = t_reshape(t_shrink(t, be2, n), sh2, m);
  int64_t be3[2 * TG_MAX_DIMS], sh3[TG_MAX_DIMS];
  int q = 0;
  for (int j = 0; j < lead; j++) { be3[2 * j] = 0; be3[2 * j + 1] = xs.d[j]; sh3[q++] = xs.d[j]; }
  for (int j = 0; j < nd; j++) {
    int p = lead + 3 * j;
    be3[2 * p] = 0; be3[2 * p + 1] = k[j];
    be3[2 * (p + 1)] = 0; be3[2 * (p + 1) + 1] = o_[j];
    be3[2 * (p + 2)] = 0; be3[2 * (p + 2) + 1] = 1;
    sh3[q++] = k[j]; sh3[q++] = o_[j];
  }
  t = t_reshape(t_shrink(t, be3, m), sh3, q);                     // (..., k0, o0, k1, o1)
  int perm[TG_MAX_DIMS];
  for (int j = 0; j < lead; j++) perm[j] = j;
  for (int j = 0; j < nd; j++) { perm[lead + j] = lead + 2 * j + 1; perm[lead + nd + j] = lead + 2 * j; }
  return t_permute(t, perm, q);                                    // (..., o0, o1, k0, k1)
}

static bool pair(const int *v, int dflt, int64_t out[2]) {
  out[0] = v ? v[0] : dflt;
  out[1] = v ? v[1] : dflt;
  return true;
}

static bool check_window(const char *fn, const tg_tensor *x, const int64_t k[2], const int64_t s[2], const int64_t p[2], const int64_t d[2]) {
  for (int j = 0; j < 2; j++) {
    if (k[j] <= 0 || s[j] <= 0 || d[j] <= 0 || p[j] < 0) { tg_set_error("%s: kernel, stride and dilation must be positive, padding >= 0", fn); return false; }
    if (x->shape[2 + j] + 2 * p[j] < d[j] * (k[j] - 1) + 1) {
      char sx[256];
      shape_str(x->shape, x->ndim, sx, sizeof sx);
      tg_set_error("%s: input %s is smaller than the kernel (%lld x %lld) after padding", fn, sx, (long long)k[0], (long long)k[1]);
      return false;
    }
  }
  return true;
}

static tg_tensor *pad_hw(tg_tensor *x, const int64_t p[2], double value) {
  int64_t pads[8] = { 0, 0, 0, 0, p[0], p[0], p[1], p[1] };
  return tg_pad(x, pads, 8, value);
}

// ---- convolution, as graph builders over UOps (tg_conv2d validates) ----
typedef struct ConvParams { int64_t groups, s[2], p[2], d[2]; } ConvParams;
enum { CONV_NPARAMS = 7 };    // the params tuple of a conv's GRAD_FN: groups, stride, padding, dilation
static void conv_params_put(const ConvParams *c, int64_t *v) {
  v[0] = c->groups; v[1] = c->s[0]; v[2] = c->s[1]; v[3] = c->p[0]; v[4] = c->p[1]; v[5] = c->d[0]; v[6] = c->d[1];
}
static ConvParams conv_params_get(const int64_t *v) {
  return (ConvParams){ v[0], { v[1], v[2] }, { v[3], v[4] }, { v[5], v[6] } };
}

// Padding of the last two dims by (before, after) pairs, where a negative amount crops instead.
static UOp *pad_crop_hw(UOp *u, const int64_t pa[4]) {
  const Shape *s = ushape(u);
  int64_t be[8] = { 0, s->d[0], 0, s->d[1] }, pads[8] = { 0 };
  for (int j = 0; j < 4; j++) {
    int64_t dim = s->d[2 + j / 2], v = pa[j];
    be[4 + j] = j % 2 ? dim - (v < 0 ? -v : 0) : (v < 0 ? -v : 0);
    pads[4 + j] = v > 0 ? v : 0;
  }
  return t_pad(t_shrink(u, be, 4), pads, 4);
}

enum { COUT_LANES = 8 };   // float lanes of the SIMD registers the layout targets (AVX2)

// y[n, g*rc + o] = sum over (c, i, j) of xpad[n, g*ci + c, oy*s + i*d, ...] * w[g*rc + o, c, i, j]: every
// window of the padded input (bs, cin, oy, ox, kh, kw) times the weight, summed. x and w share a dtype.
static UOp *conv_value(UOp *x, UOp *w, const ConvParams *c) {
  const Shape *xs = ushape(x), *ws = ushape(w);
  int64_t bs = xs->d[0], cin = xs->d[1], cout = ws->d[0], kh = ws->d[2], kw = ws->d[3], k[2] = { kh, kw };
  int64_t g = c->groups, rc = cout / g, ci = cin / g;
  UOp *win = pool(pad_crop_hw(x, (int64_t[]){ c->p[0], c->p[0], c->p[1], c->p[1] }), 2, k, c->s, c->d);
  int64_t oy = ushape(win)->d[2], ox = ushape(win)->d[3];
  int64_t full[8] = { bs, g, rc, oy, ox, ci, kh, kw };
  win = t_reshape(win, (int64_t[]){ bs, g, ci, 1, oy, ox, kh, kw }, 8);
  win = t_expand(win, (int64_t[]){ bs, g, ci, rc, oy, ox, kh, kw }, 8);
  win = t_permute(win, (int[]){ 0, 1, 3, 4, 5, 2, 6, 7 }, 8);   // (bs, g, rc, oy, ox, ci, kh, kw)
  ScalarType dt = (ScalarType)x->dtype.scalar;
  // Where SIMD lanes cannot run along the output rows (a width that is not a multiple of 8 floats: the 20-,
  // 10- and 6-wide outputs of small layers), the weight is copied with cout innermost, so lanes over output
  // channels load it contiguously (the input is the same for every lane). The copy is small next to the
  // convolution (a weight, or the output gradient for dL/dw); it costs one more kernel.
  if (st_is_float(dt) && ox % COUT_LANES != 0 && rc % COUT_LANES == 0) {
    UOp *cout_inner = uop1(OP_CONTIGUOUS, w->dtype, t_permute(w, (int[]){ 1, 2, 3, 0 }, 4), arg_none());
    w = t_permute(cout_inner, (int[]){ 3, 0, 1, 2 }, 4);
  }
  UOp *wr = t_expand(t_reshape(w, (int64_t[]){ 1, g, rc, 1, 1, ci, kh, kw }, 8), full, 8);
  UOp *prod = dt == DT_BOOL ? uop_and(win, wr) : uop_mul(win, wr);
  UOp *y = t_reduce(t_cast(prod, st_is_float(dt) ? dt : DT_INT64), OP_ADD, (int[]){ 5, 6, 7 }, 3);   // as tg_sum
  return t_reshape(y, (int64_t[]){ bs, cout, oy, ox }, 4);
}

static UOp *conv(UOp *x, UOp *w, const ConvParams *c);

/* dL/dx, as torch: a transposed convolution of the output gradient. Spreading gy by the stride (s-1 zeros
 * between pixels) and padding it by d*(k-1) - p on both sides turns every (output, tap) pair into a window
 * of a stride-1 convolution with the weight flipped and its channels swapped within each group. Input rows
 * past the last window (when the stride does not divide H + 2p - d*(k-1) - 1) get zero: the padding after
 * grows by that remainder. A negative padding crops: those outputs only saw the input's zero padding. */
static UOp *conv_grad_x(UOp *gy, UOp *w, const Shape *xs, const ConvParams *c) {
  const Shape *gs = ushape(gy), *ws = ushape(w);
  int64_t bs = gs->d[0], cout = gs->d[1], oy = gs->d[2], ox = gs->d[3];
  int64_t g = c->groups, rc = cout / g, ci = ws->d[1], kh = ws->d[2], kw = ws->d[3], k[2] = { kh, kw };
  if (c->s[0] > 1 || c->s[1] > 1) {
    UOp *t = t_reshape(gy, (int64_t[]){ bs, cout, oy, 1, ox, 1 }, 6);
    t = t_pad(t, (int64_t[]){ 0, 0, 0, 0, 0, 0, 0, c->s[0] - 1, 0, 0, 0, c->s[1] - 1 }, 6);
    t = t_reshape(t, (int64_t[]){ bs, cout, oy * c->s[0], ox * c->s[1] }, 4);
    gy = t_shrink(t, (int64_t[]){ 0, bs, 0, cout, 0, (oy - 1) * c->s[0] + 1, 0, (ox - 1) * c->s[1] + 1 }, 4);
  }
  int64_t pa[4];
  for (int j = 0; j < 2; j++) {
    int64_t span = xs->d[2 + j] + 2 * c->p[j] - c->d[j] * (k[j] - 1) - 1;   // (o-1)*s + remainder
    pa[2 * j] = c->d[j] * (k[j] - 1) - c->p[j];
    pa[2 * j + 1] = pa[2 * j] + span % c->s[j];
  }
  UOp *wt = t_reshape(w, (int64_t[]){ g, rc, ci, kh, kw }, 5);
  wt = t_flip(t_permute(wt, (int[]){ 0, 2, 1, 3, 4 }, 5), (int[]){ 0, 0, 0, 1, 1 }, 5);
  wt = t_reshape(wt, (int64_t[]){ g * ci, rc, kh, kw }, 4);
  ConvParams tc = { g, { 1, 1 }, { 0, 0 }, { c->d[0], c->d[1] } };
  UOp *gp = pad_crop_hw(gy, pa);
  // Padded (or spread) in a buffer of its own: the convolution then reads every tap unmasked, with no
  // validity test per multiply-add (3x faster for the 5x5 layer); the copy costs one pass over gy.
  bool masked = c->s[0] > 1 || c->s[1] > 1;
  for (int j = 0; j < 4; j++) masked |= pa[j] > 0;
  if (masked) gp = uop1(OP_CONTIGUOUS, gp->dtype, gp, arg_none());
  return conv(gp, wt, &tc);
}

/* dL/dw: the batch becomes the reduced channel axis. x as (ci, g*bs, H, W) convolved with gy as a kernel
 * (g*rc, bs, oy, ox), in g groups: dw[co, c, i, j] = sum over (n, oy, ox) of xpad[n, c, oy*s + i*d] * gy[n, co, oy].
 * The kernel's taps step by the stride and the outputs by the dilation, so the two swap. Outputs past kh
 * (a stride that does not divide evenly leaves input rows no window uses) are cropped. */
static UOp *conv_grad_w(UOp *gy, UOp *x, const Shape *ws, const ConvParams *c) {
  const Shape *xs = ushape(x), *gs = ushape(gy);
  int64_t bs = xs->d[0], cin = xs->d[1], h = xs->d[2], wd = xs->d[3], g = c->groups, ci = cin / g;
  int64_t cout = ws->d[0], rc = cout / g, kh = ws->d[2], kw = ws->d[3], oy = gs->d[2], ox = gs->d[3];
  UOp *xt = t_permute(t_reshape(x, (int64_t[]){ bs, g, ci, h, wd }, 5), (int[]){ 2, 1, 0, 3, 4 }, 5);
  xt = t_reshape(xt, (int64_t[]){ ci, g * bs, h, wd }, 4);
  UOp *gt = t_permute(t_reshape(gy, (int64_t[]){ bs, g, rc, oy, ox }, 5), (int[]){ 1, 2, 0, 3, 4 }, 5);
  gt = t_reshape(gt, (int64_t[]){ cout, bs, oy, ox }, 4);
  ConvParams wc = { g, { c->d[0], c->d[1] }, { c->p[0], c->p[1] }, { c->s[0], c->s[1] } };
  UOp *dw = conv(xt, gt, &wc);                                   // (ci, cout, >= kh, >= kw)
  dw = t_shrink(dw, (int64_t[]){ 0, ci, 0, cout, 0, kh, 0, kw }, 4);
  return t_permute(dw, (int[]){ 1, 0, 2, 3 }, 4);
}

static void conv_grad(UOp *node, UOp *gy, UOp **out) {
  UOp *x = node->src[1], *w = node->src[2];
  ConvParams c = conv_params_get(grad_fn_params(node));
  Shape xs = *ushape(x), ws = *ushape(w);
  // Both gradients copy gy (padded for dx, cout innermost for dW): computed once into a buffer, the copies are
  // plain loads, where each would otherwise evaluate the upstream expression (a batchnorm backward) again,
  // behind the padding's gated loads that keep the C compiler from vectorizing.
  UOp *base = gy->op == OP_RESHAPE ? gy->src[0] : gy;
  if (base->op != OP_BUFFER && base->op != OP_CONTIGUOUS) gy = uop1(OP_CONTIGUOUS, gy->dtype, gy, arg_none());
  out[0] = conv_grad_x(gy, w, &xs, &c);
  out[1] = conv_grad_w(gy, x, &ws, &c);
}

// A floating-point convolution carries its own gradient (conv_grad), itself made of convolutions.
static UOp *conv(UOp *x, UOp *w, const ConvParams *c) {
  UOp *y = conv_value(x, w, c);
  if (!st_is_float((ScalarType)y->dtype.scalar)) return y;
  int64_t params[CONV_NPARAMS];
  conv_params_put(c, params);
  return grad_fn_node(y, (UOp *[]){ x, w }, 2, conv_grad, params, CONV_NPARAMS);
}

tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *w, tg_tensor *bias, int groups, const int *stride, const int *padding, const int *dilation) {
  const char *fn = "tg_conv2d";
  if (!t_check_inputs(fn, 2, x, w) || !t_check_concrete(fn, x, -1) || !t_check_concrete(fn, w, -1)) return NULL;
  if (x->ndim != 4 || w->ndim != 4) { tg_set_error("%s: input and weight must be 4-D (NCHW, OIHW), got %d-D and %d-D", fn, x->ndim, w->ndim); return NULL; }
  if (x->dev != w->dev) { tg_set_error("%s: input on %s, weight on %s", fn, x->dev->name, w->dev->name); return NULL; }
  if (groups <= 0) groups = 1;
  int64_t cin = x->shape[1], cout = w->shape[0], kh = w->shape[2], kw = w->shape[3];
  if (cin != w->shape[1] * groups || cout % groups) {
    char sx[256], sw[256];
    shape_str(x->shape, 4, sx, sizeof sx);
    shape_str(w->shape, 4, sw, sizeof sw);
    tg_set_error("%s: input %s and weight %s do not match with groups=%d", fn, sx, sw, groups);
    return NULL;
  }
  ScalarType dt = st_promote(x->dtype, w->dtype);
  if (dt == DT_VOID) { tg_set_error("%s: no common dtype for %s and %s", fn, st_name(x->dtype), st_name(w->dtype)); return NULL; }
  ConvParams c = { .groups = groups };
  int64_t k[2] = { kh, kw };
  pair(stride, 1, c.s); pair(padding, 0, c.p); pair(dilation, 1, c.d);
  if (!check_window(fn, x, k, c.s, c.p, c.d)) return NULL;
  tg_tensor *y = tensor_wrap(conv(t_cast(x->uop, dt), t_cast(w->uop, dt), &c), x->dev);
  if (st_is_int(x->dtype) && st_is_int(w->dtype)) y = tg_cast(y, (tg_dtype)dt);
  return bias ? tg_add(y, tg_reshape(bias, (int64_t[]){ 1, cout, 1, 1 }, 4)) : y;
}

static tg_tensor *pool2d(const char *fn, tg_tensor *x, const int *kernel, const int *stride, const int *padding, bool is_max) {
  if (!t_check_inputs(fn, 1, x) || !t_check_concrete(fn, x, -1)) return NULL;
  if (x->ndim < 2 || !kernel) { tg_set_error("%s: needs at least 2 dims and a kernel size", fn); return NULL; }
  int64_t k[2], s[2], p[2], d[2] = { 1, 1 };
  pair(kernel, 1, k);
  if (stride) pair(stride, 1, s); else { s[0] = k[0]; s[1] = k[1]; }
  pair(padding, 0, p);
  tg_tensor *x4 = x->ndim == 4 ? x : tg_reshape(x, (int64_t[]){ 1, tg_numel(x) / (x->shape[x->ndim - 2] * x->shape[x->ndim - 1] != 0 ? x->shape[x->ndim - 2] * x->shape[x->ndim - 1] : 1), x->shape[x->ndim - 2], x->shape[x->ndim - 1] }, 4);
  if (!check_window(fn, x4, k, s, p, d)) return NULL;
  tg_tensor *padded = pad_hw(x4, p, is_max ? -INFINITY : 0);
  if (!padded) return NULL;
  tg_tensor *win = tensor_wrap(pool(padded->uop, 2, k, s, d), x->dev);
  int ax[2] = { -2, -1 };
  tg_tensor *r = is_max ? tg_max(win, ax, 2, false) : tg_mean(win, ax, 2, false);
  if (x->ndim == 4 || !r) return r;
  int64_t sh[TG_MAX_DIMS];
  memcpy(sh, x->shape, sizeof(int64_t) * (size_t)(x->ndim - 2));
  sh[x->ndim - 2] = r->shape[2]; sh[x->ndim - 1] = r->shape[3];
  return tg_reshape(r, sh, x->ndim);
}
tg_tensor *tg_max_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding) { return pool2d("tg_max_pool2d", x, kernel, stride, padding, true); }
tg_tensor *tg_avg_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding) { return pool2d("tg_avg_pool2d", x, kernel, stride, padding, false); }

tg_tensor *tg_layernorm(tg_tensor *x, int axis, double eps) {
  if (!t_check_inputs("tg_layernorm", 1, x)) return NULL;
  int a = t_norm_axis("tg_layernorm", x, axis, false);
  if (a < 0) return NULL;
  tg_tensor *y = tg_sub(x, tg_mean(x, &a, 1, true));
  return tg_mul(y, tg_rsqrt(tg_add_s(tg_mean(tg_mul(y, y), &a, 1, true), eps)));
}

tg_tensor *tg_scaled_dot_product_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, tg_tensor *mask, bool causal) {
  const char *fn = "tg_scaled_dot_product_attention";
  if (!t_check_inputs(fn, 3, q, k, v)) return NULL;
  if (q->ndim < 2) { tg_set_error("%s: q needs at least 2 dims", fn); return NULL; }
  tg_tensor *s = tg_mul_s(tg_matmul(q, tg_transpose(k, -1, -2)), 1.0 / sqrt((double)q->shape[q->ndim - 1]));
  if (!s) return NULL;
  if (causal) {
    int64_t L = s->shape[s->ndim - 2], S = s->shape[s->ndim - 1];
    tg_tensor *r = tg_reshape(t_arange_on(s, 0, 1, L, TG_INT32), TG_SHAPE(L, 1));
    tg_tensor *c = tg_reshape(t_arange_on(s, 0, 1, S, TG_INT32), TG_SHAPE(1, S));
    s = tg_where(tg_ge(r, c), s, tg_full_like(s, -INFINITY));
  }
  if (mask) s = mask->dtype == DT_BOOL ? tg_where(mask, s, tg_full_like(s, -INFINITY)) : tg_add(s, mask);
  return tg_matmul(tg_softmax(s, -1), v);
}

tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *target, double label_smoothing) {
  const char *fn = "tg_cross_entropy";
  if (!t_check_inputs(fn, 2, logits, target)) return NULL;
  if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0] || st_is_float(target->dtype)) {
    char sl[256], st[256];
    shape_str(logits->shape, logits->ndim, sl, sizeof sl);
    shape_str(target->shape, target->ndim, st, sizeof st);
    tg_set_error("%s: needs logits (N, C) and integer targets (N,), got %s and %s %s", fn, sl, st, st_name(target->dtype));
    return NULL;
  }
  int64_t C = logits->shape[1];
  tg_tensor *y = tg_cast(tg_one_hot(target, C), tg_get_dtype(logits));
  if (label_smoothing > 0) y = tg_add_s(tg_mul_s(y, 1 - label_smoothing), label_smoothing / (double)C);
  int last = -1;
  return tg_neg(tg_mean(tg_sum(tg_mul(tg_log_softmax(logits, -1), y), &last, 1, false), NULL, 0, false));
}
