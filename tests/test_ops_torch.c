// Forward correctness of every public tensor op against PyTorch: cases are written to a file that
// tests/torch_ref.py recomputes with torch and compares (see the format there); a subset also runs on INTERP
#include "testlib.h"
#include "tinygrad.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NONE 1e300        // "None" for slice bounds
#define MAXP 24
enum { PACK = 1, INTERP = 2 };

// ---- host values in any dtype ----
static uint16_t f2h(float f) {       // float32 -> float16, round to nearest even
  uint32_t x, sign, ax;
  memcpy(&x, &f, 4);
  sign = (x >> 16) & 0x8000; ax = x & 0x7fffffff;
  if (ax > 0x7f800000) return (uint16_t)(sign | 0x7e00);
  if (ax >= 0x477ff000) return (uint16_t)(sign | 0x7c00);
  if (ax < 0x38800000) { float af; memcpy(&af, &ax, 4); return (uint16_t)(sign | (uint32_t)lrintf(af * 16777216.0f)); }
  return (uint16_t)(sign | ((ax + 0xfff + ((ax >> 13) & 1) - 0x38000000) >> 13));
}
static uint16_t f2bf(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);
  return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}
static float h2f(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
  float f;
  if (e == 31) bits = sign | 0x7f800000u | (m << 13);
  else if (e) bits = sign | ((e + 112) << 23) | (m << 13);
  else { f = ldexpf((float)m, -24); return sign ? -f : f; }
  memcpy(&f, &bits, 4);
  return f;
}
static float bf2f(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }

static void put(void *d, tg_dtype dt, double v) {
  switch (dt) {
  case TG_BOOL: *(uint8_t *)d = v != 0; break;
  case TG_INT8: *(int8_t *)d = (int8_t)(int64_t)v; break;
  case TG_UINT8: *(uint8_t *)d = (uint8_t)(int64_t)v; break;
  case TG_INT16: *(int16_t *)d = (int16_t)(int64_t)v; break;
  case TG_UINT16: *(uint16_t *)d = (uint16_t)(int64_t)v; break;
  case TG_INT32: *(int32_t *)d = (int32_t)(int64_t)v; break;
  case TG_UINT32: *(uint32_t *)d = (uint32_t)(int64_t)v; break;
  case TG_INT64: *(int64_t *)d = (int64_t)v; break;
  case TG_UINT64: *(uint64_t *)d = v < 0 ? (uint64_t)(int64_t)v : (uint64_t)v; break;
  case TG_FLOAT16: *(uint16_t *)d = f2h((float)v); break;
  case TG_BFLOAT16: *(uint16_t *)d = f2bf((float)v); break;
  case TG_FLOAT32: *(float *)d = (float)v; break;
  case TG_FLOAT64: *(double *)d = v; break;
  }
}
static double get(const void *d, tg_dtype dt) {
  switch (dt) {
  case TG_BOOL: case TG_UINT8: return *(const uint8_t *)d;
  case TG_INT8: return *(const int8_t *)d;
  case TG_INT16: return *(const int16_t *)d;
  case TG_UINT16: return *(const uint16_t *)d;
  case TG_INT32: return *(const int32_t *)d;
  case TG_UINT32: return *(const uint32_t *)d;
  case TG_INT64: return (double)*(const int64_t *)d;
  case TG_UINT64: return (double)*(const uint64_t *)d;
  case TG_FLOAT16: return h2f(*(const uint16_t *)d);
  case TG_BFLOAT16: return bf2f(*(const uint16_t *)d);
  case TG_FLOAT32: return *(const float *)d;
  case TG_FLOAT64: return *(const double *)d;
  }
  return 0;
}
static bool is_float(tg_dtype dt) { return dt >= TG_FLOAT16; }
static bool is_unsigned(tg_dtype dt) { return dt == TG_UINT8 || dt == TG_UINT16 || dt == TG_UINT32 || dt == TG_UINT64; }

// ---- inputs: a base buffer plus the views (permute, slice ...) applied before the op ----
enum { V_PERMUTE, V_SLICE, V_TRANSPOSE, V_FLIP, V_EXPAND };
typedef struct { int kind, n; int64_t a[8]; } View;
typedef struct { tg_tensor *base; View v[3]; int nv; } In;

// value kinds
enum { K_NORM, K_POS, K_SPECIAL, K_SMALL, K_NONZERO, K_SHIFT, K_WIDE, K_TIES, K_IDX, K_CAST, K_BOOL };
static const double specials[] = { -0.0, 0.0, NAN, INFINITY, -INFINITY, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, -2.7, 2.7,
                                   1e-3, -1e-3, 20.5, -20.5, 3.0, -3.0, 100, -100, 1e-30, 7.25, -0.75 };

static double draw(TestRng *r, tg_dtype dt, int kind, int64_t i, double arg) {
  bool f = is_float(dt), u = is_unsigned(dt);
  double x = rng_unit(r);
  switch (kind) {
  case K_BOOL: return x < 0.5;
  case K_POS: return f ? 0.1 + 3.9 * x : (double)(1 + (int)(x * 20));
  case K_SPECIAL: return f && i < (int64_t)(sizeof specials / sizeof *specials) ? specials[i] : f ? (x * 8 - 4) : (double)((int)(x * 41) - (u ? 0 : 20));
  case K_SMALL: return f ? x * 2 - 1 : (double)((int)(x * 11) - (u ? 0 : 5));
  case K_NONZERO: { double v = f ? 0.25 + 2.75 * x : (double)(1 + (int)(x * 9)); return rng_unit(r) < 0.5 && !u ? -v : v; }
  case K_SHIFT: return (double)(int)(x * arg);
  case K_TIES: return (double)((int)(x * 4) - (u ? 0 : 2));
  case K_IDX: return (double)(int)(x * arg);
  case K_WIDE:
    if (f) return (x * 2 - 1) * 1e4;
    switch (dt) {
    case TG_BOOL: return x < 0.5;
    case TG_INT8: return (double)((int)(x * 256) - 128);
    case TG_UINT8: return (double)(int)(x * 256);
    case TG_INT16: return (double)((int)(x * 65536) - 32768);
    case TG_UINT16: return (double)(int)(x * 65536);
    case TG_INT32: return (double)((int64_t)(x * 4294967296.0) - 2147483648LL);
    case TG_UINT32: return (double)(int64_t)(x * 4294967295.0);
    default: return (double)((int64_t)(x * 2e12) - (u ? 0 : 1000000000000LL));
    }
  case K_CAST:   // representable in every dtype that is a cast target: arg 1 means non-negative only
    if (f) return arg ? x * 120 : x * 240 - 120;
    return dt == TG_BOOL ? x < 0.5 : arg || u ? (double)(int)(x * 127) : (double)((int)(x * 255) - 127);
  default: return f ? x * 6 - 3 : (double)((int)(x * 41) - (u ? 0 : 20));
  }
}

static In gen(TestRng *r, tg_dtype dt, const int64_t *shape, int ndim, int kind, double arg) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  size_t isz = tg_dtype_size(dt);
  unsigned char *buf = calloc((size_t)(n ? n : 1), isz);
  for (int64_t i = 0; i < n; i++) put(buf + (size_t)i * isz, dt, draw(r, dt, kind, i, arg));
  In in = { .base = tg_from_data(buf, dt, shape, ndim) };
  free(buf);
  return in;
}
#define GEN(r, dt, kind, ...) gen(r, dt, (const int64_t[]){ __VA_ARGS__ }, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / 8), kind, 0)
static In scalar_in(TestRng *r, tg_dtype dt, int kind) { return gen(r, dt, NULL, 0, kind, 0); }
static In with_view(In in, int kind, int n, const int64_t *a) {
  View *v = &in.v[in.nv++];
  v->kind = kind; v->n = n;
  memcpy(v->a, a, (size_t)n * 8);
  return in;
}
#define VIEW(in, kind, ...) with_view(in, kind, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / 8), (const int64_t[]){ __VA_ARGS__ })

static tg_tensor *apply_views(const In *in, const char *dev) {
  tg_tensor *t = dev ? tg_to(in->base, dev) : in->base;
  for (int i = 0; i < in->nv; i++) {
    const View *v = &in->v[i];
    int o[8];
    for (int k = 0; k < v->n; k++) o[k] = (int)v->a[k];
    switch (v->kind) {
    case V_PERMUTE: t = tg_permute(t, o, v->n); break;
    case V_SLICE: t = tg_slice(t, o[0], v->a[1], v->a[2], v->a[3]); break;
    case V_TRANSPOSE: t = tg_transpose(t, o[0], o[1]); break;
    case V_FLIP: t = tg_flip(t, o, v->n); break;
    case V_EXPAND: t = tg_expand(t, v->a, v->n); break;
    }
  }
  return t;
}

// ---- the case file ----
static FILE *cf;
static int ncases, ninterp;
static void w_u32(uint32_t v) { fwrite(&v, 4, 1, cf); }
static void w_str(const char *s) { w_u32((uint32_t)strlen(s)); fwrite(s, 1, strlen(s), cf); }
static void w_tensor(tg_dtype dt, int ndim, const int64_t *shape, const void *data) {
  uint8_t h[2] = { (uint8_t)dt, (uint8_t)ndim };
  int64_t n = 1;
  fwrite(h, 1, 2, cf);
  for (int i = 0; i < ndim; i++) n *= shape[i];
  if (ndim) fwrite(shape, 8, (size_t)ndim, cf);
  if (n) fwrite(data, tg_dtype_size(dt), (size_t)n, cf);
}
static void *read_all(tg_tensor *t, size_t *nbytes) {
  *nbytes = (size_t)tg_numel(t) * tg_dtype_size(tg_get_dtype(t));
  void *p = malloc(*nbytes ? *nbytes : 1);
  if (tg_data(t, p, *nbytes) != 0) { free(p); return NULL; }
  return p;
}
static void w_view_json(const In *in) {
  static const char *names[] = { "permute", "slice", "transpose", "flip", "expand" };
  char buf[512];
  int k = snprintf(buf, sizeof buf, "[");
  for (int i = 0; i < in->nv; i++) {
    const View *v = &in->v[i];
    k += snprintf(buf + k, sizeof buf - (size_t)k, "%s[\"%s\"", i ? "," : "", names[v->kind]);
    for (int j = 0; j < v->n; j++) {
      int64_t a = v->a[j];
      if (v->kind == V_SLICE && j > 0 && a == INT64_MAX) k += snprintf(buf + k, sizeof buf - (size_t)k, ",1e300");
      else k += snprintf(buf + k, sizeof buf - (size_t)k, ",%lld", (long long)a);
    }
    k += snprintf(buf + k, sizeof buf - (size_t)k, "]");
  }
  snprintf(buf + k, sizeof buf - (size_t)k, "]");
  w_str(buf);
}

