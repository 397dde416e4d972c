// Layers: Linear, Conv1d/2d, ConvTranspose2d, BatchNorm, LayerNorm, GroupNorm, RMSNorm, Embedding, Dropout,
// LSTMCell, with torch's default init; the training-mode switch; owning and naming parameters
#include "nn/nn.h"
#include "schedule/schedule.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- training mode, owning, naming ----
static bool training;
void tg_set_training(bool on) { training = on; }
bool tg_training(void) { return training; }

bool nn_own(tg_tensor **ts, const bool *trainable, int n) {
  tg_tensor *list[16];
  int k = 0;
  TG_ASSERT(n <= 16, "nn_own: %d tensors", n);
  for (int i = 0; i < n; i++) if (ts[i]) list[k++] = ts[i];
  if (tg_realize_many(list, k) != 0) return false;
  for (int i = 0; i < n; i++)
    if (ts[i]) { ts[i]->scope = 0; if (trainable[i] && !tg_requires_grad(ts[i], true)) return false; }
  return true;
}

bool nn_settle(tg_tensor *t) { return !t || sched_view_buffer(t->uop) || tg_realize(t); }

int nn_param_put(tg_nn_param *out, int max, int i, const char *prefix, const char *name, tg_tensor *t, bool trainable) {
  if (!t) return i;
  if (out && i < max) {
    snprintf(out[i].name, TG_NN_NAME_MAX, "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "", name);
    out[i].tensor = t;
    out[i].trainable = trainable;
  }
  return i + 1;
}

int tg_nn_param_tensors(const tg_nn_param *ps, int n, bool trainable_only, tg_tensor **out) {
  int k = 0;
  for (int i = 0; i < n; i++)
    if (!trainable_only || ps[i].trainable) out[k++] = ps[i].tensor;
  return k;
}

int tg_nn_state_add(tg_state *s, const tg_nn_param *ps, int n) {
  for (int i = 0; i < n; i++) if (tg_state_add(s, ps[i].name, ps[i].tensor) != 0) return -1;
  return 0;
}

// tg_nn_<layer>_state: list the layer's tensors, add them to a state dict
#define NN_STATE(layer)                                                                  \
  int tg_nn_##layer##_state(struct tg_nn_##layer *m, const char *prefix, tg_state *s) { \
    tg_nn_param ps[8];                                                                   \
    int n = tg_nn_##layer##_params(m, prefix, ps, 8);                                    \
    return tg_nn_state_add(s, ps, n);                                                    \
  }

static bool positive(const char *fn, const char *what, int64_t v) {
  if (v > 0) return true;
  tg_set_error("%s: %s must be positive, got %lld", fn, what, (long long)v);
  return false;
}

// The end of a constructor: realize and own ts (NULL entries are absent), or free m and report NULL.
static void *finish_new(void *m, tg_tensor **ts, const bool *trainable, int n, bool ok) {
  ok = ok && nn_own(ts, trainable, n);
  tg_scope_end();                             // the constructor's scope: drops temporaries (and ts on failure)
  if (!ok) { free(m); return NULL; }
  return m;
}

static void free_all(void *m, tg_tensor **ts, int n) {
  if (!m) return;
  for (int i = 0; i < n; i++) tg_free(ts[i]);
  free(m);
}

