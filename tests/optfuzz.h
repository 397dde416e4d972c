// Kernel-opt fuzzing: random valid opt sequences on random kernels, compiled on CPU, against INTERP without opts
#ifndef TG_OPTFUZZ_H
#define TG_OPTFUZZ_H
/* A graph family (elementwise with broadcasts, reductions, matmul, conv2d, pad/shrink/flip/permute, nn functions,
 * other dtypes) with random odd sizes is scheduled; each kernel AST of the schedule gets fresh buffers of its sizes
 * filled with random values, and INTERP runs it without opts: the reference. Then a few cases per kernel: a random
 * sequence of 1-5 opts (UPCAST/UNROLL/VECTORIZE on any axis by 2..32, the product of the amounts at most 32 to
 * bound the C compiler's work; refusals are tallied by reason and another opt is drawn), opt_finish, linearize,
 * and a CPU compile (Device.compile_many: a batch of cases shares the C
 * compiler's runs, on every core). The opts are drawn for a GPU-like target (renderer/caps.h caps_gpu), so LOCAL, GROUP,
 * GROUPTOP, NOLOCALS and TC (on float16/bfloat16 matmuls of tensor-core shapes) are drawn too; a case with thread ranges runs on INTERP (virtual threads, shared memory and
 * barriers) instead of the CPU, whose C dialect has no barriers. Every buffer is compared with the reference: integers and bools bitwise,
 * floats within 4 * eps * (reduce length) of |ref| + mean|ref| (reassociated sums). Float inputs are multiples of
 * 1/8 in [-2, 2], so sums of products are exact and only transcendental-fed sums can differ at all.
 * Graph g uses its own seed (mixed from the run's seed and g), so FUZZ_FIRST=g FUZZ_N=1 replays one graph. */
#include "testlib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "tensor/gradient.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "uop/print.h"
#include "base/hashmap.h"
#include "base/timer.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

enum { OF_MAX_BUFS = 64, OF_MAX_OPTS = 5, OF_MAX_KERNELS = 256, OF_MAX_CASES = 1024, OF_MAX_REASONS = 48, OF_MAX_COPIES = 32 };

typedef struct OfKern {
  UOp *ast;
  Buffer *bufs[OF_MAX_BUFS];          // CPU buffers the cases run on
  void *init[OF_MAX_BUFS], *ref[OF_MAX_BUFS];
  int nbufs;
  int64_t red_len;                    // product of the reduce ranges' sizes
  int graph;
  char desc[160];
} OfKern;

typedef struct OfCase { OfKern *k; Opt opts[OF_MAX_OPTS]; int nopts; Program *p; } OfCase;

typedef struct OptFuzz {
  TestRng rng;
  uint64_t seed;
  char desc[160];                     // the graph being built
  OfKern kern[OF_MAX_KERNELS];
  OfCase cases[OF_MAX_CASES];
  int nkern, ncases;
  // totals
  int64_t ncase_total, nkern_total, ngraphs, multi_output, applied[OPT_NKINDS], nrefused, failures, compile_failures;
  struct { char why[160]; int64_t n; } reasons[OF_MAX_REASONS];
  int nreasons;
  double max_err;                     // largest |cpu - ref| / (|ref| + mean|ref|) seen
  double max_err_units;               // the same in units of eps * reduce length (fails above 4)
  int64_t on_interp;                  // cases with thread ranges, run on INTERP
} OptFuzz;

static const RendererCaps *of_caps(void) {
  static RendererCaps caps;
  if (!caps.has_local) caps = caps_gpu();
  return &caps;
}

static int64_t of_r(OptFuzz *f, int64_t lo, int64_t hi) { return rng_range(&f->rng, lo, hi); }
static bool of_p(OptFuzz *f, double p) { return rng_unit(&f->rng) < p; }
static int64_t of_size(OptFuzz *f) {
  static const int64_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 20, 24, 32 };
  return sizes[of_r(f, 0, (int64_t)(sizeof sizes / sizeof *sizes) - 1)];
}
static void of_say(OptFuzz *f, const char *fmt, ...) {
  size_t n = strlen(f->desc);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->desc + n, sizeof f->desc - n, fmt, ap);
  va_end(ap);
}

// An input tensor backed by a buffer (its values do not matter: each kernel's buffers are refilled).
static tg_tensor *of_in(const int64_t *sh, int nd, tg_dtype dt) {
  int64_t n = 1;
  for (int i = 0; i < nd; i++) n *= sh[i];
  void *z = calloc((size_t)n + 1, 8);
  tg_tensor *t = tg_from_data(z, dt, sh, nd);
  free(z);
  return t;
}

