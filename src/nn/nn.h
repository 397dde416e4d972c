// nn internals shared by layers, initializers, losses and optimizers: owning parameters, naming them
#ifndef TG_NN_H
#define TG_NN_H
#include "tensor/tensor.h"

// Realize the non-NULL ts[0..n) in one schedule and move them out of every scope (depth 0), so they live until
// freed by hand; those with trainable[i] get requires_grad. On failure frees them all and returns false.
bool nn_own(tg_tensor **ts, const bool *trainable, int n);
// Make t's pending tg_assign land (realize it) so that a new graph reads its buffer; false on error.
bool nn_settle(tg_tensor *t);
// Append one entry "prefix.name" at index i when i < max; returns i + 1.
int nn_param_put(tg_nn_param *out, int max, int i, const char *prefix, const char *name, tg_tensor *t, bool trainable);
// A new tensor with a buffer of its own filled with v (float32 or int64), uploaded from the host. Parameters and
// optimizer state are made this way, not with tg_zeros/tg_ones: equal constants are one interned graph node, and
// tensors with one graph realized together share one buffer, which tg_assign on one of them would change for all.
tg_tensor *nn_filled(const int64_t *shape, int ndim, double v, tg_dtype dt);
// U(-1/sqrt(fan), 1/sqrt(fan)) in float32: torch's default for Linear/Conv weights (kaiming_uniform with
// a = sqrt(5) gives the same bound) and biases
tg_tensor *nn_uniform_fan(const int64_t *shape, int ndim, int64_t fan);
#endif