// ---- Linear ----
struct tg_nn_linear *tg_nn_linear_new(int64_t in, int64_t out, bool bias) {
  const char *fn = "tg_nn_linear_new";
  if (!positive(fn, "in_features", in) || !positive(fn, "out_features", out)) return NULL;
  struct tg_nn_linear *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  m->in_features = in; m->out_features = out;
  tg_scope_begin();
  m->weight = nn_uniform_fan(TG_SHAPE(out, in), in);
  m->bias = bias ? nn_uniform_fan(TG_SHAPE(out), in) : NULL;
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, m->weight && (!bias || m->bias));
}
tg_tensor *tg_nn_linear(struct tg_nn_linear *m, tg_tensor *x) {
  if (!m) { tg_set_error("tg_nn_linear: layer is NULL"); return NULL; }
  return tg_linear(x, m->weight, m->bias);
}
int tg_nn_linear_params(struct tg_nn_linear *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_linear_free(struct tg_nn_linear *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

// ---- Conv1d, Conv2d ----
static bool conv_args(const char *fn, int64_t in, int64_t out, int groups, int64_t kernel) {
  if (!positive(fn, "in_channels", in) || !positive(fn, "out_channels", out) || !positive(fn, "groups", groups) ||
      !positive(fn, "kernel_size", kernel)) return false;
  if (in % groups || out % groups) {
    tg_set_error("%s: in_channels (%lld) and out_channels (%lld) must be divisible by groups (%d)", fn, (long long)in, (long long)out, groups);
    return false;
  }
  return true;
}

struct tg_nn_conv1d *tg_nn_conv1d_new(int64_t in, int64_t out, int k, int stride, int padding, int dilation, int groups, bool bias) {
  const char *fn = "tg_nn_conv1d_new";
  if (!conv_args(fn, in, out, groups, k) || !positive(fn, "stride", stride) || !positive(fn, "dilation", dilation)) return NULL;
  if (padding < 0) { tg_set_error("%s: padding must be >= 0, got %d", fn, padding); return NULL; }
  struct tg_nn_conv1d *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_conv1d){ .in_channels = in, .out_channels = out, .kernel_size = k, .stride = stride, .padding = padding,
                       .dilation = dilation, .groups = groups };
  int64_t fan = in / groups * k;
  tg_scope_begin();
  m->weight = nn_uniform_fan(TG_SHAPE(out, in / groups, k), fan);
  m->bias = bias ? nn_uniform_fan(TG_SHAPE(out), fan) : NULL;
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, m->weight && (!bias || m->bias));
}
tg_tensor *tg_nn_conv1d(struct tg_nn_conv1d *m, tg_tensor *x) {
  if (!m) { tg_set_error("tg_nn_conv1d: layer is NULL"); return NULL; }
  if (!t_check_inputs("tg_nn_conv1d", 1, x)) return NULL;
  if (x->ndim != 3) { tg_set_error("tg_nn_conv1d: input must be 3-D (N, C, L), got %d-D", x->ndim); return NULL; }
  int s[2] = { 1, m->stride }, p[2] = { 0, m->padding }, d[2] = { 1, m->dilation };
  tg_tensor *y = tg_conv2d(tg_unsqueeze(x, 2), tg_unsqueeze(m->weight, 2), m->bias, m->groups, s, p, d);
  return tg_squeeze(y, 2);
}
int tg_nn_conv1d_params(struct tg_nn_conv1d *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_conv1d_free(struct tg_nn_conv1d *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

static void pair_or(int out[2], const int *v, int dflt) { out[0] = v ? v[0] : dflt; out[1] = v ? v[1] : dflt; }

static bool window_args(const char *fn, const int k[2], const int s[2], const int p[2], const int d[2]) {
  for (int j = 0; j < 2; j++)
    if (k[j] <= 0 || s[j] <= 0 || d[j] <= 0 || p[j] < 0) {
      tg_set_error("%s: kernel_size, stride and dilation must be positive and padding >= 0, got (%d,%d) (%d,%d) (%d,%d) (%d,%d)",
                   fn, k[0], k[1], s[0], s[1], d[0], d[1], p[0], p[1]);
      return false;
    }
  return true;
}

struct tg_nn_conv2d *tg_nn_conv2d_new(int64_t in, int64_t out, const int *kernel, const int *stride, const int *padding,
                                      const int *dilation, int groups, bool bias) {
  const char *fn = "tg_nn_conv2d_new";
  if (!kernel) { tg_set_error("%s: kernel_size is NULL", fn); return NULL; }
  struct tg_nn_conv2d c = { .in_channels = in, .out_channels = out, .groups = groups };
  pair_or(c.kernel_size, kernel, 1); pair_or(c.stride, stride, 1); pair_or(c.padding, padding, 0); pair_or(c.dilation, dilation, 1);
  if (!conv_args(fn, in, out, groups, 1) || !window_args(fn, c.kernel_size, c.stride, c.padding, c.dilation)) return NULL;
  struct tg_nn_conv2d *m = malloc(sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = c;
  int64_t fan = in / groups * c.kernel_size[0] * c.kernel_size[1];
  tg_scope_begin();
  m->weight = nn_uniform_fan(TG_SHAPE(out, in / groups, c.kernel_size[0], c.kernel_size[1]), fan);
  m->bias = bias ? nn_uniform_fan(TG_SHAPE(out), fan) : NULL;
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, m->weight && (!bias || m->bias));
}
tg_tensor *tg_nn_conv2d(struct tg_nn_conv2d *m, tg_tensor *x) {
  if (!m) { tg_set_error("tg_nn_conv2d: layer is NULL"); return NULL; }
  return tg_conv2d(x, m->weight, m->bias, m->groups, m->stride, m->padding, m->dilation);
}
int tg_nn_conv2d_params(struct tg_nn_conv2d *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_conv2d_free(struct tg_nn_conv2d *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

// ---- ConvTranspose2d ----
/* As tinygrad's conv_transpose2d: a conv2d of the input, spread by the stride (s-1 zeros between pixels) and
 * padded by (k-1)*d - p before and (k-1)*d - p + output_padding after, with the weight regrouped to
 * (groups*cout/groups, cin/groups, kh, kw) and flipped spatially. */
tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *w, tg_tensor *bias, int groups, const int *stride,
                               const int *padding, const int *dilation, const int *output_padding) {
  const char *fn = "tg_conv_transpose2d";
  if (x && !t_check_concrete(fn, x, -1)) return NULL;
  if (!t_check_inputs(fn, 2, x, w)) return NULL;
  if (groups <= 0) groups = 1;
  if (x->ndim != 4 || w->ndim != 4 || w->shape[0] != x->shape[1] || x->shape[1] % groups) {
    char sx[256], sw[256];
    shape_str(x->shape, x->ndim, sx, sizeof sx);
    shape_str(w->shape, w->ndim, sw, sizeof sw);
    tg_set_error("%s: needs input (N, Cin, H, W) and weight (Cin, Cout/groups, kh, kw) with groups=%d dividing Cin, got %s and %s",
                 fn, groups, sx, sw);
    return NULL;
  }
  int k[2] = { (int)w->shape[2], (int)w->shape[3] }, s[2], p[2], d[2], op[2];
  pair_or(s, stride, 1); pair_or(p, padding, 0); pair_or(d, dilation, 1); pair_or(op, output_padding, 0);
  if (!window_args(fn, k, s, p, d)) return NULL;
  for (int j = 0; j < 2; j++)
    if (op[j] < 0 || (op[j] >= s[j] && op[j] >= d[j])) {
      tg_set_error("%s: output_padding (%d, %d) must be >= 0 and smaller than stride or dilation", fn, op[0], op[1]);
      return NULL;
    }
  int64_t n = x->shape[0], cin = x->shape[1], h = x->shape[2], wd = x->shape[3], cig = cin / groups, cog = w->shape[1];
  tg_tensor *wt = tg_reshape(w, (int64_t[]){ groups, cig, cog, k[0], k[1] }, 5);
  wt = tg_flip(tg_transpose(wt, 1, 2), (int[]){ 3, 4 }, 2);
  wt = tg_reshape(wt, (int64_t[]){ groups * cog, cig, k[0], k[1] }, 4);
  if (s[0] > 1 || s[1] > 1) {
    x = tg_reshape(x, (int64_t[]){ n, cin, h, 1, wd, 1 }, 6);
    x = tg_pad(x, (int64_t[]){ 0, 0, 0, 0, 0, 0, 0, s[0] - 1, 0, 0, 0, s[1] - 1 }, 12, 0);
    x = tg_reshape(x, (int64_t[]){ n, cin, h * s[0], wd * s[1] }, 4);
    x = tg_shrink(x, (int64_t[]){ 0, n, 0, cin, 0, (h - 1) * s[0] + 1, 0, (wd - 1) * s[1] + 1 }, 8);
  }
  int64_t pads[8] = { 0, 0, 0, 0 };
  for (int j = 0; j < 2; j++) {
    pads[4 + 2 * j] = (int64_t)(k[j] - 1) * d[j] - p[j];
    pads[5 + 2 * j] = (int64_t)(k[j] - 1) * d[j] - p[j] + op[j];
  }
  return tg_conv2d(tg_pad(x, pads, 8, 0), wt, bias, groups, NULL, NULL, d);
}

struct tg_nn_conv_transpose2d *tg_nn_conv_transpose2d_new(int64_t in, int64_t out, const int *kernel, const int *stride,
                                                          const int *padding, const int *dilation, const int *output_padding,
                                                          int groups, bool bias) {
  const char *fn = "tg_nn_conv_transpose2d_new";
  if (!kernel) { tg_set_error("%s: kernel_size is NULL", fn); return NULL; }
  struct tg_nn_conv_transpose2d c = { .in_channels = in, .out_channels = out, .groups = groups };
  pair_or(c.kernel_size, kernel, 1); pair_or(c.stride, stride, 1); pair_or(c.padding, padding, 0);
  pair_or(c.dilation, dilation, 1); pair_or(c.output_padding, output_padding, 0);
  if (!conv_args(fn, in, out, groups, 1) || !window_args(fn, c.kernel_size, c.stride, c.padding, c.dilation)) return NULL;
  struct tg_nn_conv_transpose2d *m = malloc(sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = c;
  int64_t fan = out / groups * c.kernel_size[0] * c.kernel_size[1];   // torch: fan_in from weight dim 1
  tg_scope_begin();
  m->weight = nn_uniform_fan(TG_SHAPE(in, out / groups, c.kernel_size[0], c.kernel_size[1]), fan);
  m->bias = bias ? nn_uniform_fan(TG_SHAPE(out), fan) : NULL;
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, m->weight && (!bias || m->bias));
}
tg_tensor *tg_nn_conv_transpose2d(struct tg_nn_conv_transpose2d *m, tg_tensor *x) {
  if (!m) { tg_set_error("tg_nn_conv_transpose2d: layer is NULL"); return NULL; }
  return tg_conv_transpose2d(x, m->weight, m->bias, m->groups, m->stride, m->padding, m->dilation, m->output_padding);
}
int tg_nn_conv_transpose2d_params(struct tg_nn_conv_transpose2d *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_conv_transpose2d_free(struct tg_nn_conv_transpose2d *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

// ---- BatchNorm ----
struct tg_nn_batchnorm *tg_nn_batchnorm_new(int64_t c, double eps, double momentum, bool affine, bool track) {
  const char *fn = "tg_nn_batchnorm_new";
  if (!positive(fn, "num_features", c)) return NULL;
  if (!(eps >= 0) || !(momentum >= 0 && momentum <= 1)) { tg_set_error("%s: needs eps >= 0 and momentum in [0, 1], got %g and %g", fn, eps, momentum); return NULL; }
  struct tg_nn_batchnorm *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_batchnorm){ .num_features = c, .eps = eps, .momentum = momentum, .affine = affine, .track_running_stats = track };
  tg_scope_begin();
  if (affine) { m->weight = nn_filled(TG_SHAPE(c), 1, TG_FLOAT32); m->bias = nn_filled(TG_SHAPE(c), 0, TG_FLOAT32); }
  if (track) {
    m->running_mean = nn_filled(TG_SHAPE(c), 0, TG_FLOAT32);
    m->running_var = nn_filled(TG_SHAPE(c), 1, TG_FLOAT32);
    m->num_batches_tracked = nn_filled(NULL, 0, 0, TG_INT64);
  }
  bool ok = (!affine || (m->weight && m->bias)) && (!track || (m->running_mean && m->running_var && m->num_batches_tracked));
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias, m->running_mean, m->running_var, m->num_batches_tracked },
                    (bool[]){ true, true, false, false, false }, 5, ok);
}

tg_tensor *tg_nn_batchnorm(struct tg_nn_batchnorm *m, tg_tensor *x) {
  const char *fn = "tg_nn_batchnorm";
  if (!m) { tg_set_error("%s: layer is NULL", fn); return NULL; }
  if (!t_check_inputs(fn, 1, x)) return NULL;
  if (x->ndim < 2 || x->shape[1] != m->num_features) {
    char s[256];
    shape_str(x->shape, x->ndim, s, sizeof s);
    tg_set_error("%s: input %s does not have %lld channels on axis 1", fn, s, (long long)m->num_features);
    return NULL;
  }
  int axes[TG_MAX_DIMS], na = 0;
  int64_t mask[TG_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) { mask[i] = i == 1 ? m->num_features : 1; if (i != 1) axes[na++] = i; }
  tg_tensor *mean, *var;
  bool track = m->track_running_stats;
  if ((training || !track) && tg_numel(x) <= m->num_features) {
    char s[256];
    shape_str(x->shape, x->ndim, s, sizeof s);
    tg_set_error("%s: batch statistics need more than 1 value per channel, input %s", fn, s);
    return NULL;
  }
  if (training || !track) {
    mean = tg_mean(x, axes, na, false);
    tg_tensor *y = tg_sub(x, tg_reshape(mean, mask, x->ndim));
    var = tg_mean(tg_mul(y, y), axes, na, false);                 // biased, for normalizing
    if (training && track) {
      if (!nn_settle(m->running_mean) || !nn_settle(m->running_var) || !nn_settle(m->num_batches_tracked)) return NULL;
      double n = (double)tg_numel(x) / (double)m->num_features, mom = m->momentum;
      tg_tensor *uvar = tg_mul_s(tg_detach(var), n / (n - 1));   // torch: unbiased for the running variance
      tg_assign(m->running_mean, tg_add(tg_mul_s(m->running_mean, 1 - mom), tg_mul_s(tg_detach(mean), mom)));
      tg_assign(m->running_var, tg_add(tg_mul_s(m->running_var, 1 - mom), tg_mul_s(uvar, mom)));
      tg_assign(m->num_batches_tracked, tg_add_s(m->num_batches_tracked, 1));
    }
  } else {
    if (!nn_settle(m->running_mean) || !nn_settle(m->running_var)) return NULL;
    mean = m->running_mean; var = m->running_var;
  }
  tg_tensor *y = tg_sub(x, tg_reshape(mean, mask, x->ndim));
  if (m->weight) y = tg_mul(y, tg_reshape(m->weight, mask, x->ndim));
  y = tg_mul(y, tg_reshape(tg_rsqrt(tg_add_s(var, m->eps)), mask, x->ndim));
  return m->bias ? tg_add(y, tg_reshape(m->bias, mask, x->ndim)) : y;
}
int tg_nn_batchnorm_params(struct tg_nn_batchnorm *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  i = nn_param_put(out, max, i, prefix, "bias", m->bias, true);
  i = nn_param_put(out, max, i, prefix, "running_mean", m->running_mean, false);
  i = nn_param_put(out, max, i, prefix, "running_var", m->running_var, false);
  return nn_param_put(out, max, i, prefix, "num_batches_tracked", m->num_batches_tracked, false);
}
void tg_nn_batchnorm_free(struct tg_nn_batchnorm *m) {
  if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias, m->running_mean, m->running_var, m->num_batches_tracked }, 5);
}

