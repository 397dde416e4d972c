// Optimizers: SGD (momentum, nesterov, weight decay), Muon, Adam, AdamW, LAMB; each step is one realize of
// every parameter update (tg_assign into the parameter's buffer) and all optimizer state
#include "nn/nn.h"
#include "schedule/schedule.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* As tinygrad's nn/optim.py, two families:
 * - LARS without the trust ratio (SGD, Muon): g += wd*p (SGD: before momentum); b = momentum*b + g;
 *   g = nesterov ? g + momentum*b : b; Muon orthogonalizes g (Newton-Schulz) and decays p *= 1 - lr*wd; p -= lr*g.
 *   (tinygrad computes Muon's decayed p and then drops it, so its weight decay has no effect; here it applies.)
 * - LAMB (Adam, AdamW): m, v moments; bias correction by b1^t, b2^t kept in 1-element tensors;
 *   up = m_hat / (sqrt(v_hat) + eps) + wd*p; LAMB scales it by ||p|| / ||up||; p -= lr*up. */
typedef enum { OPT_LARS, OPT_LAMB } Family;

struct tg_optim {
  Family family;
  int n;
  tg_tensor **params;
  tg_tensor **m, **v;         // LARS: momentum buffer in m (NULL when momentum is 0); LAMB: the moments
  tg_tensor *lr, *b1_t, *b2_t;
  double lr_value, momentum, wd, b1, b2, eps;
  bool nesterov, pre_wd, adam;
  int ns_steps;               // Muon: Newton-Schulz iterations (0: SGD)
};

static const double NS_COEF[3] = { 3.4445, -4.775, 2.0315 };

// ---- construction ----
static bool check_params(const char *fn, tg_tensor **params, int n, double lr) {
  if (!params || n <= 0) { tg_set_error("%s: needs at least one tensor, got %d", fn, n); return false; }
  for (int i = 0; i < n; i++) if (!params[i]) { tg_set_error("%s: tensor %d is NULL", fn, i); return false; }
  if (!(lr >= 0)) { tg_set_error("%s: invalid learning rate %g", fn, lr); return false; }
  return true;
}

static tg_tensor *ones1(void) { return nn_filled(TG_SHAPE(1), 1, TG_FLOAT32); }

// Allocate o's state (zeros like each float tensor: one array when nstate is 1, two when 2), lr, b1_t, b2_t;
// realize it all in one schedule and move it out of every scope.
static tg_optim *optim_new(tg_optim *o, tg_tensor **params, int n, int nstate) {
  o->n = n;
  o->params = malloc((size_t)n * sizeof *o->params);
  o->m = calloc((size_t)n, sizeof *o->m);
  o->v = calloc((size_t)n, sizeof *o->v);
  tg_tensor **own = malloc((size_t)(2 * n + 3) * sizeof *own);
  TG_ASSERT(o->params && o->m && o->v && own, "out of memory");
  memcpy(o->params, params, (size_t)n * sizeof *params);
  int k = 0;
  bool ok = true;
  tg_scope_begin();
  float lr = (float)o->lr_value;
  own[k++] = o->lr = tg_from_data(&lr, TG_FLOAT32, TG_SHAPE(1));
  if (o->family == OPT_LAMB) { own[k++] = o->b1_t = ones1(); own[k++] = o->b2_t = ones1(); }
  for (int i = 0; i < n; i++) {
    tg_tensor *p = params[i];
    if (!st_is_float(p->dtype)) continue;                    // integer tensors can only be buffers
    if (nstate >= 1) own[k++] = o->m[i] = nn_filled(p->shape, p->ndim, 0, TG_FLOAT32);
    if (nstate >= 2) own[k++] = o->v[i] = nn_filled(p->shape, p->ndim, 0, TG_FLOAT32);
  }
  for (int i = 0; i < k; i++) ok = ok && own[i];
  if (ok) ok = tg_realize_many(own, k) == 0;
  if (ok) for (int i = 0; i < k; i++) own[i]->scope = 0;
  tg_scope_end();
  free(own);
  if (ok) return o;
  free(o->params); free(o->m); free(o->v); free(o);
  return NULL;
}

static tg_optim *lars_new(const char *fn, tg_tensor **params, int n, double lr, double momentum, double wd,
                          bool nesterov, bool pre_wd, int ns_steps) {
  if (!check_params(fn, params, n, lr)) return NULL;
  if (!(momentum >= 0) || !(wd >= 0) || ns_steps < 0) {
    tg_set_error("%s: needs momentum >= 0, weight_decay >= 0 and ns_steps >= 0, got %g, %g, %d", fn, momentum, wd, ns_steps);
    return NULL;
  }
  if (nesterov && momentum <= 0) { tg_set_error("%s: nesterov needs a positive momentum", fn); return NULL; }
  tg_optim *o = calloc(1, sizeof *o);
  TG_ASSERT(o, "out of memory");
  *o = (tg_optim){ .family = OPT_LARS, .lr_value = lr, .momentum = momentum, .wd = wd, .nesterov = nesterov,
                   .pre_wd = pre_wd, .ns_steps = ns_steps };
  return optim_new(o, params, n, momentum > 0 ? 1 : 0);
}

tg_optim *tg_optim_sgd(tg_tensor **params, int n, double lr, double momentum, double weight_decay, bool nesterov) {
  return lars_new("tg_optim_sgd", params, n, lr, momentum, weight_decay, nesterov, true, 0);
}

tg_optim *tg_optim_muon(tg_tensor **params, int n, double lr, double momentum, double weight_decay, int ns_steps, bool nesterov) {
  return lars_new("tg_optim_muon", params, n, lr, momentum, weight_decay, nesterov, false, ns_steps);
}

static tg_optim *lamb_new(const char *fn, tg_tensor **params, int n, double lr, double b1, double b2, double eps, double wd, bool adam) {
  if (!check_params(fn, params, n, lr)) return NULL;
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) || !(eps >= 0) || !(wd >= 0)) {
    tg_set_error("%s: needs b1, b2 in [0, 1), eps >= 0 and weight_decay >= 0, got %g, %g, %g, %g", fn, b1, b2, eps, wd);
    return NULL;
  }
  tg_optim *o = calloc(1, sizeof *o);
  TG_ASSERT(o, "out of memory");
  *o = (tg_optim){ .family = OPT_LAMB, .lr_value = lr, .b1 = b1, .b2 = b2, .eps = eps, .wd = wd, .adam = adam };
  return optim_new(o, params, n, 2);
}

