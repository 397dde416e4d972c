// Test support for the runtime tests: building linear Programs by hand, buffers, running on a device
#ifndef TG_RTLIB_H
#define TG_RTLIB_H
#include "runtime/device.h"
#include "uop/uop.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- building linear programs: E() lists a node after its (not yet listed) sources ----
typedef struct { UOp *items[4096]; int n; } PB;

static inline UOp *E(PB *b, UOp *u) {
  for (int i = 0; i < b->n; i++) if (b->items[i] == u) return u;
  for (uint32_t k = 0; k < u->nsrc; k++) E(b, u->src[k]);
  if (b->n < 4096) b->items[b->n++] = u;
  return u;
}

static inline Program *prog(PB *b, const char *name, int nbufs, UOp *par, UOp **vars, int nvars) {
  Program *p = calloc(1, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  p->lin = malloc(sizeof(UOp *) * (size_t)b->n);
  memcpy(p->lin, b->items, sizeof(UOp *) * (size_t)b->n);
  p->nlin = b->n;
  p->nbufs = nbufs;
  p->nvars = nvars;
  p->vars = nvars ? malloc(sizeof(UOp *) * (size_t)nvars) : NULL;
  if (nvars) memcpy(p->vars, vars, sizeof(UOp *) * (size_t)nvars);
  p->par_range = par;
  p->par_size = !par ? 0 : par->src[0]->op == OP_CONST ? par->src[0]->arg.i : -1;
  return p;
}

static inline UOp *glob(ScalarType t, int64_t n, int slot) { return uop0(OP_DEFINE_GLOBAL, dt_ptr(dt_scalar(t), ADDR_GLOBAL, n), arg_int(slot)); }
static inline UOp *rng(UOp *end, int id, int kind) { int64_t t[2] = { id, kind }; return uop1(OP_RANGE, end->dtype, end, arg_tuple(t, 2)); }
static inline UOp *ix(UOp *buf, UOp *i) { return uop2(OP_INDEX, buf->dtype, buf, i, arg_none()); }
static inline UOp *ixg(UOp *buf, UOp *i, UOp *g) { return uop3(OP_INDEX, buf->dtype, buf, i, g, arg_none()); }
static inline UOp *ld(UOp *index) { return uop1(OP_LOAD, dt_scalar((ScalarType)index->dtype.scalar), index, arg_none()); }
static inline UOp *stor(UOp *index, UOp *v) { return uop2(OP_STORE, DT_VOID_T, index, v, arg_none()); }
static inline UOp *endr(UOp *r) { return uop1(OP_END, DT_VOID_T, r, arg_none()); }
static inline UOp *bin(Op op, UOp *a, UOp *b) { return uop2(op, op_is_comparison(op) ? DT_BOOL_T : a->dtype, a, b, arg_none()); }
static inline UOp *un(Op op, UOp *a) { return uop1(op, a->dtype, a, arg_none()); }
static inline UOp *ic(int64_t v) { return uop_iconst(v); }
static inline UOp *fc(double v) { return uop_const(DT_FLOAT_T, v); }

static inline Buffer *mkbuf(Device *d, ScalarType t, int64_t n, const void *data) {
  Buffer *b = buf_new(d, t, n);
  if (data) buf_copyin(b, data, b->nbytes);
  else { buf_ensure(b); memset(b->ptr, 0, b->nbytes); }
  return b;
}

static inline int run(const char *dev, Program *p, Buffer **bufs, const int64_t *vars) {
  Device *d = dev_get(dev);
  if (!d || d->compile(d, p) != 0) return -1;
  return d->exec(d, p, bufs, vars);
}

static inline UOp *sink2(UOp *a, UOp *b) { return uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ a, b }, 2, arg_none()); }
#endif
