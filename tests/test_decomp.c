// Transcendental decompositions (TRANSCENDENTAL=2): ulp error against libm on CPU and INTERP, kernel source
#include "testlib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "engine/realize.h"
#include "base/env.h"
#include "base/timer.h"
#include "codegen/decomp.h"
#include "uop/spec.h"
#include <math.h>
#include <stdlib.h>

/* Measured maximum errors (x86-64, glibc; reference: libm in double for float32 inputs, long double for
 * float64), over the sweeps below (every 4099th float32 bit pattern plus dense ranges; 300k random
 * float64 bit patterns plus ranges): see the printed table. The bounds checked are these, with a little room. */
#define F32_EXP2_ULP 1.1     // measured 1.054
#define F32_LOG2_ULP 0.9     // measured 0.828
#define F32_SIN_ULP  0.9     // measured 0.818 (|x| up to 3.4e38)
#define F32_SQRT_ULP 0.8     // measured 0.750
#define F64_EXP2_ULP 1.1     // measured 1.034
#define F64_LOG2_ULP 0.8     // measured 0.710
#define F64_SIN_ULP  0.9     // measured 0.800 (|x| up to 1.8e308)
#define F64_SQRT_ULP 0.8     // measured 0.753

typedef enum { F_EXP2, F_LOG2, F_SIN, F_SQRT, F_COUNT } Fn;
static const char *fn_name[] = { "exp2", "log2", "sin", "sqrt" };
static tg_tensor *apply(Fn f, tg_tensor *t) {
  switch (f) {
  case F_EXP2: return tg_exp2(t);
  case F_LOG2: return tg_log2(t);
  case F_SIN: return tg_sin(t);
  default: return tg_sqrt(t);
  }
}
static double ref64(Fn f, double x) { return f == F_EXP2 ? exp2(x) : f == F_LOG2 ? log2(x) : f == F_SIN ? sin(x) : sqrt(x); }
static long double ref80(Fn f, double x) {
  long double v = x;
  return f == F_EXP2 ? exp2l(v) : f == F_LOG2 ? log2l(v) : f == F_SIN ? sinl(v) : sqrtl(v);
}

// error of got in units in the last place of the exact value ref (INFINITY for a wrong special)
static double ulp_f32(float got, double ref) {
  if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0 : INFINITY;
  float rf = (float)ref;
  if (isinf(rf) || isinf(got)) return got == rf ? 0 : INFINITY;
  int e = ref == 0 ? -126 : ilogb(ref);
  return fabs((double)got - ref) / ldexp(1, (e < -126 ? -126 : e) - 23);
}
static double ulp_f64(double got, long double ref) {
  if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0 : INFINITY;
  double rd = (double)ref;
  if (isinf(rd) || isinf(got)) return got == rd ? 0 : INFINITY;
  int e = ref == 0 ? -1022 : ilogbl(ref);
  return (double)(fabsl((long double)got - ref) / ldexpl(1, (e < -1022 ? -1022 : e) - 52));
}

static int realize_on(const char *dev, tg_dtype dt, const void *in, int64_t n, Fn f, void *out) {
  tg_set_default_device(dev);
  tg_scope_begin();
  tg_tensor *t = apply(f, tg_from_data(in, dt, (const int64_t[]){ n }, 1));
  int rc = t ? tg_data(t, out, (size_t)n * tg_dtype_size(dt)) : -1;
  tg_scope_end();
  tg_set_default_device("CPU");
  if (rc) fprintf(stderr, "realize on %s failed: %s\n", dev, tg_error());
  return rc;
}

// ---- float32 ----
static float *f32_inputs(Fn f, uint32_t stride, int64_t *n) {
  int64_t cap = (int64_t)(0x100000000ull / stride) + 700000, k = 0;
  float *x = malloc((size_t)cap * sizeof(float));
  for (uint64_t b = 12345; b < 0x100000000ull; b += stride) { uint32_t w = (uint32_t)b; memcpy(&x[k++], &w, 4); }
  static const float specials[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 0.5f, 2.0f, 1e-45f, -1e-45f,
    1.17549435e-38f, 1.1754942e-38f, 3.4028235e38f, -3.4028235e38f, 128.0f, 127.99999f, -150.0f, -149.5f, -126.0f,
    1e-4f, 0.99999994f, 1.0000001f, 3.14159265f, 1.5707964f, 30.0f, 29.999998f, 39800.0f, 1e5f, 1e10f, 1e30f };
  for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) x[k++] = specials[i];
  int dense = stride < 10000 ? 200000 : 20000;
  double lo = f == F_EXP2 ? -152 : f == F_LOG2 ? 0 : f == F_SIN ? -40 : 0, hi = f == F_EXP2 ? 130 : f == F_LOG2 ? 4 : f == F_SIN ? 40 : 4;
  for (int i = 0; i < dense; i++) x[k++] = (float)(lo + (hi - lo) * (i + 0.5) / dense);
  for (int i = 0; i < dense; i++) x[k++] = (float)ldexp(1.0 + (double)i / dense, (i % 60) - 30) * (f == F_SIN && (i & 1) ? -1 : 1);
  if (f == F_SIN) for (int i = 0; i < dense; i++) x[k++] = (float)(-1e5 + 2e5 * (i + 0.5) / dense);
  *n = k;
  return x;
}

