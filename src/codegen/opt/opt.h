// Kernel opts: actions that reshape a kernel's loops (tinygrad's apply_opt), and the heuristics that pick them
#ifndef TG_OPT_H
#define TG_OPT_H
#include "uop/uop.h"

/* An opt acts on one RANGE of a kernel AST, named by its id (RANGE arg tuple (id, kind)).
 *   UPCAST axis k : an output range of size N (k | N) becomes N/k trips, and the kernel body is
 *                   repeated k times for the k consecutive indices (k independent stores and
 *                   accumulators, which the C compiler keeps in registers / SIMD lanes).
 *   UNROLL axis k : a reduce range of size M (k | M) becomes M/k trips; each trip combines k
 *                   consecutive elements. k == M removes the loop.
 * Reduces left with identical range lists share one loop (codegen/linearize.c). */
typedef enum { OPT_UPCAST, OPT_UNROLL } OptKind;
typedef struct Opt { OptKind kind; int axis; int amount; } Opt;

// Apply one opt; NULL (with a reason in why) when it is not valid for this kernel.
UOp *opt_apply(UOp *ast, Opt o, char *why, int whylen);
// Hand-coded heuristics (NOOPT=1: none). Applied opts are written to opts (up to max), count returned.
UOp *opt_heuristic(UOp *ast, Opt *opts, int max, int *nopts);
const char *opt_name(OptKind k);
#endif