// ---- graph families ----
static tg_tensor *of_elementwise(OptFuzz *f) {
  int nd = (int)of_r(f, 1, 4);
  int64_t sh[4], bs[4], n = 1;
  for (int i = 0; i < nd; i++) { sh[i] = n > 2048 ? 1 : of_size(f); n *= sh[i]; bs[i] = of_p(f, 0.4) ? 1 : sh[i]; }
  tg_dtype dt = of_p(f, 0.75) ? TG_FLOAT32 : TG_INT32;
  tg_tensor *x = of_in(sh, nd, dt), *y = of_in(bs, nd, dt);
  int op = (int)of_r(f, 0, 5);
  of_say(f, "elementwise op %d %s nd %d", op, dt == TG_FLOAT32 ? "f32" : "i32", nd);
  switch (op) {
  case 0: return tg_add(tg_mul(x, y), x);
  case 1: return tg_maximum(tg_sub(x, y), tg_mul_s(y, 2));
  case 2: return tg_where(tg_lt(x, y), x, tg_add_s(y, 1));
  case 3: return dt == TG_FLOAT32 ? tg_mul(tg_exp2(x), y) : tg_bitwise_xor(x, y);
  case 4: return tg_lt(x, y);                                      // a bool output
  default: return tg_cast(tg_add(x, y), dt == TG_FLOAT32 ? TG_INT32 : TG_FLOAT32);
  }
}

static tg_tensor *of_reduce(OptFuzz *f) {
  int nd = (int)of_r(f, 1, 4), axes[4], na = 0;
  int64_t sh[4], n = 1;
  for (int i = 0; i < nd; i++) { sh[i] = n > 2048 ? 1 : of_size(f); n *= sh[i]; }
  for (int i = 0; i < nd; i++) if (of_p(f, 0.5)) axes[na++] = i;
  if (!na) axes[na++] = (int)of_r(f, 0, nd - 1);
  tg_dtype dt = of_p(f, 0.75) ? TG_FLOAT32 : TG_INT32;
  tg_tensor *x = of_in(sh, nd, dt);
  int pre = (int)of_r(f, 0, 2), kind = (int)of_r(f, 0, 2), post = (int)of_r(f, 0, 2);
  bool keep = post == 2 || of_p(f, 0.5);
  of_say(f, "reduce %s kind %d pre %d post %d naxes %d nd %d", dt == TG_FLOAT32 ? "f32" : "i32", kind, pre, post, na, nd);
  if (pre == 1) x = tg_mul(x, of_in(sh, nd, dt));
  if (pre == 2 && dt == TG_FLOAT32) x = tg_exp2(x);
  tg_tensor *r = kind == 0 ? tg_sum(x, axes, na, keep) : kind == 1 ? tg_max(x, axes, na, keep) : tg_min(x, axes, na, keep);
  if (post == 1) r = tg_add_s(tg_mul_s(r, 3), 1);
  if (post == 2) r = tg_sub(x, r);                                   // x - x.max(axis): the reduce broadcast back
  return r;
}

static tg_tensor *of_matmul(OptFuzz *f) {
  int64_t m = of_size(f), k = of_size(f), n = of_size(f), b = of_p(f, 0.3) ? of_r(f, 2, 3) : 1;
  tg_dtype dt = of_p(f, 0.8) ? TG_FLOAT32 : TG_INT32;
  if (dt == TG_INT32 && of_p(f, 0.7)) {       // float16/bfloat16 in shapes tensor cores take (TC opt): M, K of 16s, N of 8s
    dt = of_p(f, 0.5) ? TG_FLOAT16 : TG_BFLOAT16;
    m = 16 * of_r(f, 1, 2); k = 16 * of_r(f, 1, 2); n = 8 * of_r(f, 1, 4);
  }
  of_say(f, "matmul %lldx(%lldx%lld)@(%lldx%lld) %s", (long long)b, (long long)m, (long long)k, (long long)k, (long long)n,
         dt == TG_FLOAT32 ? "f32" : dt == TG_INT32 ? "i32" : dt == TG_FLOAT16 ? "f16" : "bf16");
  tg_tensor *x = b > 1 ? of_in(TG_SHAPE(b, m, k), dt) : of_in(TG_SHAPE(m, k), dt), *w = of_in(TG_SHAPE(k, n), dt);
  if (of_p(f, 0.3)) w = tg_transpose(of_in(TG_SHAPE(n, k), dt), 0, 1);
  tg_tensor *y = tg_matmul(x, w);
  return of_p(f, 0.3) ? tg_relu(tg_add(y, of_in(TG_SHAPE(n), dt))) : y;
}

