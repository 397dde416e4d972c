// UOp: the one graph IR (hash-consed immutable nodes, cached hash/value range, mark-and-sweep GC)
#ifndef TG_UOP_H
#define TG_UOP_H
#include "uop/dtype.h"
#include "uop/ops.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// The arg of a node. Tuples and strings are copied into the node when it is interned.
typedef enum { ARG_NONE, ARG_INT, ARG_FLOAT, ARG_TUPLE, ARG_STR, ARG_PTR, ARG_VAR } ArgKind;
typedef struct Arg {
  uint8_t kind;
  uint32_t n;                 // tuple length (ARG_TUPLE; 2 for ARG_VAR's bounds)
  union { int64_t i; double f; void *ptr; };
  const int64_t *tup;         // ARG_TUPLE, ARG_VAR (min, max)
  const char *str;            // ARG_STR, ARG_VAR (name)
} Arg;

static inline Arg arg_none(void) { return (Arg){ .kind = ARG_NONE }; }
static inline Arg arg_int(int64_t i) { return (Arg){ .kind = ARG_INT, .i = i }; }
static inline Arg arg_float(double f) { return (Arg){ .kind = ARG_FLOAT, .f = f }; }
static inline Arg arg_ptr(void *p) { return (Arg){ .kind = ARG_PTR, .ptr = p }; }
static inline Arg arg_str(const char *s) { return (Arg){ .kind = ARG_STR, .str = s }; }
static inline Arg arg_tuple(const int64_t *t, int n) { return (Arg){ .kind = ARG_TUPLE, .n = (uint32_t)n, .tup = t }; }
bool arg_eq(const Arg *a, const Arg *b);          // floats compare by bits: NaN == NaN, -0.0 != 0.0

typedef struct UOp UOp;
struct UOp {
  uint8_t op;                 // Op
  uint8_t gc_mark;
  uint8_t has_range;          // vmin/vmax are meaningful (integer, index and bool dtypes)
  uint8_t _pad;
  uint32_t nsrc;
  DType dtype;
  Arg arg;
  uint64_t hash;              // structural: equal graphs hash equal across runs
  uint64_t id;                // creation order, for deterministic tie-breaks
  int64_t vmin, vmax;         // value range (integer interval analysis), see has_range
  UOp *src[];
};

// ---- construction (interned: an equal node returns the same pointer) ----
UOp *uop_new(Op op, DType dt, UOp *const *src, int nsrc, Arg arg);
UOp *uop0(Op op, DType dt, Arg arg);
UOp *uop1(Op op, DType dt, UOp *a, Arg arg);
UOp *uop2(Op op, DType dt, UOp *a, UOp *b, Arg arg);
UOp *uop3(Op op, DType dt, UOp *a, UOp *b, UOp *c, Arg arg);
UOp *uop_with_src(UOp *u, UOp *const *src, int nsrc);    // same op/dtype/arg, new sources
UOp *uop_with_dtype(UOp *u, DType dt);

// constants: the value is converted to the dtype (ints wrap, floats round); vectors broadcast
UOp *uop_const(DType dt, double v);
UOp *uop_const_int(DType dt, int64_t v);
UOp *uop_const_like(UOp *like, double v);
UOp *uop_iconst(int64_t v);                               // index constant
double  uop_const_value(UOp *c);                          // CONST -> numeric value
bool    uop_is_const(UOp *u, double v);                   // CONST with exactly value v

// ALU: dtype is the operands' (bool for comparisons); operands must agree
UOp *uop_alu(Op op, UOp *a, UOp *b);
UOp *uop_alu1(Op op, UOp *a);
UOp *uop_where(UOp *c, UOp *t, UOp *f);
UOp *uop_cast(UOp *a, DType dt);
#define UOP_BIN_(name, OP) static inline UOp *uop_##name(UOp *a, UOp *b) { return uop_alu(OP, a, b); }
UOP_BIN_(add, OP_ADD) UOP_BIN_(mul, OP_MUL) UOP_BIN_(sub, OP_SUB) UOP_BIN_(cdiv, OP_CDIV)
UOP_BIN_(cmod, OP_CMOD) UOP_BIN_(max, OP_MAX) UOP_BIN_(lt, OP_CMPLT) UOP_BIN_(ne, OP_CMPNE)
UOP_BIN_(eq, OP_CMPEQ) UOP_BIN_(and, OP_AND) UOP_BIN_(or, OP_OR) UOP_BIN_(xor, OP_XOR)
#undef UOP_BIN_
UOp *uop_add_i(UOp *a, int64_t c);                        // a + const of a's dtype
UOp *uop_mul_i(UOp *a, int64_t c);
UOp *uop_neg(UOp *a);
UOp *uop_var(const char *name, int64_t vmin, int64_t vmax);   // DEFINE_VAR of dtype index

// ---- queries ----
static inline bool uop_is(const UOp *u, Op op) { return u->op == op; }
const char *uop_var_name(const UOp *u);                   // DEFINE_VAR's name
int64_t uop_vmin(const UOp *u);                           // dtype min when has_range is 0
int64_t uop_vmax(const UOp *u);

// Toposort: every node reachable from root, sources before users. Cached per root until the next GC.
typedef struct UOpList { UOp **items; int64_t n; } UOpList;
const UOpList *uop_toposort(UOp *root);
bool uop_reaches(UOp *root, const UOp *target);   // target is root or one of its (transitive) sources
struct HMap;
void uop_count_users(const UOpList *topo, struct HMap *count);   // count[node] += its users within topo

// ---- memory: mark-and-sweep at safe points ----
// Roots: the pin set, plus every registered root callback (tensors, caches, traces).
// A collection never runs inside a rewrite: call uop_gc/uop_gc_maybe only where no pass holds nodes.
typedef void (*GcRootFn)(void *ctx);
void     uop_gc_add_roots(GcRootFn fn, void *ctx);     // fn calls uop_gc_mark on each root
void     uop_gc_remove_roots(GcRootFn fn, void *ctx);
void     uop_gc_mark(UOp *u);                          // marks u and all it reaches
void     uop_pin(UOp *u);                              // counted
void     uop_unpin(UOp *u);
size_t   uop_gc(void);                                 // full collection, returns nodes freed
size_t   uop_gc_maybe(void);                           // collects once the pool has doubled
uint64_t uop_gc_epoch(void);                           // increments on every collection
size_t   uop_live_count(void);
size_t   uop_live_bytes(void);
// Called for each swept node of this op before it is freed (e.g. BUFFER releases its Buffer).
void     uop_gc_on_free(Op op, void (*fn)(UOp *u));
#endif
