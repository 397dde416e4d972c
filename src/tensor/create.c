// Tensor creation: from host data, empty, constants, ranges, identity
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool valid_dtype(const char *fn, tg_dtype dt) {
  if ((int)dt < TG_BOOL || dt > TG_FLOAT64) { tg_set_error("%s: invalid dtype %d", fn, (int)dt); return false; }
  return true;
}

static bool valid_shape(const char *fn, const int64_t *shape, int ndim) {
  if (ndim < 0 || ndim > TG_MAX_DIMS) { tg_set_error("%s: %d dims (must be 0..%d)", fn, ndim, TG_MAX_DIMS); return false; }
  if (ndim && !shape) { tg_set_error("%s: shape is NULL with %d dims", fn, ndim); return false; }
  for (int i = 0; i < ndim; i++)
    if (!dim_ok(shape[i])) {
      char s[256];
      shape_str(shape, ndim, s, sizeof s);
      tg_set_error("%s: negative dimension in shape %s", fn, s);
      return false;
    }
  return true;
}

static Device *default_device(const char *fn) {
  Device *d = dev_default();
  if (!d && !tg_has_error()) tg_set_error("%s: no default device", fn);
  return d;
}

// a tensor backed by a fresh buffer on d (NULL: the default device), optionally filled from host memory
static tg_tensor *buffer_tensor(const char *fn, const void *data, tg_dtype dt, const int64_t *shape, int ndim, Device *d) {
  if (!valid_dtype(fn, dt) || !valid_shape(fn, shape, ndim)) return NULL;
  if (!d && !(d = default_device(fn))) return NULL;
  Shape s = shape_of(shape, ndim);
  int64_t n = shape_numel(&s);
  Buffer *b = buf_new(d, (ScalarType)dt, n);
  if (data && n) {
    buf_ensure(b);
    if (buf_copyin(b, data, b->nbytes) != 0) { buf_unref(b); return NULL; }
  }
  return tensor_wrap(t_reshape(tensor_buffer_uop(b), shape, ndim), d);
}

tg_tensor *tg_from_data(const void *data, tg_dtype dt, const int64_t *shape, int ndim) {
  if (!data) { tg_set_error("tg_from_data: data is NULL"); return NULL; }
  for (int i = 0; i < ndim && shape; i++)
    if (dim_is_sym(shape[i])) { tg_set_error("tg_from_data: symbolic shape (make the tensor concrete, then tg_reshape it)"); return NULL; }
  return buffer_tensor("tg_from_data", data, dt, shape, ndim, NULL);
}

tg_tensor *tg_empty(const int64_t *shape, int ndim, tg_dtype dt) { return buffer_tensor("tg_empty", NULL, dt, shape, ndim, NULL); }

tg_tensor *tg_full(const int64_t *shape, int ndim, double value, tg_dtype dt) {
  if (!valid_dtype("tg_full", dt) || !valid_shape("tg_full", shape, ndim)) return NULL;
  Device *d = default_device("tg_full");
  return d ? tensor_wrap(t_const(value, (ScalarType)dt, shape, ndim), d) : NULL;
}
tg_tensor *tg_zeros(const int64_t *shape, int ndim, tg_dtype dt) { return tg_full(shape, ndim, 0, dt); }
tg_tensor *tg_ones(const int64_t *shape, int ndim, tg_dtype dt) { return tg_full(shape, ndim, 1, dt); }

tg_tensor *tg_full_like(tg_tensor *t, double value) {
  if (!t_check_inputs("tg_full_like", 1, t)) return NULL;
  return tensor_wrap(t_const(value, t->dtype, t->shape, t->ndim), t->dev);
}
tg_tensor *tg_zeros_like(tg_tensor *t) { return tg_full_like(t, 0); }
tg_tensor *tg_ones_like(tg_tensor *t) { return tg_full_like(t, 1); }