static tg_tensor *of_conv(OptFuzz *f) {
  int64_t nb = of_r(f, 1, 2), cin = of_r(f, 1, 4), cout = of_r(f, 1, 5), h = of_r(f, 3, 9), w = of_r(f, 3, 9);
  int kh = (int)of_r(f, 1, 3), kw = (int)of_r(f, 1, 3), stride[2] = { (int)of_r(f, 1, 2), (int)of_r(f, 1, 2) };
  int pad[2] = { (int)of_r(f, 0, 2), (int)of_r(f, 0, 1) }, groups = cin == cout && of_p(f, 0.3) ? (int)cin : 1;
  of_say(f, "conv2d x(%lld,%lld,%lld,%lld) w(%lld,%lld,%d,%d) stride %d,%d pad %d,%d groups %d", (long long)nb, (long long)cin,
         (long long)h, (long long)w, (long long)cout, (long long)(cin / groups), kh, kw, stride[0], stride[1], pad[0], pad[1], groups);
  tg_tensor *x = of_in(TG_SHAPE(nb, cin, h, w), TG_FLOAT32), *wt = of_in(TG_SHAPE(cout, cin / groups, kh, kw), TG_FLOAT32);
  tg_tensor *bias = of_p(f, 0.5) ? of_in(TG_SHAPE(cout), TG_FLOAT32) : NULL;
  return tg_conv2d(x, wt, bias, groups, stride, pad, NULL);
}

static tg_tensor *of_movement(OptFuzz *f) {
  int64_t a = of_size(f), b = of_size(f), c = of_r(f, 1, 6);
  tg_tensor *x = of_in(TG_SHAPE(a, b, c), TG_FLOAT32);
  int what = (int)of_r(f, 0, 4);
  of_say(f, "movement %d on (%lld,%lld,%lld)", what, (long long)a, (long long)b, (long long)c);
  switch (what) {
  case 0: x = tg_pad(x, (int64_t[]){ of_r(f, 0, 2), of_r(f, 0, 2), of_r(f, b > 1 ? -1 : 0, 2), 1, 0, of_r(f, 0, 3) }, 6, of_p(f, 0.5) ? 0 : -1); break;
  case 1: x = tg_flip(tg_permute(x, (int[]){ 2, 0, 1 }, 3), (int[]){ 1 }, 1); break;
  case 2: x = tg_shrink(x, (int64_t[]){ 0, a, b > 1 ? 1 : 0, b, 0, c }, 6); break;
  case 3: x = tg_slice(tg_pad(x, (int64_t[]){ 1, 1, 2, 0, 0, 0 }, 6, 1), 1, 0, INT64_MAX, 2); break;
  default: x = tg_cumsum(x, (int)of_r(f, 0, 2)); break;
  }
  if (of_p(f, 0.5)) return tg_sum(tg_mul(x, x), (int[]){ (int)of_r(f, 0, 2) }, 1, of_p(f, 0.5));
  return tg_add_s(x, 1);
}

static tg_tensor *of_nn(OptFuzz *f) {
  int64_t a = of_size(f), b = of_size(f);
  int what = (int)of_r(f, 0, 4);
  of_say(f, "nn %d on (%lld,%lld)", what, (long long)a, (long long)b);
  tg_tensor *x = of_in(TG_SHAPE(a, b), TG_FLOAT32);
  switch (what) {
  case 0: return tg_softmax(x, (int)of_r(f, 0, 1));
  case 1: return tg_layernorm(x, -1, 1e-5);
  case 2: return tg_argmax(x, (int)of_r(f, 0, 1), false);
  case 3: {
    tg_tensor *img = of_in(TG_SHAPE(1, 2, a + 1, b + 1), TG_FLOAT32);
    int k[2] = { 2, 2 }, s[2] = { 2, 1 }, p[2] = { 0, 1 };
    return of_p(f, 0.5) ? tg_max_pool2d(img, k, s, p) : tg_avg_pool2d(img, k, s, p);
  }
  default: return tg_logsumexp(x, (int)of_r(f, 0, 1), of_p(f, 0.5));
  }
}

