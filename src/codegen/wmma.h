// WMMA: one tensor-core instruction of a warp (mma.sync m16n8k16), its UOp form and its fragment layout
#ifndef TG_WMMA_H
#define TG_WMMA_H
#include "uop/uop.h"

/* A WMMA UOp is one lane's share of D = A (16x16) @ B (16x8) + C (16x8) computed by the 32 lanes of a warp together
 * (PTX mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32):
 *   dtype float32; sources: this lane's 8 elements of A, 4 of B (float16 or bfloat16 values), 4 of C (float32);
 *   arg TUPLE (16, 8, 16, input scalar type, component c, flags): the node's value is the lane's element c (0..3) of D.
 * The four components of one instruction are four nodes with the same sources, which a renderer emits as one mma.
 * Lane l holds, with g = l / 4 and t = l % 4 (the PTX ISA's groupID and threadID_in_group), e = j & 1:
 *   A[g + 8((j>>1)&1)][2t + e + 8(j>>2)]   for j = 0..7   (each pair e = 0, 1 in one register: contiguous along K)
 *   B[2t + e + 8(j>>1)][g]                 for j = 0..3   (B[k][n]; pairs along K)
 *   C[g + 8(c>>1)][2t + (c&1)]             for c = 0..3   (and D alike)
 * Flags WMMA_A_ROWS / WMMA_B_ROWS: that operand's sources are given with each 8x8 block transposed, so that pairs run
 * along M (A) or N (B), where the memory is contiguous (a row-major B, a transposed A):
 *   A[8((j>>1)&1) + 2t + e][8(j>>2) + g]        B[8(j>>1) + g][2t + e]
 * and the lanes exchange them into the instruction's layout first (movmatrix.trans: a transpose of each 8x8 block).
 * The lanes are the kernel's AXIS_WARP range (threadIdx.x), so every lane of a warp runs the instruction together. */
enum { WMMA_M = 16, WMMA_N = 8, WMMA_K = 16, WMMA_NA = 8, WMMA_NB = 4, WMMA_NC = 4, WMMA_SRCS = 16, WMMA_LANES = 32 };
enum { WMMA_A_ROWS = 1, WMMA_B_ROWS = 2 };

// Where source j of a lane (g, t) sits: as g * g_coef + 2t * t_coef + off, for the row and the column of A (m, k) or
// B (k, n). Exactly one of g_coef and t_coef is 1 for each coordinate.
typedef struct { int g, t, off; } WmmaAt;
static inline void wmma_a_at(int j, bool rows, WmmaAt *m, WmmaAt *k) {
  int e = j & 1, bm = 8 * ((j >> 1) & 1), bk = 8 * (j >> 2);
  *m = rows ? (WmmaAt){ 0, 1, bm + e } : (WmmaAt){ 1, 0, bm };
  *k = rows ? (WmmaAt){ 1, 0, bk } : (WmmaAt){ 0, 1, bk + e };
}
static inline void wmma_b_at(int j, bool rows, WmmaAt *k, WmmaAt *n) {
  int e = j & 1, bk = 8 * (j >> 1);
  *k = rows ? (WmmaAt){ 1, 0, bk } : (WmmaAt){ 0, 1, bk + e };
  *n = rows ? (WmmaAt){ 0, 1, e } : (WmmaAt){ 1, 0, 0 };
}
static inline int wmma_at(WmmaAt a, int lane) { return a.g * (lane / 4) + a.t * 2 * (lane % 4) + a.off; }
static inline int wmma_c_row(int c) { return 8 * (c >> 1); }
static inline int wmma_c_col(int c) { return c & 1; }

static inline ScalarType wmma_in_type(const UOp *w) { return (ScalarType)w->arg.tup[3]; }
static inline int wmma_component(const UOp *w) { return (int)w->arg.tup[4]; }
static inline int wmma_flags(const UOp *w) { return (int)w->arg.tup[5]; }

// Component c of the instruction on a (8), b (4), c (4) sources.
static inline UOp *wmma_node(UOp *const *src, ScalarType in, int c, int flags) {
  return uop_new(OP_WMMA, dt_scalar(DT_FLOAT32), src, WMMA_SRCS, arg_tuple((int64_t[]){ WMMA_M, WMMA_N, WMMA_K, in, c, flags }, 6));
}
// Two WMMA nodes of the same instruction (sources and layout equal, components may differ).
static inline bool wmma_same(const UOp *a, const UOp *b) {
  if (a->op != OP_WMMA || b->op != OP_WMMA || a->nsrc != b->nsrc || wmma_flags(a) != wmma_flags(b)) return false;
  for (uint32_t k = 0; k < a->nsrc; k++) if (a->src[k] != b->src[k]) return false;
  return true;
}
#endif
