// Symbolic dimensions: shape entries that stand for integer expressions of bound variables
#ifndef TG_SYMDIM_H
#define TG_SYMDIM_H
#include "uop/uop.h"
#include <stdbool.h>
#include <stdint.h>

/* Shapes stay int64 arrays (as in the public API). A dimension is either a plain size >= 0 or a token for an
 * index expression of variables: DEFINE_VAR nodes, each under a BIND that carries its value, combined with
 * constants by ADD, MUL, CDIV and MAX (tinygrad's sint, with Variable.bind). The token is
 *   INT64_MIN | id << 16 | DIM_TAG
 * with id the expression's place in a table of pinned, interned expressions, so equal expressions (same
 * variables, same values) have equal tokens and a shape compares with memcmp. The tag makes the result of
 * plain integer arithmetic on a token (an op that does not support symbolic shapes) detectable: dim_ok.
 *
 * The value lives in the BIND: tensors built after tg_bind(v, 5) carry 5, those built before keep theirs.
 * Kernels never see values: dim_kernel_expr strips the BINDs, and each run passes the values (VarVals), so
 * one compiled kernel serves every value. */
enum { DIM_TAG = 0x5e5e };

bool    dim_is_sym(int64_t d);
bool    dim_ok(int64_t d);                      // a size >= 0 or a valid token
int64_t dim_of(UOp *e);                         // simplified; a constant gives its value, else a token
UOp    *dim_expr(int64_t d);                    // the index expression (with BINDs); a size is a CONST
UOp    *dim_kernel_expr(int64_t d);             // the same with each BIND replaced by its variable
int64_t dim_unbound(int64_t d);                 // the token of the expression without values (cache keys)
int64_t dim_max(int64_t d);                     // the largest value over the variables' ranges (allocation)
int64_t dim_value(int64_t d);                   // the value under its binds; -1 if a variable is unbound
int64_t dim_add(int64_t a, int64_t b);
int64_t dim_sub(int64_t a, int64_t b);
int64_t dim_mul(int64_t a, int64_t b);
void    dim_str(int64_t d, char *buf, int len); // "7", "(i+1)=4"

// Variable values of one run: (name, value) pairs, collected from BINDs.
typedef struct VarVals { int n, cap; const char **names; int64_t *vals; } VarVals;
// Adds the BINDs reachable from root, including those inside the shape tokens of its movement ops.
// -1 (error set) when one variable is bound to two values.
int     varvals_collect(VarVals *v, UOp *root);
int     varvals_add(VarVals *v, const char *name, int64_t value);
int     varvals_find(const VarVals *v, const char *name);   // index or -1
// Values for a program's DEFINE_VARs, in slot order; -1 (error set) when one has no value.
int     varvals_fill(const VarVals *v, UOp *const *vars, int nvars, int64_t *out, const char *who);
void    varvals_free(VarVals *v);
// d with its variables bound to the values in v (those not in v keep theirs)
int64_t dim_rebind(int64_t d, const VarVals *v);

// A movement op's shape tuple with every token unbound (dim_unbound) into out (room for a->n); false when
// nothing changes. Schedule-cache keys use it, with BIND -> DEFINE_VAR, so values do not split entries.
bool    dim_unbind_tuple(const UOp *u, int64_t *out);
#endif