tg_optim *tg_optim_adam(tg_tensor **params, int n, double lr, double b1, double b2, double eps) {
  return lamb_new("tg_optim_adam", params, n, lr, b1, b2, eps, 0, true);
}
tg_optim *tg_optim_adamw(tg_tensor **params, int n, double lr, double b1, double b2, double eps, double weight_decay) {
  return lamb_new("tg_optim_adamw", params, n, lr, b1, b2, eps, weight_decay, true);
}
tg_optim *tg_optim_lamb(tg_tensor **params, int n, double lr, double b1, double b2, double eps, double weight_decay) {
  return lamb_new("tg_optim_lamb", params, n, lr, b1, b2, eps, weight_decay, false);
}

// ---- the updates ----
// tinygrad's Tensor.newton_schulz on the last two axes: G / ||G||, then G = a G + b (G G^T) G + c (G G^T)^2 G
static tg_tensor *newton_schulz(tg_tensor *g, int steps) {
  if (tg_dim(g, -2) > tg_dim(g, -1)) return tg_transpose(newton_schulz(tg_transpose(g, -2, -1), steps), -2, -1);
  int ax[2] = { -2, -1 };
  g = tg_div(g, tg_add_s(tg_sqrt(tg_sum(tg_mul(g, g), ax, 2, true)), 1e-7));
  for (int i = 0; i < steps; i++) {
    tg_tensor *a = tg_matmul(g, tg_transpose(g, -2, -1)), *ag = tg_matmul(a, g);
    g = tg_add(tg_add(tg_mul_s(g, NS_COEF[0]), tg_mul_s(ag, NS_COEF[1])), tg_mul_s(tg_matmul(a, ag), NS_COEF[2]));
  }
  return g;
}

// the new value of parameter i (float32); assigns its state; lr is o->lr viewed as a 0-d tensor
static tg_tensor *lars_update(tg_optim *o, int i, tg_tensor *p, tg_tensor *g, tg_tensor *lr) {
  if (o->pre_wd && o->wd > 0) g = tg_add(g, tg_mul_s(p, o->wd));
  if (o->momentum > 0) {
    tg_tensor *b = o->m[i];
    tg_assign(b, tg_add(tg_mul_s(b, o->momentum), g));       // b is zero at the first step
    g = o->nesterov ? tg_add(g, tg_mul_s(b, o->momentum)) : b;
  }
  if (o->ns_steps > 0) {
    int64_t rows = p->ndim ? p->shape[0] : 1;
    g = tg_reshape(newton_schulz(tg_reshape(g, (int64_t[]){ rows, -1 }, 2), o->ns_steps), p->shape, p->ndim);
  }
  tg_tensor *base = !o->pre_wd && o->wd > 0 ? tg_mul(p, tg_rsub_s(tg_mul_s(lr, o->wd), 1)) : p;
  return tg_sub(base, tg_mul(g, lr));
}

static tg_tensor *lamb_update(tg_optim *o, int i, tg_tensor *p, tg_tensor *g, tg_tensor *lr, tg_tensor *b1_t, tg_tensor *b2_t) {
  tg_tensor *m = o->m[i], *v = o->v[i];
  tg_assign(m, tg_add(tg_mul_s(m, o->b1), tg_mul_s(g, 1 - o->b1)));
  tg_assign(v, tg_add(tg_mul_s(v, o->b2), tg_mul_s(tg_mul(g, g), 1 - o->b2)));
  tg_tensor *m_hat = tg_div(m, tg_rsub_s(b1_t, 1)), *v_hat = tg_div(v, tg_rsub_s(b2_t, 1));
  tg_tensor *up = tg_div(m_hat, tg_add_s(tg_sqrt(v_hat), o->eps));
  if (o->wd > 0) up = tg_add(up, tg_mul_s(p, o->wd));
  if (!o->adam) {                                            // the trust ratio, 1 when either norm is 0
    tg_tensor *r1 = tg_sqrt(tg_sum(tg_mul(p, p), NULL, 0, false)), *r2 = tg_sqrt(tg_sum(tg_mul(up, up), NULL, 0, false));
    tg_tensor *one = tg_ones_like(r1);
    up = tg_mul(up, tg_where(tg_gt_s(r1, 0), tg_where(tg_gt_s(r2, 0), tg_div(r1, r2), one), one));
  }
  return tg_sub(p, tg_mul(up, lr));
}