static tg_tensor *of_dtypes(OptFuzz *f) {
  int64_t a = of_size(f), b = of_size(f);
  int what = (int)of_r(f, 0, 4);
  of_say(f, "dtypes %d on (%lld,%lld)", what, (long long)a, (long long)b);
  switch (what) {
  case 0: return tg_cast(tg_sum(of_in(TG_SHAPE(a, b), TG_FLOAT16), (int[]){ 1 }, 1, false), TG_FLOAT32);
  case 1: return tg_max(of_in(TG_SHAPE(a, b), TG_INT8), (int[]){ 0 }, 1, false);
  case 2: return tg_sum(tg_mul(of_in(TG_SHAPE(a, b), TG_FLOAT64), of_in(TG_SHAPE(b), TG_FLOAT64)), (int[]){ 1 }, 1, false);
  case 3: return tg_any(tg_gt_s(of_in(TG_SHAPE(a, b), TG_FLOAT32), 0.5), (int[]){ 1 }, 1, true);
  default: return tg_cast(tg_add(of_in(TG_SHAPE(a, b), TG_FLOAT32), of_in(TG_SHAPE(a, 1), TG_FLOAT32)), TG_BFLOAT16);
  }
}

static tg_tensor *of_graph(OptFuzz *f) {
  f->desc[0] = 0;
  switch (of_r(f, 0, 9)) {
  case 0: case 1: return of_elementwise(f);
  case 2: case 3: return of_reduce(f);
  case 4: case 5: return of_matmul(f);
  case 6: return of_conv(f);
  case 7: return of_movement(f);
  case 8: return of_nn(f);
  default: return of_dtypes(f);
  }
}

// ---- buffers: exact random values, and the comparison ----
static uint16_t of_f2h(float v) {            // exact for the small dyadic values used here
  if (v == 0) return 0;
  int e;
  double m = frexp(fabs(v), &e);             // |v| = m * 2^e, m in [0.5, 1)
  return (uint16_t)((v < 0) << 15 | (e + 14) << 10 | ((uint16_t)((m * 2 - 1) * 1024) & 1023));
}
static float of_h2f(uint16_t h) {
  int e = h >> 10 & 31, m = h & 1023;
  float v = e == 31 ? (m ? NAN : INFINITY) : e ? ldexpf(1 + m / 1024.0f, e - 15) : ldexpf(m / 1024.0f, -14);
  return h >> 15 ? -v : v;
}
static float of_bf2f(uint16_t h) { uint32_t u = (uint32_t)h << 16; float v; memcpy(&v, &u, 4); return v; }

static void of_fill(TestRng *r, void *dst, ScalarType t, int64_t n) {
  int sz = st_itemsize(t);
  for (int64_t i = 0; i < n; i++) {
    float v = (float)rng_range(r, -16, 16) / 8;
    int64_t iv = rng_range(r, st_is_unsigned(t) ? 0 : -8, 8);
    if (t == DT_FLOAT32) ((float *)dst)[i] = v;
    else if (t == DT_FLOAT64) ((double *)dst)[i] = v;
    else if (t == DT_FLOAT16) ((uint16_t *)dst)[i] = of_f2h(v);
    else if (t == DT_BFLOAT16) { uint32_t u; memcpy(&u, &v, 4); ((uint16_t *)dst)[i] = (uint16_t)(u >> 16); }
    else if (t == DT_BOOL) ((uint8_t *)dst)[i] = (uint8_t)(iv & 1);
    else memcpy((char *)dst + i * sz, &iv, (size_t)sz);
  }
}

static double of_val(ScalarType t, const void *p, int64_t i) {
  if (t == DT_FLOAT32) return ((const float *)p)[i];
  if (t == DT_FLOAT64) return ((const double *)p)[i];
  if (t == DT_FLOAT16) return of_h2f(((const uint16_t *)p)[i]);
  return of_bf2f(((const uint16_t *)p)[i]);
}