// ---- LayerNorm, GroupNorm, RMSNorm ----
static tg_tensor *normalize(tg_tensor *x, const int *axes, int n, double eps) {    // (x - mean) / sqrt(var + eps)
  tg_tensor *y = tg_sub(x, tg_mean(x, axes, n, true));
  return tg_mul(y, tg_rsqrt(tg_add_s(tg_mean(tg_mul(y, y), axes, n, true), eps)));
}

struct tg_nn_layernorm *tg_nn_layernorm_new(const int64_t *shape, int ndim, double eps, bool affine) {
  const char *fn = "tg_nn_layernorm_new";
  if (ndim < 1 || ndim > 8 || !shape) { tg_set_error("%s: normalized_shape needs 1 to 8 dims, got %d", fn, ndim); return NULL; }
  for (int i = 0; i < ndim; i++) if (!positive(fn, "normalized_shape[i]", shape[i])) return NULL;
  struct tg_nn_layernorm *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  memcpy(m->normalized_shape, shape, (size_t)ndim * sizeof *shape);
  m->ndim = ndim; m->eps = eps; m->elementwise_affine = affine;
  tg_scope_begin();
  if (affine) { m->weight = nn_filled(shape, ndim, 1, TG_FLOAT32); m->bias = nn_filled(shape, ndim, 0, TG_FLOAT32); }
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, !affine || (m->weight && m->bias));
}
tg_tensor *tg_nn_layernorm(struct tg_nn_layernorm *m, tg_tensor *x) {
  const char *fn = "tg_nn_layernorm";
  if (!m) { tg_set_error("%s: layer is NULL", fn); return NULL; }
  if (!t_check_inputs(fn, 1, x)) return NULL;
  bool ok = x->ndim >= m->ndim;
  for (int i = 0; ok && i < m->ndim; i++) ok = x->shape[x->ndim - m->ndim + i] == m->normalized_shape[i];
  if (!ok) {
    char sx[256], sn[256];
    shape_str(x->shape, x->ndim, sx, sizeof sx);
    shape_str(m->normalized_shape, m->ndim, sn, sizeof sn);
    tg_set_error("%s: input %s does not end in normalized_shape %s", fn, sx, sn);
    return NULL;
  }
  int axes[8];
  for (int i = 0; i < m->ndim; i++) axes[i] = x->ndim - m->ndim + i;
  tg_tensor *y = normalize(x, axes, m->ndim, m->eps);
  return m->weight ? tg_add(tg_mul(y, m->weight), m->bias) : y;
}
int tg_nn_layernorm_params(struct tg_nn_layernorm *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_layernorm_free(struct tg_nn_layernorm *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

struct tg_nn_groupnorm *tg_nn_groupnorm_new(int64_t groups, int64_t channels, double eps, bool affine) {
  const char *fn = "tg_nn_groupnorm_new";
  if (!positive(fn, "num_groups", groups) || !positive(fn, "num_channels", channels)) return NULL;
  if (channels % groups) { tg_set_error("%s: num_channels (%lld) must be divisible by num_groups (%lld)", fn, (long long)channels, (long long)groups); return NULL; }
  struct tg_nn_groupnorm *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_groupnorm){ .num_groups = groups, .num_channels = channels, .eps = eps, .affine = affine };
  tg_scope_begin();
  if (affine) { m->weight = nn_filled(TG_SHAPE(channels), 1, TG_FLOAT32); m->bias = nn_filled(TG_SHAPE(channels), 0, TG_FLOAT32); }
  return finish_new(m, (tg_tensor *[]){ m->weight, m->bias }, (bool[]){ true, true }, 2, !affine || (m->weight && m->bias));
}
tg_tensor *tg_nn_groupnorm(struct tg_nn_groupnorm *m, tg_tensor *x) {
  const char *fn = "tg_nn_groupnorm";
  if (!m) { tg_set_error("%s: layer is NULL", fn); return NULL; }
  if (!t_check_inputs(fn, 1, x)) return NULL;
  if (x->ndim < 2 || x->shape[1] != m->num_channels) {
    char s[256];
    shape_str(x->shape, x->ndim, s, sizeof s);
    tg_set_error("%s: input %s does not have %lld channels on axis 1", fn, s, (long long)m->num_channels);
    return NULL;
  }
  int last = 2;
  tg_tensor *y = tg_reshape(x, (int64_t[]){ x->shape[0], m->num_groups, -1 }, 3);
  y = tg_reshape(normalize(y, &last, 1, m->eps), x->shape, x->ndim);
  if (!m->weight) return y;
  int64_t mask[TG_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) mask[i] = i == 1 ? m->num_channels : 1;
  return tg_add(tg_mul(y, tg_reshape(m->weight, mask, x->ndim)), tg_reshape(m->bias, mask, x->ndim));
}
int tg_nn_groupnorm_params(struct tg_nn_groupnorm *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
  return nn_param_put(out, max, i, prefix, "bias", m->bias, true);
}
void tg_nn_groupnorm_free(struct tg_nn_groupnorm *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight, m->bias }, 2); }

