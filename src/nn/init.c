// Initializers: uniform, normal, kaiming, glorot (xavier), all drawn with tg_rand/tg_randn (seeded by tg_manual_seed)
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>

// torch.nn.init's fans: fan_in = shape[1] * prod(shape[2:]), fan_out = shape[0] * prod(shape[2:]); 2 dims at least
static bool fans(const char *fn, const int64_t *shape, int ndim, int64_t *fan_in, int64_t *fan_out) {
  if (ndim < 2 || ndim > TG_MAX_DIMS || !shape) {
    tg_set_error("%s: needs a shape of 2 to %d dims (as torch.nn.init), got %d", fn, TG_MAX_DIMS, ndim);
    return false;
  }
  int64_t rf = 1;
  for (int i = 2; i < ndim; i++) rf *= shape[i];
  *fan_in = shape[1] * rf;
  *fan_out = shape[0] * rf;
  if (*fan_in <= 0 || *fan_out <= 0) { tg_set_error("%s: shape has a zero fan", fn); return false; }
  return true;
}

tg_tensor *tg_uniform(const int64_t *shape, int ndim, double low, double high, tg_dtype dt) {
  return tg_add_s(tg_mul_s(tg_rand(shape, ndim, dt), high - low), low);
}

tg_tensor *tg_normal(const int64_t *shape, int ndim, double mean, double std, tg_dtype dt) {
  return tg_add_s(tg_mul_s(tg_randn(shape, ndim, dt), std), mean);
}

tg_tensor *tg_kaiming_uniform(const int64_t *shape, int ndim, double a, tg_dtype dt) {
  int64_t fi, fo;
  if (!fans("tg_kaiming_uniform", shape, ndim, &fi, &fo)) return NULL;
  double bound = sqrt(6.0 / (1 + a * a) / (double)fi);
  return tg_uniform(shape, ndim, -bound, bound, dt);
}

tg_tensor *tg_kaiming_normal(const int64_t *shape, int ndim, double a, tg_dtype dt) {
  int64_t fi, fo;
  if (!fans("tg_kaiming_normal", shape, ndim, &fi, &fo)) return NULL;
  return tg_normal(shape, ndim, 0, sqrt(2.0 / (1 + a * a) / (double)fi), dt);
}

tg_tensor *tg_glorot_uniform(const int64_t *shape, int ndim, tg_dtype dt) {
  int64_t fi, fo;
  if (!fans("tg_glorot_uniform", shape, ndim, &fi, &fo)) return NULL;
  double bound = sqrt(6.0 / (double)(fi + fo));
  return tg_uniform(shape, ndim, -bound, bound, dt);
}

tg_tensor *nn_uniform_fan(const int64_t *shape, int ndim, int64_t fan) {
  double bound = fan > 0 ? 1.0 / sqrt((double)fan) : 0;
  return tg_uniform(shape, ndim, -bound, bound, TG_FLOAT32);
}

tg_tensor *nn_filled(const int64_t *shape, int ndim, double v, tg_dtype dt) {
  TG_ASSERT(dt == TG_FLOAT32 || dt == TG_INT64, "nn_filled: dtype %d", (int)dt);
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  void *host = malloc((size_t)(n ? n : 1) * 8);
  TG_ASSERT(host, "out of memory");
  for (int64_t i = 0; i < n; i++)
    if (dt == TG_FLOAT32) ((float *)host)[i] = (float)v; else ((int64_t *)host)[i] = (int64_t)v;
  tg_tensor *t = tg_from_data(host, dt, shape, ndim);
  free(host);
  return t;
}