// 0 when got matches want; else the first differing index + 1. Floats update the error maxima.
static int64_t of_compare(OptFuzz *f, ScalarType t, const void *got, const void *want, int64_t n, int64_t red_len) {
  if (!st_is_float(t)) {
    int sz = st_itemsize(t);
    for (int64_t i = 0; i < n; i++) if (memcmp((const char *)got + i * sz, (const char *)want + i * sz, (size_t)sz)) return i + 1;
    return 0;
  }
  double eps = t == DT_FLOAT64 ? 0x1p-52 : t == DT_FLOAT32 ? 0x1p-23 : t == DT_FLOAT16 ? 0x1p-10 : 0x1p-7, mean = 0;
  for (int64_t i = 0; i < n; i++) if (isfinite(of_val(t, want, i))) mean += fabs(of_val(t, want, i)) / (double)n;
  for (int64_t i = 0; i < n; i++) {
    double g = of_val(t, got, i), w = of_val(t, want, i);
    if ((isnan(g) && isnan(w)) || g == w) continue;
    double err = fabs(g - w) / (fabs(w) + mean + 1e-30), units = err / (eps * (double)(red_len > 0 ? red_len : 1));
    if (!(units <= 4)) return i + 1;          // also NaN against a number, inf against another value
    if (err > f->max_err) f->max_err = err;
    if (units > f->max_err_units) f->max_err_units = units;
  }
  return 0;
}

// ---- kernels ----
static int64_t of_red_len(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  int64_t n = 1;
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[1] == 1 && t->items[i]->src[0]->op == OP_CONST) n *= t->items[i]->src[0]->arg.i;
  return n;
}

static void of_kern_free(OfKern *k) {
  for (int i = 0; i < k->nbufs; i++) { if (k->bufs[i]) buf_unref(k->bufs[i]); free(k->init[i]); free(k->ref[i]); }
  memset(k, 0, sizeof *k);
}

// Buffers for every DEFINE_GLOBAL, random contents, and the reference: INTERP runs the kernel without opts.
static bool of_kern_init(OptFuzz *f, OfKern *k, UOp *ast, int graph) {
  Device *cpu = dev_get("CPU"), *interp = dev_get("INTERP");
  *k = (OfKern){ .ast = ast, .red_len = of_red_len(ast), .graph = graph };
  snprintf(k->desc, sizeof k->desc, "%s", f->desc);
  const UOpList *t = uop_toposort(ast);
  Buffer *ib[OF_MAX_BUFS] = { 0 };
  for (int64_t i = 0; i < t->n; i++) {
    UOp *g = t->items[i];
    if (g->op != OP_DEFINE_GLOBAL) continue;
    int s = (int)g->arg.i;
    TG_ASSERT(s < OF_MAX_BUFS && g->dtype.size >= 0, "optfuzz: buffer slot %d of unknown size", s);
    ScalarType st = (ScalarType)g->dtype.scalar;
    size_t nb = (size_t)g->dtype.size * (size_t)st_itemsize(st);
    k->init[s] = malloc(nb + 1);
    k->ref[s] = malloc(nb + 1);
    of_fill(&f->rng, k->init[s], st, g->dtype.size);
    k->bufs[s] = buf_new(cpu, st, g->dtype.size);
    ib[s] = buf_new(interp, st, g->dtype.size);
    buf_copyin(ib[s], k->init[s], nb);
    if (s >= k->nbufs) k->nbufs = s + 1;
  }
  Program *p = opt_codegen(ast, false);
  bool ok = interp->compile(interp, p) == 0 && interp->exec(interp, p, ib, NULL) == 0;
  CHECK(ok, "INTERP could not run the unoptimized kernel of %s: %s", f->desc, tg_error());
  for (int s = 0; s < k->nbufs; s++) if (ib[s]) { buf_copyout(ib[s], k->ref[s], ib[s]->nbytes); buf_unref(ib[s]); }
  program_free(p);
  return ok;
}

// ---- opt sequences ----
static void of_refused(OptFuzz *f, const char *why) {
  const char *r = strstr(why, ": ");
  r = r ? r + 2 : why;
  f->nrefused++;
  for (int i = 0; i < f->nreasons; i++) if (!strcmp(f->reasons[i].why, r)) { f->reasons[i].n++; return; }
  if (f->nreasons < OF_MAX_REASONS) {
    snprintf(f->reasons[f->nreasons].why, sizeof f->reasons[0].why, "%s", r);
    f->reasons[f->nreasons++].n = 1;
  }
}

