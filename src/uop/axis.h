// Range kinds: what a RANGE's loop stands for (the second element of its arg tuple (id, kind))
#ifndef TG_AXIS_H
#define TG_AXIS_H
#include "uop/uop.h"

/* AXIS_OUTPUT  a loop over an output axis (on a GPU: blocks of the grid)
 * AXIS_REDUCE  a loop a REDUCE owns
 * AXIS_LANE    SIMD lanes of a VECTORIZE opt, until opt_finish turns them into vector dtypes
 * AXIS_LOCAL   the threads of a block along an output axis (LOCAL opt)
 * AXIS_GROUP   the threads of a block along a reduce axis (GROUP/GROUPTOP opts): listed by its REDUCE until
 *              opt_finish lowers the reduce to per-thread parts in shared memory, a barrier and a final reduce;
 *              after that it is a thread index like AXIS_LOCAL.
 * AXIS_WARP    the 32 lanes of a warp that a TC opt's tensor-core instruction (WMMA) runs on together: the innermost
 *              thread range (threadIdx.x, of size 32, so each warp of the block is one trip of the other ranges).
 * LOCAL, GROUP and WARP ranges are "thread ranges": in the linear list they are loops the GPU renderers turn into
 * threadIdx and INTERP runs as virtual threads that wait for each other at every BARRIER (and every WMMA). */
enum { AXIS_OUTPUT = 0, AXIS_REDUCE = 1, AXIS_LANE = 2, AXIS_LOCAL = 3, AXIS_GROUP = 4, AXIS_WARP = 5 };

// A kernel SINK's INT arg holds flags; bits 8..15 are a THREAD opt's CPU thread count (0: none). See opt.h.
enum { KERNEL_THREADS_SHIFT = 8, KERNEL_THREADS_MAX = 255 };
static inline int kernel_threads(const UOp *sink) {
  return sink->op == OP_SINK && sink->arg.kind == ARG_INT ? (int)((sink->arg.i >> KERNEL_THREADS_SHIFT) & KERNEL_THREADS_MAX) : 0;
}

static inline int axis_kind(const UOp *r) { return r->arg.kind == ARG_TUPLE && r->arg.n >= 2 ? (int)r->arg.tup[1] : -1; }
static inline bool axis_is_thread(const UOp *r) {
  int k = axis_kind(r);
  return r->op == OP_RANGE && (k == AXIS_LOCAL || k == AXIS_GROUP || k == AXIS_WARP);
}
#endif
