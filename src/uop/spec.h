// Spec checker: op/dtype/source-count invariants of the UOp graph at each stage (tinygrad's spec.py)
#ifndef TG_SPEC_H
#define TG_SPEC_H
#include "uop/uop.h"
#include <stdbool.h>

// What the graph is expected to be. Every level checks the universal rules (SPEC_ANY); the others
// add which ops may appear and the stage's own rules.
//   SPEC_ANY     universal invariants only: arity, ALU typing, CONST args, VECTORIZE/GEP widths ...
//   SPEC_TENSOR  the lazy tensor graph: BUFFER, CONST, movement ops, REDUCE_AXIS, CONTIGUOUS, COPY,
//                ASSIGN, DETACH, GRAD_FN, ALU; no pointer dtypes, no kernel-only ops (DEFINE_GLOBAL, LOAD, IF ...)
//   SPEC_KERNEL  a kernel AST: the root is a SINK of STOREs (or ENDs/GROUPs of them); INDEX takes a
//                pointer and returns one, LOAD/STORE go through an INDEX; no tensor-only ops
//   SPEC_PROGRAM a linearized kernel: as SPEC_KERNEL without UNROLL/CONTRACT/REDUCE (the index dtype
//                stays: renderers lower it, see codegen/program.h); a LINEAR root lists sources first
//
// Arg conventions checked here:
//   CONST        ARG_INT (int, index, bool: 0/1) or ARG_FLOAT (floats), already in the dtype's range
//   DEFINE_VAR   ARG_VAR (name, min <= max), dtype index (int32/int64 in a program)
//   RANGE        ARG_INT or a non-empty ARG_TUPLE (axis id first); src[0] is the bound, of its dtype
//   movement     ARG_TUPLE: RESHAPE/EXPAND the new shape, PERMUTE a permutation, FLIP the axes,
//                PAD/SHRINK (before, after) / (start, end) pairs flattened, so of even length
//   REDUCE_AXIS  ARG_TUPLE (reduce op, axis...), the op one of OP_ADD, OP_MUL, OP_MAX
//   GRAD_FN      ARG_TUPLE (gradient function as an integer, params...); src[0] is the value, of its dtype
//   REDUCE       ARG_INT reduce op (OP_ADD, OP_MUL, OP_MAX); src[1:] are integer ranges
//   SPECIAL      ARG_STR name; DEVICE ARG_STR; GEP ARG_INT or ARG_TUPLE of lane indices
typedef enum { SPEC_ANY, SPEC_TENSOR, SPEC_KERNEL, SPEC_PROGRAM, SPEC_LEVEL_COUNT_ } SpecLevel;

const char *spec_level_name(SpecLevel level);

// Check every node reachable from root. On the first violation, records a message that names the
// node (op, dtype, its listing line with its sources) and the broken rule, and returns false.
bool spec_check(UOp *root, SpecLevel level);
const char *spec_last_error(void);     // the last failure's message ("" if none)

// When SPEC>=1: run spec_check and abort on a violation (it is an internal bug), naming `where`.
void spec_verify(UOp *root, SpecLevel level, const char *where);
#endif