// Ranges are computed on the host in double and rounded once to the dtype (torch computes them the
// same way for float32), then uploaded.
static tg_tensor *host_series(const char *fn, double start, double step, int64_t n, tg_dtype dt, Device *dev) {
  if (!valid_dtype(fn, dt)) return NULL;
  size_t isz = (size_t)st_itemsize((ScalarType)dt);
  unsigned char *buf = malloc(n ? (size_t)n * isz : 1);
  TG_ASSERT(buf, "out of memory");
  for (int64_t i = 0; i < n; i++) {
    double v = start + (double)i * step;
    unsigned char *p = buf + (size_t)i * isz;
    switch ((ScalarType)dt) {
    case DT_FLOAT32: { float f = (float)v; memcpy(p, &f, 4); break; }
    case DT_FLOAT64: memcpy(p, &v, 8); break;
    case DT_INT32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
    case DT_INT64: { int64_t x = (int64_t)v; memcpy(p, &x, 8); break; }
    case DT_INT16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
    case DT_UINT16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case DT_UINT32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    case DT_UINT64: { uint64_t x = (uint64_t)v; memcpy(p, &x, 8); break; }
    case DT_INT8: { int8_t x = (int8_t)v; memcpy(p, &x, 1); break; }
    case DT_UINT8: case DT_BOOL: { uint8_t x = dt == TG_BOOL ? v != 0 : (uint8_t)v; memcpy(p, &x, 1); break; }
    default: {   // float16 / bfloat16: round through float32 like torch
      float f = (float)st_round_float((ScalarType)dt, v);
      uint32_t bits; memcpy(&bits, &f, 4);
      uint16_t h;
      if (dt == TG_BFLOAT16) h = (uint16_t)(bits >> 16);
      else {
        uint32_t sign = (bits >> 16) & 0x8000, e = (bits >> 23) & 255, m = bits & 0x7fffff;
        if (e == 255) h = (uint16_t)(sign | 0x7c00 | (m ? 0x200 : 0));
        else if (e > 112) h = (uint16_t)(sign | ((e - 112) << 10) | (m >> 13));
        else h = (uint16_t)(sign | (uint32_t)lrintf(fabsf(f) * 16777216.0f));
      }
      memcpy(p, &h, 2);
    }
    }
  }
  tg_tensor *t = buffer_tensor(fn, buf, dt, (int64_t[]){ n }, 1, dev);
  free(buf);
  return t;
}

tg_tensor *tg_arange(double start, double stop, double step, tg_dtype dt) {
  if (step == 0 || isnan(start) || isnan(stop) || isnan(step)) { tg_set_error("tg_arange: step must be nonzero and bounds finite (start %g, stop %g, step %g)", start, stop, step); return NULL; }
  double n = ceil((stop - start) / step);
  if (n > 1e12) { tg_set_error("tg_arange: %g elements is too many", n); return NULL; }
  return host_series("tg_arange", start, step, n > 0 ? (int64_t)n : 0, dt, NULL);
}

tg_tensor *tg_linspace(double start, double stop, int64_t steps, tg_dtype dt) {
  if (steps < 0) { tg_set_error("tg_linspace: steps must be >= 0, got %lld", (long long)steps); return NULL; }
  return host_series("tg_linspace", start, steps > 1 ? (stop - start) / (double)(steps - 1) : 0, steps, dt, NULL);
}

// start, start + step, ... (n values) on like's device: index helpers of ops whose inputs may live on any device
tg_tensor *t_arange_on(const tg_tensor *like, double start, double step, int64_t n, tg_dtype dt) {
  return like ? host_series("t_arange_on", start, step, n > 0 ? n : 0, dt, like->dev) : NULL;
}

tg_tensor *tg_eye(int64_t n, tg_dtype dt) {
  if (n < 0) { tg_set_error("tg_eye: n must be >= 0, got %lld", (long long)n); return NULL; }
  tg_tensor *r = tg_arange(0, (double)n, 1, TG_INT32);
  if (!r) return NULL;
  tg_tensor *a = tg_reshape(r, TG_SHAPE(n, 1)), *b = tg_reshape(r, TG_SHAPE(1, n));
  return tg_cast(tg_eq(a, b), dt);
}
