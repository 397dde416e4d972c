// Ops: the operation enum of the UOp IR and the op groups passes match on (tinygrad's Ops/GroupOp)
#ifndef TG_OPS_H
#define TG_OPS_H
#include <stdbool.h>
#include <stdint.h>

#define TG_OPS(X) \
  /* graph structure */ \
  X(SINK) X(NOOP) X(GROUP) X(UNIQUE) X(DEVICE) X(KERNEL) X(AFTER) X(LINEAR) \
  /* tensor graph: buffers, consts, movement, reduce, memory */ \
  X(BUFFER) X(BUFFER_VIEW) X(CONST) X(VCONST) X(DEFINE_VAR) X(BIND) \
  X(RESHAPE) X(PERMUTE) X(EXPAND) X(PAD) X(SHRINK) X(FLIP) \
  X(REDUCE_AXIS) X(REDUCE) X(CONTIGUOUS) X(CONTIGUOUS_BACKWARD) X(COPY) X(ASSIGN) X(DETACH) X(GRAD_FN) \
  X(BUFFERIZE) X(MSTACK) X(MSELECT) \
  /* kernels */ \
  X(DEFINE_GLOBAL) X(DEFINE_LOCAL) X(DEFINE_REG) X(INDEX) X(LOAD) X(STORE) \
  X(RANGE) X(END) X(SPECIAL) X(BARRIER) X(IF) X(ENDIF) X(WMMA) \
  X(VECTORIZE) X(GEP) X(CAT) X(PTRCAT) X(UNROLL) X(CONTRACT) X(CUSTOM) X(CUSTOMI) \
  /* ALU unary */ \
  X(EXP2) X(LOG2) X(SIN) X(SQRT) X(RECIPROCAL) X(NEG) X(TRUNC) X(CAST) X(BITCAST) \
  /* ALU binary */ \
  X(ADD) X(MUL) X(SUB) X(FDIV) X(CDIV) X(CMOD) X(MAX) X(POW) \
  X(CMPLT) X(CMPNE) X(CMPEQ) X(AND) X(OR) X(XOR) X(SHL) X(SHR) X(THREEFRY) \
  /* ALU ternary */ \
  X(WHERE) X(MULACC) \
  /* program level */ \
  X(PROGRAM) X(SOURCE) X(BINARY)

typedef enum {
#define X(name) OP_##name,
  TG_OPS(X)
#undef X
  OP_COUNT_
} Op;

const char *op_name(Op op);

// A set of ops, as a bitmask (OP_COUNT_ <= 128).
typedef struct OpSet { uint64_t w[2]; } OpSet;
static inline bool opset_has(OpSet s, int op) { return (s.w[op >> 6] >> (op & 63)) & 1; }
static inline bool opset_empty(OpSet s) { return !s.w[0] && !s.w[1]; }
static inline OpSet opset_or(OpSet a, OpSet b) { return (OpSet){{a.w[0] | b.w[0], a.w[1] | b.w[1]}}; }
// OPSET(OP_ADD, OP_MUL) is a braced initializer (up to 16 ops), usable in static pattern tables, also
// inside compound literals (GCC rejects a compound literal there); OPSET_V(...) is the same as a value.
#define OPW0_(op) | ((op) < 64 ? 1ull << ((op) & 63) : 0ull)
#define OPW1_(op) | ((op) >= 64 ? 1ull << ((op) & 63) : 0ull)
#define OPS_NARG_(...) OPS_NARG2_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define OPS_NARG2_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, n, ...) n
#define OPS_CAT_(a, b) a##b
#define OPS_EACH_(m, n, ...) OPS_CAT_(OPS_EACH_, n)(m, __VA_ARGS__)
#define OPS_EACH_1(m, a) m(a)
#define OPS_EACH_2(m, a, ...) m(a) OPS_EACH_1(m, __VA_ARGS__)
#define OPS_EACH_3(m, a, ...) m(a) OPS_EACH_2(m, __VA_ARGS__)
#define OPS_EACH_4(m, a, ...) m(a) OPS_EACH_3(m, __VA_ARGS__)
#define OPS_EACH_5(m, a, ...) m(a) OPS_EACH_4(m, __VA_ARGS__)
#define OPS_EACH_6(m, a, ...) m(a) OPS_EACH_5(m, __VA_ARGS__)
#define OPS_EACH_7(m, a, ...) m(a) OPS_EACH_6(m, __VA_ARGS__)
#define OPS_EACH_8(m, a, ...) m(a) OPS_EACH_7(m, __VA_ARGS__)
#define OPS_EACH_9(m, a, ...) m(a) OPS_EACH_8(m, __VA_ARGS__)
#define OPS_EACH_10(m, a, ...) m(a) OPS_EACH_9(m, __VA_ARGS__)
#define OPS_EACH_11(m, a, ...) m(a) OPS_EACH_10(m, __VA_ARGS__)
#define OPS_EACH_12(m, a, ...) m(a) OPS_EACH_11(m, __VA_ARGS__)
#define OPS_EACH_13(m, a, ...) m(a) OPS_EACH_12(m, __VA_ARGS__)
#define OPS_EACH_14(m, a, ...) m(a) OPS_EACH_13(m, __VA_ARGS__)
#define OPS_EACH_15(m, a, ...) m(a) OPS_EACH_14(m, __VA_ARGS__)
#define OPS_EACH_16(m, a, ...) m(a) OPS_EACH_15(m, __VA_ARGS__)
#define OPSET(...) {{ 0ull OPS_EACH_(OPW0_, OPS_NARG_(__VA_ARGS__), __VA_ARGS__), \
                     0ull OPS_EACH_(OPW1_, OPS_NARG_(__VA_ARGS__), __VA_ARGS__) }}
