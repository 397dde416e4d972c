// Symbolic simplifier: the rule pass that folds and canonicalizes integer, index and boolean math
#ifndef TG_SYMBOLIC_H
#define TG_SYMBOLIC_H
#include "uop/rewrite.h"

// The full simplifier (tinygrad's symbolic + div/mod folding + simplify-under-valid). Rules:
// constant folding with C semantics for every ALU op, identities, a canonical order for
// commutative/associative chains (constants last, like terms combined), vmin==vmax -> CONST,
// truncating div/mod folding from value ranges, comparison folding, where folding, and
// simplification of a where's branches given its condition. Floats only get exact rewrites.
extern Pass sym_pass;
UOp *sym_simplify(UOp *u);          // graph_rewrite(u, &sym_pass, NULL)

// ---- helpers for later passes ----
// A list of nodes, usable with the VEC macros of base/vec.h.
typedef struct SymList { UOp **data; int64_t len, cap; } SymList;
// The terms of an ADD chain (of u's dtype), left to right; a non-ADD u is one term. Appends to out.
void sym_split(UOp *u, Op op, SymList *out);
static inline void sym_split_add(UOp *u, SymList *out) { sym_split(u, OP_ADD, out); }
// Sum / product of nodes (all of one dtype), built left-leaning; n == 0 gives 0 / 1 of dtype dt.
UOp *sym_sum(UOp *const *xs, int64_t n, DType dt);
UOp *sym_prod(UOp *const *xs, int64_t n, DType dt);

// The largest constant c such that u is c times an integer expression (ADD chains: gcd of the
// terms' factors; a CONST: its value; anything else 1). Always >= 1 except for CONST 0 (0).
int64_t sym_const_factor(UOp *u);
// Whether u == c * q exactly as integer expressions; on success *quotient (if not NULL) is q.
bool sym_divides(UOp *u, int64_t c, UOp **quotient);

// Deterministic structural order used for canonical operand order (constants sort last).
int sym_cmp(UOp *a, UOp *b);

// Replace every occurrence of from[i] by to[i] in root (top-down: a replaced node's sources are
// not visited). No simplification is done.
UOp *sym_substitute(UOp *root, UOp *const *from, UOp *const *to, int n);

// Evaluate an ALU op on constant operands with C semantics for the dtype (ints wrap, CDIV/CMOD
// truncate, floats round to the dtype, IEEE NaN/inf). Returns false when the result is undefined
// (division by zero, shift out of range, float -> int out of range) and nothing is folded.
bool sym_exec_alu(Op op, DType dt, const UOp *const *srcs, int n, Arg *out);

// True when u is `c`-valued index math: an int-like scalar dtype (ints, index), not a pointer.
bool sym_is_int(DType d);
#endif
