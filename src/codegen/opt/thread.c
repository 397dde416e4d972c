// CPU opt THREAD: which output axis the CPU threads split, and by how many threads (see opt.h)
#include "codegen/opt/opt_internal.h"
#include "uop/axis.h"
#include <stdio.h>

static bool has_thread_ranges(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_RANGE && (t->items[i]->arg.tup[1] == AXIS_LOCAL || t->items[i]->arg.tup[1] == AXIS_GROUP)) return true;
  return false;
}

// The outermost output range: the smallest id of kind 0 (loops nest by id).
static UOp *outermost_output(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  UOp *best = NULL;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_RANGE && u->arg.tup[1] == 0 && (!best || u->arg.tup[0] < best->arg.tup[0])) best = u;
  }
  return best;
}

UOp *opt_thread(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen) {
  UOp *r = opt_find_range(ast, o.axis), *outer = outermost_output(ast);
  const char *bad = caps && caps->has_local ? "THREAD is for CPU devices (GPUs use LOCAL)" :
                    !r ? "no such axis" : r->arg.tup[1] != 0 ? "THREAD needs an output axis" :
                    r->src[0]->op != OP_CONST ? "axis has a symbolic size" :
                    o.amount < 1 || o.amount > KERNEL_THREADS_MAX ? "thread count out of 1..255" :
                    kernel_threads(ast) ? "the kernel already has a THREAD opt" :
                    has_thread_ranges(ast) ? "the kernel has thread ranges (LOCAL/GROUP)" : NULL;
  if (bad) {
    if (why) snprintf(why, (size_t)whylen, "THREAD axis %d by %d: %s", o.axis, o.amount, bad);
    return NULL;
  }
  if (r != outer) {                    // the threads split the outermost loop: put this axis there
    ast = opt_apply(ast, (Opt){ OPT_SWAP, o.axis, (int)outer->arg.tup[0] }, NULL, why, whylen);
    if (!ast) return NULL;
  }
  int64_t flags = ast->arg.kind == ARG_INT ? ast->arg.i : 0;
  return uop_new(OP_SINK, ast->dtype, ast->src, (int)ast->nsrc, arg_int(flags | (int64_t)o.amount << KERNEL_THREADS_SHIFT));
}