struct tg_nn_rmsnorm *tg_nn_rmsnorm_new(int64_t dim, double eps, bool affine) {
  if (!positive("tg_nn_rmsnorm_new", "dim", dim)) return NULL;
  struct tg_nn_rmsnorm *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_rmsnorm){ .dim = dim, .eps = eps };
  tg_scope_begin();
  if (affine) m->weight = nn_filled(TG_SHAPE(dim), 1, TG_FLOAT32);
  return finish_new(m, (tg_tensor *[]){ m->weight }, (bool[]){ true }, 1, !affine || m->weight);
}
tg_tensor *tg_nn_rmsnorm(struct tg_nn_rmsnorm *m, tg_tensor *x) {
  const char *fn = "tg_nn_rmsnorm";
  if (!m) { tg_set_error("%s: layer is NULL", fn); return NULL; }
  if (!t_check_inputs(fn, 1, x)) return NULL;
  if (x->ndim < 1 || x->shape[x->ndim - 1] != m->dim) {
    char s[256];
    shape_str(x->shape, x->ndim, s, sizeof s);
    tg_set_error("%s: input %s does not end in dim %lld", fn, s, (long long)m->dim);
    return NULL;
  }
  int last = -1;
  tg_tensor *y = tg_mul(x, tg_rsqrt(tg_add_s(tg_mean(tg_mul(x, x), &last, 1, true), m->eps)));
  return m->weight ? tg_mul(y, m->weight) : y;
}
int tg_nn_rmsnorm_params(struct tg_nn_rmsnorm *m, const char *prefix, tg_nn_param *out, int max) {
  return nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
}
void tg_nn_rmsnorm_free(struct tg_nn_rmsnorm *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight }, 1); }