typedef tg_tensor *(*OpFn)(tg_tensor **x, const double *p);
typedef struct { const char *name; OpFn fn; double p[MAXP]; int np; In in[4]; int nin; bool interp; } Case;

static void w_case_head(const Case *c, const char *dev) {
  w_str(c->name); w_str(dev);
  w_u32((uint32_t)c->np);
  fwrite(c->p, 8, (size_t)c->np, cf);
  w_u32((uint32_t)c->nin);
  for (int i = 0; i < c->nin; i++) {
    size_t nb;
    void *d = read_all(c->in[i].base, &nb);
    if (!d) { fprintf(stderr, "reading an input failed: %s\n", tg_error()); exit(1); }
    w_tensor(tg_get_dtype(c->in[i].base), tg_ndim(c->in[i].base), tg_shape(c->in[i].base), d);
    free(d);
    w_view_json(&c->in[i]);
  }
  ncases++;
}
static void w_result(tg_dtype dt, int ndim, const int64_t *shape, const void *data) {
  int32_t st = 0;
  fwrite(&st, 4, 1, cf);
  w_tensor(dt, ndim, shape, data);
}
static void w_error(const char *msg) {
  int32_t st = 1;
  fwrite(&st, 4, 1, cf);
  w_str(msg ? msg : "(no message)");
}

static tg_tensor *build(const Case *c, const char *dev) {
  tg_tensor *x[4];
  for (int i = 0; i < c->nin; i++) x[i] = apply_views(&c->in[i], dev);
  return c->fn(x, c->p);
}

// the same case on INTERP must give what CPU gave (bit-exact for integers, float rounding aside)
static void check_interp(const Case *c, tg_tensor *cpu_out, const void *cpu) {
  tg_scope_begin();
  tg_tensor *o = build(c, "INTERP");
  size_t nb;
  void *d = o ? read_all(o, &nb) : NULL;
  CHECK(d != NULL, "%s on INTERP: %s", c->name, tg_error());
  w_case_head(c, "INTERP");
  if (!d) { w_error(tg_error()); tg_clear_error(); tg_scope_end(); return; }
  tg_dtype dt = tg_get_dtype(o);
  w_result(dt, tg_ndim(o), tg_shape(o), d);
  ninterp++;
  CHECK(dt == tg_get_dtype(cpu_out) && tg_numel(o) == tg_numel(cpu_out), "%s: INTERP dtype/shape differ from CPU", c->name);
  size_t isz = tg_dtype_size(dt);
  for (int64_t i = 0; dt == tg_get_dtype(cpu_out) && i < tg_numel(o); i++) {
    double a = get((char *)d + (size_t)i * isz, dt), b = get((const char *)cpu + (size_t)i * isz, dt);
    bool ok = is_float(dt) ? (isnan(a) && isnan(b)) || a == b || fabs(a - b) <= 1e-6 + 1e-5 * fabs(b) : a == b;
    if (!ok) { CHECK(ok, "%s: INTERP[%lld] = %.9g, CPU gives %.9g", c->name, (long long)i, a, b); break; }
  }
  free(d);
  tg_scope_end();
}

// Cases are packed: their flattened outputs are concatenated and realized together (one kernel per dtype where
// they fuse), because each compiled kernel costs 0.1-0.2 s of cc time. Cases flagged INTERP (outside the
// elementwise groups) run alone, so every op also gets a standalone kernel somewhere.
#define MAXPACK 512
static Case pending[MAXPACK];
static tg_tensor *pending_out[MAXPACK];
static int npending;

static void finish(const Case *c, tg_tensor *out, const void *data) {
  w_case_head(c, "CPU");
  w_result(tg_get_dtype(out), tg_ndim(out), tg_shape(out), data);
  if (c->interp) check_interp(c, out, data);
}

// realize the pending cases whose output has dtype dt (all of them for dt < 0) as one concatenated tensor
static void flush_dtype(int dt) {
  tg_tensor *parts[MAXPACK];
  int idx[MAXPACK], n = 0, keep = 0;
  for (int j = 0; j < npending; j++) {
    if (dt < 0 && n && tg_get_dtype(pending_out[j]) != tg_get_dtype(pending_out[idx[0]])) continue;
    if (dt >= 0 && (int)tg_get_dtype(pending_out[j]) != dt) continue;
    idx[n] = j; parts[n++] = tg_reshape(pending_out[j], TG_SHAPE(-1));
  }
  if (!n) return;
  size_t nb, off = 0, isz = tg_dtype_size(tg_get_dtype(pending_out[idx[0]]));
  unsigned char *all = read_all(tg_cat(parts, n, 0), &nb);
  CHECK(all != NULL, "packed %s kernel: %s", tg_dtype_name(tg_get_dtype(pending_out[idx[0]])), tg_error());
  for (int k = 0; k < n && all; k++) {
    finish(&pending[idx[k]], pending_out[idx[k]], all + off);
    off += (size_t)tg_numel(pending_out[idx[k]]) * isz;
  }
  free(all);
  for (int j = 0, k = 0; j < npending; j++) {   // drop the flushed ones
    if (k < n && idx[k] == j) { k++; continue; }
    pending[keep] = pending[j]; pending_out[keep++] = pending_out[j];
  }
  npending = keep;
}
static void flush(void) { while (npending) flush_dtype(-1); }

// distinct input buffers of the pending cases with dtype dt, plus c's: one kernel reads at most 64 (RANGEIFY_MAX_BUFS)
static int group_bufs(tg_dtype dt, const Case *c) {
  tg_tensor *seen[4 * MAXPACK + 4];
  int n = 0;
  for (int j = 0; j <= npending; j++) {
    const Case *x = j < npending ? &pending[j] : c;
    if (j < npending && tg_get_dtype(pending_out[j]) != dt) continue;
    for (int i = 0; i < x->nin; i++) {
      int k = 0;
      while (k < n && seen[k] != x->in[i].base) k++;
      if (k == n) seen[n++] = x->in[i].base;
    }
  }
  return n;
}

static void run(const Case *c, bool pack) {
  tg_tensor *out = build(c, NULL);
  if (!out) {
    w_case_head(c, "CPU");
    w_error(tg_error());
    tg_clear_error();
    return;
  }
  if (pack && tg_numel(out) > 0) {
    int same = 0;
    for (int j = 0; j < npending; j++) same += tg_get_dtype(pending_out[j]) == tg_get_dtype(out);
    if (same == 64 || group_bufs(tg_get_dtype(out), c) > 56) flush_dtype((int)tg_get_dtype(out));
    if (npending == MAXPACK) flush();
    pending[npending] = *c;
    pending_out[npending++] = out;
    return;
  }
  size_t nb;
  void *d = read_all(out, &nb);
  if (!d) { w_case_head(c, "CPU"); w_error(tg_error()); tg_clear_error(); return; }
  finish(c, out, d);
  free(d);
}

// T(name, fn, PARAMS(...), INS(...), flags): one case
static void T(const char *name, OpFn fn, const double *p, int np, int nin, const In *in, int flags) {
  Case c = { .name = name, .fn = fn, .np = np, .nin = nin, .interp = (flags & INTERP) != 0 };
  if (np > MAXP || nin > 4) { fprintf(stderr, "case %s: too many params/inputs\n", name); exit(1); }
  if (np) memcpy(c.p, p, (size_t)np * sizeof(double));
  for (int i = 0; i < nin; i++) c.in[i] = in[i];
  run(&c, (flags & PACK) || !(flags & INTERP));   // cases also run on INTERP keep a kernel of their own on CPU
}
#define PARAMS(...) (const double[]){ 0, __VA_ARGS__ } + 1, (int)(sizeof((double[]){ 0, __VA_ARGS__ }) / sizeof(double)) - 1
#define INS(...) (int)(sizeof((In[]){ __VA_ARGS__ }) / sizeof(In)), (const In[]){ __VA_ARGS__ }
#define NOINS 0, NULL

// ---- op adapters: tg_tensor *op(x, p) ----
#define UN_FN(name) static tg_tensor *op_##name(tg_tensor **x, const double *p) { (void)p; return tg_##name(x[0]); }
TG_UNARY_OPS(UN_FN)
#define BIN_FN(name) static tg_tensor *op_##name(tg_tensor **x, const double *p) { (void)p; return tg_##name(x[0], x[1]); } \
  static tg_tensor *op_##name##_s(tg_tensor **x, const double *p) { return tg_##name##_s(x[0], p[0]); }
TG_BINARY_OPS(BIN_FN)
typedef struct { const char *name; OpFn fn; } Named;
#define UN_ENTRY(name) { #name, op_##name },
#define BIN_ENTRY(name) { #name, op_##name },
#define BINS_ENTRY(name) { #name "_s", op_##name##_s },
static const Named unary_ops[] = { TG_UNARY_OPS(UN_ENTRY) };
static const Named binary_ops[] = { TG_BINARY_OPS(BIN_ENTRY) };
static const Named binary_s_ops[] = { TG_BINARY_OPS(BINS_ENTRY) };
#define NUNARY (int)(sizeof unary_ops / sizeof *unary_ops)
#define NBINARY (int)(sizeof binary_ops / sizeof *binary_ops)

static void ints_of(const double *p, int n, int64_t *out) { for (int i = 0; i < n; i++) out[i] = (int64_t)p[i]; }
static void iints_of(const double *p, int n, int *out) { for (int i = 0; i < n; i++) out[i] = (int)p[i]; }
static int64_t sl(double v) { return v == NONE ? INT64_MAX : (int64_t)v; }

