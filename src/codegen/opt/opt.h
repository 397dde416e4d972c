// Kernel opts: actions that reshape a kernel's loops (tinygrad's apply_opt), and the heuristics that pick them
#ifndef TG_OPT_H
#define TG_OPT_H
#include "uop/uop.h"
#include "uop/axis.h"
#include "renderer/caps.h"

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
/* GPU opts (only where caps->has_local; at most 3 thread ranges of caps->local_max threads a block in all; no
 * VECTORIZE in the same kernel). The new range takes the next free id.
 *   LOCAL axis k    : an output axis of size N (k | N) becomes N/k trips (blocks) times k threads of a block: a
 *                   thread range of kind AXIS_LOCAL, the inner part (r -> r' * k + l).
 *   GROUP axis k    : a reduce axis of size M (k | M) becomes M/k trips per thread times k threads (kind AXIS_GROUP),
 *                   the inner part (r -> r' * k + g: neighbouring threads read neighbouring elements). Each thread
 *                   reduces its part; opt_finish lowers the REDUCE (codegen/opt/group.c): parts go to shared memory
 *                   (DEFINE_LOCAL, at most caps->shared_max bytes in all), a BARRIER, and every thread of the group
 *                   reduces the k parts itself, so every thread holds the result and stores it (the same value to
 *                   the same address: no gate, and no thread waits on another's store).
 *   GROUPTOP axis k : GROUP with the thread as the outer part (r -> g * (M/k) + r': each thread a contiguous chunk).
 *   NOLOCALS        : (axis and amount unused) the kernel gets no thread ranges: it runs on the device's flat
 *                   default block, and later LOCAL/GROUP opts are refused. Marked on the kernel SINK's arg. */
/* Tensor cores (only where caps->tc: CUDA sm_80 and later; codegen/opt/tc.c, the WMMA node in codegen/wmma.h):
 *   TC axis k       : (amount unused) the kernel's one REDUCE is a sum (float32, or the inputs' 16-bit type) of
 *                   products of two float16 (or two bfloat16) values, each maybe CAST to float32 (a matmul, a
 *                   convolution); k is a reduce axis both depend on (K, a multiple of 16), M is the innermost output
 *                   axis only the first factor depends on (a multiple of 16), N the same for the second (a multiple
 *                   of 8). Must come first (no thread ranges, no VECTORIZE yet). Each 16 x 8 tile of the output is
 *                   computed by one warp: a thread range of 32 lanes (kind AXIS_WARP, always threadIdx.x) and four
 *                   WMMA nodes (mma.sync m16n8k16 with float32 accumulation: a float16 sum becomes more precise, rounded
 *                   once at the end) per 16-step of K, each lane loading its fragments of A and B straight from memory;
 *                   the stores are repeated for the lane's four elements of the tile. Each lane takes 4 consecutive
 *                   elements of every 16-step of K (any order sums the same; 8-byte loads), and an operand whose memory
 *                   runs along M (A) or N (B) is loaded that way and transposed across the warp (WMMA flags). M, N, K
 *                   become M/16, N/8, K/16 trips (gone at 1). LOCAL (more warps a block), UPCAST (more tiles a warp),
 *                   UNROLL (the linearizer still folds each step's mma into the accumulators) and GROUP may follow.
 *                   INTERP runs a WMMA with all 32 lanes' fragments (a warp-wide meeting point, as a BARRIER is). */
/* CPU opt (only where there are no locals):
 *   THREAD axis n   : the output axis is the one split over CPU threads, by at most n threads (1: the kernel runs
 *                   on the calling thread). The parallel range is the outermost output loop, so the axis is swapped
 *                   there first (as SWAP); n is marked on the kernel SINK's arg (Program.par_threads). Without a
 *                   THREAD opt the outermost output axis is threaded over every worker (tp_threads()). */
typedef enum { OPT_UPCAST, OPT_UNROLL, OPT_VECTORIZE, OPT_SWAP, OPT_PADTO, OPT_LOCAL, OPT_GROUP, OPT_GROUPTOP, OPT_NOLOCALS,
               OPT_THREAD, OPT_TC, OPT_NKINDS } OptKind;
enum { OPT_LANE_KIND = AXIS_LANE };   // RANGE kind of a VECTORIZE lane before opt_finish
enum { KERNEL_NOLOCALS = 1 };         // bit of a kernel SINK's INT arg
typedef struct Opt { OptKind kind; int axis; int amount; } Opt;
UOp *opt_thread(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen);   // codegen/opt/thread.c

// Apply one opt for a backend with caps (NULL: a host backend, no locals); NULL (with a reason in why) when it is
// not valid for this kernel.
UOp *opt_apply(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen);
// Lowers GROUP reduces and turns the VECTORIZE lane (if any) into vector dtypes; the AST is ready for the linearizer.
UOp *opt_finish(UOp *ast);
UOp *opt_lane_range(UOp *ast);
// The expander for one lane range (see VECTORIZE); NULL with a reason when some node cannot be vectorized.
UOp *opt_vectorize_lane(UOp *ast, UOp *lane, char *why, int whylen);
// GROUP lowering (see GROUP); *smem_bytes (may be NULL) gets the shared memory the kernel then uses.
UOp *opt_lower_groups(UOp *ast, int64_t *smem_bytes);
// Hand-coded heuristics (NOOPT=1: none) for a backend with caps (NULL: no SIMD, no locals): the CPU's
// (codegen/opt/heuristic.c) or, where caps->has_local, the GPU's (codegen/opt/heuristic_gpu.c).
// Applied opts are written to opts (up to max), their count to *nopts. The result still needs opt_finish.
UOp *opt_heuristic(UOp *ast, const RendererCaps *caps, Opt *opts, int max, int *nopts);
UOp *opt_heuristic_gpu(UOp *ast, const RendererCaps *caps, Opt *opts, int max, int *nopts);
const char *opt_name(OptKind k);
#endif
