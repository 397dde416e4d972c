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
 *   VECTORIZE axis w : (w a power of two dividing the axis) the axis becomes N/w trips times w SIMD
 *                   lanes: a lane RANGE (kind OPT_LANE_KIND) that opt_finish turns into vector dtypes
 *                   (codegen/opt/vectorize.c). Contiguous loads and stores become vector accesses, the rest
 *                   gathers and scatters; over a reduce axis the lanes are combined after the loop. At most
 *                   one per kernel; UPCAST/UNROLL of the remaining N/w trips make copies of the vectors.
 * Opts apply in order; opt_finish must run on the result before linearizing. Reduces left with identical
 * range lists share one loop (codegen/linearize.c). */
/*   SWAP axis b     : (amount = the other axis's id) two output axes exchange places in the loop nest, e.g.
 *                   to walk a matmul by column panels so each panel of B stays in cache across all rows;
 *                   the outermost output loop is the one split over threads. */
/*   PADTO axis m    : an axis of n trips (m not dividing n) grows to the next multiple of m, at most by a quarter;
 *                   every load and store whose index uses it is gated by axis < n (the extra trips store
 *                   nothing and load 0), so UPCAST/VECTORIZE by m apply. On a reduce axis only when every
 *                   reduce over it adds terms that are 0 wherever a gated load is (a sum of products). */
typedef enum { OPT_UPCAST, OPT_UNROLL, OPT_VECTORIZE, OPT_SWAP, OPT_PADTO, OPT_NKINDS } OptKind;
enum { OPT_LANE_KIND = 2 };   // RANGE kind of a VECTORIZE lane before opt_finish
typedef struct Opt { OptKind kind; int axis; int amount; } Opt;

// Apply one opt; NULL (with a reason in why) when it is not valid for this kernel.
UOp *opt_apply(UOp *ast, Opt o, char *why, int whylen);
// Turns the VECTORIZE lane (if any) into vector dtypes; the AST is ready for the linearizer.
UOp *opt_finish(UOp *ast);
UOp *opt_lane_range(UOp *ast);
// The expander for one lane range (see VECTORIZE); NULL with a reason when some node cannot be vectorized.
UOp *opt_vectorize_lane(UOp *ast, UOp *lane, char *why, int whylen);
// Hand-coded heuristics (NOOPT=1: none) for a backend whose vectors hold vector_bytes (0: no SIMD opts).
// Applied opts are written to opts (up to max), their count to *nopts. The result still needs opt_finish.
UOp *opt_heuristic(UOp *ast, int vector_bytes, Opt *opts, int max, int *nopts);
const char *opt_name(OptKind k);
#endif
