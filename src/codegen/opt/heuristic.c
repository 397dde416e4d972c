// Hand-coded opts: register-tile reduce kernels (upcast two output axes, unroll the inner reduce)
#include "codegen/opt/opt.h"
#include "base/env.h"
#include "base/threadpool.h"

typedef struct { UOp *r; int64_t size; } Axis;

static int ranges_of(UOp *ast, int kind, Axis *out, int max) {
  const UOpList *t = uop_toposort(ast);
  int n = 0;
  for (int64_t i = 0; i < t->n && n < max; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_RANGE && u->arg.tup[1] == kind && u->src[0]->op == OP_CONST) out[n++] = (Axis){ u, u->src[0]->arg.i };
  }
  for (int a = 1; a < n; a++)      // by id: outer axes first
    for (int b = a; b > 0 && out[b].r->arg.tup[0] < out[b - 1].r->arg.tup[0]; b--) { Axis x = out[b]; out[b] = out[b - 1]; out[b - 1] = x; }
  return n;
}

static bool has_reduce(UOp *ast) {
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_REDUCE) return true;
  return false;
}

static UOp *try_opt(UOp *ast, Opt o, Opt *opts, int max, int *n) {
  UOp *r = opt_apply(ast, o, NULL, 0);
  if (!r) return ast;
  if (*n < max) opts[(*n)++] = o;
  return r;
}

UOp *opt_heuristic(UOp *ast, Opt *opts, int max, int *nopts) {
  *nopts = 0;
  if (env_int("NOOPT", 0) || !has_reduce(ast)) return ast;
  Axis outs[16], reds[16];
  int no = ranges_of(ast, 0, outs, 16), nr = ranges_of(ast, 1, reds, 16);
  // upcast up to two output axes by 4, innermost first; the first axis is split over threads, so it
  // keeps enough trips for every core
  int done = 0;
  for (int i = no - 1; i >= 0 && done < 2; i--) {
    if (outs[i].size % 4) continue;
    if (i == 0 && outs[i].size / 4 < 4 * tp_threads()) continue;
    UOp *next = try_opt(ast, (Opt){ OPT_UPCAST, (int)outs[i].r->arg.tup[0], 4 }, opts, max, nopts);
    if (next != ast) { ast = next; done++; }
  }
  // unroll the innermost reduce axis: fully when small, else by 4
  if (nr > 0) {
    Axis in = reds[nr - 1];
    int k = in.size <= 8 ? (int)in.size : in.size % 4 == 0 ? 4 : 0;
    if (k >= 2) ast = try_opt(ast, (Opt){ OPT_UNROLL, (int)in.r->arg.tup[0], k }, opts, max, nopts);
  }
  return ast;
}