// A random opt: usually one that could apply (an existing axis of the right kind, an amount dividing it), sometimes
// anything (a missing axis, a wrong kind, an amount that does not divide), so refusals are exercised too.
static Opt of_draw(OptFuzz *f, UOp *ast) {
  static const int amounts[] = { 2, 3, 4, 5, 6, 7, 8, 16, 32 };
  const UOpList *t = uop_toposort(ast);
  UOp *rs[32];
  int nr = 0;
  for (int64_t i = 0; i < t->n && nr < 32; i++) if (t->items[i]->op == OP_RANGE) rs[nr++] = t->items[i];
  Opt o = { (OptKind)of_r(f, 0, 2), (int)of_r(f, 0, nr + 1), amounts[of_r(f, 0, 8)] };
  if (!nr || of_p(f, 0.25)) return o;
  UOp *r = rs[of_r(f, 0, nr - 1)];
  int64_t size = r->src[0]->op == OP_CONST ? r->src[0]->arg.i : 1;
  int divs[9], nd = 0;
  for (int i = 0; i < 9; i++) if (size % amounts[i] == 0) divs[nd++] = amounts[i];
  o.axis = (int)r->arg.tup[0];
  if (nd) o.amount = divs[of_r(f, 0, nd - 1)];
  if (o.kind != OPT_VECTORIZE || of_p(f, 0.2)) o.kind = r->arg.tup[1] == 1 ? OPT_UNROLL : OPT_UPCAST;
  if (r->arg.tup[1] == 1 && of_p(f, 0.3)) return (Opt){ OPT_TC, (int)r->arg.tup[0], 0 };   // tensor cores (valid first only)
  if (of_p(f, 0.25)) {               // threads of a block: LOCAL on an output axis, GROUP/GROUPTOP on a reduce axis
    o.kind = r->arg.tup[1] == 1 ? (of_p(f, 0.5) ? OPT_GROUP : OPT_GROUPTOP) : OPT_LOCAL;
    if (of_p(f, 0.05)) o = (Opt){ OPT_NOLOCALS, 0, 0 };
  } else if (of_p(f, 0.1)) o = (Opt){ OPT_SWAP, (int)r->arg.tup[0], (int)rs[of_r(f, 0, nr - 1)]->arg.tup[0] };   // loop order
  else if (of_p(f, 0.06)) o = (Opt){ OPT_THREAD, (int)r->arg.tup[0], (int)of_r(f, 1, 4) };   // CPU threads: this axis
  else if (of_p(f, 0.12)) {          // pad to a multiple of 2..8 that does not divide the axis (when there is one)
    static const int pads[] = { 2, 3, 4, 5, 6, 8 };
    o = (Opt){ OPT_PADTO, (int)r->arg.tup[0], pads[of_r(f, 0, 5)] };
    for (int i = 0; i < 6 && size % o.amount == 0; i++) o.amount = pads[i];
  }
  return o;
}

// 1-5 opts applied to k's AST (0 when none applies); the result is opt_finish'd and linearized.
static bool of_case(OptFuzz *f, OfKern *k, OfCase *c) {
  *c = (OfCase){ .k = k };
  int want = (int)of_r(f, 1, OF_MAX_OPTS);
  int64_t copies = 1;
  UOp *ast = k->ast;
  for (int tries = 0; c->nopts < want && tries < 40; tries++) {
    Opt o = of_draw(f, ast);
    char why[160];
    if (copies * o.amount > OF_MAX_COPIES) continue;   // keeps the C compiler's time down (lanes count: gathers)
    UOp *next = opt_apply(ast, o, o.kind == OPT_THREAD ? NULL : of_caps(), why, sizeof why);   // THREAD: a CPU opt
    if (!next) { of_refused(f, why); continue; }
    ast = next;
    c->opts[c->nopts++] = o;
    if (o.kind == OPT_UPCAST || o.kind == OPT_UNROLL || o.kind == OPT_VECTORIZE) copies *= o.amount;
  }
  if (!c->nopts) return false;
  for (int i = 0; i < c->nopts; i++) f->applied[c->opts[i].kind]++;
  if (env_or("FUZZ_VERBOSE", 0) >= 2) {     // before a crash in codegen
    fprintf(stderr, "optfuzz:   opts");
    for (int i = 0; i < c->nopts; i++) fprintf(stderr, " {OPT_%s, %d, %d}", opt_name(c->opts[i].kind), c->opts[i].axis, c->opts[i].amount);
    fputc('\n', stderr);
  }
  c->p = opt_codegen(ast, false);
  return true;
}

