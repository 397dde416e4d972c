// Memory planner: a deep MLP's intermediates share storage by lifetime; results are identical without it
#include "testlib.h"
#include "tinygrad.h"
#include "runtime/buffer.h"
#include "base/env.h"
#include <stdlib.h>

enum { B = 64, W = 256, LAYERS = 8 };

static tg_tensor *weights[LAYERS];

// peak device bytes the forward pass needs beyond what was live before, and its output
static size_t forward_peak(float *out) {
  tg_scope_begin();
  tg_manual_seed(5);
  tg_tensor *x = tg_realize(tg_rand((int64_t[]){ B, W }, 2, TG_FLOAT32));
  for (int l = 0; l < LAYERS; l++) x = tg_relu(tg_sub_s(tg_matmul(x, weights[l]), 0.01));   // one kernel a layer
  size_t before = buf_bytes_live();
  buf_reset_peak();
  CHECK(tg_data(x, out, sizeof(float) * B * W) == 0, "%s", tg_error());
  size_t peak = buf_bytes_peak() - before;
  tg_scope_end();
  return peak;
}

int main(void) {
  char dir[] = "/tmp/tg_planner_XXXXXX";
  if (mkdtemp(dir)) setenv("CACHE_DIR", dir, 1);
  tg_manual_seed(1);
  for (int l = 0; l < LAYERS; l++) weights[l] = tg_realize(tg_mul_s(tg_rand((int64_t[]){ W, W }, 2, TG_FLOAT32), 2.0 / W));
  static float planned[B * W], unplanned[B * W];
  size_t with = forward_peak(planned);
  int tok = env_push_int("NO_MEMORY_PLANNER", 1);
  size_t without = forward_peak(unplanned);
  env_pop(tok);
  size_t layer = sizeof(float) * B * W;
  printf("  %d-layer MLP forward: peak %zu bytes planned, %zu unplanned (a layer's activations: %zu)\n", LAYERS, with, without, layer);
  // unplanned: every layer's output (the last is the result); planned: two live at a time, plus the result
  CHECK(without >= (size_t)LAYERS * layer, "unplanned peak %zu, expected at least %zu", without, (size_t)LAYERS * layer);
  CHECK(with <= 3 * layer, "planned peak %zu, expected at most %zu", with, 3 * layer);
  CHECK(memcmp(planned, unplanned, sizeof planned) == 0, "results differ with and without the planner");
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_planner");
}
