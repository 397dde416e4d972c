// Loop nest analysis of a kernel graph: which RANGEs each node depends on, and where each node lives
#ifndef TG_NEST_H
#define TG_NEST_H
#include "uop/uop.h"
#include "base/hashmap.h"

/* A kernel graph has RANGE nodes (arg TUPLE (id, kind)) and REDUCE nodes (src = value, ranges...).
 * Output ranges (those no REDUCE owns) nest in order of id; a REDUCE's own ranges nest, in source
 * order, inside the scope where the REDUCE is placed. Every node is placed in the innermost scope
 * among the ranges it depends on, so loop-invariant work is computed once, outside inner loops.
 * Thread ranges (LOCAL/GROUP, uop/axis.h) nest inside all other output ranges, and a node that depends on any of
 * them is placed inside the innermost. */
enum { NEST_MAX_RANGES = 64, NEST_ROOT = -1 };

typedef struct Nest {
  int nranges;
  UOp *range[NEST_MAX_RANGES];     // index -> RANGE node
  int parent[NEST_MAX_RANGES];     // enclosing range index, or NEST_ROOT
  int depth[NEST_MAX_RANGES];      // 1 for the outermost loop
  UOp *owner[NEST_MAX_RANGES];     // the REDUCE that owns the range, NULL for output ranges
  HMap free;                       // node -> bitmask of ranges it depends on (not bound inside it)
  const UOpList *topo;
  bool split_reduce;               // reduces sharing a range would be placed in different scopes
  uint64_t thread_mask;            // the thread ranges (uop/axis.h) no REDUCE owns: the innermost output ranges
} Nest;

void     nest_build(Nest *n, UOp *root);
void     nest_free(Nest *n);
uint64_t nest_free_mask(const Nest *n, UOp *u);
int      nest_range_index(const Nest *n, UOp *range);     // -1 if not a range of this kernel
int      nest_place(const Nest *n, UOp *u);               // the range index u is placed in, or NEST_ROOT
// How many times a REDUCE is recomputed for each distinct value: the product of the trip counts of the
// enclosing loops it does not depend on (INT64_MAX when one is not a constant).
int64_t  nest_recompute_factor(const Nest *n, UOp *reduce);
int64_t  nest_range_size(const UOp *range);               // trip count, -1 when symbolic
#endif
