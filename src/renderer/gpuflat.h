// GPU launch shape: which output ranges of a program one flat global thread index covers
#ifndef TG_GPUFLAT_H
#define TG_GPUFLAT_H
#include "codegen/program.h"

enum { GPU_FLAT_MAX = 8 };

/* The CPU runs a program's parallel RANGE split across a few threads and loops over the rest. A GPU wants
 * a thread per output element, so the GPU dialects also spread the output ranges nested directly inside
 * the parallel one over threads: range k+1 joins when it is an output range (kind 0) of constant size
 * that opens inside range k after nothing but side-effect-free nodes (index math, loads) and whose END is
 * the last thing inside range k. Such a chain behaves as one loop over the product of the sizes.
 * Fills out[0..n) with the chain, out[0] == p->par_range, and returns n (0 without a parallel range of
 * constant size). */
int gpu_flat_ranges(const Program *p, UOp **out, int max);
// Product of the sizes of out[1..n) (the trips of the flat index per trip of the parallel range).
int64_t gpu_flat_inner(UOp *const *chain, int n);
#endif