static tg_tensor *op_rsub_s(tg_tensor **x, const double *p) { return tg_rsub_s(x[0], p[0]); }
static tg_tensor *op_rdiv_s(tg_tensor **x, const double *p) { return tg_rdiv_s(x[0], p[0]); }
static tg_tensor *op_where(tg_tensor **x, const double *p) { (void)p; return tg_where(x[0], x[1], x[2]); }
static tg_tensor *op_where_s(tg_tensor **x, const double *p) { return tg_where_s(x[0], p[0], p[1]); }
static tg_tensor *op_clamp(tg_tensor **x, const double *p) { return tg_clamp(x[0], p[0], p[1]); }
static tg_tensor *op_leaky_relu(tg_tensor **x, const double *p) { return tg_leaky_relu(x[0], p[0]); }
static tg_tensor *op_cast(tg_tensor **x, const double *p) { return tg_cast(x[0], (tg_dtype)p[0]); }
static tg_tensor *op_bitcast(tg_tensor **x, const double *p) { return tg_bitcast(x[0], (tg_dtype)p[0]); }
static tg_tensor *op_ident(tg_tensor **x, const double *p) { (void)p; return x[0]; }
static tg_tensor *op_contiguous(tg_tensor **x, const double *p) { (void)p; return tg_contiguous(x[0]); }
static tg_tensor *op_full(tg_tensor **x, const double *p) { (void)x; int64_t s[8]; ints_of(p + 3, (int)p[2], s); return tg_full(s, (int)p[2], p[1], (tg_dtype)p[0]); }
static tg_tensor *op_zeros(tg_tensor **x, const double *p) { (void)x; int64_t s[8]; ints_of(p + 2, (int)p[1], s); return tg_zeros(s, (int)p[1], (tg_dtype)p[0]); }
static tg_tensor *op_ones(tg_tensor **x, const double *p) { (void)x; int64_t s[8]; ints_of(p + 2, (int)p[1], s); return tg_ones(s, (int)p[1], (tg_dtype)p[0]); }
static tg_tensor *op_full_like(tg_tensor **x, const double *p) { return tg_full_like(x[0], p[0]); }
static tg_tensor *op_zeros_like(tg_tensor **x, const double *p) { (void)p; return tg_zeros_like(x[0]); }
static tg_tensor *op_ones_like(tg_tensor **x, const double *p) { (void)p; return tg_ones_like(x[0]); }
static tg_tensor *op_arange(tg_tensor **x, const double *p) { (void)x; return tg_arange(p[0], p[1], p[2], (tg_dtype)p[3]); }
static tg_tensor *op_linspace(tg_tensor **x, const double *p) { (void)x; return tg_linspace(p[0], p[1], (int64_t)p[2], (tg_dtype)p[3]); }
static tg_tensor *op_eye(tg_tensor **x, const double *p) { (void)x; return tg_eye((int64_t)p[0], (tg_dtype)p[1]); }
static tg_tensor *op_reshape(tg_tensor **x, const double *p) { int64_t s[8]; ints_of(p + 1, (int)p[0], s); return tg_reshape(x[0], s, (int)p[0]); }
static tg_tensor *op_permute(tg_tensor **x, const double *p) { int o[8]; iints_of(p + 1, (int)p[0], o); return tg_permute(x[0], o, (int)p[0]); }
static tg_tensor *op_expand(tg_tensor **x, const double *p) { int64_t s[8]; ints_of(p + 1, (int)p[0], s); return tg_expand(x[0], s, (int)p[0]); }
static tg_tensor *op_pad(tg_tensor **x, const double *p) { int64_t s[16]; ints_of(p + 2, (int)p[1], s); return tg_pad(x[0], s, (int)p[1], p[0]); }
static tg_tensor *op_shrink(tg_tensor **x, const double *p) { int64_t s[16]; ints_of(p + 1, (int)p[0], s); return tg_shrink(x[0], s, (int)p[0]); }
static tg_tensor *op_flip(tg_tensor **x, const double *p) { int o[8]; iints_of(p + 1, (int)p[0], o); return tg_flip(x[0], o, (int)p[0]); }
static tg_tensor *op_slice(tg_tensor **x, const double *p) { return tg_slice(x[0], (int)p[0], sl(p[1]), sl(p[2]), (int64_t)p[3]); }
static tg_tensor *op_transpose(tg_tensor **x, const double *p) { return tg_transpose(x[0], (int)p[0], (int)p[1]); }
static tg_tensor *op_flatten(tg_tensor **x, const double *p) { return tg_flatten(x[0], (int)p[0], (int)p[1]); }
static tg_tensor *op_squeeze(tg_tensor **x, const double *p) { return tg_squeeze(x[0], (int)p[0]); }
static tg_tensor *op_unsqueeze(tg_tensor **x, const double *p) { return tg_unsqueeze(x[0], (int)p[0]); }
static int nin_of(const double *p) { return (int)p[1]; }
static tg_tensor *op_cat(tg_tensor **x, const double *p) { return tg_cat(x, nin_of(p), (int)p[0]); }
static tg_tensor *op_stack(tg_tensor **x, const double *p) { return tg_stack(x, nin_of(p), (int)p[0]); }
static tg_tensor *op_split(tg_tensor **x, const double *p) {
  tg_tensor *out[16];
  int n = tg_split(x[0], (int64_t)p[0], (int)p[1], out, 16);
  return n > (int)p[2] ? out[(int)p[2]] : NULL;
}
static tg_tensor *op_chunk(tg_tensor **x, const double *p) {
  tg_tensor *out[16];
  int n = tg_chunk(x[0], (int)p[0], (int)p[1], out, 16);
  return n > (int)p[2] ? out[(int)p[2]] : NULL;
}
static tg_tensor *op_repeat(tg_tensor **x, const double *p) { int64_t s[8]; ints_of(p + 1, (int)p[0], s); return tg_repeat(x[0], s, (int)p[0]); }
static tg_tensor *op_gather(tg_tensor **x, const double *p) { return tg_gather(x[0], (int)p[0], x[1]); }
static tg_tensor *op_one_hot(tg_tensor **x, const double *p) { return tg_one_hot(x[0], (int64_t)p[0]); }
#define RED_FN(name) static tg_tensor *op_##name(tg_tensor **x, const double *p) { int a[8]; iints_of(p + 2, (int)p[1], a); return tg_##name(x[0], a, (int)p[1], p[0] != 0); }
RED_FN(sum) RED_FN(prod) RED_FN(max) RED_FN(min) RED_FN(mean) RED_FN(any) RED_FN(all)
static tg_tensor *op_var(tg_tensor **x, const double *p) { int a[8]; iints_of(p + 3, (int)p[2], a); return tg_var(x[0], a, (int)p[2], p[0] != 0, p[1]); }
static tg_tensor *op_std(tg_tensor **x, const double *p) { int a[8]; iints_of(p + 3, (int)p[2], a); return tg_std(x[0], a, (int)p[2], p[0] != 0, p[1]); }
static tg_tensor *op_argmax(tg_tensor **x, const double *p) { return tg_argmax(x[0], (int)p[0], p[1] != 0); }
static tg_tensor *op_argmin(tg_tensor **x, const double *p) { return tg_argmin(x[0], (int)p[0], p[1] != 0); }
static tg_tensor *op_cumsum(tg_tensor **x, const double *p) { return tg_cumsum(x[0], (int)p[0]); }
static tg_tensor *op_logsumexp(tg_tensor **x, const double *p) { return tg_logsumexp(x[0], (int)p[0], p[1] != 0); }
static tg_tensor *op_softmax(tg_tensor **x, const double *p) { return tg_softmax(x[0], (int)p[0]); }
static tg_tensor *op_log_softmax(tg_tensor **x, const double *p) { return tg_log_softmax(x[0], (int)p[0]); }
static tg_tensor *op_matmul(tg_tensor **x, const double *p) { (void)p; return tg_matmul(x[0], x[1]); }
static tg_tensor *op_linear(tg_tensor **x, const double *p) { return tg_linear(x[0], x[1], p[0] ? x[2] : NULL); }
static tg_tensor *op_conv2d(tg_tensor **x, const double *p) {
  int s[2] = { (int)p[1], (int)p[2] }, pd[2] = { (int)p[3], (int)p[4] }, d[2] = { (int)p[5], (int)p[6] };
  return tg_conv2d(x[0], x[1], p[7] ? x[2] : NULL, (int)p[0], s, pd, d);
}
static tg_tensor *pool_op(tg_tensor **x, const double *p, bool is_max) {
  int k[2] = { (int)p[0], (int)p[1] }, s[2] = { (int)p[3], (int)p[4] }, pd[2] = { (int)p[5], (int)p[6] };
  return (is_max ? tg_max_pool2d : tg_avg_pool2d)(x[0], k, p[2] ? s : NULL, pd);
}
static tg_tensor *op_max_pool2d(tg_tensor **x, const double *p) { return pool_op(x, p, true); }
static tg_tensor *op_avg_pool2d(tg_tensor **x, const double *p) { return pool_op(x, p, false); }
static tg_tensor *op_layernorm(tg_tensor **x, const double *p) { return tg_layernorm(x[0], (int)p[0], p[1]); }
static tg_tensor *op_sdpa(tg_tensor **x, const double *p) { return tg_scaled_dot_product_attention(x[0], x[1], x[2], p[1] ? x[3] : NULL, p[0] != 0); }
static tg_tensor *op_cross_entropy(tg_tensor **x, const double *p) { return tg_cross_entropy(x[0], x[1], p[0]); }

#define A(x) (double)(x)
static const tg_dtype ALL_DT[] = { TG_BOOL, TG_INT8, TG_UINT8, TG_INT16, TG_UINT16, TG_INT32, TG_UINT32, TG_INT64,
                                   TG_UINT64, TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64 };

