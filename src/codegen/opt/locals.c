// GPU opts: LOCAL, GROUP and GROUPTOP split an axis into threads of a block; NOLOCALS marks a kernel that gets none
#include "codegen/opt/opt_internal.h"
#include "uop/symbolic.h"
#include <stdio.h>

static bool is_nolocals(UOp *ast) { return ast->arg.kind == ARG_INT && (ast->arg.i & KERNEL_NOLOCALS); }

// How many thread ranges the kernel has; *threads gets their product (the threads of a block).
static int thread_ranges(UOp *ast, int64_t *threads) {
  const UOpList *t = uop_toposort(ast);
  int n = 0;
  *threads = 1;
  for (int64_t i = 0; i < t->n; i++)
    if (axis_is_thread(t->items[i])) { n++; *threads *= t->items[i]->src[0]->arg.i; }
  return n;
}

static const char *no_locals(UOp *ast, const RendererCaps *caps) {
  return !caps || !caps->has_local ? "the device has no locals" : is_nolocals(ast) ? "the kernel is marked NOLOCALS" :
         kernel_threads(ast) ? "the kernel has a THREAD opt (CPU)" : NULL;
}

UOp *opt_split_threads(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen) {
  UOp *r = opt_find_range(ast, o.axis);
  int64_t size = r && r->src[0]->op == OP_CONST ? r->src[0]->arg.i : -1, threads;
  int n = thread_ranges(ast, &threads), kind = r ? axis_kind(r) : -1;
  const char *bad = no_locals(ast, caps);
  if (!bad)
    bad = !r ? "no such axis" : size < 0 ? "axis has a symbolic size" : o.amount < 2 ? "amount must be >= 2" :
          size % o.amount ? "amount does not divide the axis" :
          o.kind == OPT_LOCAL && kind != AXIS_OUTPUT ? "LOCAL needs an output axis" :
          o.kind != OPT_LOCAL && kind != AXIS_REDUCE ? "GROUP needs a reduce axis" :
          opt_lane_range(ast) ? "the kernel has a vector axis" :
          n >= 3 ? "a block has at most 3 thread dimensions" :
          threads * o.amount > caps->local_max ? "more threads than a block may have" : NULL;
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "%s axis %d by %d: %s", opt_name(o.kind), o.axis, o.amount, bad);
    return NULL;
  }
  return sym_simplify(opt_split_range(ast, r, o.amount, o.kind == OPT_LOCAL ? AXIS_LOCAL : AXIS_GROUP, o.kind == OPT_GROUPTOP));
}

UOp *opt_nolocals(UOp *ast, const RendererCaps *caps, char *why, int whylen) {
  int64_t threads;
  const char *bad = no_locals(ast, caps);
  if (!bad && thread_ranges(ast, &threads)) bad = "the kernel already has thread ranges";
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "NOLOCALS: %s", bad);
    return NULL;
  }
  int64_t flags = ast->arg.kind == ARG_INT ? ast->arg.i : 0;
  return uop_new(OP_SINK, ast->dtype, ast->src, (int)ast->nsrc, arg_int(flags | KERNEL_NOLOCALS));
}