static bool check_grad(tg_tensor *p, int i) {
  tg_tensor *g = p->grad;
  if (!g) return true;
  if (g->ndim == p->ndim && !memcmp(g->shape, p->shape, sizeof(int64_t) * (size_t)p->ndim) && st_is_float(p->dtype) &&
      st_is_float(g->dtype) && g->dev == p->dev) return true;
  char sp[256], sg[256];
  shape_str(p->shape, p->ndim, sp, sizeof sp);
  shape_str(g->shape, g->ndim, sg, sizeof sg);
  tg_set_error("tg_optim_step: parameter %d %s %s on %s has a grad %s %s on %s (needs a float parameter and a float grad of its shape and device)",
               i, sp, st_name(p->dtype), p->dev->name, sg, st_name(g->dtype), g->dev->name);
  return false;
}

int tg_optim_step_with(tg_optim *o, tg_tensor **also, int nalso) {
  if (!o) { tg_set_error("tg_optim_step: optimizer is NULL"); return -1; }
  if (nalso < 0 || (nalso && !also)) { tg_set_error("tg_optim_step_with: %d tensors at %p", nalso, (void *)also); return -1; }
  for (int i = 0; i < nalso; i++) if (!also[i]) { tg_set_error("tg_optim_step_with: tensor %d is NULL", i); return -1; }
  for (int i = 0; i < o->n; i++) if (!check_grad(o->params[i], i)) return -1;
  for (int i = 0; i < o->n; i++) if (o->params[i]->grad && !nn_settle(o->params[i])) return -1;
  tg_tensor **out = malloc((size_t)(3 * o->n + 2 + nalso) * sizeof *out);
  TG_ASSERT(out, "out of memory");
  int k = 0;
  for (int i = 0; i < nalso; i++) out[k++] = also[i];      // built before the updates: they read the old values
  tg_scope_begin();
  tg_tensor *lr = tg_reshape(o->lr, NULL, 0), *b1_t = NULL, *b2_t = NULL;
  if (o->family == OPT_LAMB) {
    tg_assign(o->b1_t, tg_mul_s(o->b1_t, o->b1));
    tg_assign(o->b2_t, tg_mul_s(o->b2_t, o->b2));
    out[k++] = o->b1_t; out[k++] = o->b2_t;
    b1_t = tg_reshape(o->b1_t, NULL, 0); b2_t = tg_reshape(o->b2_t, NULL, 0);
  }
  for (int i = 0; i < o->n; i++) {
    tg_tensor *p = o->params[i], *g = p->grad;
    if (!g) {                                   // a parameter without a grad is skipped; a buffer gets realized
      if (!p->requires_grad) out[k++] = p;
      continue;
    }
    g = tg_cast(g, TG_FLOAT32);
    tg_tensor *pf = tg_cast(p, TG_FLOAT32);
    tg_tensor *np = o->family == OPT_LARS ? lars_update(o, i, pf, g, lr) : lamb_update(o, i, pf, g, lr, b1_t, b2_t);
    tg_assign(p, np);
    out[k++] = p;
    if (o->m[i] && (o->family == OPT_LAMB || o->momentum > 0)) out[k++] = o->m[i];
    if (o->v[i] && o->family == OPT_LAMB) out[k++] = o->v[i];
  }
  int rc = tg_realize_many(out, k);
  tg_scope_end();
  free(out);
  return rc;
}

int tg_optim_step(tg_optim *o) { return tg_optim_step_with(o, NULL, 0); }

void tg_optim_zero_grad(tg_optim *o) {
  if (!o) return;
  tg_zero_grad(o->params, o->n);
}

void tg_optim_set_lr(tg_optim *o, double lr) {
  if (!o) return;
  float f = (float)lr;
  Buffer *b = sched_view_buffer(o->lr->uop);
  TG_ASSERT(b, "optimizer lr has no buffer");
  buf_ensure(b);
  TG_ASSERT(buf_copyin(b, &f, sizeof f) == 0, "optimizer lr: copy failed");
  o->lr_value = lr;
}

double tg_optim_get_lr(const tg_optim *o) { return o ? o->lr_value : NAN; }

void tg_optim_free(tg_optim *o) {
  if (!o) return;
  for (int i = 0; i < o->n; i++) { tg_free(o->m[i]); tg_free(o->v[i]); }
  tg_free(o->lr); tg_free(o->b1_t); tg_free(o->b2_t);
  free(o->params); free(o->m); free(o->v); free(o);
}
