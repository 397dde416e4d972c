// Memory planner: a deep MLP's intermediates share storage by lifetime; results are identical without it
#include "testlib.h"
#include "tinygrad.h"
#include "runtime/buffer.h"
#include "engine/jit.h"
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

// Inside a JIT each layer is its own realize (its own schedule): only the capture-wide planner can share
// storage between layers. Replays must equal plain calls bit for bit.
static int layer_by_layer(tg_tensor **in, int nin, tg_tensor **out, void *user) {
  (void)nin; (void)user;
  tg_tensor *x = in[0];
  for (int l = 0; l < LAYERS; l++) x = tg_realize(tg_relu(tg_sub_s(tg_matmul(x, weights[l]), 0.01)));
  out[0] = tg_sum(x, (int[]){ 1 }, 1, false);
  return 1;
}

static size_t jit_storage(bool planner, float out[4][B]) {
  tg_scope_begin();
  int tok = env_push_int("NO_MEMORY_PLANNER", planner ? 0 : 1);
  tg_jit *j = tg_jit_new(layer_by_layer, NULL);
  tg_manual_seed(9);
  for (int call = 0; call < 4; call++) {
    tg_tensor *in[1] = { tg_realize(tg_rand((int64_t[]){ B, W }, 2, TG_FLOAT32)) }, *o[1];
    CHECK(tg_jit_call(j, in, 1, o, 1) == 1, "%s", tg_error());
    CHECK(tg_data(o[0], out[call], sizeof(float) * B) == 0, "%s", tg_error());
  }
  size_t bytes = jit_storage_bytes(tg_jit_capture(j));
  env_pop(tok);
  tg_jit_free(j);
  tg_scope_end();
  return bytes;
}

static void test_jit_planner(void) {
  static float planned[4][B], unplanned[4][B];
  size_t with = jit_storage(true, planned), without = jit_storage(false, unplanned);
  size_t layer = sizeof(float) * B * W, weights_bytes = (size_t)LAYERS * W * W * sizeof(float);
  printf("  JIT capture of %d realizes: storage %zu bytes planned, %zu unplanned (weights %zu)\n", LAYERS, with, without, weights_bytes);
  // unplanned: every layer's activations stay allocated for the replays; planned: two at a time
  CHECK(without >= weights_bytes + (size_t)LAYERS * layer, "unplanned storage %zu", without);
  CHECK(with <= weights_bytes + 4 * layer, "planned storage %zu, expected at most %zu", with, weights_bytes + 4 * layer);
  CHECK(memcmp(planned, unplanned, sizeof planned) == 0, "JIT replays differ with and without the planner");
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
  test_jit_planner();
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return test_finish("test_planner");
}
