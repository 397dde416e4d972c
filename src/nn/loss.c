// Losses: cross entropy (indices or probabilities), sparse categorical cross entropy, NLL, binary cross entropy
// (on probabilities and, stably, on logits), MSE, L1; all reduce by the mean, as torch's default
#include "nn/nn.h"
#include <math.h>
#include <string.h>

static bool same_shape(const char *fn, const tg_tensor *a, const tg_tensor *b) {
  if (a->ndim == b->ndim && !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) return true;
  char sa[256], sb[256];
  shape_str(a->shape, a->ndim, sa, sizeof sa);
  shape_str(b->shape, b->ndim, sb, sizeof sb);
  tg_set_error("%s: input %s and target %s differ in shape", fn, sa, sb);
  return false;
}

static tg_tensor *mean_all(tg_tensor *t) { return tg_mean(t, NULL, 0, false); }

tg_tensor *tg_nn_cross_entropy(tg_tensor *logits, tg_tensor *target, double label_smoothing) {
  const char *fn = "tg_nn_cross_entropy";
  if (!t_check_inputs(fn, 2, logits, target)) return NULL;
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) { tg_set_error("%s: label_smoothing %g is outside [0, 1]", fn, label_smoothing); return NULL; }
  if (!st_is_float(target->dtype)) return tg_cross_entropy(logits, target, label_smoothing);
  if (logits->ndim != 2 || !same_shape(fn, logits, target)) {      // class probabilities
    if (logits->ndim != 2) tg_set_error("%s: logits must be (N, C), got %d-D", fn, logits->ndim);
    return NULL;
  }
  double c = (double)logits->shape[1];
  tg_tensor *y = tg_add_s(tg_mul_s(target, 1 - label_smoothing), label_smoothing / c);
  int last = -1;
  return tg_neg(mean_all(tg_sum(tg_mul(tg_log_softmax(logits, -1), y), &last, 1, false)));
}

// labels (...) against logits (..., C); ignored labels (ignore_index, -1: none) leave the sum and the count
tg_tensor *tg_nn_sparse_categorical_crossentropy(tg_tensor *logits, tg_tensor *labels, int64_t ignore_index, double label_smoothing) {
  const char *fn = "tg_nn_sparse_categorical_crossentropy";
  if (!t_check_inputs(fn, 2, logits, labels)) return NULL;
  bool ok = logits->ndim == labels->ndim + 1 && !st_is_float(labels->dtype);
  for (int i = 0; ok && i < labels->ndim; i++) ok = logits->shape[i] == labels->shape[i];
  if (!ok) {
    char sl[256], sy[256];
    shape_str(logits->shape, logits->ndim, sl, sizeof sl);
    shape_str(labels->shape, labels->ndim, sy, sizeof sy);
    tg_set_error("%s: needs logits (..., C) and integer labels (...), got %s and %s %s", fn, sl, sy, st_name(labels->dtype));
    return NULL;
  }
  if (!(label_smoothing >= 0 && label_smoothing <= 1)) { tg_set_error("%s: label_smoothing %g is outside [0, 1]", fn, label_smoothing); return NULL; }
  int last = -1;
  tg_tensor *logp = tg_log_softmax(logits, -1);
  tg_tensor *keep = ignore_index != -1 ? tg_cast(tg_ne_s(labels, (double)ignore_index), tg_get_dtype(logp)) : tg_ones_like(tg_cast(labels, tg_get_dtype(logp)));
  tg_tensor *y = tg_mul(tg_cast(tg_one_hot(labels, logits->shape[logits->ndim - 1]), tg_get_dtype(logp)), tg_unsqueeze(keep, -1));
  tg_tensor *smooth = tg_mul_s(tg_mul(tg_mean(logp, &last, 1, false), keep), label_smoothing);
  tg_tensor *per = tg_add(tg_mul_s(tg_sum(tg_mul(logp, y), &last, 1, false), 1 - label_smoothing), smooth);
  return tg_neg(tg_div(tg_sum(per, NULL, 0, false), tg_sum(keep, NULL, 0, false)));
}

