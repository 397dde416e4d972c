// The training network's convolutions at batch B: forward, and backward (input and weight gradients together)
#include "tinygrad.h"
#include "base/timer.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct { int cin, cout, hw, k; } Layer;
static const Layer layers[] = { { 1, 32, 28, 5 }, { 32, 32, 24, 5 }, { 32, 64, 10, 3 }, { 64, 64, 8, 3 } };

static double best_of(int reps, tg_tensor *(*run)(void *), void *ctx) {
  double best = 1e9;
  for (int r = 0; r < reps; r++) {
    tg_scope_begin();
    double t0 = time_s();
    if (!run(ctx)) { fprintf(stderr, "%s\n", tg_error()); exit(1); }
    double t = time_s() - t0;
    tg_scope_end();
    if (t < best) best = t;
  }
  return best;
}

typedef struct { tg_tensor *x, *w, *g; } Conv;
static tg_tensor *forward(void *c_) { Conv *c = c_; return tg_realize(tg_conv2d(c->x, c->w, NULL, 1, NULL, NULL, NULL)); }
static tg_tensor *backward(void *c_) {
  Conv *c = c_;
  tg_tensor *loss = tg_sum(tg_mul(tg_conv2d(c->x, c->w, NULL, 1, NULL, NULL, NULL), c->g), NULL, 0, false), *xs[2] = { c->x, c->w }, *d[2];
  if (tg_gradient(loss, xs, 2, d) != 0 || tg_realize_many(d, 2) != 0) return NULL;
  return d[0];
}

int main(int argc, char **argv) {
  int64_t B = argc > 1 ? atoll(argv[1]) : 512;
  for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
    const Layer *l = &layers[i];
    int64_t o = l->hw - l->k + 1;
    Conv c = { tg_realize(tg_rand((int64_t[]){ B, l->cin, l->hw, l->hw }, 4, TG_FLOAT32)),
               tg_realize(tg_rand((int64_t[]){ l->cout, l->cin, l->k, l->k }, 4, TG_FLOAT32)),
               tg_realize(tg_rand((int64_t[]){ B, l->cout, o, o }, 4, TG_FLOAT32)) };
    tg_requires_grad(c.x, true); tg_requires_grad(c.w, true);
    double flop = 2.0 * (double)B * l->cout * l->cin * (double)(o * o) * l->k * l->k;
    double f = best_of(3, forward, &c), b = best_of(3, backward, &c);   // (the first run compiles: not the best)
    printf("conv %2d->%2d %dx%d on %dx%d, batch %lld: forward %8.2f ms %6.1f GFLOP/s   backward (forward + dx + dw) %8.2f ms %6.1f GFLOP/s\n",
           l->cin, l->cout, l->k, l->k, l->hw, l->hw, (long long)B, f * 1e3, flop / f * 1e-9, b * 1e3, 3 * flop / b * 1e-9);
    tg_free(c.x); tg_free(c.w); tg_free(c.g);
  }
  return 0;
}