static void test_creation(TestRng *r) {
  tg_scope_begin();
  for (int i = 0; i < 13; i++) T("from_data", op_ident, PARAMS(), INS(GEN(r, ALL_DT[i], K_WIDE, 2, 3)), i % 4 == 0 ? INTERP : 0);
  T("from_data", op_ident, PARAMS(), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
  T("from_data", op_ident, PARAMS(), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);
  T("contiguous", op_contiguous, PARAMS(), INS(VIEW(GEN(r, TG_INT32, K_NORM, 2, 3, 4), V_PERMUTE, 2, 0, 1)), INTERP);
  T("full", op_full, PARAMS(A(TG_FLOAT32), 2.5, 2, 2, 3), NOINS, INTERP);
  T("full", op_full, PARAMS(A(TG_INT32), -7, 1, 3), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_BOOL), 1, 2, 2, 2), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_FLOAT16), -1.5, 1, 4), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_BFLOAT16), 3.25, 1, 2), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_UINT8), 200, 2, 1, 3), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_INT64), -5e12, 1, 2), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_FLOAT64), 1e-3, 0), NOINS, 0);
  T("full", op_full, PARAMS(A(TG_FLOAT32), 1, 2, 0, 3), NOINS, 0);
  T("zeros", op_zeros, PARAMS(A(TG_FLOAT32), 2, 2, 3), NOINS, 0);
  T("zeros", op_zeros, PARAMS(A(TG_INT8), 1, 5), NOINS, 0);
  T("zeros", op_zeros, PARAMS(A(TG_BOOL), 0), NOINS, 0);
  T("ones", op_ones, PARAMS(A(TG_FLOAT16), 2, 3, 1), NOINS, 0);
  T("ones", op_ones, PARAMS(A(TG_INT64), 1, 4), NOINS, 0);
  T("ones", op_ones, PARAMS(A(TG_FLOAT32), 2, 0, 3), NOINS, 0);
  In p = VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 4), V_PERMUTE, 1, 0);
  T("full_like", op_full_like, PARAMS(-0.5), INS(p), 0);
  T("full_like", op_full_like, PARAMS(3), INS(GEN(r, TG_INT32, K_NORM, 2, 2)), 0);
  T("zeros_like", op_zeros_like, PARAMS(), INS(GEN(r, TG_BOOL, K_BOOL, 3)), 0);
  T("ones_like", op_ones_like, PARAMS(), INS(p), 0);
  T("ones_like", op_ones_like, PARAMS(), INS(GEN(r, TG_BFLOAT16, K_NORM, 2, 1)), 0);
  static const double ar[][4] = { { 0, 10, 1, TG_INT32 }, { 0, 10, 1, TG_FLOAT32 }, { 10, 0, -1, TG_INT64 }, { -3, 3, 0.5, TG_FLOAT32 },
                                  { 1, 2.05, 0.1, TG_FLOAT32 }, { 5, -5, -2.5, TG_FLOAT32 }, { 0, 5, 1, TG_FLOAT16 }, { 0, 0, 1, TG_INT32 },
                                  { 0.5, 5, 1, TG_INT64 }, { -1, 1, 0.25, TG_FLOAT64 }, { 0, 1, 0.1, TG_FLOAT32 }, { 3, 10, 3, TG_UINT8 },
                                  { 0, -3, 1, TG_FLOAT32 }, { 0, 7, 2, TG_BFLOAT16 } };
  for (int i = 0; i < (int)(sizeof ar / sizeof *ar); i++) T("arange", op_arange, PARAMS(ar[i][0], ar[i][1], ar[i][2], ar[i][3]), NOINS, 0);
  static const double ls[][4] = { { 0, 1, 5, TG_FLOAT32 }, { -1, 1, 1, TG_FLOAT32 }, { 0, 10, 0, TG_FLOAT32 }, { 2, -3, 7, TG_FLOAT32 },
                                  { 0, 100, 11, TG_INT32 }, { 0, 1, 4, TG_FLOAT16 }, { -5, 5, 10, TG_FLOAT64 }, { 0, 1, 9, TG_BFLOAT16 } };
  for (int i = 0; i < (int)(sizeof ls / sizeof *ls); i++) T("linspace", op_linspace, PARAMS(ls[i][0], ls[i][1], ls[i][2], ls[i][3]), NOINS, 0);
  T("eye", op_eye, PARAMS(4, A(TG_FLOAT32)), NOINS, INTERP);
  T("eye", op_eye, PARAMS(1, A(TG_INT32)), NOINS, 0);
  T("eye", op_eye, PARAMS(0, A(TG_FLOAT32)), NOINS, 0);
  T("eye", op_eye, PARAMS(3, A(TG_BOOL)), NOINS, 0);
  tg_tensor *e = tg_empty(TG_SHAPE(2, 0, 3), TG_FLOAT16);
  CHECK(e && tg_ndim(e) == 3 && tg_dim(e, 2) == 3 && tg_get_dtype(e) == TG_FLOAT16, "tg_empty shape/dtype");
  CHECK(tg_arange(0, 1, 0, TG_FLOAT32) == NULL, "arange with step 0 must fail");
  tg_clear_error();
  flush();
  tg_scope_end();
}

static void test_cast(TestRng *r) {
  tg_scope_begin();
  for (int d = 0; d < 13; d++) {
    for (int s = 0; s < 13; s++) {
      bool nonneg = is_float(ALL_DT[s]) && is_unsigned(ALL_DT[d]);
      In x = gen(r, ALL_DT[s], (const int64_t[]){ 3, 5 }, 2, K_CAST, nonneg);
      T("cast", op_cast, PARAMS(A(ALL_DT[d])), INS(x), PACK | (s == d + 1 ? INTERP : 0));
    }
  }
  // wrapping integer casts, float specials (inf/nan/-0, float16 overflow), float -> bool
  static const tg_dtype wsrc[] = { TG_INT32, TG_INT64, TG_UINT32, TG_INT16 };
  static const tg_dtype wdst[] = { TG_INT8, TG_UINT8, TG_INT16, TG_UINT16, TG_INT32, TG_UINT32, TG_INT64, TG_UINT64, TG_FLOAT32, TG_BOOL };
  for (int s = 0; s < 4; s++)
    for (int d = 0; d < 10; d++) T("cast", op_cast, PARAMS(A(wdst[d])), INS(GEN(r, wsrc[s], K_WIDE, 16)), PACK);
  static const tg_dtype fdst[] = { TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64, TG_BOOL };
  for (int s = TG_FLOAT16; s <= TG_FLOAT64; s++)
    for (int d = 0; d < 5; d++) T("cast", op_cast, PARAMS(A(fdst[d])), INS(GEN(r, (tg_dtype)s, K_SPECIAL, 24)), PACK);
  T("cast", op_cast, PARAMS(A(TG_FLOAT16)), INS(GEN(r, TG_FLOAT32, K_WIDE, 8)), PACK);   // |x| up to 1e4
  In big = GEN(r, TG_FLOAT32, K_NORM, 4);
  big.base = tg_mul_s(big.base, 3e4);   // 1e5: overflows float16 to inf
  T("cast", op_cast, PARAMS(A(TG_FLOAT16)), INS(big), 0);
  // bitcast between same-size types
  static const tg_dtype bc[][2] = { { TG_FLOAT32, TG_INT32 }, { TG_INT32, TG_FLOAT32 }, { TG_FLOAT32, TG_UINT32 }, { TG_UINT32, TG_FLOAT32 },
                                    { TG_FLOAT16, TG_INT16 }, { TG_INT16, TG_FLOAT16 }, { TG_BFLOAT16, TG_INT16 }, { TG_FLOAT16, TG_UINT16 },
                                    { TG_FLOAT64, TG_INT64 }, { TG_INT64, TG_FLOAT64 }, { TG_FLOAT64, TG_UINT64 }, { TG_INT8, TG_UINT8 },
                                    { TG_UINT8, TG_INT8 }, { TG_FLOAT16, TG_BFLOAT16 }, { TG_UINT32, TG_INT32 } };
  for (int i = 0; i < (int)(sizeof bc / sizeof *bc); i++)
    T("bitcast", op_bitcast, PARAMS(A(bc[i][1])), INS(GEN(r, bc[i][0], is_float(bc[i][0]) ? K_SPECIAL : K_WIDE, 4, 6)), PACK | (i == 0 ? INTERP : 0));
  T("bitcast", op_bitcast, PARAMS(A(TG_INT32)), INS(VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 4), V_TRANSPOSE, 0, 1)), 0);
  tg_tensor *bad = tg_bitcast(GEN(r, TG_FLOAT32, K_NORM, 3).base, TG_INT16);
  CHECK(!bad && tg_error(), "tg_bitcast between different sizes must fail");
  tg_clear_error();
  flush();
  tg_scope_end();
}

// ops torch defines for integer inputs (the activations are float-only there)
static bool torch_int_unary(const char *n) {
  static const char *no[] = { "gelu", "silu", "softplus", "elu", "hardswish", "mish", "relu6", "hardsigmoid", "hardtanh", "sigmoid", "tanh" };
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) if (!strcmp(n, no[i])) return false;
  return true;
}

static void test_unary(TestRng *r) {
  tg_scope_begin();
  In xs[] = { GEN(r, TG_FLOAT32, K_SPECIAL, 5, 8), VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 4, 5), V_PERMUTE, 2, 0, 1),
              GEN(r, TG_FLOAT16, K_SPECIAL, 4, 8), GEN(r, TG_BFLOAT16, K_NORM, 4, 8), GEN(r, TG_FLOAT64, K_SPECIAL, 3, 9),
              VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 6), V_SLICE, 1, 5, INT64_MAX, -2), GEN(r, TG_INT32, K_SMALL, 2, 9), GEN(r, TG_FLOAT32, K_NORM, 0, 3) };
  for (int k = 0; k < (int)(sizeof xs / sizeof *xs); k++) {
    for (int i = 0; i < NUNARY; i++) {
      if (k == 6 && !torch_int_unary(unary_ops[i].name)) continue;
      T(unary_ops[i].name, unary_ops[i].fn, PARAMS(), INS(xs[k]), PACK | (k == 0 ? INTERP : 0));
    }
    if (k != 6) T("leaky_relu", op_leaky_relu, PARAMS(0.01), INS(xs[k]), PACK);
    if (k != 6) T("leaky_relu", op_leaky_relu, PARAMS(0.2), INS(xs[k]), PACK);
  }
  static const char *int_ok[] = { "neg", "sign", "isinf", "square", "relu", "logical_not", "isnan", "floor", "abs" };
  In ix[] = { GEN(r, TG_INT8, K_NORM, 7), GEN(r, TG_UINT8, K_WIDE, 7), GEN(r, TG_INT64, K_WIDE, 7), GEN(r, TG_BOOL, K_BOOL, 7) };
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < NUNARY; i++)
      for (size_t j = 0; j < sizeof int_ok / sizeof *int_ok; j++)
        if (!strcmp(unary_ops[i].name, int_ok[j]) && (k < 3 || j < 3 || j == 5 || j == 6))   // torch: no relu/abs/floor/square of bool
          T(unary_ops[i].name, unary_ops[i].fn, PARAMS(), INS(ix[k]), PACK);
  flush();
  tg_scope_end();
}

static bool is_bitop(const char *n) { return !strncmp(n, "bitwise", 7) || !strcmp(n, "lshift") || !strcmp(n, "rshift"); }
static bool is_divlike(const char *n) { return !strcmp(n, "div") || !strcmp(n, "mod") || !strcmp(n, "idiv"); }