// (inline: only test_opt_fuzz uses it) A fixed case (a bug the fuzzer found): the last kernel of t's schedule with the given opts, queued as a case when
// opt_apply accepts them (a refusal is also a pass: the linearizer would not have handled the result).
static inline void of_fixed(OptFuzz *f, tg_tensor *t, const Opt *opts, int n, const char *desc) {
  snprintf(f->desc, sizeof f->desc, "fixed: %s", desc);
  Schedule s;
  UOp *root = grad_fn_strip(t->uop);
  TG_ASSERT(sched_create(&s, &root, 1, dev_get("CPU")) == 0 && s.n > 0, "optfuzz: scheduling %s failed: %s", desc, tg_error());
  OfKern *k = &f->kern[f->nkern];
  char why[160];
  UOp *ast = opt_apply_list(s.items[s.n - 1].ast, opts, n, of_caps(), why, sizeof why);
  if (ast && of_kern_init(f, k, s.items[s.n - 1].ast, -1)) {
    f->nkern++;
    OfCase *c = &f->cases[f->ncases++];
    *c = (OfCase){ .k = k, .nopts = n, .p = opt_codegen(ast, false) };
    memcpy(c->opts, opts, (size_t)n * sizeof *opts);
  } else if (!ast) of_refused(f, why);
  sched_free(&s);
}

// ---- running a batch ----
static void of_report(OptFuzz *f, OfCase *c, const char *what) {
  char o[512];
  size_t n = 0;
  o[0] = 0;
  for (int i = 0; i < c->nopts; i++)
    n += (size_t)snprintf(o + n, sizeof o - n, "%s{OPT_%s, %d, %d}", i ? ", " : "", opt_name(c->opts[i].kind), c->opts[i].axis, c->opts[i].amount);
  fprintf(stderr, "optfuzz: %s\n  graph %d (FUZZ_SEED=%llu FUZZ_FIRST=%d FUZZ_N=1): %s\n  kernel %s, opts { %s }\n", what, c->k->graph,
          (unsigned long long)f->seed, c->k->graph, c->k->desc, c->p ? c->p->name : "?", o);
  if (getenv("FUZZ_VERBOSE")) {
    char *l = uop_listing(c->k->ast);
    fprintf(stderr, "%s%s\n", l, c->p && c->p->src ? c->p->src : "");
    free(l);
  }
}

// Cases with thread ranges run on INTERP (compiled there), the others on the CPU. Both read the CPU's host buffers.
static Device *of_device(OfCase *c) { return dev_get(c->p->nlocal ? "INTERP" : "CPU"); }

static void of_run_case(OptFuzz *f, OfCase *c) {
  Device *dev = of_device(c);
  OfKern *k = c->k;
  for (int s = 0; s < k->nbufs; s++) if (k->bufs[s]) buf_copyin(k->bufs[s], k->init[s], k->bufs[s]->nbytes);
  if (dev->exec(dev, c->p, k->bufs, NULL) != 0) { f->failures++; of_report(f, c, tg_error()); return; }
  for (int s = 0; s < k->nbufs; s++) {
    Buffer *b = k->bufs[s];
    if (!b) continue;
    void *got = malloc(b->nbytes + 1);
    buf_copyout(b, got, b->nbytes);
    int64_t at = of_compare(f, b->dtype, got, k->ref[s], b->size, k->red_len);
    if (at) {
      char what[256];
      if (st_is_float(b->dtype))
        snprintf(what, sizeof what, "buffer %d element %lld: %s %.9g, INTERP (no opts) %.9g", s, (long long)at - 1, dev->name,
                 of_val(b->dtype, got, at - 1), of_val(b->dtype, k->ref[s], at - 1));
      else snprintf(what, sizeof what, "buffer %d (%s) element %lld differs", s, st_name(b->dtype), (long long)at - 1);
      f->failures++;
      of_report(f, c, what);
      free(got);
      return;
    }
    free(got);
  }
}