static double max_ulp_f32(Fn f, const float *x, const float *y, int64_t n, float *worst) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    double e = ulp_f32(y[i], ref64(f, x[i]));
    if (e > m) { m = e; *worst = x[i]; }
  }
  return m;
}

static void test_f32(Fn f) {
  static const double bound[] = { F32_EXP2_ULP, F32_LOG2_ULP, F32_SIN_ULP, F32_SQRT_ULP };
  int64_t n, ni;
  float *x = f32_inputs(f, 4099, &n), *y = malloc((size_t)n * 4), worst = 0;
  double t0 = time_s();
  CHECK(realize_on("CPU", TG_FLOAT32, x, n, f, y) == 0);
  double e = max_ulp_f32(f, x, y, n, &worst);
  printf("  float32 %-5s CPU    %8lld values  max %.3f ulp (at %.9g)  %.2fs\n", fn_name[f], (long long)n, e, worst, time_s() - t0);
  CHECK(e <= bound[f], "float32 %s: %.3f ulp at %.9g", fn_name[f], e, worst);
  float *xi = f32_inputs(f, 65537, &ni), *yi = malloc((size_t)ni * 4), *yc = malloc((size_t)ni * 4);
  t0 = time_s();
  CHECK(realize_on("INTERP", TG_FLOAT32, xi, ni, f, yi) == 0);
  double ei = max_ulp_f32(f, xi, yi, ni, &worst);
  printf("  float32 %-5s INTERP %8lld values  max %.3f ulp  %.2fs\n", fn_name[f], (long long)ni, ei, time_s() - t0);
  CHECK(ei <= bound[f], "float32 %s on INTERP: %.3f ulp at %.9g", fn_name[f], ei, worst);
  CHECK(realize_on("CPU", TG_FLOAT32, xi, ni, f, yc) == 0);
  int64_t diff = 0;
  for (int64_t i = 0; i < ni; i++) diff += memcmp(&yi[i], &yc[i], 4) != 0 && !(isnan(yi[i]) && isnan(yc[i]));
  CHECK(diff == 0, "float32 %s: CPU and INTERP differ in %lld of %lld values", fn_name[f], (long long)diff, (long long)ni);
  free(x); free(y); free(xi); free(yi); free(yc);
}

// ---- float64 ----
static double *f64_inputs(Fn f, int64_t count, int64_t *n) {
  double *x = malloc((size_t)(count + 64) * sizeof(double));
  TestRng r = { 0x9e3779b97f4a7c15ull + (uint64_t)f };
  int64_t k = 0;
  for (int64_t i = 0; i < count / 2; i++) { uint64_t b = rng_next(&r); memcpy(&x[k++], &b, 8); }
  double lo = f == F_EXP2 ? -1080 : f == F_LOG2 ? 0 : f == F_SIN ? -100 : 0, hi = f == F_EXP2 ? 1030 : f == F_LOG2 ? 4 : f == F_SIN ? 100 : 4;
  for (int64_t i = 0; i < count / 4; i++) x[k++] = lo + (hi - lo) * rng_unit(&r);
  for (int64_t i = 0; i < count / 4; i++) x[k++] = ldexp(1 + rng_unit(&r), (int)rng_range(&r, -60, 60)) * (f == F_SIN && (i & 1) ? -1 : 1);
  static const double specials[] = { 0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 4.9e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, 1024.0, 1023.9999999999999, -1075.0, -2000.0, 1e14, 1e15, 1e22, 1e300, 3.141592653589793 };
  for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) x[k++] = specials[i];
  *n = k;
  return x;
}

static void test_f64(Fn f) {
  static const double bound[] = { F64_EXP2_ULP, F64_LOG2_ULP, F64_SIN_ULP, F64_SQRT_ULP };
  const char *devs[] = { "CPU", "INTERP" };
  int64_t counts[] = { 300000, 20000 };
  for (int d = 0; d < 2; d++) {
    int64_t n;
    double *x = f64_inputs(f, counts[d], &n), *y = malloc((size_t)n * 8), m = 0, worst = 0;
    double t0 = time_s();
    CHECK(realize_on(devs[d], TG_FLOAT64, x, n, f, y) == 0);
    for (int64_t i = 0; i < n; i++) {
      double e = ulp_f64(y[i], ref80(f, x[i]));
      if (e > m) { m = e; worst = x[i]; }
    }
    printf("  float64 %-5s %-6s %8lld values  max %.3f ulp (at %.17g)  %.2fs\n", fn_name[f], devs[d], (long long)n, m, worst, time_s() - t0);
    CHECK(m <= bound[f], "float64 %s on %s: %.3f ulp at %.17g", fn_name[f], devs[d], m, worst);
    free(x); free(y);
  }
}