static void test_binary(TestRng *r) {
  tg_scope_begin();
  // float dtypes: broadcasting, specials, non-contiguous; bit ops must be rejected (as torch)
  for (int i = 0; i < NBINARY; i++) {
    const char *n = binary_ops[i].name;
    OpFn f = binary_ops[i].fn;
    int bk = is_divlike(n) ? K_NONZERO : K_NORM;
    T(n, f, PARAMS(), INS(GEN(r, TG_FLOAT32, K_NORM, 4, 1, 5), GEN(r, TG_FLOAT32, bk, 3, 5)), PACK | INTERP);
    if (is_bitop(n)) continue;
    // NaN, +-inf, -0.0 on both sides (not for // and %: torch gives inf // x = nan and x % inf = x, tinygrad inf and nan)
    if (strcmp(n, "mod") && strcmp(n, "idiv")) T(n, f, PARAMS(), INS(GEN(r, TG_FLOAT32, K_SPECIAL, 24), VIEW(GEN(r, TG_FLOAT32, K_SPECIAL, 24), V_FLIP, 0)), PACK);
    T(n, f, PARAMS(), INS(VIEW(GEN(r, TG_FLOAT32, K_NORM, 6, 4), V_TRANSPOSE, 0, 1), GEN(r, TG_FLOAT32, bk, 4, 6)), PACK);
    T(n, f, PARAMS(), INS(GEN(r, TG_FLOAT16, K_NORM, 3, 4), GEN(r, TG_FLOAT16, bk, 3, 4)), PACK);
    T(n, f, PARAMS(), INS(GEN(r, TG_BFLOAT16, K_NORM, 3, 4), GEN(r, TG_BFLOAT16, bk, 1, 4)), PACK);
    T(n, f, PARAMS(), INS(GEN(r, TG_FLOAT64, K_NORM, 2, 3), GEN(r, TG_FLOAT64, bk, 2, 3)), PACK);
    T(n, f, PARAMS(), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3), GEN(r, TG_FLOAT32, K_NORM, 1, 3)), 0);
  }
  // integer dtypes: torch // and % with negative operands, wrapping, shifts, bitwise ops
  static const tg_dtype idt[] = { TG_INT32, TG_INT8, TG_UINT8, TG_INT64, TG_INT16 };
  for (int d = 0; d < 5; d++) {
    for (int i = 0; i < NBINARY; i++) {
      const char *n = binary_ops[i].name;
      In a, b;
      if (!strcmp(n, "pow")) { a = GEN(r, idt[d], K_SMALL, 3, 4); b = gen(r, idt[d], (const int64_t[]){ 3, 4 }, 2, K_SHIFT, 4); }
      else if (!strcmp(n, "lshift")) { a = gen(r, idt[d], (const int64_t[]){ 3, 4 }, 2, K_SHIFT, 16); b = gen(r, idt[d], (const int64_t[]){ 3, 4 }, 2, K_SHIFT, 3); }
      else if (!strcmp(n, "rshift")) { a = GEN(r, idt[d], K_WIDE, 3, 4); b = gen(r, idt[d], (const int64_t[]){ 3, 4 }, 2, K_SHIFT, 7); }
      else if (is_divlike(n)) { a = GEN(r, idt[d], d == 0 || d == 3 ? K_NORM : K_WIDE, 3, 4); b = GEN(r, idt[d], K_NONZERO, 3, 4); }
      else { a = GEN(r, idt[d], (idt[d] == TG_INT8 || idt[d] == TG_UINT8) ? K_WIDE : K_NORM, 3, 4); b = GEN(r, idt[d], (idt[d] == TG_INT8 || idt[d] == TG_UINT8) ? K_WIDE : K_NORM, 1, 4); }
      T(n, binary_ops[i].fn, PARAMS(), INS(a, b), PACK | (d == 0 && i % 3 == 0 ? INTERP : 0));
    }
  }
  // bool
  for (int i = 0; i < NBINARY; i++) {
    const char *n = binary_ops[i].name;
    if (!strcmp(n, "lshift") || !strcmp(n, "rshift") || is_divlike(n) || !strcmp(n, "pow")) continue;
    T(n, binary_ops[i].fn, PARAMS(), INS(GEN(r, TG_BOOL, K_BOOL, 2, 5), GEN(r, TG_BOOL, K_BOOL, 2, 5)), PACK);
  }
  flush();
  tg_scope_end();
}

static void test_scalar_forms(TestRng *r) {
  tg_scope_begin();
  In f = GEN(r, TG_FLOAT32, K_SPECIAL, 24), fn = VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 3), V_PERMUTE, 1, 0);
  In i = GEN(r, TG_INT32, K_NORM, 12), u = GEN(r, TG_UINT8, K_WIDE, 12), b = GEN(r, TG_BOOL, K_BOOL, 6), h = GEN(r, TG_FLOAT16, K_NORM, 8);
  static const double fs[] = { 2.5, -3, 0.5, 2 };
  for (int k = 0; k < NBINARY; k++) {
    const char *n = binary_s_ops[k].name;
    OpFn fnc = binary_s_ops[k].fn;
    if (!is_bitop(binary_ops[k].name)) {
      for (int j = 0; j < 4; j++) T(n, fnc, PARAMS(fs[j]), INS(j < 2 && !is_divlike(binary_ops[k].name) ? f : fn), PACK);
      T(n, fnc, PARAMS(1.5), INS(h), PACK);
    }
    if (strcmp(binary_ops[k].name, "pow")) {
      T(n, fnc, PARAMS(strstr(binary_ops[k].name, "shift") ? 3 : -3), INS(i), PACK | (k % 4 == 0 ? INTERP : 0));
      T(n, fnc, PARAMS(3), INS(u), PACK);
    } else {
      T(n, fnc, PARAMS(2), INS(i), PACK);
      T(n, fnc, PARAMS(0), INS(u), PACK);
    }
    if (!is_bitop(binary_ops[k].name)) T(n, fnc, PARAMS(2.5), INS(i), PACK);   // int tensor op float scalar -> float32
    if (strcmp(binary_ops[k].name, "lshift") && strcmp(binary_ops[k].name, "rshift")) {
      if (!is_divlike(binary_ops[k].name) && strcmp(binary_ops[k].name, "pow")) T(n, fnc, PARAMS(1), INS(b), PACK);   // stays bool
      T(n, fnc, PARAMS(2), INS(b), PACK);   // bool op int -> int64
    }
  }
  T("pow_s", op_pow_s, PARAMS(-1), INS(f), PACK);
  T("pow_s", op_pow_s, PARAMS(3), INS(f), PACK);
  T("pow_s", op_pow_s, PARAMS(0), INS(f), PACK);
  T("rsub_s", op_rsub_s, PARAMS(1.5), INS(f), PACK | INTERP);
  T("rsub_s", op_rsub_s, PARAMS(4), INS(i), PACK);
  T("rsub_s", op_rsub_s, PARAMS(0.5), INS(i), PACK);
  T("rdiv_s", op_rdiv_s, PARAMS(2), INS(f), PACK);
  T("rdiv_s", op_rdiv_s, PARAMS(-1.5), INS(fn), PACK);
  T("rdiv_s", op_rdiv_s, PARAMS(6), INS(GEN(r, TG_INT32, K_NONZERO, 9)), PACK);
  // where and clamp
  In c = GEN(r, TG_BOOL, K_BOOL, 3, 1);
  T("where", op_where, PARAMS(), INS(c, GEN(r, TG_FLOAT32, K_NORM, 1, 4), GEN(r, TG_INT32, K_NORM, 3, 4)), INTERP);
  T("where", op_where, PARAMS(), INS(GEN(r, TG_BOOL, K_BOOL, 2, 3, 4), VIEW(GEN(r, TG_FLOAT16, K_NORM, 4, 3), V_PERMUTE, 1, 0), GEN(r, TG_FLOAT16, K_SPECIAL, 4)), 0);
  T("where", op_where, PARAMS(), INS(GEN(r, TG_BOOL, K_BOOL, 5), GEN(r, TG_UINT8, K_WIDE, 5), GEN(r, TG_INT8, K_NORM, 5)), 0);
  T("where", op_where, PARAMS(), INS(GEN(r, TG_BOOL, K_BOOL, 0, 2), GEN(r, TG_FLOAT32, K_NORM, 1, 2), GEN(r, TG_FLOAT32, K_NORM, 2)), 0);
  T("where_s", op_where_s, PARAMS(1, 0), INS(GEN(r, TG_BOOL, K_BOOL, 2, 3)), 0);
  T("where_s", op_where_s, PARAMS(1.5, -2), INS(GEN(r, TG_BOOL, K_BOOL, 2, 3)), 0);
  T("clamp", op_clamp, PARAMS(-1, 1), INS(f), PACK | INTERP);
  T("clamp", op_clamp, PARAMS(-0.5, 2.25), INS(fn), PACK);
  T("clamp", op_clamp, PARAMS(0, 2), INS(h), PACK);
  T("clamp", op_clamp, PARAMS(-3, 5), INS(i), PACK);
  T("clamp", op_clamp, PARAMS(-1.5, 2.5), INS(i), PACK);
  T("clamp", op_clamp, PARAMS(10, 100), INS(u), PACK);
  flush();
  tg_scope_end();
}

static tg_tensor *op_promote(tg_tensor **x, const double *p) {
  (void)x;
  int32_t v = tg_promote_types((tg_dtype)p[0], (tg_dtype)p[1]);
  tg_clear_error();
  return tg_from_data(&v, TG_INT32, NULL, 0);
}

