// Ops: names and groups of the UOp operation enum
#include "uop/ops.h"

static const char *const names[] = {
#define X(name) #name,
  TG_OPS(X)
#undef X
};

const char *op_name(Op op) { return (op >= 0 && op < OP_COUNT_) ? names[op] : "?"; }

