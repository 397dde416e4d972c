// C kernel helpers shared by the C renderer (as prelude text) and INTERP (compiled): one definition
#ifndef TG_CPRELUDE_H
#define TG_CPRELUDE_H
/* Each TG_CODE_* macro is C source. The renderer pastes TG_CODE_STR(TG_CODE_x) into kernels that need
 * it; interp.c expands the same macro into real functions, so both backends share one definition.
 * The code uses no macros (they would be expanded before stringification) and only uint16_t/
 * uint32_t/uint64_t/int32_t/int64_t, which kernels typedef from the compiler's __UINT32_TYPE__ etc.
 *
 * float16/bfloat16: a value in a register is a float holding a representable 16-bit value; every op
 * producing one rounds (tg_rh/tg_rbf), as torch's CPU half ops do. Conversions round to nearest even;
 * NaN stays NaN (quiet, top payload bits kept); overflow gives inf.
 * float -> int: C leaves out-of-range conversion undefined; here it is what x86 cvtt* instructions give
 * (and so what gcc/torch give on x86): NaN or out of range -> INT32_MIN for int32 and narrower types
 * (narrower types then wrap from the int32 result), INT64_MIN for int64/uint32 (uint32 wraps from int64),
 * and uint64 is exact on [0, 2^64) and otherwise the int64 result reinterpreted. */
#define TG_CODE_STR_(...) #__VA_ARGS__
#define TG_CODE_STR(...) TG_CODE_STR_(__VA_ARGS__)

#define TG_CODE_HALF \
static inline float tg_h2f(uint16_t h) { \
  uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u; \
  if (e == 0x1fu) u = s | 0x7f800000u | (m << 13); \
  else if (e) u = s | ((e + 112u) << 23) | (m << 13); \
  else if (!m) u = s; \
  else { e = 113u; while (!(m & 0x400u)) { m <<= 1; e--; } u = s | (e << 23) | ((m & 0x3ffu) << 13); } \
  float f; __builtin_memcpy(&f, &u, 4); return f; \
} \
static inline uint16_t tg_f2h(float f) { \
  uint32_t u; __builtin_memcpy(&u, &f, 4); \
  uint32_t s = (u >> 16) & 0x8000u, a = u & 0x7fffffffu; \
  if (a > 0x7f800000u) return (uint16_t)(s | 0x7e00u | ((a >> 13) & 0x3ffu)); \
  if (a >= 0x477ff000u) return (uint16_t)(s | 0x7c00u); \
  if (a >= 0x38800000u) { uint32_t r = a - 0x38000000u; r += 0xfffu + ((r >> 13) & 1u); return (uint16_t)(s | (r >> 13)); } \
  if (a <= 0x33000000u) return (uint16_t)s; \
  uint32_t sh = 126u - (a >> 23), full = (a & 0x7fffffu) | 0x800000u; \
  uint32_t q = full >> sh, rem = full & ((1u << sh) - 1u), hf = 1u << (sh - 1u); \
  if (rem > hf || (rem == hf && (q & 1u))) q++; \
  return (uint16_t)(s | q); \
} \
static inline float tg_rh(float f) { return tg_h2f(tg_f2h(f)); }

#define TG_CODE_BF16 \
static inline float tg_bf2f(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; __builtin_memcpy(&f, &u, 4); return f; } \
static inline uint16_t tg_f2bf(float f) { \
  uint32_t u; __builtin_memcpy(&u, &f, 4); \
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); \
  u += 0x7fffu + ((u >> 16) & 1u); return (uint16_t)(u >> 16); \
} \
static inline float tg_rbf(float f) { return tg_bf2f(tg_f2bf(f)); }

#define TG_CODE_F2I \
static inline int32_t tg_f2i32(double x) { \
  return (x == x && x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : (int32_t)(-2147483647 - 1); \
} \
static inline int64_t tg_f2i64(double x) { \
  return (x == x && x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : (int64_t)(-9223372036854775807LL - 1); \
} \
static inline uint64_t tg_f2u64(double x) { \
  return (x >= 9223372036854775808.0 && x < 18446744073709551616.0) ? (uint64_t)x : (uint64_t)tg_f2i64(x); \
}

/* tinygrad's threefry2x32 (uop/decompositions.py): 20 rounds on (x, key) split into 32-bit halves */
#define TG_CODE_THREEFRY \
static inline uint64_t tg_threefry(uint64_t x, uint64_t key) { \
  static const int rot[2][4] = { { 13, 15, 26, 6 }, { 17, 29, 16, 24 } }; \
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32); \
  uint32_t ks[3] = { k1, k0 ^ k1 ^ 0x1BD11BDAu, k0 }; \
  uint32_t a = (uint32_t)x + ks[2], b = (uint32_t)(x >> 32) + ks[0]; \
  for (int i = 0; i < 5; i++) { \
    for (int j = 0; j < 4; j++) { int r = rot[i % 2][j]; a = a + b; b = a ^ ((b << r) | (b >> (32 - r))); } \
    a = a + ks[i % 3]; b = b + ks[(i + 1) % 3] + (uint32_t)i + 1u; \
  } \
  return ((uint64_t)b << 32) | a; \
}
#endif
