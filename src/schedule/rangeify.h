// Rangeify: turn a tensor graph indexed by RANGEs into a kernel graph (movement ops become index math)
#ifndef TG_RANGEIFY_H
#define TG_RANGEIFY_H
#include "uop/uop.h"
#include "base/hashmap.h"
#include "runtime/buffer.h"

/* A tensor-level INDEX is INDEX(x, valid, i0, i1, ...): the value of tensor node x at the given index
 * expressions (one per dim of x), with `valid` a bool that is false where the element is padding.
 * Its dtype is x's value dtype (kernel-level INDEX nodes have pointer dtypes instead).
 * The rangeify pass pushes these INDEX nodes down to the leaves: ALU ops distribute, movement ops
 * rewrite the index expressions, REDUCE_AXIS opens fresh reduce RANGEs, and buffers become LOADs. */
enum { RANGEIFY_MAX_BUFS = 4096, RANGEIFY_MAX_RANGES = 48 };   // buffers: the kernel ABI takes an array
// An elementwise node of at least RANGEIFY_ALU_COST ops that one kernel would evaluate more than
// RANGEIFY_ALU_RECOMPUTE times its element count is realized instead of inlined (unless it is so small
// that recomputing it costs less than a kernel launch).
enum { RANGEIFY_ALU_COST = 4, RANGEIFY_ALU_RECOMPUTE = 4, RANGEIFY_ALU_MIN_NUMEL = 1024 };
typedef struct RangeifyCtx {
  const HMap *realized;         // tensor node -> Buffer* holding its value (leaves and earlier kernels)
  UOp *current;                 // the node this kernel computes (never loaded from its own buffer)
  Buffer *bufs[RANGEIFY_MAX_BUFS];
  bool reads_old[RANGEIFY_MAX_BUFS]; // slot is read through a BUFFER leaf: the value before this schedule
  int nbufs;                    // DEFINE_GLOBAL slot -> buffer; slot 0 is the output
  int next_range;               // id of the next RANGE
  int parent[RANGEIFY_MAX_RANGES];   // loop nest of this kernel's ranges by id: enclosing range, -1 = none
  int64_t size[RANGEIFY_MAX_RANGES]; // trip count of each range
  UOp *origin[RANGEIFY_MAX_RANGES];  // the REDUCE_AXIS each reduce range came from (NULL for output ranges)
  HMap evals;                   // REDUCE_AXIS or ALU node -> evaluations so far in this kernel (see reduce_placement)
  HMap cost;                    // tensor node -> ALU ops inlining it costs (alu_cost), for the whole schedule
  UOp *realize_instead;         // set when inlining a node would recompute it: realize it and retry
} RangeifyCtx;

UOp *rfy_index(UOp *x, UOp *valid, UOp *const *idx, int n);    // build a tensor-level INDEX
UOp *rfy_range(RangeifyCtx *ctx, int64_t size, int kind, int parent);  // a fresh RANGE (kind 0 output, 1 reduce)
UOp *rfy_global(RangeifyCtx *ctx, Buffer *b);                   // DEFINE_GLOBAL for b (slot by first use)
UOp *rfy_linear(UOp *const *idx, const int64_t *shape, int n);  // row-major offset
UOp *rfy_run(RangeifyCtx *ctx, UOp *root);
// ALU ops in x's elementwise subtree, through movement ops, down to reduces, buffers and the ALU nodes in `stop`
// (those with a buffer of their own), capped at RANGEIFY_ALU_COST_CAP: what inlining x recomputes on every
// evaluation. memo caches it per node.
enum { RANGEIFY_ALU_COST_CAP = 64 };
int rfy_alu_cost(HMap *memo, const HMap *stop, UOp *x);
bool rfy_is_root(const RangeifyCtx *ctx, const UOp *x);         // x is what this kernel stores                      // apply the pass
#endif
