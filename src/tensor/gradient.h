// Autograd internals: reverse-mode gradients of a tensor graph, by the gradient rule pass
#ifndef TG_GRADIENT_H
#define TG_GRADIENT_H
#include "uop/uop.h"

/* The gradients of root with respect to each of targets[0..n), given root_grad (same shape and dtype
 * as root), as ordinary lazy tensor-graph nodes: out[i] has targets[i]'s shape and dtype, or is NULL when
 * no gradient reaches targets[i] (not on a path from root, only through DETACH, integer/bool edges ...).
 * Returns 0, or -1 with tg_error set when a node on a target path has no derivative rule. */
int grad_compute(UOp *root, UOp *root_grad, UOp *const *targets, int n, UOp **out);

/* Custom gradients (as tinygrad's CALL with a gradient function): GRAD_FN(value, inputs...) is `value`, a
 * graph computed from the inputs, whose gradient is not derived through that graph but by `fn`. The
 * scheduler sees only the value (tg_realize strips the node), so it costs nothing forward.
 * fn(node, grad, out) sets out[i] to the gradient for node->src[1 + i] (shape and dtype of that input; NULL
 * for none), given `grad` for the node. It builds them with the forward builders, so they are lazy graphs
 * that can be differentiated again. The arg is the tuple (fn, params...): equal calls intern to one node. */
enum { GRAD_FN_MAX_INPUTS = 8, GRAD_FN_MAX_PARAMS = 15 };
typedef void (*GradFn)(UOp *node, UOp *grad, UOp **out);
UOp *grad_fn_node(UOp *value, UOp *const *inputs, int n, GradFn fn, const int64_t *params, int nparams);
const int64_t *grad_fn_params(const UOp *node);   // the params given to grad_fn_node
UOp *grad_fn_strip(UOp *root);                     // root with every GRAD_FN replaced by its value
#endif