// ---- Embedding ----
struct tg_nn_embedding *tg_nn_embedding_new(int64_t vocab, int64_t dim) {
  const char *fn = "tg_nn_embedding_new";
  if (!positive(fn, "vocab_size", vocab) || !positive(fn, "embed_size", dim)) return NULL;
  struct tg_nn_embedding *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_embedding){ .vocab_size = vocab, .embed_size = dim };
  tg_scope_begin();
  m->weight = tg_randn(TG_SHAPE(vocab, dim), TG_FLOAT32);
  return finish_new(m, (tg_tensor *[]){ m->weight }, (bool[]){ true }, 1, m->weight != NULL);
}
// tinygrad's arange trick: (arange(V) == idx[..., None])[..., None].where(weight, 0).sum(-2), one fused reduce
tg_tensor *tg_nn_embedding(struct tg_nn_embedding *m, tg_tensor *idx) {
  const char *fn = "tg_nn_embedding";
  if (!m) { tg_set_error("%s: layer is NULL", fn); return NULL; }
  if (!t_check_inputs(fn, 1, idx)) return NULL;
  if (!st_is_int(idx->dtype) || idx->ndim >= TG_MAX_DIMS - 1) {
    tg_set_error("%s: indices must be an integer tensor of at most %d dims, got %s with %d", fn, TG_MAX_DIMS - 2, st_name(idx->dtype), idx->ndim);
    return NULL;
  }
  tg_dtype it = m->vocab_size < INT32_MAX ? TG_INT32 : TG_INT64;
  tg_tensor *ar = t_arange_on(idx, 0, 1, m->vocab_size, it);
  tg_tensor *hit = tg_unsqueeze(tg_eq(tg_unsqueeze(tg_cast(idx, it), -1), ar), -1);     // (..., V, 1)
  int ax = -2;
  return tg_sum(tg_where(hit, m->weight, t_scalar_like(m->weight, 0)), &ax, 1, false);
}
int tg_nn_embedding_params(struct tg_nn_embedding *m, const char *prefix, tg_nn_param *out, int max) {
  return nn_param_put(out, max, 0, prefix, "weight", m->weight, true);
}
void tg_nn_embedding_free(struct tg_nn_embedding *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight }, 1); }

