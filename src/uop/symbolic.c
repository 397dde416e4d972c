// Symbolic simplifier: the rule pass (tinygrad's symbolic) assembled from the symbolic_*.c rule tables
#include "uop/symbolic_internal.h"

// Order matters: the first rule whose callback returns a new node wins. Constant and range
// folding come first, then identities, canonical chains, div/mod, comparisons, selects.
Pass sym_pass = PASS("symbolic", sym_fold_rules, sym_chain_rules, sym_divmod_rules, sym_cmp_rules, sym_where_rules);

UOp *sym_simplify(UOp *u) { return graph_rewrite(u, &sym_pass, NULL); }
