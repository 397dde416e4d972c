// Tensor internals: the handle struct, scopes, shapes of tensor-graph UOps, and op helpers
#ifndef TG_TENSOR_H
#define TG_TENSOR_H
#include "tinygrad.h"
#include "runtime/device.h"
#include "uop/uop.h"
#include "base/error.h"

#define TG_MAX_DIMS 16

struct tg_tensor {
  UOp *uop;                 // lazy graph; a view of a BUFFER once realized
  Device *dev;
  ScalarType dtype;
  int ndim;
  int64_t shape[TG_MAX_DIMS];
  bool requires_grad;
  tg_tensor *grad;
  int scope;                // depth of the owning scope (0 = outside every scope)
  tg_tensor *prev, *next;   // the global list of live tensors (GC roots)
};

// ---- creating handles ----
tg_tensor *tensor_wrap(UOp *u, Device *dev);           // new handle in the current scope; shape from u
UOp *tensor_buffer_uop(Buffer *b);                       // a new BUFFER node taking over the caller's ref to b
UOp *tensor_buffer_view_uop(Buffer *b);                  // b's BUFFER node, made (with its own ref) if needed
tg_tensor *tensor_live_next(tg_tensor *t);               // iterate the live handles: NULL gives the first, NULL ends

// ---- shapes of tensor-graph UOps (cached until the next GC) ----
typedef struct Shape { int ndim; int64_t d[TG_MAX_DIMS]; } Shape;
const Shape *ushape(UOp *u);
int64_t shape_numel(const Shape *s);        // elements; a symbolic dim (tensor/symdim.h) at its largest value
int64_t shape_numel_dim(const Shape *s);    // elements as a dimension (a token when symbolic)
bool shape_eq(const Shape *a, const Shape *b);
void shape_str(const int64_t *d, int n, char *buf, int len);   // "(2, 3)"
Shape shape_of(const int64_t *d, int n);

// ---- graph builders for tensor ops (no validation: callers validate) ----
UOp *t_reshape(UOp *u, const int64_t *shape, int n);
UOp *t_expand(UOp *u, const int64_t *shape, int n);
UOp *t_permute(UOp *u, const int *order, int n);
UOp *t_pad(UOp *u, const int64_t *pads, int n);          // pads: (before, after) per axis, >= 0
UOp *t_shrink(UOp *u, const int64_t *be, int n);         // (begin, end) per axis
UOp *t_flip(UOp *u, const int *flags, int n);            // flags: 1 = flipped, per axis
UOp *t_reduce(UOp *u, Op op, const int *axes, int naxes);// keepdim
UOp *t_const(double v, ScalarType dt, const int64_t *shape, int n);   // broadcast constant
UOp *t_cast(UOp *u, ScalarType dt);
struct Shape;
UOp *t_broadcast_to(const tg_tensor *t, const struct Shape *s);   // reshape + expand to s
tg_tensor *t_scalar_like(tg_tensor *t, double v);              // 0-d scalar operand for t (torch rules)
tg_tensor *t_dim_scalar(int64_t dim, const tg_tensor *like);   // 0-d tensor of like's dtype holding a dimension's value
tg_tensor *t_arange_on(const tg_tensor *like, double start, double step, int64_t n, tg_dtype dt);   // on like's device

// ---- validation helpers that record the error and return false ----
bool t_check_inputs(const char *fn, int n, ...);        // all non-NULL (keeps the first error)
bool t_check_concrete(const char *fn, const tg_tensor *t, int axis);   // axis < 0: every axis; no symbolic dim
int  t_norm_axis(const char *fn, const tg_tensor *t, int axis, bool allow_end);   // -1 on error
extern _Thread_local int tensor_scope_depth;
void tensor_gc_maybe(void);                              // a safe point: collect if memory grew
#endif