// ---- Dropout ----
tg_tensor *tg_nn_dropout(tg_tensor *x, double p) {
  const char *fn = "tg_nn_dropout";
  if (!t_check_inputs(fn, 1, x)) return NULL;
  if (!(p >= 0 && p <= 1)) { tg_set_error("%s: p = %g is outside [0, 1]", fn, p); return NULL; }
  if (!training || p == 0) return x;
  if (p == 1) return tg_zeros_like(x);
  tg_tensor *r = tg_rand_like(st_is_float(x->dtype) ? x : tg_cast(x, TG_FLOAT32));
  return tg_div_s(tg_where(tg_ge_s(r, p), x, t_scalar_like(x, 0)), 1 - p);
}

// ---- LSTMCell ----
struct tg_nn_lstmcell *tg_nn_lstmcell_new(int64_t in, int64_t hidden, bool bias) {
  const char *fn = "tg_nn_lstmcell_new";
  if (!positive(fn, "input_size", in) || !positive(fn, "hidden_size", hidden)) return NULL;
  struct tg_nn_lstmcell *m = calloc(1, sizeof *m);
  TG_ASSERT(m, "out of memory");
  *m = (struct tg_nn_lstmcell){ .input_size = in, .hidden_size = hidden };
  tg_scope_begin();                                    // torch: every tensor U(-1/sqrt(hidden), 1/sqrt(hidden))
  m->weight_ih = nn_uniform_fan(TG_SHAPE(4 * hidden, in), hidden);
  m->weight_hh = nn_uniform_fan(TG_SHAPE(4 * hidden, hidden), hidden);
  if (bias) { m->bias_ih = nn_uniform_fan(TG_SHAPE(4 * hidden), hidden); m->bias_hh = nn_uniform_fan(TG_SHAPE(4 * hidden), hidden); }
  bool ok = m->weight_ih && m->weight_hh && (!bias || (m->bias_ih && m->bias_hh));
  return finish_new(m, (tg_tensor *[]){ m->weight_ih, m->weight_hh, m->bias_ih, m->bias_hh }, (bool[]){ true, true, true, true }, 4, ok);
}
int tg_nn_lstmcell(struct tg_nn_lstmcell *m, tg_tensor *x, tg_tensor *h, tg_tensor *c, tg_tensor **h_out, tg_tensor **c_out) {
  const char *fn = "tg_nn_lstmcell";
  if (!m || !h_out || !c_out) { tg_set_error("%s: layer or output pointer is NULL", fn); return -1; }
  *h_out = *c_out = NULL;
  if (!t_check_inputs(fn, 1, x)) return -1;
  if (x->ndim != 2 || x->shape[1] != m->input_size) {
    char s[256];
    shape_str(x->shape, x->ndim, s, sizeof s);
    tg_set_error("%s: input %s is not (N, %lld)", fn, s, (long long)m->input_size);
    return -1;
  }
  if (!h) h = tg_zeros(TG_SHAPE(x->shape[0], m->hidden_size), tg_get_dtype(x));
  if (!c) c = tg_zeros(TG_SHAPE(x->shape[0], m->hidden_size), tg_get_dtype(x));
  tg_tensor *gates = tg_add(tg_linear(x, m->weight_ih, m->bias_ih), tg_linear(h, m->weight_hh, m->bias_hh));
  tg_tensor *g[4];
  if (!gates || tg_chunk(gates, 4, 1, g, 4) != 4) return -1;
  tg_tensor *nc = tg_add(tg_mul(tg_sigmoid(g[1]), c), tg_mul(tg_sigmoid(g[0]), tg_tanh(g[2])));
  tg_tensor *nh = tg_mul(tg_sigmoid(g[3]), tg_tanh(nc));
  if (!nc || !nh) return -1;
  *h_out = nh; *c_out = nc;
  return 0;
}
int tg_nn_lstmcell_params(struct tg_nn_lstmcell *m, const char *prefix, tg_nn_param *out, int max) {
  int i = nn_param_put(out, max, 0, prefix, "weight_ih", m->weight_ih, true);
  i = nn_param_put(out, max, i, prefix, "weight_hh", m->weight_hh, true);
  i = nn_param_put(out, max, i, prefix, "bias_ih", m->bias_ih, true);
  return nn_param_put(out, max, i, prefix, "bias_hh", m->bias_hh, true);
}
void tg_nn_lstmcell_free(struct tg_nn_lstmcell *m) { if (m) free_all(m, (tg_tensor *[]){ m->weight_ih, m->weight_hh, m->bias_ih, m->bias_hh }, 4); }

NN_STATE(linear) NN_STATE(conv1d) NN_STATE(conv2d) NN_STATE(conv_transpose2d) NN_STATE(batchnorm) NN_STATE(layernorm)
NN_STATE(groupnorm) NN_STATE(rmsnorm) NN_STATE(embedding) NN_STATE(lstmcell)
