// Ops: names and groups of the UOp operation enum
#include "uop/ops.h"

static const char *const names[] = {
#define X(name) #name,
  TG_OPS(X)
#undef X
};

const char *op_name(Op op) { return (op >= 0 && op < OP_COUNT_) ? names[op] : "?"; }

#define RANGE_SET(lo, hi) { { range_word_(lo, hi, 0), range_word_(lo, hi, 1) } }
#define range_word_(lo, hi, wi) \
  ((((wi) * 64 + 63) < (lo) || (wi) * 64 > (hi)) ? 0ull : \
   (((hi) - (wi) * 64 >= 63 ? ~0ull : ((1ull << ((hi) - (wi) * 64 + 1)) - 1)) & \
    ((lo) <= (wi) * 64 ? ~0ull : ~((1ull << ((lo) - (wi) * 64)) - 1))))
#define W0(op) ((op) < 64 ? 1ull << (op) : 0)
#define W1(op) ((op) >= 64 ? 1ull << ((op) - 64) : 0)

const OpSet GROUP_UNARY = RANGE_SET(OP_EXP2, OP_BITCAST);
const OpSet GROUP_BINARY = RANGE_SET(OP_ADD, OP_THREEFRY);
const OpSet GROUP_TERNARY = RANGE_SET(OP_WHERE, OP_MULACC);
const OpSet GROUP_ALU = RANGE_SET(OP_EXP2, OP_MULACC);
const OpSet GROUP_MOVEMENT = RANGE_SET(OP_RESHAPE, OP_FLIP);
const OpSet GROUP_COMMUTATIVE = { { W0(OP_ADD) | W0(OP_MUL) | W0(OP_MAX) | W0(OP_CMPNE) | W0(OP_CMPEQ) | W0(OP_AND) | W0(OP_OR) | W0(OP_XOR),
                                    W1(OP_ADD) | W1(OP_MUL) | W1(OP_MAX) | W1(OP_CMPNE) | W1(OP_CMPEQ) | W1(OP_AND) | W1(OP_OR) | W1(OP_XOR) } };
const OpSet GROUP_ASSOCIATIVE = { { W0(OP_ADD) | W0(OP_MUL) | W0(OP_MAX) | W0(OP_AND) | W0(OP_OR) | W0(OP_XOR),
                                    W1(OP_ADD) | W1(OP_MUL) | W1(OP_MAX) | W1(OP_AND) | W1(OP_OR) | W1(OP_XOR) } };
const OpSet GROUP_IDEMPOTENT = { { W0(OP_MAX) | W0(OP_AND) | W0(OP_OR), W1(OP_MAX) | W1(OP_AND) | W1(OP_OR) } };
const OpSet GROUP_COMPARISON = { { W0(OP_CMPLT) | W0(OP_CMPNE) | W0(OP_CMPEQ), W1(OP_CMPLT) | W1(OP_CMPNE) | W1(OP_CMPEQ) } };
const OpSet GROUP_IRREDUCIBLE = { { W0(OP_CONST) | W0(OP_DEFINE_VAR) | W0(OP_SPECIAL) | W0(OP_RANGE),
                                    W1(OP_CONST) | W1(OP_DEFINE_VAR) | W1(OP_SPECIAL) | W1(OP_RANGE) } };