static void test_promotion(TestRng *r) {
  tg_scope_begin();
  static const tg_dtype pairs[][2] = { { TG_INT32, TG_FLOAT16 }, { TG_UINT8, TG_INT8 }, { TG_BOOL, TG_INT32 }, { TG_BOOL, TG_FLOAT32 },
                                       { TG_INT8, TG_INT64 }, { TG_FLOAT16, TG_BFLOAT16 }, { TG_FLOAT16, TG_FLOAT32 }, { TG_UINT8, TG_BOOL },
                                       { TG_INT16, TG_UINT8 }, { TG_FLOAT64, TG_INT64 }, { TG_BFLOAT16, TG_INT32 }, { TG_UINT8, TG_FLOAT16 },
                                       { TG_INT64, TG_FLOAT32 }, { TG_INT16, TG_INT32 }, { TG_FLOAT32, TG_FLOAT64 } };
  static const Named ops[] = { { "add", op_add }, { "mul", op_mul }, { "maximum", op_maximum }, { "lt", op_lt }, { "div", op_div }, { "eq", op_eq } };
  for (int i = 0; i < (int)(sizeof pairs / sizeof *pairs); i++) {
    In a = GEN(r, pairs[i][0], pairs[i][0] == TG_BOOL ? K_BOOL : K_POS, 2, 3), b = GEN(r, pairs[i][1], pairs[i][1] == TG_BOOL ? K_BOOL : K_POS, 3);
    for (int k = 0; k < 6; k++) T(ops[k].name, ops[k].fn, PARAMS(), INS(a, b), PACK);
  }
  struct { tg_dtype dt; const char *op; OpFn fn; double s; } sc[] = {
    { TG_INT32, "mul_s", op_mul_s, 2.5 }, { TG_INT8, "add_s", op_add_s, 1000 }, { TG_UINT8, "add_s", op_add_s, -1 },
    { TG_BOOL, "add_s", op_add_s, 1 }, { TG_BOOL, "mul_s", op_mul_s, 2.5 }, { TG_FLOAT16, "add_s", op_add_s, 2.5 },
    { TG_INT64, "mul_s", op_mul_s, 3 }, { TG_BFLOAT16, "mul_s", op_mul_s, 2 }, { TG_UINT8, "mul_s", op_mul_s, 300 },
    { TG_INT16, "sub_s", op_sub_s, 0.25 }, { TG_UINT8, "div_s", op_div_s, 2 }, { TG_INT32, "lt_s", op_lt_s, 2.5 } };
  for (int i = 0; i < (int)(sizeof sc / sizeof *sc); i++)
    T(sc[i].op, sc[i].fn, PARAMS(sc[i].s), INS(GEN(r, sc[i].dt, sc[i].dt == TG_BOOL ? K_BOOL : K_NORM, 6)), PACK);
  static const tg_dtype tdt[] = { TG_BOOL, TG_INT8, TG_UINT8, TG_INT16, TG_INT32, TG_INT64, TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64 };
  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 10; j++) T("promote_types", op_promote, PARAMS(A(tdt[i]), A(tdt[j])), NOINS, 0);
  flush();
  tg_scope_end();
}

static void test_movement(TestRng *r) {
  tg_scope_begin();
  In x = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 4), xp = VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 4, 2), V_PERMUTE, 2, 0, 1);
  In xi = GEN(r, TG_INT32, K_WIDE, 3, 4), xb = GEN(r, TG_BOOL, K_BOOL, 2, 5), z = GEN(r, TG_FLOAT32, K_NORM, 0, 3);
  T("reshape", op_reshape, PARAMS(2, 6, -1), INS(x), INTERP);
  T("reshape", op_reshape, PARAMS(1, -1), INS(xp), 0);
  T("reshape", op_reshape, PARAMS(3, 4, 1, 6), INS(xp), 0);
  T("reshape", op_reshape, PARAMS(3, 2, -1, 2), INS(xi), 0);
  T("reshape", op_reshape, PARAMS(0), INS(GEN(r, TG_FLOAT32, K_NORM, 1, 1)), 0);
  T("reshape", op_reshape, PARAMS(3, 3, 0, 1), INS(z), 0);
  T("reshape", op_reshape, PARAMS(2, -1, 0), INS(z), 0);   // ambiguous -1: both error
  T("reshape", op_reshape, PARAMS(2, 5, 5), INS(x), 0);    // wrong size: both error
  T("permute", op_permute, PARAMS(3, 2, 0, 1), INS(x), INTERP);
  T("permute", op_permute, PARAMS(3, -1, 0, 1), INS(xp), 0);
  T("permute", op_permute, PARAMS(2, 1, 0), INS(xb), 0);
  T("permute", op_permute, PARAMS(2, 0, 0), INS(xi), 0);   // repeated axis: error
  T("expand", op_expand, PARAMS(3, 3, 5, 4), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 1, 4)), 0);
  T("expand", op_expand, PARAMS(3, 2, 3, 4), INS(GEN(r, TG_INT8, K_NORM, 4)), 0);
  T("expand", op_expand, PARAMS(2, -1, 4), INS(GEN(r, TG_FLOAT16, K_NORM, 3, 1)), 0);
  T("expand", op_expand, PARAMS(3, 2, 0, 3), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 1, 3)), 0);
  T("expand", op_expand, PARAMS(2, 3, 4), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 4)), 0);   // error
  T("pad", op_pad, PARAMS(0, 6, 1, 2, 0, 0, 2, 1), INS(x), INTERP);
  T("pad", op_pad, PARAMS(-1.5, 6, 0, 1, 1, 0, 0, 3), INS(xp), INTERP);
  T("pad", op_pad, PARAMS(0, 6, -1, 1, 0, 2, -2, 0), INS(x), 0);
  T("pad", op_pad, PARAMS(2.5, 6, 1, -1, -1, 1, 1, -3), INS(x), 0);
  T("pad", op_pad, PARAMS(7, 4, 1, 1, 2, 2), INS(xi), 0);
  T("pad", op_pad, PARAMS(1, 4, 0, 1, 1, 0), INS(xb), 0);
  T("pad", op_pad, PARAMS(-INFINITY, 4, 1, 0, 0, 1), INS(GEN(r, TG_FLOAT16, K_NORM, 2, 2)), 0);
  T("shrink", op_shrink, PARAMS(6, 0, 2, 1, 3, 1, 4), INS(x), INTERP);
  T("shrink", op_shrink, PARAMS(6, 1, 2, 0, 3, 0, 1), INS(xp), 0);
  T("shrink", op_shrink, PARAMS(4, 1, 1, 0, 4), INS(xi), 0);
  CHECK(!tg_shrink(xb.base, (const int64_t[]){ 0, 2, 3, 6 }, 4) && tg_error(), "tg_shrink out of bounds must fail");
  tg_clear_error();
  T("flip", op_flip, PARAMS(2, 0, 2), INS(x), INTERP);
  T("flip", op_flip, PARAMS(1, -1), INS(xp), 0);
  T("flip", op_flip, PARAMS(1, 1), INS(xb), 0);
  T("flip", op_flip, PARAMS(0), INS(xi), 0);
  In s = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 8);
  static const double sls[][4] = { { 2, 0, 8, 3 }, { 2, -1, NONE, -1 }, { 2, 6, 1, -2 }, { 2, -100, 100, 1 }, { 2, 10, 20, 1 },
                                   { 2, NONE, -3, -3 }, { 0, NONE, NONE, 2 }, { 1, 2, 0, -1 }, { -1, 1, NONE, 4 }, { 2, 7, -9, -3 },
                                   { 1, -2, NONE, 1 }, { 2, 3, 3, 1 }, { 2, NONE, NONE, -5 } };
  for (int i = 0; i < (int)(sizeof sls / sizeof *sls); i++) T("slice", op_slice, PARAMS(sls[i][0], sls[i][1], sls[i][2], sls[i][3]), INS(s), i == 2 ? INTERP : 0);
  T("slice", op_slice, PARAMS(0, 3, NONE, -2), INS(xp), 0);
  T("slice", op_slice, PARAMS(0, 0, 1, 0), INS(xp), 0);   // step 0: error
  T("transpose", op_transpose, PARAMS(0, 2), INS(x), 0);
  T("transpose", op_transpose, PARAMS(-1, -2), INS(xp), 0);
  T("transpose", op_transpose, PARAMS(1, 0), INS(xi), 0);
  T("flatten", op_flatten, PARAMS(0, -1), INS(xp), 0);
  T("flatten", op_flatten, PARAMS(1, 2), INS(x), 0);
  T("flatten", op_flatten, PARAMS(0, 0), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
  In q = GEN(r, TG_FLOAT32, K_NORM, 3, 1, 4);
  T("squeeze", op_squeeze, PARAMS(1), INS(q), 0);
  T("squeeze", op_squeeze, PARAMS(0), INS(q), 0);
  T("squeeze", op_squeeze, PARAMS(-2), INS(q), 0);
  T("squeeze", op_squeeze, PARAMS(0), INS(scalar_in(r, TG_INT32, K_NORM)), 0);
  T("unsqueeze", op_unsqueeze, PARAMS(0), INS(xi), 0);
  T("unsqueeze", op_unsqueeze, PARAMS(-1), INS(xi), 0);
  T("unsqueeze", op_unsqueeze, PARAMS(2), INS(xp), 0);
  T("unsqueeze", op_unsqueeze, PARAMS(0), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
  T("cat", op_cat, PARAMS(0, 3), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 3), GEN(r, TG_FLOAT32, K_NORM, 4, 3), z), INTERP);
  T("cat", op_cat, PARAMS(-1, 2), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 1), VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 2), V_TRANSPOSE, 0, 1)), 0);
  T("cat", op_cat, PARAMS(1, 2), INS(GEN(r, TG_INT32, K_NORM, 2, 2), GEN(r, TG_FLOAT32, K_NORM, 2, 3)), 0);
  T("cat", op_cat, PARAMS(0, 2), INS(xb, GEN(r, TG_BOOL, K_BOOL, 1, 5)), 0);
  T("cat", op_cat, PARAMS(1, 2), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 2), GEN(r, TG_FLOAT32, K_NORM, 3, 2)), 0);   // error
  T("cat", op_cat, PARAMS(0, 2), INS(GEN(r, TG_FLOAT32, K_SPECIAL, 6), GEN(r, TG_FLOAT32, K_SPECIAL, 6)), 0);
  T("stack", op_stack, PARAMS(0, 3), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 3), GEN(r, TG_FLOAT32, K_NORM, 2, 3), GEN(r, TG_FLOAT32, K_NORM, 2, 3)), 0);
  T("stack", op_stack, PARAMS(-1, 2), INS(xi, GEN(r, TG_INT32, K_NORM, 3, 4)), 0);
  T("stack", op_stack, PARAMS(1, 2), INS(GEN(r, TG_FLOAT16, K_NORM, 2, 3), VIEW(GEN(r, TG_FLOAT16, K_NORM, 3, 2), V_TRANSPOSE, 0, 1)), 0);
  In sp = GEN(r, TG_FLOAT32, K_NORM, 7, 3);
  for (int k = 0; k < 3; k++) T("split", op_split, PARAMS(3, 0, k), INS(sp), 0);
  T("split", op_split, PARAMS(2, -1, 1), INS(sp), 0);
  In ch = GEN(r, TG_INT32, K_NORM, 5, 4);
  for (int k = 0; k < 2; k++) T("chunk", op_chunk, PARAMS(2, 1, k), INS(ch), 0);
  for (int k = 0; k < 3; k++) T("chunk", op_chunk, PARAMS(3, 0, k), INS(ch), 0);
  T("repeat", op_repeat, PARAMS(2, 2, 1), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 3)), INTERP);
  T("repeat", op_repeat, PARAMS(3, 2, 2, 2), INS(GEN(r, TG_INT32, K_NORM, 3)), 0);
  T("repeat", op_repeat, PARAMS(3, 1, 3, 2), INS(xp), 0);
  T("repeat", op_repeat, PARAMS(2, 0, 2), INS(xi), 0);
  T("gather", op_gather, PARAMS(1), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 5), gen(r, TG_INT64, (const int64_t[]){ 3, 4 }, 2, K_IDX, 5)), INTERP);
  T("gather", op_gather, PARAMS(0), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 5), gen(r, TG_INT64, (const int64_t[]){ 2, 5 }, 2, K_IDX, 3)), 0);
  T("gather", op_gather, PARAMS(-1), INS(GEN(r, TG_INT32, K_WIDE, 2, 3, 4), gen(r, TG_INT64, (const int64_t[]){ 2, 2, 6 }, 3, K_IDX, 4)), 0);
  T("gather", op_gather, PARAMS(1), INS(xp, gen(r, TG_INT64, (const int64_t[]){ 2, 2, 1 }, 3, K_IDX, 3)), 0);
  T("one_hot", op_one_hot, PARAMS(4), INS(gen(r, TG_INT64, (const int64_t[]){ 5 }, 1, K_IDX, 4)), INTERP);
  T("one_hot", op_one_hot, PARAMS(6), INS(gen(r, TG_INT64, (const int64_t[]){ 2, 3 }, 2, K_IDX, 6)), 0);
  flush();
  tg_scope_end();
}

