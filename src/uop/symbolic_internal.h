// Symbolic simplifier internals shared by the symbolic_*.c files (not for other modules)
#ifndef TG_SYMBOLIC_INTERNAL_H
#define TG_SYMBOLIC_INTERNAL_H
#include "uop/symbolic.h"

// A linear form: sum of coef*base plus a constant k, over one integer dtype.
typedef struct SymTerm { UOp *base; int64_t coef; } SymTerm;
typedef struct SymLin { SymTerm *data; int64_t len, cap; int64_t k; DType dt; } SymLin;

void sym_lin_parse(UOp *u, SymLin *l);                // flatten u's ADD chain (terms as they are)
void sym_lin_canon(SymLin *l);                        // sort by base, combine like terms, drop zeros
UOp *sym_lin_build(const SymLin *l);                  // left-leaning chain, constant last
void sym_lin_free(SymLin *l);
// The exact integer interval of the form from its bases' ranges; false if unknown or overflowing
// int64. fits: the interval lies in the dtype's range, so evaluating the form never wraps.
bool sym_lin_range(const SymLin *l, int64_t *lo, int64_t *hi);
bool sym_lin_fits(const SymLin *l, int64_t *lo, int64_t *hi);

bool sym_tracked(UOp *u);                             // int-like scalar with a meaningful range
int64_t sym_floordiv(int64_t a, int64_t b);           // b > 0
int64_t sym_floormod(int64_t a, int64_t b);           // b > 0, result in [0, b)
int64_t sym_gcd(int64_t a, int64_t b);
UOp *sym_iconst_like(UOp *like, int64_t v);
UOp *sym_not(UOp *b);                                 // boolean not: b ^ true
int64_t sym_count_nodes(UOp *u, int64_t limit);       // stops counting at limit
bool sym_contains(UOp *root, UOp *x);                 // x is in root's backward slice (or is root)

extern const Rule sym_fold_rules[], sym_chain_rules[], sym_divmod_rules[], sym_cmp_rules[], sym_where_rules[];
#endif
