// The CUDA dialect's prelude: what lets NVRTC compile the C renderer's kernel bodies as CUDA C++
#ifndef TG_CUDAPRELUDE_H
#define TG_CUDAPRELUDE_H
/* The C renderer writes GCC C: _Bool, restrict, __builtin_* math and memcpy, and the shared helpers of
 * cprelude.h (plain `static inline` functions, made __device__ by NVRTC's -default-device). NVRTC knows
 * none of these names, so they are mapped onto CUDA's own here. Fixed-width integer types come from these
 * typedefs (NVRTC has no <stdint.h> without an include path). Values keep the C renderer's semantics:
 * float16/bfloat16 are stored as 16 bits and computed in float32 with a rounding after every op.
 * tg_smax: signed integer MAX as an unsigned compare of sign-flipped values. ptxas 13.0 (sm_90) folds
 * negated operands into its 3-input VIMNMX3 and drops some of the negations, so max(-a, -b, ...) (how a MIN
 * of ints is written) came out wrong; the unsigned form keeps it from that fold. */
static const char TG_CUDA_PRELUDE[] =
  "typedef signed char int8_t; typedef short int16_t; typedef int int32_t; typedef long long int64_t;\n"
  "typedef unsigned char uint8_t; typedef unsigned short uint16_t; typedef unsigned int uint32_t; "
  "typedef unsigned long long uint64_t;\n"
  "#define _Bool bool\n"
  "#define restrict __restrict__\n"
  "#define __builtin_memcpy memcpy\n"
  "#define __builtin_exp2f exp2f\n#define __builtin_log2f log2f\n#define __builtin_sinf sinf\n"
  "#define __builtin_sqrtf sqrtf\n#define __builtin_truncf truncf\n#define __builtin_powf powf\n"
  "#define __builtin_exp2 exp2\n#define __builtin_log2 log2\n#define __builtin_sin sin\n"
  "#define __builtin_sqrt sqrt\n#define __builtin_trunc trunc\n#define __builtin_pow pow\n"
  "#define __builtin_nanf(s) __int_as_float(0x7fc00000)\n"
  "#define __builtin_nan(s) __longlong_as_double(0x7ff8000000000000LL)\n"
  "#define __builtin_inff() __int_as_float(0x7f800000)\n"
  "#define __builtin_inf() __longlong_as_double(0x7ff0000000000000LL)\n"
  "static inline int tg_smax(int a, int b) { unsigned x = (unsigned)a ^ 0x80000000u, y = (unsigned)b ^ 0x80000000u; "
  "return (int)((x < y ? y : x) ^ 0x80000000u); }\n"
  "static inline long long tg_smax(long long a, long long b) { unsigned long long x = (unsigned long long)a ^ 0x8000000000000000ULL, "
  "y = (unsigned long long)b ^ 0x8000000000000000ULL; return (long long)((x < y ? y : x) ^ 0x8000000000000000ULL); }\n";

/* float16/bfloat16 conversions by PTX cvt (round to nearest even, overflow to inf, as the C prelude's): they
 * replace cprelude.h's bit-twiddling versions in CUDA kernels. cvt makes every NaN canonical, so NaNs take the C
 * prelude's path (quiet, payload kept), which bitcasts can see. tg_rh/tg_rbf (a rounding after every op, on
 * hot paths) check for NaN once, on the float. */
static const char TG_CUDA_HALF[] =
  "static inline float tg_h2f(uint16_t h) { float f; asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h)); "
  "return (h & 0x7fffu) > 0x7c00u ? __uint_as_float(((uint32_t)(h & 0x8000u) << 16) | 0x7f800000u | ((uint32_t)(h & 0x3ffu) << 13)) : f; }\n"
  "static inline uint16_t tg_f2h(float f) { uint16_t h; asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f)); uint32_t u = __float_as_uint(f); "
  "return (u & 0x7fffffffu) > 0x7f800000u ? (uint16_t)(((u >> 16) & 0x8000u) | 0x7e00u | ((u >> 13) & 0x3ffu)) : h; }\n"
  "static inline float tg_rh(float f) { float r; asm(\"{ .reg .f16 t; cvt.rn.f16.f32 t, %1; cvt.f32.f16 %0, t; }\" : \"=f\"(r) : \"f\"(f)); "
  "return f != f ? __uint_as_float((__float_as_uint(f) & 0xffffe000u) | 0x00400000u) : r; }\n";
static const char TG_CUDA_BF16[] =
  "static inline float tg_bf2f(uint16_t h) { return __uint_as_float((uint32_t)h << 16); }\n"
  "static inline uint16_t tg_f2bf(float f) { uint16_t h; asm(\"cvt.rn.bf16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f)); uint32_t u = __float_as_uint(f); "
  "return (u & 0x7fffffffu) > 0x7f800000u ? (uint16_t)((u >> 16) | 0x40u) : h; }\n"
  "static inline float tg_rbf(float f) { uint16_t h; asm(\"cvt.rn.bf16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f)); "
  "return f != f ? __uint_as_float((__float_as_uint(f) & 0xffff0000u) | 0x00400000u) : tg_bf2f(h); }\n";

/* Tensor cores (WMMA nodes, codegen/wmma.h): one warp-wide mma.sync m16n8k16 with float32 accumulation. A lane's
 * fragments are pairs of 16-bit values packed low half first (the PTX ISA's layout: a0 a1 in the first register);
 * tg_movt transposes an 8x8 block of such pairs across the warp (an operand loaded with pairs along M or N). */
static const char TG_CUDA_MMA[] =
  "static inline uint32_t tg_pack2(uint16_t lo, uint16_t hi) { return (uint32_t)lo | ((uint32_t)hi << 16); }\n"
  "static inline uint32_t tg_movt(uint32_t a) { uint32_t d; asm(\"movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;\" : \"=r\"(d) : \"r\"(a)); "
  "return d; }\n"
  "static inline void tg_mma_f16(float *d, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1, "
  "float c0, float c1, float c2, float c3) { asm(\"mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
  "{%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\" : \"=f\"(d[0]), \"=f\"(d[1]), \"=f\"(d[2]), \"=f\"(d[3]) : \"r\"(a0), \"r\"(a1), "
  "\"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1), \"f\"(c0), \"f\"(c1), \"f\"(c2), \"f\"(c3)); }\n"
  "static inline void tg_mma_bf16(float *d, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1, "
  "float c0, float c1, float c2, float c3) { asm(\"mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, "
  "{%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\" : \"=f\"(d[0]), \"=f\"(d[1]), \"=f\"(d[2]), \"=f\"(d[3]) : \"r\"(a0), \"r\"(a1), "
  "\"r\"(a2), \"r\"(a3), \"r\"(b0), \"r\"(b1), \"f\"(c0), \"f\"(c1), \"f\"(c2), \"f\"(c3)); }\n";
#endif