#define OPSET_V(...) ((OpSet)OPSET(__VA_ARGS__))

// Groups (tinygrad's GroupOp), as constant expressions usable in static pattern tables
#define OPSET_RANGE_W_(lo, hi, wi) \
  ((((wi) * 64 + 63) < (lo) || (wi) * 64 > (hi)) ? 0ull : \
   (((hi) - (wi) * 64 >= 63 ? ~0ull : ((1ull << ((hi) - (wi) * 64 + 1)) - 1)) & \
    ((lo) <= (wi) * 64 ? ~0ull : ~((1ull << ((lo) - (wi) * 64)) - 1))))
#define OPSET_RANGE(lo, hi) {{ OPSET_RANGE_W_(lo, hi, 0), OPSET_RANGE_W_(lo, hi, 1) }}
#define GROUP_UNARY OPSET_RANGE(OP_EXP2, OP_BITCAST)
#define GROUP_BINARY OPSET_RANGE(OP_ADD, OP_THREEFRY)
#define GROUP_TERNARY OPSET_RANGE(OP_WHERE, OP_MULACC)
#define GROUP_ALU OPSET_RANGE(OP_EXP2, OP_MULACC)
#define GROUP_MOVEMENT OPSET_RANGE(OP_RESHAPE, OP_FLIP)
#define GROUP_COMMUTATIVE OPSET(OP_ADD, OP_MUL, OP_MAX, OP_CMPNE, OP_CMPEQ, OP_AND, OP_OR, OP_XOR)
#define GROUP_ASSOCIATIVE OPSET(OP_ADD, OP_MUL, OP_MAX, OP_AND, OP_OR, OP_XOR)
#define GROUP_IDEMPOTENT OPSET(OP_MAX, OP_AND, OP_OR)
#define GROUP_COMPARISON OPSET(OP_CMPLT, OP_CMPNE, OP_CMPEQ)
#define GROUP_IRREDUCIBLE OPSET(OP_CONST, OP_DEFINE_VAR, OP_SPECIAL, OP_RANGE)

static inline bool op_is_alu(Op op) { return op >= OP_EXP2 && op <= OP_MULACC; }
static inline bool op_is_unary(Op op) { return op >= OP_EXP2 && op <= OP_BITCAST; }
static inline bool op_is_binary(Op op) { return op >= OP_ADD && op <= OP_THREEFRY; }
static inline bool op_is_ternary(Op op) { return op == OP_WHERE || op == OP_MULACC; }
static inline bool op_is_movement(Op op) { return op >= OP_RESHAPE && op <= OP_FLIP; }
static inline bool op_is_commutative(Op op) {
  return op == OP_ADD || op == OP_MUL || op == OP_MAX || op == OP_CMPNE || op == OP_CMPEQ ||
         op == OP_AND || op == OP_OR || op == OP_XOR;
}
static inline bool op_is_associative(Op op) {
  return op == OP_ADD || op == OP_MUL || op == OP_MAX || op == OP_AND || op == OP_OR || op == OP_XOR;
}
static inline bool op_is_comparison(Op op) { return op == OP_CMPLT || op == OP_CMPNE || op == OP_CMPEQ; }
#endif
