// Dtypes: scalar type facts, promotion lattice and value conversion
#include "uop/dtype.h"
#include "base/error.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct { const char *name, *shrt; int size; bool is_float, is_unsigned; int64_t lo, hi; } StInfo;
static const StInfo info[DT_SCALAR_COUNT_] = {
  [DT_BOOL]     = { "bool",     "bool", 1, false, true,  0, 1 },
  [DT_INT8]     = { "int8",     "i8",   1, false, false, INT8_MIN, INT8_MAX },
  [DT_UINT8]    = { "uint8",    "u8",   1, false, true,  0, UINT8_MAX },
  [DT_INT16]    = { "int16",    "i16",  2, false, false, INT16_MIN, INT16_MAX },
  [DT_UINT16]   = { "uint16",   "u16",  2, false, true,  0, UINT16_MAX },
  [DT_INT32]    = { "int32",    "i32",  4, false, false, INT32_MIN, INT32_MAX },
  [DT_UINT32]   = { "uint32",   "u32",  4, false, true,  0, UINT32_MAX },
  [DT_INT64]    = { "int64",    "i64",  8, false, false, INT64_MIN, INT64_MAX },
  [DT_UINT64]   = { "uint64",   "u64",  8, false, true,  0, INT64_MAX },
  [DT_FLOAT16]  = { "float16",  "f16",  2, true,  false, 0, 0 },
  [DT_BFLOAT16] = { "bfloat16", "bf16", 2, true,  false, 0, 0 },
  [DT_FLOAT32]  = { "float32",  "f32",  4, true,  false, 0, 0 },
  [DT_FLOAT64]  = { "float64",  "f64",  8, true,  false, 0, 0 },
  [DT_INDEX]    = { "index",    "idx",  8, false, false, INT64_MIN, INT64_MAX },
  [DT_VOID]     = { "void",     "void", 0, false, false, 0, 0 },
};

static const StInfo *I(ScalarType s) { TG_ASSERT(s < DT_SCALAR_COUNT_, "bad scalar type %d", (int)s); return &info[s]; }
const char *st_name(ScalarType s) { return I(s)->name; }
const char *st_short(ScalarType s) { return I(s)->shrt; }
int st_itemsize(ScalarType s) { return I(s)->size; }
bool st_is_float(ScalarType s) { return I(s)->is_float; }
bool st_is_int(ScalarType s) { return s != DT_BOOL && s != DT_VOID && !I(s)->is_float; }
bool st_is_unsigned(ScalarType s) { return s != DT_BOOL && I(s)->is_unsigned; }
int64_t st_min(ScalarType s) { return I(s)->lo; }
int64_t st_max(ScalarType s) { return I(s)->hi; }

// tinygrad's promotion lattice: each type's direct parents. The least upper bound of two types
// is the lowest-priority type that both reach.
static const ScalarType parents[DT_SCALAR_COUNT_][2] = {
  [DT_BOOL] = { DT_INT8, DT_UINT8 },       [DT_INT8] = { DT_INT16, DT_VOID },
  [DT_INT16] = { DT_INT32, DT_VOID },      [DT_INT32] = { DT_INT64, DT_VOID },
  [DT_INT64] = { DT_FLOAT16, DT_BFLOAT16 },[DT_UINT8] = { DT_INT16, DT_UINT16 },
  [DT_UINT16] = { DT_INT32, DT_UINT32 },   [DT_UINT32] = { DT_INT64, DT_UINT64 },
  [DT_UINT64] = { DT_FLOAT16, DT_BFLOAT16 },[DT_FLOAT16] = { DT_FLOAT32, DT_VOID },
  [DT_BFLOAT16] = { DT_FLOAT32, DT_VOID }, [DT_FLOAT32] = { DT_FLOAT64, DT_VOID },
  [DT_FLOAT64] = { DT_VOID, DT_VOID },
};
// priority order used to pick the least of several common ancestors
static const ScalarType order[] = { DT_BOOL, DT_INT8, DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_UINT32,
                                    DT_INT64, DT_UINT64, DT_FLOAT16, DT_BFLOAT16, DT_FLOAT32, DT_FLOAT64 };

