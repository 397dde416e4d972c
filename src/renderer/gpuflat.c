// GPU launch shape: which output ranges of a program one flat global thread index covers
#include "renderer/gpuflat.h"

static bool const_range(const UOp *u, int kind) {
  return u->op == OP_RANGE && u->src[0]->op == OP_CONST && u->arg.kind == ARG_TUPLE && u->arg.n >= 2 && u->arg.tup[1] == kind;
}

// Nodes that may be computed once per trip of an inner range instead of once per trip of the outer one.
static bool pure(const UOp *u) {
  switch ((Op)u->op) {
  case OP_STORE: case OP_DEFINE_REG: case OP_IF: case OP_ENDIF: case OP_RANGE: case OP_END: case OP_SINK: case OP_BARRIER: return false;
  default: return true;
  }
}

static int position(const Program *p, const UOp *u, int from) {
  for (int i = from; i < p->nlin; i++) if (p->lin[i] == u) return i;
  return -1;
}

// Position of the END that closes exactly range r, searching from `from`.
static int end_of(const Program *p, const UOp *r, int from) {
  for (int i = from; i < p->nlin; i++)
    if (p->lin[i]->op == OP_END && p->lin[i]->nsrc >= 1 && p->lin[i]->src[0] == r) {
      int nranges = 0;
      for (uint32_t k = 0; k < p->lin[i]->nsrc; k++) nranges += p->lin[i]->src[k]->op == OP_RANGE;
      return nranges == 1 ? i : -1;
    }
  return -1;
}

int gpu_flat_ranges(const Program *p, UOp **out, int max) {
  if (!p->par_range || !const_range(p->par_range, 0) || max < 1) return 0;
  int n = 0, at = position(p, p->par_range, 0);
  out[n++] = p->par_range;
  while (n < max && at >= 0) {
    int i = at + 1;
    while (i < p->nlin && p->lin[i]->op != OP_RANGE && pure(p->lin[i])) i++;
    if (i >= p->nlin || !const_range(p->lin[i], 0)) break;
    int inner_end = end_of(p, p->lin[i], i + 1), outer_end = end_of(p, out[n - 1], i + 1);
    if (inner_end < 0 || outer_end != inner_end + 1) break;
    out[n++] = p->lin[i];
    at = i;
  }
  return n;
}

int64_t gpu_flat_inner(UOp *const *chain, int n) {
  int64_t prod = 1;
  for (int k = 1; k < n; k++) prod *= chain[k]->src[0]->arg.i;
  return prod;
}