static void test_reduce(TestRng *r) {
  tg_scope_begin();
  In x = GEN(r, TG_FLOAT32, K_NORM, 3, 4, 5), xp = VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 5, 3), V_PERMUTE, 2, 0, 1);
  In xs = GEN(r, TG_FLOAT32, K_SPECIAL, 4, 6), xn = VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 8), V_SLICE, 1, 1, INT64_MAX, 2);
  static const Named reds[] = { { "sum", op_sum }, { "prod", op_prod }, { "max", op_max }, { "min", op_min }, { "mean", op_mean } };
  for (int k = 0; k < 5; k++) {
    const char *n = reds[k].name;
    OpFn f = reds[k].fn;
    In xx = k == 1 ? GEN(r, TG_FLOAT32, K_SMALL, 3, 4, 5) : x;
    T(n, f, PARAMS(0, 0), INS(xx), k == 0 ? INTERP : 0);
    T(n, f, PARAMS(0, 1, 0), INS(xx), 0);
    T(n, f, PARAMS(1, 1, -1), INS(xx), INTERP);
    T(n, f, PARAMS(0, 2, 0, 2), INS(xx), 0);
    T(n, f, PARAMS(1, 2, -1, 1), INS(xp), 0);
    T(n, f, PARAMS(1, 0), INS(xn), 0);
    T(n, f, PARAMS(0, 1, 1), INS(xs), 0);
    T(n, f, PARAMS(0, 1, 0), INS(GEN(r, TG_FLOAT16, K_SMALL, 6, 3)), 0);
    T(n, f, PARAMS(0, 1, 1), INS(GEN(r, TG_BFLOAT16, K_SMALL, 2, 7)), 0);
    T(n, f, PARAMS(0, 0), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
    T(n, f, PARAMS(0, 1, 0), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);      // empty axis: 0, 1, error, error, nan
    T(n, f, PARAMS(1, 1, 1), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);
    T(n, f, PARAMS(0, 0), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);
    if (k == 4) continue;   // torch has no integer mean
    T(n, f, PARAMS(0, 1, 1), INS(GEN(r, TG_INT32, K_SMALL, 3, 4)), 0);
    T(n, f, PARAMS(0, 0), INS(GEN(r, TG_UINT8, k == 1 ? K_SMALL : K_WIDE, 9)), 0);
    T(n, f, PARAMS(1, 1, 0), INS(GEN(r, TG_INT8, K_NORM, 5, 2)), 0);
    T(n, f, PARAMS(0, 1, 1), INS(GEN(r, TG_BOOL, K_BOOL, 3, 4)), 0);
    T(n, f, PARAMS(0, 0), INS(GEN(r, TG_INT64, K_WIDE, 6)), 0);
  }
  static const Named vs[] = { { "var", op_var }, { "std", op_std } };
  for (int k = 0; k < 2; k++) {
    T(vs[k].name, vs[k].fn, PARAMS(0, 1, 0), INS(x), k == 0 ? INTERP : 0);
    T(vs[k].name, vs[k].fn, PARAMS(1, 0, 1, 1), INS(x), 0);
    T(vs[k].name, vs[k].fn, PARAMS(0, 2, 2, 0, 2), INS(xp), 0);
    T(vs[k].name, vs[k].fn, PARAMS(1, 1, 1, -1), INS(xn), 0);
    T(vs[k].name, vs[k].fn, PARAMS(0, 1, 1, 1), INS(GEN(r, TG_FLOAT32, K_NORM, 4, 1)), 0);   // n - correction = 0: nan
    T(vs[k].name, vs[k].fn, PARAMS(0, 1, 1, 0), INS(GEN(r, TG_FLOAT16, K_SMALL, 6, 3)), 0);
  }
  static const Named aa[] = { { "any", op_any }, { "all", op_all } };
  for (int k = 0; k < 2; k++) {
    T(aa[k].name, aa[k].fn, PARAMS(0, 1, 1), INS(GEN(r, TG_BOOL, K_BOOL, 4, 5)), k == 0 ? INTERP : 0);
    T(aa[k].name, aa[k].fn, PARAMS(0, 0), INS(GEN(r, TG_BOOL, K_BOOL, 4, 5)), 0);
    T(aa[k].name, aa[k].fn, PARAMS(1, 2, 0, 1), INS(GEN(r, TG_INT32, K_TIES, 3, 4, 2)), 0);
    T(aa[k].name, aa[k].fn, PARAMS(0, 1, 0), INS(xs), 0);
    T(aa[k].name, aa[k].fn, PARAMS(0, 1, 0), INS(GEN(r, TG_BOOL, K_BOOL, 0, 3)), 0);
    T(aa[k].name, aa[k].fn, PARAMS(0, 1, -1), INS(GEN(r, TG_FLOAT32, K_TIES, 6, 2)), 0);
  }
  static const Named am[] = { { "argmax", op_argmax }, { "argmin", op_argmin } };
  for (int k = 0; k < 2; k++) {
    T(am[k].name, am[k].fn, PARAMS(1, 0), INS(GEN(r, TG_FLOAT32, K_TIES, 4, 6)), k == 0 ? INTERP : 0);
    T(am[k].name, am[k].fn, PARAMS(0, 1), INS(GEN(r, TG_FLOAT32, K_TIES, 5, 3)), 0);
    T(am[k].name, am[k].fn, PARAMS(-1, 0), INS(GEN(r, TG_INT32, K_TIES, 2, 3, 7)), 0);
    T(am[k].name, am[k].fn, PARAMS(0, 0), INS(xs), 0);
    T(am[k].name, am[k].fn, PARAMS(1, 1), INS(xp), 0);
    T(am[k].name, am[k].fn, PARAMS(0, 0), INS(GEN(r, TG_UINT8, K_WIDE, 9)), 0);
    T(am[k].name, am[k].fn, PARAMS(0, 0), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
    T(am[k].name, am[k].fn, PARAMS(0, 0), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);    // error
  }
  T("cumsum", op_cumsum, PARAMS(1), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 5)), INTERP);
  T("cumsum", op_cumsum, PARAMS(0), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 5)), 0);
  T("cumsum", op_cumsum, PARAMS(-1), INS(xp), 0);
  T("cumsum", op_cumsum, PARAMS(0), INS(GEN(r, TG_INT32, K_NORM, 6)), 0);
  T("cumsum", op_cumsum, PARAMS(1), INS(GEN(r, TG_BOOL, K_BOOL, 2, 6)), 0);
  T("cumsum", op_cumsum, PARAMS(0), INS(GEN(r, TG_FLOAT16, K_SMALL, 7)), 0);
  T("cumsum", op_cumsum, PARAMS(0), INS(GEN(r, TG_FLOAT32, K_NORM, 0, 3)), 0);
  T("cumsum", op_cumsum, PARAMS(0), INS(scalar_in(r, TG_FLOAT32, K_NORM)), 0);
  In lse = GEN(r, TG_FLOAT32, K_NORM, 3, 5);
  T("logsumexp", op_logsumexp, PARAMS(1, 0), INS(lse), INTERP);
  T("logsumexp", op_logsumexp, PARAMS(0, 1), INS(lse), 0);
  T("logsumexp", op_logsumexp, PARAMS(-1, 1), INS(xs), 0);
  T("logsumexp", op_logsumexp, PARAMS(1, 0), INS(xp), 0);
  float ninf[6] = { -INFINITY, -INFINITY, -INFINITY, 1, -INFINITY, 2 };
  T("logsumexp", op_logsumexp, PARAMS(1, 0), INS((In){ .base = tg_from_data(ninf, TG_FLOAT32, TG_SHAPE(2, 3)) }), 0);
  flush();
  tg_scope_end();
}

