// tinygrad's beautiful_mnist CNN (the demo network), shared by `tg train`/`tg eval` and bench/schedule_cache.c
#ifndef TG_FMNIST_MODEL_H
#define TG_FMNIST_MODEL_H
#include "tinygrad.h"

typedef struct FmnistModel {
  struct tg_nn_conv2d *c1, *c2, *c3, *c4;
  struct tg_nn_batchnorm *bn1, *bn2;
  struct tg_nn_linear *fc;
} FmnistModel;

FmnistModel *fmnist_model_new(void);         // NULL with tg_error set
void fmnist_model_free(FmnistModel *m);
// Conv 1->32 5x5, ReLU, Conv 32->32 5x5, ReLU, BatchNorm, MaxPool 2, Conv 32->64 3x3, ReLU,
// Conv 64->64 3x3, ReLU, BatchNorm, MaxPool 2, flatten, Linear 576->10
tg_tensor *fmnist_model_forward(FmnistModel *m, tg_tensor *x);
tg_state *fmnist_model_state(FmnistModel *m);  // named as tinygrad's model (layers.N.weight ...), NULL on error
// every parameter and buffer (running statistics too: an optimizer step realizes them), up to max; the count
int fmnist_model_tensors(FmnistModel *m, tg_tensor **out, int max);
#endif