// Schedules graphs from `graph` on until the batch holds `want` cases (or the tables fill); returns graphs used.
static int of_build(OptFuzz *f, int graph, int want, int max_graphs) {
  Device *cpu = dev_get("CPU");
  int used = 0;
  while (f->ncases < want && used < max_graphs && f->nkern < OF_MAX_KERNELS - 16 && f->ncases < OF_MAX_CASES - 64) {
    int g = graph + used++;
    f->rng.s = hash_combine(f->seed * 0x9e3779b97f4a7c15ULL, (uint64_t)g) | 1;
    tg_tensor *t = of_graph(f);
    if (env_or("FUZZ_VERBOSE", 0) >= 2) fprintf(stderr, "optfuzz: graph %d: %s\n", g, f->desc);   // before a crash
    Schedule s;
    UOp *root = t ? grad_fn_strip(t->uop) : NULL;   // as tg_realize does: custom gradients are autograd's only
    TG_ASSERT(root && sched_create(&s, &root, 1, cpu) == 0, "optfuzz: scheduling %s failed: %s", f->desc, tg_error());
    f->ngraphs++;
    for (int i = 0; i < s.n && f->nkern < OF_MAX_KERNELS; i++) {
      if (!s.items[i].ast) continue;
      OfKern *k = &f->kern[f->nkern];
      if (!of_kern_init(f, k, s.items[i].ast, g)) { of_kern_free(k); continue; }
      f->nkern++;
      f->nkern_total++;
      f->multi_output += k->ast->nsrc > 1;
      for (int n = (int)of_r(f, 3, 6); n > 0 && f->ncases < OF_MAX_CASES; n--)
        if (of_case(f, k, &f->cases[f->ncases])) f->ncases++;
    }
    sched_free(&s);
  }
  return used;
}

// One batch: build (fixed cases first, when given), compile every case together, run and compare. Returns the
// number of graphs consumed.
static int of_batch(OptFuzz *f, int graph, int want, int max_graphs, void (*fixed)(OptFuzz *)) {
  tg_scope_begin();                 // ASTs and programs stay reachable: no collection runs inside the batch
  if (fixed) fixed(f);
  int used = of_build(f, graph, want, max_graphs);
  Device *cpu = dev_get("CPU"), *interp = dev_get("INTERP");
  Program *ps[OF_MAX_CASES];
  char *errs[OF_MAX_CASES] = { 0 };
  int idx[OF_MAX_CASES], ncpu = 0;
  for (int i = 0; i < f->ncases; i++) {
    if (!f->cases[i].p->nlocal) { idx[ncpu] = i; ps[ncpu++] = f->cases[i].p; continue; }
    f->on_interp++;
    if (interp->compile(interp, f->cases[i].p) != 0) errs[i] = strdup(tg_error());
  }
  char *cerrs[OF_MAX_CASES];
  if (ncpu) cpu->compile_many(cpu, ps, ncpu, cerrs);
  for (int j = 0; j < ncpu; j++) errs[idx[j]] = cerrs[j];
  for (int i = 0; i < f->ncases; i++) {
    if (errs[i]) { f->compile_failures++; f->failures++; of_report(f, &f->cases[i], errs[i]); free(errs[i]); }
    else of_run_case(f, &f->cases[i]);
    program_free(f->cases[i].p);
  }
  f->ncase_total += f->ncases;
  for (int i = 0; i < f->nkern; i++) of_kern_free(&f->kern[i]);
  f->ncases = f->nkern = 0;
  tg_scope_end();
  tg_gc();
  return used;
}

static int of_cmp_reason(const void *a, const void *b) {
  int64_t x = ((const __typeof__(((OptFuzz *)0)->reasons[0]) *)a)->n, y = ((const __typeof__(((OptFuzz *)0)->reasons[0]) *)b)->n;
  return x < y ? 1 : x > y ? -1 : 0;
}

static void of_summary(OptFuzz *f, double secs) {
  printf("optfuzz: %lld cases on %lld kernels from %lld graphs (seed %llu) in %.1f s; %lld multi-output kernels\n",
         (long long)f->ncase_total, (long long)f->nkern_total, (long long)f->ngraphs, (unsigned long long)f->seed, secs,
         (long long)f->multi_output);
  printf("  opts applied:");
  for (int k = 0; k < OPT_NKINDS; k++) printf(" %s %lld%s", opt_name((OptKind)k), (long long)f->applied[k], k + 1 < OPT_NKINDS ? "," : "");
  printf("; %lld cases with thread ranges ran on INTERP; refused %lld:\n", (long long)f->on_interp, (long long)f->nrefused);
  qsort(f->reasons, (size_t)f->nreasons, sizeof f->reasons[0], of_cmp_reason);
  for (int i = 0; i < f->nreasons; i++) printf("    %7lld  %s\n", (long long)f->reasons[i].n, f->reasons[i].why);
  printf("  max float error %.3g of |ref| + mean|ref| (%.3g eps * reduce length); %lld failures (%lld compile)\n", f->max_err,
         f->max_err_units, (long long)f->failures, (long long)f->compile_failures);
}
#endif
