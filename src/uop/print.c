// Printing UOps: a compact infix form for expressions, and a numbered listing for whole graphs
#include "uop/print.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *infix(Op op) {
  switch (op) {
  case OP_ADD: return "+"; case OP_SUB: return "-"; case OP_MUL: return "*"; case OP_CDIV: return "//";
  case OP_CMOD: return "%"; case OP_FDIV: return "/"; case OP_CMPLT: return "<"; case OP_CMPNE: return "!=";
  case OP_CMPEQ: return "=="; case OP_AND: return "&"; case OP_OR: return "|"; case OP_XOR: return "^";
  case OP_SHL: return "<<"; case OP_SHR: return ">>";
  default: return NULL;
  }
}

void uop_arg_str(const UOp *u, StrBuf *sb) {
  const Arg *a = &u->arg;
  switch (a->kind) {
  case ARG_NONE: break;
  case ARG_INT:
    if (u->dtype.scalar == DT_BOOL) sb_puts(sb, a->i ? "True" : "False");
    else sb_printf(sb, "%" PRId64, a->i);
    break;
  case ARG_FLOAT: sb_printf(sb, "%.9g", a->f); break;
  case ARG_PTR: sb_printf(sb, "%p", a->ptr); break;
  case ARG_STR: sb_printf(sb, "'%s'", a->str); break;
  case ARG_VAR: sb_printf(sb, "'%s' [%" PRId64 ", %" PRId64 "]", a->str, a->tup[0], a->tup[1]); break;
  case ARG_TUPLE:
    sb_putc(sb, '(');
    for (uint32_t i = 0; i < a->n; i++) {
      if (i == 0 && u->op == OP_GRAD_FN) sb_printf(sb, "fn %#" PRIx64, (uint64_t)a->tup[0]);   // a function's address
      else sb_printf(sb, i ? ", %" PRId64 : "%" PRId64, a->tup[i]);
    }
    sb_putc(sb, ')');
    break;
  }
}

// Iterative post-order rendering: each node's text is built once and memoized (DAGs share).
void uop_expr_sb(UOp *root, StrBuf *out) {
  const UOpList *topo = uop_toposort(root);
  HMap text = { 0 };
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    StrBuf sb = { 0 };
    const char *op = infix((Op)u->op);
#define S(k) ((const char *)HMAP_PTR(&text, u->src[k]))
    if (u->op == OP_CONST) uop_arg_str(u, &sb);
    else if (u->op == OP_DEFINE_VAR || u->op == OP_SPECIAL) sb_puts(&sb, uop_var_name(u));
    else if (u->op == OP_RANGE) sb_printf(&sb, "r%" PRId64, u->arg.kind == ARG_TUPLE && u->arg.n ? u->arg.tup[0] : u->arg.i);
    else if (op && u->nsrc == 2) sb_printf(&sb, "(%s%s%s)", S(0), op, S(1));
    else if (u->op == OP_NEG) sb_printf(&sb, "(-%s)", S(0));
    else if (u->op == OP_MAX) sb_printf(&sb, "max(%s, %s)", S(0), S(1));
    else if (u->op == OP_WHERE) sb_printf(&sb, "(%s?%s:%s)", S(0), S(1), S(2));
    else if (u->op == OP_CAST) sb_printf(&sb, "(%s)%s", st_name((ScalarType)u->dtype.scalar), S(0));
    else {
      sb_printf(&sb, "%s(", op_name((Op)u->op));
      for (uint32_t k = 0; k < u->nsrc; k++) sb_printf(&sb, k ? ", %s" : "%s", S(k));
      sb_putc(&sb, ')');
    }
#undef S
    HMAP_PUT_PTR(&text, u, sb_take(&sb));
  }
  sb_puts(out, (const char *)HMAP_PTR(&text, root));
  for (int64_t i = 0; i < text.cap; i++) if (text.keys[i]) free((void *)(uintptr_t)text.vals[i]);
  hmap_free(&text);
}

char *uop_expr(UOp *u) { StrBuf sb = { 0 }; uop_expr_sb(u, &sb); return sb_take(&sb); }

char *uop_listing(UOp *root) {
  const UOpList *topo = uop_toposort(root);
  HMap num = { 0 };
  StrBuf sb = { 0 };
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    HMAP_PUT_PTR(&num, u, i + 1);
    char dt[48];
    dt_str(u->dtype, dt, sizeof dt);
    sb_printf(&sb, "%%%" PRId64 " = %s %s", i, op_name((Op)u->op), dt);
    if (u->nsrc) {
      sb_puts(&sb, " (");
      for (uint32_t k = 0; k < u->nsrc; k++) sb_printf(&sb, k ? ", %%%" PRIu64 : "%%%" PRIu64, hmap_get_or(&num, (uint64_t)(uintptr_t)u->src[k], 0) - 1);
      sb_putc(&sb, ')');
    }
    if (u->arg.kind != ARG_NONE) { sb_putc(&sb, ' '); uop_arg_str(u, &sb); }
    if (u->has_range && u->op != OP_CONST) sb_printf(&sb, "  [%" PRId64 ", %" PRId64 "]", u->vmin, u->vmax);
    sb_putc(&sb, '\n');
  }
  hmap_free(&num);
  return sb_take(&sb);
}

void uop_print(UOp *root) { char *s = uop_listing(root); fputs(s, stderr); free(s); }