// ---- composite functions of the tensor API: decomposed vs the backend's libm, and CPU == INTERP ----
typedef tg_tensor *(*UnFn)(tg_tensor *);
static tg_tensor *pow_fixed(tg_tensor *t) { return tg_pow_s(tg_abs(t), 1.7); }
static tg_tensor *pow_neg(tg_tensor *t) { return tg_pow(tg_neg(tg_abs(t)), tg_trunc(tg_mul_s(t, 0.01))); }
// error in ulps of max(|libm|, floor); pow's error grows with |log2 result| (exp2 of a rounded product)
static const struct { const char *name; UnFn fn; double lo, hi, max_ulp, floor, amp; } composites[] = {
  { "exp", tg_exp, -87, 88, 2, 0, 0 }, { "log", tg_log, 1e-30, 1e30, 2, 0, 0 }, { "cos", tg_cos, -1e4, 1e4, 2, 0, 0 },
  { "tan", tg_tan, -10, 10, 3, 0, 0 }, { "sigmoid", tg_sigmoid, -60, 60, 3, 0, 0 }, { "tanh", tg_tanh, -20, 20, 3, 1, 0 },
  { "pow(|x|, 1.7)", pow_fixed, -40, 40, 2, 0, 1 }, { "pow(-|x|, trunc(x/100))", pow_neg, -3000, 3000, 2, 0, 1 },
};

static int run_fn(const char *dev, UnFn fn, const float *x, int64_t n, float *y, int transcendental) {
  int tok = env_push_int("TRANSCENDENTAL", transcendental);
  tg_set_default_device(dev);
  tg_scope_begin();
  tg_tensor *t = fn(tg_from_data(x, TG_FLOAT32, (const int64_t[]){ n }, 1));
  int rc = t ? tg_data(t, y, (size_t)n * 4) : -1;
  tg_scope_end();
  tg_set_default_device("CPU");
  env_pop(tok);
  if (rc) fprintf(stderr, "%s failed: %s\n", dev, tg_error());
  return rc;
}

static double ulp_vs(float got, float want, double floor) {
  if (isfinite(want) && fabs(want) < floor) return fabs((double)got - want) / ldexp(1, ilogb(floor) - 23);
  return ulp_f32(got, (double)want);
}

static void test_composites(void) {
  enum { N = 20000 };
  float *x = malloc(N * 4), *yn = malloc(N * 4), *yd = malloc(N * 4), *yi = malloc(N * 4);
  for (size_t c = 0; c < sizeof composites / sizeof *composites; c++) {
    double lo = composites[c].lo, hi = composites[c].hi;
    for (int i = 0; i < N; i++)
      x[i] = (float)(lo > 0 ? exp(log(lo) + (log(hi) - log(lo)) * (i + 0.5) / N) : lo + (hi - lo) * (i + 0.5) / N);
    x[0] = 0.0f; x[1] = -0.0f; x[2] = INFINITY; x[3] = -INFINITY; x[4] = NAN;
    CHECK(run_fn("CPU", composites[c].fn, x, N, yn, 1) == 0);
    CHECK(run_fn("CPU", composites[c].fn, x, N, yd, 2) == 0);
    CHECK(run_fn("INTERP", composites[c].fn, x, N, yi, 2) == 0);
    double m = 0;
    int64_t diff = 0, at = 0;
    for (int i = 0; i < N; i++) {
      double e = ulp_vs(yd[i], yn[i], composites[c].floor);
      if (composites[c].amp && isfinite(yn[i]) && yn[i] != 0) e /= 1 + composites[c].amp * fabs(log2(fabs(yn[i])));
      if (e > m) { m = e; at = i; }
      diff += memcmp(&yd[i], &yi[i], 4) != 0 && !(isnan(yd[i]) && isnan(yi[i]));
    }
    printf("  float32 %-24s decomposed vs libm: max %.2f ulp%s (x = %.9g: %.9g vs %.9g)\n", composites[c].name, m,
           composites[c].amp ? " / (1 + |log2 y|)" : composites[c].floor ? " of max(|y|, 1)" : "", x[at], yd[at], yn[at]);
    CHECK(m <= composites[c].max_ulp, "%s: %.2f ulp at x = %.9g (%.9g vs %.9g)", composites[c].name, m, x[at], yd[at], yn[at]);
    CHECK(diff == 0, "%s: CPU and INTERP differ in %lld values", composites[c].name, (long long)diff);
  }
  free(x); free(yn); free(yd); free(yi);
}

