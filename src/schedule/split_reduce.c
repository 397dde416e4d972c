/* Split reduces (tinygrad's split_reduceop). A reduce whose input is 32,768x its output (a batchnorm's
 * per-channel sums over batch x height x width; a convolution's weight gradient, summed over the batch and the
 * image) leaves a kernel with few outputs to spread over the cores and register tiles that stream the whole
 * input once per tile. Splitting one reduce axis into (chunks, rest) and reducing `rest` first gives a kernel
 * with chunks x more outputs, whose tiles reuse a cache-sized slice of the input; a second kernel adds the
 * chunks. The chunk count is the largest divisor of the axis in [8, 256] that keeps the partials under 2^22
 * elements. The chunk axis goes first (tinygrad puts it last, for a GPU's second kernel): on a CPU the first
 * kernel's outer, threaded loop then walks the chunks, each thread finishing one cache-sized slice of the input
 * for every output before the next, and the second kernel adds whole rows of partials with contiguous loads. */
#include "schedule/split_reduce.h"
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "uop/rewrite.h"
#include "base/env.h"
#include "base/log.h"

enum { SPLIT_MIN_RATIO = 32768, SPLIT_MAX_PARTIALS = 1 << 22, SPLIT_MAX_CHUNKS = 256, SPLIT_MIN_CHUNKS = 8 };

// The first reduce axis with a divisor in range: its index, the divisor in *chunks. -1 when none.
static int split_axis(const Shape *in, const int64_t *axes, int naxes, int64_t out_numel, int64_t *chunks) {
  int64_t hi = SPLIT_MAX_PARTIALS / out_numel;
  if (hi > SPLIT_MAX_CHUNKS) hi = SPLIT_MAX_CHUNKS;
  for (int a = 0; a < naxes; a++)
    for (int64_t d = hi; d >= SPLIT_MIN_CHUNKS; d--)
      if (in->d[axes[a]] % d == 0) { *chunks = d; return (int)axes[a]; }
  return -1;
}

static UOp *split_one(Match *m) {
  UOp *r = m->root, *x = B(x);
  const Shape *in = ushape(x), *out = ushape(r);
  int64_t in_numel = shape_numel(in), out_numel = shape_numel(out), chunks = 0;
  const int64_t *axes = r->arg.tup + 1;
  int naxes = (int)r->arg.n - 1, nd = in->ndim;
  if (out_numel == 0 || in_numel / out_numel < SPLIT_MIN_RATIO || nd + 1 > TG_MAX_DIMS) return NULL;
  for (int i = 0; i < nd; i++) if (dim_is_sym(in->d[i])) return NULL;     // (sizes are upper bounds there)
  int dim = split_axis(in, axes, naxes, out_numel, &chunks);
  if (dim < 0) return NULL;
  // (..., d, ...) -> (chunks, ..., d / chunks, ...): the reduce axes move up by one
  int64_t split[TG_MAX_DIMS];
  int perm[TG_MAX_DIMS], k = 0;
  for (int i = 0, j = 0; i < nd; i++) {
    if (i == dim) { split[j++] = chunks; split[j++] = in->d[i] / chunks; } else split[j++] = in->d[i];
  }
  perm[k++] = dim;
  for (int i = 0; i <= nd; i++) if (i != dim) perm[k++] = i;
  UOp *parts = t_permute(t_reshape(x, split, nd + 1), perm, nd + 1);
  int ax[TG_MAX_DIMS];
  for (int i = 0; i < naxes; i++) ax[i] = (int)axes[i] + 1;
  parts = t_reduce(parts, (Op)r->arg.tup[0], ax, naxes);
  parts = uop1(OP_CONTIGUOUS, parts->dtype, parts, arg_none());
  UOp *total = t_reduce(parts, (Op)r->arg.tup[0], (int[]){ 0 }, 1);
  LOG(3, "split reduce: %lld -> %lld elements in %lld chunks of axis %d", (long long)in_numel, (long long)out_numel, (long long)chunks, dim);
  return t_reshape(total, out->d, out->ndim);
}

static const Rule split_rules[] = { RULE(PATN(root, OP_REDUCE_AXIS, P(x)), split_one), RULES_END };
static Pass split_pass = PASS("split_reduce", split_rules);

UOp *split_reduces(UOp *sink) {
  if (!env_int("SPLIT_REDUCEOP", 1)) return sink;
  return graph_rewrite(sink, &split_pass, NULL);
}
