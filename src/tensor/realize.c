// Realizing tensors: schedule their graphs together, run the kernels, point each tensor at its buffer
#include "tensor/tensor.h"
#include "tensor/gradient.h"
#include "engine/realize.h"
#include "engine/schedule_cache.h"
#include "schedule/schedule.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tg_realize_many(tg_tensor **ts, int n) {
  for (int i = 0; i < n; i++) if (!ts[i]) { if (!tg_has_error()) tg_set_error("tg_realize_many: tensor %d is NULL", i); return -1; }
  if (n <= 0) return 0;
  UOp **roots = malloc((size_t)n * sizeof(UOp *));
  for (int i = 0; i < n; i++) roots[i] = ts[i]->uop;
  Device *dev = ts[0]->dev;
  for (int i = 1; i < n; i++)
    if (ts[i]->dev != dev) { free(roots); tg_set_error("tg_realize_many: tensors on %s and %s", dev->name, ts[i]->dev->name); return -1; }
  UOp *sink = uop_new(OP_SINK, DT_VOID_T, roots, n, arg_none());
  Schedule s;
  SchedKey key;                 // a graph shaped like one scheduled before runs that schedule again
  bool cached = scache_find(&key, sink, dev, &s);
  int rc = 0;
  if (!cached) {
    sink = grad_fn_strip(sink);                                  // custom gradients matter to autograd only
    memcpy(roots, sink->src, (size_t)n * sizeof(UOp *));
    rc = sched_create(&s, roots, n, dev);
  }
  if (rc == 0) rc = varvals_collect(&s.vars, sink);
  if (rc == 0) rc = eng_run(&s);
  if (rc == 0 && !cached) scache_add(&key, &s);
  scache_key_free(&key);
  if (rc == 0)
    for (int i = 0; i < n; i++) {
      if (sched_view_buffer(ts[i]->uop)) continue;          // already a buffer
      UOp *b = tensor_buffer_view_uop(s.outs[i]);
      ts[i]->uop = t_reshape(b, ts[i]->shape, ts[i]->ndim);
    }
  sched_free(&s);
  free(roots);
  tensor_gc_maybe();
  return rc;
}

tg_tensor *tg_realize(tg_tensor *t) { return tg_realize_many(&t, 1) == 0 ? t : NULL; }

int tg_data(tg_tensor *t, void *dst, size_t nbytes) {
  if (!t) { if (!tg_has_error()) tg_set_error("tg_data: input tensor is NULL"); return -1; }
  size_t want = (size_t)tg_numel(t) * (size_t)st_itemsize(t->dtype);
  if (nbytes != want) {
    char s[256];
    shape_str(t->shape, t->ndim, s, sizeof s);
    tg_set_error("tg_data: destination has %zu bytes, tensor %s %s needs %zu", nbytes, s, st_name(t->dtype), want);
    return -1;
  }
  if (tg_realize_many(&t, 1) != 0) return -1;
  Buffer *b = sched_view_buffer(t->uop);
  TG_ASSERT(b, "tg_data: realized tensor has no buffer");
  buf_ensure(b);
  if (nbytes == b->nbytes) return buf_copyout(b, dst, nbytes);
  // a symbolic shape: the buffer is sized for the largest values, the tensor is its packed prefix
  void *all = malloc(b->nbytes);
  TG_ASSERT(all, "out of memory");
  int rc = buf_copyout(b, all, b->nbytes);
  if (rc == 0) memcpy(dst, all, nbytes);
  free(all);
  return rc;
}

double tg_item(tg_tensor *t) {
  if (!t) { if (!tg_has_error()) tg_set_error("tg_item: input tensor is NULL"); return NAN; }
  if (tg_numel(t) != 1) {
    char s[256];
    shape_str(t->shape, t->ndim, s, sizeof s);
    tg_set_error("tg_item: tensor of shape %s has %lld elements, expected 1", s, (long long)tg_numel(t));
    return NAN;
  }
  union { double f64; float f32; int64_t i64; uint64_t u64; int32_t i32; uint32_t u32; int16_t i16; uint16_t u16; int8_t i8; uint8_t u8; } v;
  if (tg_data(t, &v, (size_t)st_itemsize(t->dtype)) != 0) return NAN;
  switch (t->dtype) {
  case DT_BOOL: case DT_UINT8: return v.u8;
  case DT_INT8: return v.i8;
  case DT_INT16: return v.i16;   case DT_UINT16: return v.u16;
  case DT_INT32: return v.i32;   case DT_UINT32: return v.u32;
  case DT_INT64: return (double)v.i64; case DT_UINT64: return (double)v.u64;
  case DT_FLOAT32: return v.f32; case DT_FLOAT64: return v.f64;
  case DT_FLOAT16: case DT_BFLOAT16: {
    float f;
    uint32_t bits;
    if (t->dtype == DT_BFLOAT16) bits = (uint32_t)v.u16 << 16;
    else {
      uint32_t h = v.u16, sign = (h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
      if (e == 31) bits = sign | 0x7f800000u | (m << 13);
      else if (e) bits = sign | ((e + 112) << 23) | (m << 13);
      else { float x = ldexpf((float)m, -24); memcpy(&bits, &x, 4); bits |= sign; }
    }
    memcpy(&f, &bits, 4);
    return f;
  }
  default: TG_UNREACHABLE("tg_item dtype");
  }
}

// Moving to another device realizes the source on its own device first, then copies its buffer.
tg_tensor *tg_to(tg_tensor *t, const char *device) {
  if (!t_check_inputs("tg_to", 1, t)) return NULL;
  Device *d = dev_get(device);
  if (!d) return NULL;
  if (d == t->dev) return t;
  if (!tg_realize(t)) return NULL;
  UOp *c = uop1(OP_COPY, t->uop->dtype, t->uop, arg_str(d->name));
  return tensor_wrap(c, d);
}

tg_tensor *tg_assign(tg_tensor *t, tg_tensor *value) {
  const char *fn = "tg_assign";
  if (!t_check_inputs(fn, 2, t, value)) return NULL;
  if (t->dev != value->dev) { tg_set_error("%s: target on %s, value on %s", fn, t->dev->name, value->dev->name); return NULL; }
  tg_tensor *v = tg_expand(value, t->shape, t->ndim);     // broadcast the value to the target's shape
  if (!v) {
    char st[256], sv[256];
    shape_str(t->shape, t->ndim, st, sizeof st);
    shape_str(value->shape, value->ndim, sv, sizeof sv);
    tg_clear_error();
    tg_set_error("%s: value of shape %s does not broadcast to the target's %s", fn, sv, st);
    return NULL;
  }
  if (!sched_view_buffer(t->uop) && !tg_realize(t)) return NULL;   // the target must own a buffer
  UOp *val = t_cast(v->uop, t->dtype);
  t->uop = uop2(OP_ASSIGN, t->uop->dtype, t->uop, val, arg_none());
  return t;
}
