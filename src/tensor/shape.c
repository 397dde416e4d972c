// Shapes of tensor-graph UOps: inferred from each op's sources and arg, cached until the next GC
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "runtime/buffer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static HMap cache;            // UOp* -> Shape*
static uint64_t cache_epoch;

Shape shape_of(const int64_t *d, int n) {
  Shape s = { .ndim = n };
  TG_ASSERT(n >= 0 && n <= TG_MAX_DIMS, "shape with %d dims (max %d)", n, TG_MAX_DIMS);
  if (n) memcpy(s.d, d, (size_t)n * 8);   // d may be NULL for 0-d shapes
  return s;
}

int64_t shape_numel(const Shape *s) {      // symbolic dims count at their largest (what a buffer must hold)
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n *= dim_max(s->d[i]);
  return n;
}

int64_t shape_numel_dim(const Shape *s) {
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) n = dim_mul(n, s->d[i]);
  return n;
}

bool shape_eq(const Shape *a, const Shape *b) { return a->ndim == b->ndim && !memcmp(a->d, b->d, (size_t)a->ndim * 8); }

void shape_str(const int64_t *d, int n, char *buf, int len) {
  int k = snprintf(buf, (size_t)len, "(");
  for (int i = 0; i < n && k < len; i++) {
    char one[128];
    dim_str(d[i], one, sizeof one);
    k += snprintf(buf + k, (size_t)(len - k), i ? ", %s" : "%s", one);
  }
  if (n == 1 && k < len) k += snprintf(buf + k, (size_t)(len - k), ",");
  if (k < len) snprintf(buf + k, (size_t)(len - k), ")");
}

static Shape infer(UOp *u) {
  const Arg *a = &u->arg;
  switch ((Op)u->op) {
  case OP_BUFFER: return shape_of((int64_t[]){ ((Buffer *)a->ptr)->size }, 1);
  case OP_CONST: case OP_DEFINE_VAR: case OP_BIND: return (Shape){ 0 };
  case OP_RESHAPE: case OP_EXPAND: return shape_of(a->tup, (int)a->n);
  case OP_PERMUTE: {
    const Shape *s = ushape(u->src[0]);
    Shape r = { .ndim = s->ndim };
    for (int i = 0; i < s->ndim; i++) r.d[i] = s->d[a->tup[i]];
    return r;
  }
  case OP_PAD: case OP_SHRINK: {
    Shape r = *ushape(u->src[0]);
    for (int i = 0; i < r.ndim; i++)
      r.d[i] = u->op == OP_PAD ? dim_add(dim_add(r.d[i], a->tup[2 * i]), a->tup[2 * i + 1]) : dim_sub(a->tup[2 * i + 1], a->tup[2 * i]);
    return r;
  }
  case OP_REDUCE_AXIS: {
    Shape r = *ushape(u->src[0]);
    for (uint32_t i = 1; i < a->n; i++) r.d[a->tup[i]] = 1;
    return r;
  }
  case OP_ASSIGN: return *ushape(u->src[0]);
  default:
    // ALU, CAST, BITCAST, CONTIGUOUS, DETACH, GRAD_FN, COPY, FLIP...: the shape of the first shaped source
    TG_ASSERT(u->nsrc > 0, "ushape: no shape rule for %s", op_name((Op)u->op));
    return *ushape(u->src[u->op == OP_WHERE ? 1 : 0]);
  }
}

const Shape *ushape(UOp *u) {
  if (cache_epoch != uop_gc_epoch()) {
    for (int64_t i = 0; i < cache.cap; i++) if (cache.keys[i]) free((void *)(uintptr_t)cache.vals[i]);
    hmap_clear(&cache);
    cache_epoch = uop_gc_epoch();
  }
  Shape *s = HMAP_PTR(&cache, u);
  if (s) return s;
  // infer sources first with an explicit stack (graphs can be deep); usually they are cached
  VEC(UOp *) stack = { 0 };
  vec_push(&stack, u);
  while (stack.len) {
    UOp *x = vec_last(&stack);
    if (HMAP_PTR(&cache, x)) { stack.len--; continue; }
    bool ready = true;
    for (uint32_t i = 0; i < x->nsrc; i++)
      if (!HMAP_PTR(&cache, x->src[i]) && x->src[i]->dtype.scalar != DT_VOID) { ready = false; vec_push(&stack, x->src[i]); }
    if (!ready) continue;
    Shape *ns = malloc(sizeof *ns);
    TG_ASSERT(ns, "out of memory");
    *ns = infer(x);
    HMAP_PUT_PTR(&cache, x, ns);
    stack.len--;
  }
  vec_free(&stack);
  return HMAP_PTR(&cache, u);
}
