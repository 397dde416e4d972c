// Dtypes: scalar types, vector and pointer forms, and torch's promotion rules
#ifndef TG_DTYPE_H
#define TG_DTYPE_H
#include <stdbool.h>
#include <stdint.h>

// Scalar types. The first 13 have the same values as the public tg_dtype.
typedef enum {
  DT_BOOL, DT_INT8, DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_UINT32, DT_INT64, DT_UINT64,
  DT_FLOAT16, DT_BFLOAT16, DT_FLOAT32, DT_FLOAT64,
  DT_INDEX,   // the integer type of index arithmetic; lowered to int32/int64 late in codegen
  DT_VOID,    // the type of ops without a value (STORE, SINK, RANGE's END ...)
  DT_SCALAR_COUNT_
} ScalarType;

typedef enum { ADDR_NONE, ADDR_GLOBAL, ADDR_LOCAL, ADDR_REG } AddrSpace;

// A dtype is a value: a scalar type, a vector width, and for pointers the address space and
// the number of elements pointed at (-1 when unknown). Compare with dt_eq.
typedef struct DType {
  uint8_t scalar;     // ScalarType
  uint8_t addr;       // AddrSpace; ADDR_NONE means "not a pointer"
  uint16_t count;     // vector width of the value (or of the pointee), 1 for scalars
  uint16_t vcount;    // pointers only: how many pointers (vectorized INDEX), 1 otherwise
  int64_t size;       // pointers only: elements in the buffer, -1 unknown
} DType;

static inline DType dt_scalar(ScalarType s) { return (DType){ .scalar = (uint8_t)s, .count = 1, .vcount = 1, .size = -1 }; }
static inline DType dt_vec(DType d, int count) { d.count = (uint16_t)count; return d; }
static inline DType dt_ptr(DType base, AddrSpace a, int64_t size) { base.addr = (uint8_t)a; base.size = size; base.vcount = 1; return base; }
static inline DType dt_base(DType d) { return dt_scalar((ScalarType)d.scalar); }     // strip vector and pointer
static inline DType dt_deref(DType d) { d.addr = ADDR_NONE; d.size = -1; d.vcount = 1; return d; }
static inline bool  dt_is_ptr(DType d) { return d.addr != ADDR_NONE; }
static inline bool  dt_eq(DType a, DType b) {
  return a.scalar == b.scalar && a.addr == b.addr && a.count == b.count && a.vcount == b.vcount && a.size == b.size;
}

#define DT_VOID_T   dt_scalar(DT_VOID)
#define DT_BOOL_T   dt_scalar(DT_BOOL)
#define DT_INDEX_T  dt_scalar(DT_INDEX)
#define DT_INT32_T  dt_scalar(DT_INT32)
#define DT_FLOAT_T  dt_scalar(DT_FLOAT32)

// Properties of a scalar type
const char *st_name(ScalarType s);          // "float32" ... as tinygrad names them
const char *st_short(ScalarType s);         // "f32" style, for dumps
int   st_itemsize(ScalarType s);            // bytes; index counts as 8, void as 0
bool  st_is_float(ScalarType s);
bool  st_is_int(ScalarType s);              // signed or unsigned, including index (not bool)
bool  st_is_unsigned(ScalarType s);
int64_t st_min(ScalarType s);               // representable range of integer types as int64
int64_t st_max(ScalarType s);               // (uint64's max is clamped to INT64_MAX)

// Promotion (torch's rules, tinygrad's lattice): the least type both a and b convert to
// without loss. DT_VOID means there is none (torch refuses uint64 with a signed type).
ScalarType st_promote(ScalarType a, ScalarType b);
// Tensor op scalar: a Python int/float/bool operand only promotes across categories.
ScalarType st_promote_scalar(ScalarType t, bool scalar_is_float, bool scalar_is_int);

// Truncate an int64 value to the range of an integer dtype (C conversion semantics, wraparound).
int64_t st_wrap_int(ScalarType s, int64_t v);
// Round a double to what the dtype holds (float32/16/bf16 rounding, integer conversion).
double  st_round_float(ScalarType s, double v);

void dt_str(DType d, char *buf, int n);     // "f32", "f32.4", "f32*[16]g" ...
#endif