// float16/bfloat16 compute in float32 and round once: the decomposed result is the native one, up to a
// double rounding where the float32 results differ (at most one 16-bit ulp)
static void test_half(void) {
  enum { N = 4096 };
  float x[N], yn[N], yd[N];
  const tg_dtype dts[] = { TG_FLOAT16, TG_BFLOAT16 };
  const UnFn fns[] = { tg_exp2, tg_log2, tg_sin, tg_sqrt, tg_exp };
  for (int i = 0; i < N; i++) x[i] = (float)(-12 + 24.0 * i / N);
  for (int d = 0; d < 2; d++)
    for (int f = 0; f < 5; f++) {
      float *ys[2] = { yn, yd };
      for (int tr = 1; tr <= 2; tr++) {
        int tok = env_push_int("TRANSCENDENTAL", tr);
        tg_scope_begin();
        tg_tensor *t = tg_cast(fns[f](tg_cast(tg_from_data(x, TG_FLOAT32, TG_SHAPE(N)), dts[d])), TG_FLOAT32);
        CHECK(t && tg_data(t, ys[tr - 1], sizeof yn) == 0, "%s", tg_error());
        tg_scope_end();
        env_pop(tok);
      }
      int bad = 0;
      for (int i = 0; i < N; i++) {
        if ((isnan(yn[i]) && isnan(yd[i])) || yn[i] == yd[i]) continue;
        bool h = dts[d] == TG_FLOAT16;
        int e = yn[i] == 0 ? -1000 : ilogb(yn[i]);
        double u = ldexp(1, h ? (e < -14 ? -24 : e - 10) : (e < -126 ? -133 : e - 7));
        if (!(fabs((double)yn[i] - yd[i]) <= u) && bad++ < 3)
          fprintf(stderr, "  %s fn %d x=%.9g: %.9g vs %.9g\n", tg_dtype_name(dts[d]), f, x[i], yd[i], yn[i]);
      }
      CHECK(bad == 0, "%s fn %d: %d values differ by more than one ulp", tg_dtype_name(dts[d]), f, bad);
    }
}

// the decomposed kernels call no libm function
static void test_source(void) {
  const UnFn fns[] = { tg_exp2, tg_log2, tg_sin, tg_sqrt, tg_cos, pow_fixed };
  const tg_dtype dts[] = { TG_FLOAT32, TG_FLOAT64, TG_FLOAT16 };
  static const char *calls[] = { "exp2", "log2", "sin", "sqrt", "pow" };
  Device *cpu = dev_get("CPU");
  for (int tr = 1; tr <= 2; tr++)
    for (int d = 0; d < 3; d++)
      for (int f = 0; f < 6; f++) {
        int tok = env_push_int("TRANSCENDENTAL", tr);
        tg_scope_begin();
        tg_tensor *t = fns[f](tg_cast(tg_arange(0, 8, 1, TG_FLOAT32), dts[d]));
        Schedule s = { 0 };
        CHECK(t && sched_create(&s, &t->uop, 1, cpu) == 0, "%s", tg_error());
        int found = 0;
        for (int i = 0; i < s.n; i++) {
          if (!s.items[i].ast) continue;
          CHECK(spec_check(cg_decomp(s.items[i].ast), SPEC_KERNEL), "decomposed fn %d on %s: %s", f, tg_dtype_name(dts[d]), spec_last_error());
          Program *p = eng_get_program(cpu, s.items[i].ast);
          CHECK(p && p->src, "%s", tg_error());
          for (size_t k = 0; p && p->src && k < sizeof calls / sizeof *calls; k++) {
            char name[32];
            snprintf(name, sizeof name, "__builtin_%s", calls[k]);
            found += strstr(p->src, name) != NULL;
          }
        }
        if (tr == 2) CHECK(found == 0, "TRANSCENDENTAL=2: fn %d on %s calls libm", f, tg_dtype_name(dts[d]));
        else CHECK(found > 0, "TRANSCENDENTAL=1: fn %d on %s should call libm", f, tg_dtype_name(dts[d]));
        sched_free(&s);
        tg_scope_end();
        env_pop(tok);
      }
}

int main(void) {
  double t0 = time_s();
  int tok = env_push("TRANSCENDENTAL", "2");
  for (int f = 0; f < F_COUNT; f++) test_f32((Fn)f);
  for (int f = 0; f < F_COUNT; f++) test_f64((Fn)f);
  env_pop(tok);
  test_composites();
  test_half();
  test_source();
  printf("  total %.1fs\n", time_s() - t0);
  return test_finish("test_decomp");
}
