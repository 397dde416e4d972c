// Autograd internals: reverse-mode gradients of a tensor graph, by the gradient rule pass
#ifndef TG_GRADIENT_H
#define TG_GRADIENT_H
#include "uop/uop.h"

/* The gradients of root with respect to each of targets[0..n), given root_grad (same shape and dtype
 * as root), as ordinary lazy tensor-graph nodes: out[i] has targets[i]'s shape and dtype, or is NULL when
 * no gradient reaches targets[i] (not on a path from root, only through DETACH, integer/bool edges ...).
 * Returns 0, or -1 with tg_error set when a node on a target path has no derivative rule. */
int grad_compute(UOp *root, UOp *root_grad, UOp *const *targets, int n, UOp **out);
#endif
