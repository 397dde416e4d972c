// tinygrad's beautiful_mnist CNN (the demo network)
#include "fmnist_model.h"
#include <stdlib.h>

FmnistModel *fmnist_model_new(void) {
  FmnistModel *m = calloc(1, sizeof *m);
  m->c1 = tg_nn_conv2d_new(1, 32, (int[]){ 5, 5 }, NULL, NULL, NULL, 1, true);
  m->c2 = tg_nn_conv2d_new(32, 32, (int[]){ 5, 5 }, NULL, NULL, NULL, 1, true);
  m->bn1 = tg_nn_batchnorm_new(32, 1e-5, 0.1, true, true);
  m->c3 = tg_nn_conv2d_new(32, 64, (int[]){ 3, 3 }, NULL, NULL, NULL, 1, true);
  m->c4 = tg_nn_conv2d_new(64, 64, (int[]){ 3, 3 }, NULL, NULL, NULL, 1, true);
  m->bn2 = tg_nn_batchnorm_new(64, 1e-5, 0.1, true, true);
  m->fc = tg_nn_linear_new(576, 10, true);
  if (!m->c1 || !m->c2 || !m->bn1 || !m->c3 || !m->c4 || !m->bn2 || !m->fc) { free(m); return NULL; }
  return m;
}

void fmnist_model_free(FmnistModel *m) {
  tg_nn_conv2d_free(m->c1); tg_nn_conv2d_free(m->c2); tg_nn_conv2d_free(m->c3); tg_nn_conv2d_free(m->c4);
  tg_nn_batchnorm_free(m->bn1); tg_nn_batchnorm_free(m->bn2); tg_nn_linear_free(m->fc);
  free(m);
}

tg_tensor *fmnist_model_forward(FmnistModel *m, tg_tensor *x) {
  x = tg_relu(tg_nn_conv2d(m->c1, x));
  x = tg_relu(tg_nn_conv2d(m->c2, x));
  x = tg_max_pool2d(tg_nn_batchnorm(m->bn1, x), (int[]){ 2, 2 }, NULL, NULL);
  x = tg_relu(tg_nn_conv2d(m->c3, x));
  x = tg_relu(tg_nn_conv2d(m->c4, x));
  x = tg_max_pool2d(tg_nn_batchnorm(m->bn2, x), (int[]){ 2, 2 }, NULL, NULL);
  return tg_nn_linear(m->fc, tg_flatten(x, 1, -1));
}

tg_state *fmnist_model_state(FmnistModel *m) {
  tg_state *s = tg_state_new();
  int rc = tg_nn_conv2d_state(m->c1, "layers.0", s) | tg_nn_conv2d_state(m->c2, "layers.2", s) |
           tg_nn_batchnorm_state(m->bn1, "layers.4", s) | tg_nn_conv2d_state(m->c3, "layers.6", s) |
           tg_nn_conv2d_state(m->c4, "layers.8", s) | tg_nn_batchnorm_state(m->bn2, "layers.10", s) |
           tg_nn_linear_state(m->fc, "layers.13", s);
  if (rc) { tg_state_free(s); return NULL; }
  return s;
}

int fmnist_model_tensors(FmnistModel *m, tg_tensor **out, int max) {
  tg_state *s = fmnist_model_state(m);
  int n = s ? tg_state_len(s) : 0;
  for (int i = 0; i < n && i < max; i++) out[i] = tg_state_at(s, i);
  tg_state_free(s);
  return n;
}