static uint32_t ancestors(ScalarType s) {
  uint32_t set = 1u << s;
  for (int i = 0; i < 2; i++) if (parents[s][i] != DT_VOID) set |= ancestors(parents[s][i]);
  return set;
}

ScalarType st_promote(ScalarType a, ScalarType b) {
  if (a == b) return a;
  if (a == DT_INDEX || b == DT_INDEX) return (a == DT_INDEX) ? b == DT_BOOL || st_is_int(b) ? DT_INDEX : b : st_promote(b, a);
  // torch has no common type for uint64 and a signed integer (tinygrad's lattice says float16)
  if ((a == DT_UINT64 && st_is_int(b) && !st_is_unsigned(b)) || (b == DT_UINT64 && st_is_int(a) && !st_is_unsigned(a)))
    return DT_VOID;
  uint32_t common = ancestors(a) & ancestors(b);
  for (unsigned i = 0; i < sizeof order / sizeof *order; i++)
    if (common & (1u << order[i])) return order[i];
  return DT_VOID;
}

ScalarType st_promote_scalar(ScalarType t, bool scalar_is_float, bool scalar_is_int) {
  if (scalar_is_float && !st_is_float(t)) return DT_FLOAT32;        // default float dtype
  if (scalar_is_int && t == DT_BOOL) return DT_INT64;                 // default int dtype
  return t;
}

int64_t st_wrap_int(ScalarType s, int64_t v) {
  switch (s) {
  case DT_BOOL: return v != 0;
  case DT_INT8: return (int8_t)v;   case DT_UINT8: return (uint8_t)v;
  case DT_INT16: return (int16_t)v; case DT_UINT16: return (uint16_t)v;
  case DT_INT32: return (int32_t)v; case DT_UINT32: return (uint32_t)v;
  default: return v;   // 64-bit and index: two's complement in int64 already
  }
}

static float round_to_half(float f) {       // round-to-nearest-even through the half format
  if (isnan(f) || isinf(f)) return f;
  float a = fabsf(f);
  if (a >= 65520.0f) return copysignf(INFINITY, f);
  int e; frexpf(a, &e);                      // a = m * 2^e, m in [0.5, 1)
  int q = e - 11; if (q < -24) q = -24;      // 11 significant bits, subnormals below 2^-14
  return copysignf(nearbyintf(ldexpf(a, -q)) * ldexpf(1.0f, q), f);
}

static float round_to_bf16(float f) {
  if (isnan(f)) return f;
  uint32_t u; memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);             // round to nearest even on the low 16 bits
  u &= 0xffff0000u;
  memcpy(&f, &u, 4);
  return f;
}

double st_round_float(ScalarType s, double v) {
  switch (s) {
  case DT_FLOAT64: return v;
  case DT_FLOAT32: return (float)v;
  case DT_FLOAT16: return round_to_half((float)v);
  case DT_BFLOAT16: return round_to_bf16((float)v);
  case DT_BOOL: return v != 0;
  default: TG_UNREACHABLE("st_round_float on %s", st_name(s));
  }
}

void dt_str(DType d, char *buf, int n) {
  int k = snprintf(buf, (size_t)n, "%s", st_short((ScalarType)d.scalar));
  if (d.count > 1 && k < n) k += snprintf(buf + k, (size_t)(n - k), ".%d", d.count);
  if (dt_is_ptr(d) && k < n) {
    static const char addr[] = "-glr";
    k += snprintf(buf + k, (size_t)(n - k), "*%c", addr[d.addr]);
    if (d.size >= 0 && k < n) k += snprintf(buf + k, (size_t)(n - k), "[%lld]", (long long)d.size);
    if (d.vcount > 1 && k < n) snprintf(buf + k, (size_t)(n - k), "x%d", d.vcount);
  }
}
