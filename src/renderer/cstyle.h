// C renderer: a Program's linear UOp list -> one C function (the source the CPU backend compiles)
#ifndef TG_CSTYLE_H
#define TG_CSTYLE_H
#include "codegen/program.h"

/* Renders p->lin as a self-contained C translation unit (no #includes) exporting
 *   void <fn_name>(void **bufs, const int64_t *vars, int64_t start, int64_t end);
 * bufs[i] is DEFINE_GLOBAL slot i, vars[i] is p->vars[i]'s value; the parallel RANGE (p->par_range)
 * runs over [start, end), every other program ignores start/end. The semantics (shared with INTERP):
 *   - integer arithmetic wraps (two's complement: int32/int64 add/sub/mul/neg go through the unsigned type; no -fwrapv, which GCC 12 miscompiles);
 *   - CDIV/CMOD truncate as C; x/0 = x%0 = 0, INT_MIN/-1 = INT_MIN, x%-1 = 0 (no traps);
 *   - SHL/SHR as torch: a shift count outside [0, bits) gives 0 (SHR of a negative: -1);
 *   - MAX as torch.maximum: NaN if either operand is NaN, else the larger (first on ties);
 *   - float16/bfloat16 are stored as 16 bits, computed in float32 and rounded after every op;
 *   - float -> int conversions follow x86 (see renderer/cprelude.h), bool casts are (x != 0);
 *   - bool is stored as one byte; a load treats any nonzero byte as true.
 * Thread ranges (LOCAL opts) are plain loops here; shared memory and barriers (GROUP opts) are not expressible.
 * Returns a malloc'd string, or NULL with tg_set_error for what this renderer cannot express
 * (vector pointers, DEFINE_LOCAL, BARRIER, SPECIAL, WMMA ...). */
char *rend_c(Program *p, const char *fn_name);

/* The CUDA dialect of the same renderer (NVRTC CUDA C++, same semantics as above):
 *   extern "C" __global__ void __launch_bounds__(block) <fn_name>(void *tg_b0, ..., long long tg_v0, ...,
 *                                                                long long start, long long end);
 * one parameter per buffer slot and per var, then the parallel range's [start, end), which the grid covers
 * with a grid-stride loop (launch with blockDim.x == block, any gridDim.x). A program without a parallel
 * range is rendered for one thread (launch bound 1). A program with thread ranges (p->nlocal) ignores `block`:
 * its ranges are threadIdx.x/y/z (launch with blockDim = p->local_size), DEFINE_LOCAL is __shared__, BARRIER is
 * __syncthreads(), and the grid-stride loop hands out whole blocks ([start, end) counts blocks). The four WMMA nodes of a
 * tensor-core instruction are one inline-PTX mma.sync (cudaprelude.h TG_CUDA_MMA); the C dialect refuses WMMA. */
char *rend_cuda(Program *p, const char *fn_name, int block);

// The C value type of a scalar type as rendered ("float" for float16/bfloat16, "int64_t" for index).
const char *rend_c_type(ScalarType s);
#endif
