// Printing UOps: a compact infix form for expressions, and a numbered listing for whole graphs
#ifndef TG_PRINT_H
#define TG_PRINT_H
#include "uop/uop.h"
#include "base/strbuf.h"

// Infix rendering of index/ALU expressions, as tinygrad's UOp.render(): "((x*4)+y)".
// Non-expression nodes print as OPNAME(...). The string is malloc'd; the caller frees it.
char *uop_expr(UOp *u);
void  uop_expr_sb(UOp *u, StrBuf *sb);

// One line per node in toposort order:  "%3 = ADD idx (%1, %2)". malloc'd.
char *uop_listing(UOp *root);
void  uop_print(UOp *root);            // uop_listing to stderr
void  uop_arg_str(const UOp *u, StrBuf *sb);
#endif