tg_tensor *tg_nn_nll_loss(tg_tensor *logp, tg_tensor *target, tg_tensor *weight, int64_t ignore_index) {
  const char *fn = "tg_nn_nll_loss";
  if (!t_check_inputs(fn, 2, logp, target)) return NULL;
  if (logp->ndim != 2 || target->ndim != 1 || target->shape[0] != logp->shape[0] || st_is_float(target->dtype) ||
      (weight && (weight->ndim != 1 || weight->shape[0] != logp->shape[1]))) {
    char sl[256], st[256];
    shape_str(logp->shape, logp->ndim, sl, sizeof sl);
    shape_str(target->shape, target->ndim, st, sizeof st);
    tg_set_error("%s: needs log-probabilities (N, C), integer targets (N,) and weight (C,) or NULL, got %s and %s %s", fn, sl, st, st_name(target->dtype));
    return NULL;
  }
  tg_dtype dt = tg_get_dtype(logp);
  int last = -1;
  tg_tensor *hot = tg_cast(tg_one_hot(target, logp->shape[1]), dt);              // ignored or out-of-range: all zero
  tg_tensor *w = weight ? tg_sum(tg_mul(hot, weight), &last, 1, false) : tg_ones_like(tg_cast(target, dt));
  w = tg_mul(w, tg_cast(tg_ne_s(target, (double)ignore_index), dt));
  tg_tensor *nll = tg_neg(tg_mul(tg_sum(tg_mul(logp, hot), &last, 1, false), w));
  return tg_div(tg_sum(nll, NULL, 0, false), tg_sum(w, NULL, 0, false));
}

tg_tensor *tg_nn_binary_cross_entropy(tg_tensor *p, tg_tensor *y) {
  const char *fn = "tg_nn_binary_cross_entropy";
  if (!t_check_inputs(fn, 2, p, y) || !same_shape(fn, p, y)) return NULL;
  tg_tensor *lp = tg_maximum(tg_log(p), t_scalar_like(p, -100)), *lq = tg_maximum(tg_log(tg_rsub_s(p, 1)), t_scalar_like(p, -100));
  return tg_neg(mean_all(tg_add(tg_mul(y, lp), tg_mul(tg_rsub_s(y, 1), lq))));
}

// softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), finite for every z
static tg_tensor *softplus_stable(tg_tensor *z) {
  return tg_add(tg_relu(z), tg_log(tg_add_s(tg_exp(tg_neg(tg_abs(z))), 1)));
}

// -(pw*y*log(sigmoid(x)) + (1-y)*log(1-sigmoid(x))) = pw*y*softplus(-x) + (1-y)*softplus(x)
tg_tensor *tg_nn_binary_cross_entropy_with_logits(tg_tensor *x, tg_tensor *y, tg_tensor *pos_weight) {
  const char *fn = "tg_nn_binary_cross_entropy_with_logits";
  if (!t_check_inputs(fn, 2, x, y) || !same_shape(fn, x, y)) return NULL;
  tg_tensor *a = tg_mul(y, softplus_stable(tg_neg(x)));
  if (pos_weight) a = tg_mul(a, pos_weight);
  return mean_all(tg_add(a, tg_mul(tg_rsub_s(y, 1), softplus_stable(x))));
}

tg_tensor *tg_nn_mse_loss(tg_tensor *x, tg_tensor *y) {
  if (!t_check_inputs("tg_nn_mse_loss", 2, x, y) || !same_shape("tg_nn_mse_loss", x, y)) return NULL;
  tg_tensor *d = tg_sub(x, y);
  return mean_all(tg_mul(d, d));
}

tg_tensor *tg_nn_l1_loss(tg_tensor *x, tg_tensor *y) {
  if (!t_check_inputs("tg_nn_l1_loss", 2, x, y) || !same_shape("tg_nn_l1_loss", x, y)) return NULL;
  return mean_all(tg_abs(tg_sub(x, y)));
}