static void test_nn(TestRng *r) {
  tg_scope_begin();
  struct { int64_t a[4], b[4]; int na, nb; } mm[] = {
    { { 5 }, { 5 }, 1, 1 }, { { 5 }, { 5, 3 }, 1, 2 }, { { 4, 5 }, { 5 }, 2, 1 }, { { 4, 5 }, { 5, 3 }, 2, 2 },
    { { 2, 4, 5 }, { 5, 3 }, 3, 2 }, { { 2, 1, 4, 5 }, { 3, 5, 2 }, 4, 3 }, { { 5 }, { 2, 5, 3 }, 1, 3 }, { { 0, 5 }, { 5, 3 }, 2, 2 },
    { { 3, 0 }, { 0, 4 }, 2, 2 }, { { 4, 6 }, { 5, 3 }, 2, 2 } };
  for (int i = 0; i < (int)(sizeof mm / sizeof *mm); i++)
    T("matmul", op_matmul, PARAMS(), INS(gen(r, TG_FLOAT32, mm[i].a, mm[i].na, K_NORM, 0), gen(r, TG_FLOAT32, mm[i].b, mm[i].nb, K_NORM, 0)), i == 4 ? INTERP : 0);
  T("matmul", op_matmul, PARAMS(), INS(VIEW(GEN(r, TG_FLOAT32, K_NORM, 5, 4), V_TRANSPOSE, 0, 1), VIEW(GEN(r, TG_FLOAT32, K_NORM, 3, 5), V_TRANSPOSE, 0, 1)), 0);
  T("matmul", op_matmul, PARAMS(), INS(GEN(r, TG_INT32, K_SMALL, 3, 4), GEN(r, TG_INT32, K_SMALL, 4, 2)), 0);
  T("matmul", op_matmul, PARAMS(), INS(GEN(r, TG_FLOAT16, K_SMALL, 3, 8), GEN(r, TG_FLOAT16, K_SMALL, 8, 2)), 0);
  T("matmul", op_matmul, PARAMS(), INS(GEN(r, TG_FLOAT32, K_SMALL, 3, 8), GEN(r, TG_FLOAT64, K_SMALL, 8, 2)), 0);
  T("linear", op_linear, PARAMS(1), INS(GEN(r, TG_FLOAT32, K_NORM, 4, 6), GEN(r, TG_FLOAT32, K_NORM, 3, 6), GEN(r, TG_FLOAT32, K_NORM, 3)), INTERP);
  T("linear", op_linear, PARAMS(0), INS(GEN(r, TG_FLOAT32, K_NORM, 2, 3, 6), GEN(r, TG_FLOAT32, K_NORM, 5, 6)), 0);
  T("linear", op_linear, PARAMS(1), INS(GEN(r, TG_FLOAT32, K_NORM, 6), GEN(r, TG_FLOAT32, K_NORM, 2, 6), GEN(r, TG_FLOAT32, K_NORM, 2)), 0);
  In sm = GEN(r, TG_FLOAT32, K_NORM, 4, 7), sm3 = VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 3, 2), V_PERMUTE, 2, 1, 0);
  float ninf[8] = { -INFINITY, 1, 2, -INFINITY, 0, -INFINITY, 3, 1 };
  In smi = { .base = tg_from_data(ninf, TG_FLOAT32, TG_SHAPE(2, 4)) };
  static const Named sms[] = { { "softmax", op_softmax }, { "log_softmax", op_log_softmax } };
  for (int k = 0; k < 2; k++) {
    T(sms[k].name, sms[k].fn, PARAMS(-1), INS(sm), INTERP);
    T(sms[k].name, sms[k].fn, PARAMS(0), INS(sm), 0);
    T(sms[k].name, sms[k].fn, PARAMS(1), INS(sm3), 0);
    T(sms[k].name, sms[k].fn, PARAMS(1), INS(smi), 0);
    T(sms[k].name, sms[k].fn, PARAMS(-1), INS(GEN(r, TG_FLOAT16, K_NORM, 3, 5)), 0);
  }
  T("layernorm", op_layernorm, PARAMS(-1, 1e-5), INS(GEN(r, TG_FLOAT32, K_NORM, 4, 8)), INTERP);
  T("layernorm", op_layernorm, PARAMS(1, 1e-5), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 4, 5)), 0);
  T("layernorm", op_layernorm, PARAMS(2, 0.1), INS(sm3), 0);
  T("layernorm", op_layernorm, PARAMS(0, 1e-5), INS(GEN(r, TG_FLOAT32, K_NORM, 6, 2)), 0);
  // conv2d: groups, stride, padding, dilation, bias, non-square kernels
  struct { int64_t x[4], w[4]; double p[8]; } cv[] = {
    { { 1, 3, 7, 7 }, { 4, 3, 3, 3 }, { 1, 1, 1, 0, 0, 1, 1, 0 } },
    { { 2, 3, 8, 7 }, { 4, 3, 3, 3 }, { 1, 2, 2, 1, 1, 1, 1, 1 } },
    { { 1, 2, 9, 9 }, { 3, 2, 3, 3 }, { 1, 1, 1, 2, 2, 2, 2, 0 } },
    { { 1, 4, 6, 6 }, { 6, 2, 3, 3 }, { 2, 1, 1, 1, 1, 1, 1, 1 } },
    { { 2, 2, 6, 7 }, { 3, 2, 2, 3 }, { 1, 2, 1, 1, 0, 1, 1, 1 } },
    { { 1, 4, 5, 5 }, { 4, 1, 3, 3 }, { 4, 1, 1, 1, 1, 1, 1, 0 } },
    { { 1, 3, 5, 5 }, { 2, 3, 1, 1 }, { 1, 1, 1, 0, 0, 1, 1, 1 } },
    { { 1, 2, 6, 6 }, { 2, 2, 3, 3 }, { 1, 3, 2, 2, 1, 2, 1, 0 } } };
  for (int i = 0; i < (int)(sizeof cv / sizeof *cv); i++) {
    const double *p = cv[i].p;
    In x = gen(r, TG_FLOAT32, cv[i].x, 4, K_NORM, 0), w = gen(r, TG_FLOAT32, cv[i].w, 4, K_NORM, 0);
    if (p[7]) T("conv2d", op_conv2d, PARAMS(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]), INS(x, w, gen(r, TG_FLOAT32, cv[i].w, 1, K_NORM, 0)), i == 1 ? INTERP : 0);
    else T("conv2d", op_conv2d, PARAMS(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]), INS(x, w), i == 1 ? INTERP : 0);
  }
  T("conv2d", op_conv2d, PARAMS(1, 1, 1, 0, 0, 1, 1, 0), INS(VIEW(GEN(r, TG_FLOAT32, K_NORM, 1, 5, 6, 2), V_PERMUTE, 0, 3, 1, 2), GEN(r, TG_FLOAT32, K_NORM, 2, 2, 2, 2)), 0);
  // pools: kernel, stride (p[2] = given), padding
  static const double pl[][7] = { { 2, 2, 0, 0, 0, 0, 0 }, { 3, 3, 1, 2, 2, 1, 1 }, { 2, 3, 1, 1, 2, 0, 1 }, { 3, 3, 1, 1, 1, 1, 1 }, { 1, 2, 1, 2, 1, 0, 0 }, { 2, 2, 1, 3, 3, 0, 0 } };
  In pin = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 7, 8), pin3 = GEN(r, TG_FLOAT32, K_NORM, 2, 6, 5);
  for (int i = 0; i < 6; i++) {              // 0 and 5: disjoint windows (5: stride 3 > kernel 2, padded to 3*3)
    const double *p = pl[i];
    T("max_pool2d", op_max_pool2d, PARAMS(p[0], p[1], p[2], p[3], p[4], p[5], p[6]), INS(i == 4 ? pin3 : pin), i == 1 ? INTERP : 0);
    T("avg_pool2d", op_avg_pool2d, PARAMS(p[0], p[1], p[2], p[3], p[4], p[5], p[6]), INS(i == 4 ? pin3 : pin), i == 1 ? INTERP : 0);
  }
  T("max_pool2d", op_max_pool2d, PARAMS(2, 2, 0, 0, 0, 0, 0), INS(VIEW(GEN(r, TG_FLOAT32, K_SPECIAL, 1, 1, 4, 6), V_TRANSPOSE, 2, 3)), 0);
  // attention: bool mask, float mask, causal (square and L != S)
  In q = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 4, 8), k = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 5, 8), v = GEN(r, TG_FLOAT32, K_NORM, 2, 3, 5, 6);
  uint8_t bm[20];
  for (int i = 0; i < 20; i++) bm[i] = i % 5 == 0 || rng_unit(r) < 0.5;
  In bmask = { .base = tg_from_data(bm, TG_BOOL, TG_SHAPE(4, 5)) };
  T("sdpa", op_sdpa, PARAMS(0, 0), INS(q, k, v), INTERP);
  T("sdpa", op_sdpa, PARAMS(0, 1), INS(q, k, v, bmask), 0);
  T("sdpa", op_sdpa, PARAMS(0, 1), INS(q, k, v, GEN(r, TG_FLOAT32, K_NORM, 3, 1, 5)), 0);
  T("sdpa", op_sdpa, PARAMS(1, 0), INS(q, k, v), 0);
  T("sdpa", op_sdpa, PARAMS(1, 0), INS(q, GEN(r, TG_FLOAT32, K_NORM, 2, 3, 4, 8), GEN(r, TG_FLOAT32, K_NORM, 2, 3, 4, 6)), 0);
  T("sdpa", op_sdpa, PARAMS(0, 0), INS(GEN(r, TG_FLOAT32, K_NORM, 3, 8), GEN(r, TG_FLOAT32, K_NORM, 6, 8), GEN(r, TG_FLOAT32, K_NORM, 6, 2)), 0);
  In lg = GEN(r, TG_FLOAT32, K_NORM, 6, 5);
  T("cross_entropy", op_cross_entropy, PARAMS(0), INS(lg, gen(r, TG_INT64, (const int64_t[]){ 6 }, 1, K_IDX, 5)), INTERP);
  T("cross_entropy", op_cross_entropy, PARAMS(0.1), INS(lg, gen(r, TG_INT64, (const int64_t[]){ 6 }, 1, K_IDX, 5)), 0);
  T("cross_entropy", op_cross_entropy, PARAMS(0.25), INS(VIEW(GEN(r, TG_FLOAT32, K_NORM, 4, 3), V_TRANSPOSE, 0, 1), gen(r, TG_INT32, (const int64_t[]){ 3 }, 1, K_IDX, 4)), 0);
  flush();
  tg_scope_end();
}

int main(void) {
  char path[] = "/tmp/tg_ops_torch_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || !(cf = fdopen(fd, "wb"))) { perror("mkstemp"); return 1; }
  fwrite("TGOPS001", 1, 8, cf);
  TestRng r = { 0x5eed1234 };
  test_creation(&r);
  test_cast(&r);
  test_unary(&r);
  test_binary(&r);
  test_scalar_forms(&r);
  test_promotion(&r);
  test_movement(&r);
  test_reduce(&r);
  test_nn(&r);
  fclose(cf);
  printf("test_ops_torch: %d cases (%d also on INTERP)\n", ncases - ninterp, ninterp);
  fflush(stdout);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/torch_ref.py %s", TG_SOURCE_DIR, path);
  int rc = system(cmd);
  CHECK(rc == 0, "torch_ref.py failed (exit status %d): see the FAIL lines above%s", rc,
        rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 2 ? " (torch or numpy missing? install python3-torch python3-numpy)" : "");
  if (rc == 0 || !getenv("KEEP_CASES")) remove(path);
  else fprintf(stderr, "case file kept: %s\n", path);
  return test_finish("test_ops_torch");
}
