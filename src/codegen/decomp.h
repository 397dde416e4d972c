// Decompositions: transcendental ALU ops (EXP2 LOG2 SIN SQRT POW) rewritten to polynomials and bit ops
#ifndef TG_DECOMP_H
#define TG_DECOMP_H
#include "uop/rewrite.h"

/* The rule pass (tinygrad's get_transcendental_patterns, codegen/decomp/transcendental.py). float32 and
 * float64 get their own polynomials; float16/bfloat16 compute in float32 and round once. What it emits:
 * ADD MUL SUB FDIV NEG CMPLT CMPNE CMPEQ WHERE AND OR SHL SHR CMOD CAST BITCAST on float32/64 and
 * int32/uint32/int64/uint64 (float32 needs 64-bit integers only for SIN's Payne-Hanek reduction).
 * Max error measured against glibc (tests/test_decomp.c: every 4099th float32 bit pattern plus dense ranges,
 * 300k random float64 patterns plus ranges; subnormals, +-0, +-inf, NaN, |x| up to the largest finite value):
 *   float32: EXP2 1.054 ulp, LOG2 0.828, SIN 0.816, SQRT 0.750
 *   float64: EXP2 1.034 ulp, LOG2 0.710, SIN 0.800, SQRT 0.753
 * POW is exp2(y*log2|x|) with torch's sign rules, as tinygrad's xpow (not ulp-accurate for large results). */
extern Pass cg_decomp_pass;

// Rewrites every transcendental in a kernel AST (or any graph); the identity when there is none.
UOp *cg_decomp(UOp *ast);
#endif
