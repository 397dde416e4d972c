// Autograd: derivative rules as a pass over forward ops (tinygrad's pm_gradient), the reverse walk, the API
#include "tensor/gradient.h"
#include "tensor/tensor.h"
#include "uop/rewrite.h"
#include "base/hashmap.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The gradient pass. Each rule matches a FORWARD node (the pattern is the op, e.g. PAT(OP_MUL, P(x), P(y)));
 * m->ctx is the gradient arriving at that node (same shape and dtype). The callback returns a "gradient
 * tuple": NOOP(g_0, ..., g_{n-1}), one source per forward source in order, where g_i is the gradient for
 * src[i], or the no-gradient marker NOOP() (a NOOP without sources) when src[i] gets none (a WHERE's
 * condition, a comparison's operands, anything integer or bool, whatever a DETACH or ASSIGN target hides).
 * Gradients are built with the forward builders (uop_alu, t_reshape, t_reduce ...), so they are ordinary
 * lazy graphs: they schedule and fuse together with the forward pass, and can be differentiated again. */

#define G ((UOp *)m->ctx)
#define R (m->root)

static UOp *none(void) { return uop0(OP_NOOP, DT_VOID_T, arg_none()); }
static bool is_none(UOp *u) { return u->op == OP_NOOP && u->nsrc == 0; }
static UOp *tup(int n, ...) {
  UOp *g[4];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) g[i] = va_arg(ap, UOp *);
  va_end(ap);
  return uop_new(OP_NOOP, DT_VOID_T, g, n, arg_none());
}
static UOp *cst(UOp *like, double v) {     // v broadcast to like's shape and dtype
  const Shape *s = ushape(like);
  return t_const(v, (ScalarType)like->dtype.scalar, s->d, s->ndim);
}
static UOp *fdiv(UOp *a, UOp *b) { return uop_alu(OP_FDIV, a, b); }
static UOp *expand_to(UOp *u, UOp *like) { const Shape *s = ushape(like); return t_expand(u, s->d, s->ndim); }
static bool is_float(UOp *u) { return st_is_float((ScalarType)u->dtype.scalar); }

// ---- elementwise ----
static UOp *g_add(Match *m) { return tup(2, G, G); }
static UOp *g_sub(Match *m) { return tup(2, G, uop_neg(G)); }
static UOp *g_mul(Match *m) { return tup(2, uop_mul(R->src[1], G), uop_mul(R->src[0], G)); }
static UOp *g_fdiv(Match *m) { return tup(2, fdiv(G, B(y)), uop_neg(fdiv(uop_mul(G, R), B(y)))); }  // d(x/y)/dy = -(x/y)/y
static UOp *g_neg(Match *m) { return tup(1, uop_neg(G)); }
static UOp *g_recip(Match *m) { return tup(1, uop_neg(uop_mul(uop_mul(G, R), R))); }
static UOp *g_exp2(Match *m) { return tup(1, uop_mul(uop_mul(R, G), cst(R, M_LN2))); }
static UOp *g_log2(Match *m) { return tup(1, fdiv(G, uop_mul(B(x), cst(R, M_LN2)))); }
static UOp *g_sin(Match *m) { return tup(1, uop_mul(uop_alu1(OP_SIN, uop_sub(cst(R, M_PI / 2), B(x))), G)); }
static UOp *g_sqrt(Match *m) { return tup(1, fdiv(G, uop_mul(R, cst(R, 2)))); }
static UOp *g_trunc(Match *m) { return tup(1, cst(R, 0)); }   // zero almost everywhere (torch's floor/trunc)
// maximum: the larger operand gets the gradient; a tie splits it evenly (as torch.maximum and tinygrad)
static UOp *g_max(Match *m) {
  UOp *x = B(x), *y = B(y), *half = uop_mul(G, cst(R, 0.5)), *zero = cst(R, 0), *tie = uop_eq(x, y);
  return tup(2, uop_where(uop_lt(y, x), G, uop_where(tie, half, zero)), uop_where(uop_lt(x, y), G, uop_where(tie, half, zero)));
}
// b^e: d/db = e*b^(e-1) (0 when e == 0), d/de = b^e*ln(b) (b == 0: 0, or -inf when e < 0), as tinygrad
static UOp *g_pow(Match *m) {
  UOp *b = B(x), *e = B(y), *zero = cst(R, 0);
  UOp *db = uop_where(uop_eq(e, zero), zero, uop_mul(e, uop_alu(OP_POW, b, uop_sub(e, cst(R, 1)))));
  UOp *ln_b = uop_mul(uop_alu1(OP_LOG2, b), cst(R, M_LN2));
  UOp *de = uop_where(uop_eq(b, zero), uop_where(uop_lt(e, zero), cst(R, -INFINITY), zero), uop_mul(R, ln_b));
  return tup(2, uop_mul(G, db), uop_mul(G, de));
}
static UOp *g_where(Match *m) {
  UOp *zero = cst(R, 0);
  return tup(3, none(), uop_where(B(cond), G, zero), uop_where(B(cond), zero, G));
}
static UOp *g_mulacc(Match *m) { return tup(3, uop_mul(R->src[1], G), uop_mul(R->src[0], G), G); }
// a float-to-float cast casts the gradient back; nothing flows into integer or bool values
static UOp *g_cast(Match *m) {
  return tup(1, is_float(B(x)) && is_float(R) ? uop_cast(G, B(x)->dtype) : none());
}
static UOp *g_nograd(Match *m) {          // comparisons, bitwise, integer division, bitcast: no gradient
  UOp *n = none();
  return R->nsrc == 1 ? tup(1, n) : R->nsrc == 2 ? tup(2, n, n) : tup(3, n, n, n);
}

// ---- reductions: the result keeps the reduced axes as 1, so expanding the gradient undoes them ----
static UOp *g_reduce(Match *m) {
  UOp *x = B(x);
  int axes[TG_MAX_DIMS], n = (int)R->arg.n - 1;
  for (int i = 0; i < n; i++) axes[i] = (int)R->arg.tup[1 + i];
  UOp *g = expand_to(G, x);
  switch ((Op)R->arg.tup[0]) {
  case OP_ADD: return tup(1, g);
  case OP_MAX: {   // every position equal to the max shares the gradient evenly (tinygrad; torch's amax)
    UOp *mask = uop_cast(uop_eq(x, expand_to(R, x)), x->dtype);
    return tup(1, uop_mul(fdiv(mask, expand_to(t_reduce(mask, OP_ADD, axes, n), x)), g));
  }
  case OP_MUL: {   // prod: ret/x_j when x_j != 0; when x_j is the only zero, the product of the others
    UOp *zero = cst(x, 0), *is_zero = uop_eq(x, zero), *safe = uop_where(is_zero, cst(x, 1), x);
    UOp *nzero = expand_to(t_reduce(uop_cast(is_zero, x->dtype), OP_ADD, axes, n), x);
    UOp *others = expand_to(t_reduce(safe, OP_MUL, axes, n), x);
    UOp *d = uop_where(is_zero, uop_where(uop_eq(nzero, cst(x, 1)), others, zero), fdiv(expand_to(R, x), safe));
    return tup(1, uop_mul(g, d));
  }
  default: return NULL;
  }
}

// ---- movement: each one's inverse movement ----
static UOp *g_reshape(Match *m) { const Shape *s = ushape(B(x)); return tup(1, t_reshape(G, s->d, s->ndim)); }
static UOp *g_expand(Match *m) {          // sum over the expanded axes (the source keeps them as 1)
  const Shape *si = ushape(B(x)), *so = ushape(R);
  TG_ASSERT(si->ndim == so->ndim, "gradient: EXPAND changes the number of dims");
  int axes[TG_MAX_DIMS], n = 0;
  for (int i = 0; i < si->ndim; i++) if (si->d[i] != so->d[i]) axes[n++] = i;
  return tup(1, t_reduce(G, OP_ADD, axes, n));
}
static UOp *g_permute(Match *m) {
  int inv[TG_MAX_DIMS];
  for (uint32_t i = 0; i < R->arg.n; i++) inv[R->arg.tup[i]] = (int)i;
  return tup(1, t_permute(G, inv, (int)R->arg.n));
}
static UOp *g_pad(Match *m) {
  const Shape *s = ushape(B(x));
  int64_t be[2 * TG_MAX_DIMS];
  for (int i = 0; i < s->ndim; i++) { be[2 * i] = R->arg.tup[2 * i]; be[2 * i + 1] = R->arg.tup[2 * i] + s->d[i]; }
  return tup(1, t_shrink(G, be, s->ndim));
}
static UOp *g_shrink(Match *m) {
  const Shape *s = ushape(B(x));
  int64_t pads[2 * TG_MAX_DIMS];
  for (int i = 0; i < s->ndim; i++) { pads[2 * i] = R->arg.tup[2 * i]; pads[2 * i + 1] = s->d[i] - R->arg.tup[2 * i + 1]; }
  return tup(1, t_pad(G, pads, s->ndim));
}
static UOp *g_flip(Match *m) {
  int flags[TG_MAX_DIMS];
  for (uint32_t i = 0; i < R->arg.n; i++) flags[i] = R->arg.tup[i] != 0;
  return tup(1, t_flip(G, flags, (int)R->arg.n));
}

// ---- memory ----
static UOp *g_pass(Match *m) { return tup(1, G); }                                       // CONTIGUOUS
static UOp *g_contig_bw(Match *m) { return tup(1, uop1(OP_CONTIGUOUS, G->dtype, G, arg_none())); }
static UOp *g_detach(Match *m) { (void)m; return tup(1, none()); }
static UOp *g_assign(Match *m) { return tup(2, none(), G); }   // the value flows on (torch's copy_, tinygrad); the old target does not

// ---- custom gradients: the node's function gives the inputs' gradients; none flows into the value's graph ----
static GradFn grad_fn_of(const UOp *u) { return (GradFn)(intptr_t)u->arg.tup[0]; }
static UOp *g_grad_fn(Match *m) {
  UOp *out[GRAD_FN_MAX_INPUTS] = { 0 }, *g[GRAD_FN_MAX_INPUTS + 1];
  grad_fn_of(R)(R, G, out);
  g[0] = none();
  for (uint32_t i = 1; i < R->nsrc; i++) g[i] = out[i - 1] ? out[i - 1] : none();
  return uop_new(OP_NOOP, DT_VOID_T, g, (int)R->nsrc, arg_none());
}

static const Rule gradient_rules[] = {
  RULE(PAT(OP_ADD, P(x), P(y)), g_add),
  RULE(PAT(OP_SUB, P(x), P(y)), g_sub),
  RULE(PAT(OP_MUL, P(x), P(y)), g_mul),
  RULE(PAT(OP_FDIV, P(x), P(y)), g_fdiv),
  RULE(PAT(OP_MAX, P(x), P(y)), g_max),
  RULE(PAT(OP_POW, P(x), P(y)), g_pow),
  RULE(PAT(OP_NEG, P(x)), g_neg),
  RULE(PAT(OP_RECIPROCAL, P(x)), g_recip),
  RULE(PAT(OP_EXP2, P(x)), g_exp2),
  RULE(PAT(OP_LOG2, P(x)), g_log2),
  RULE(PAT(OP_SIN, P(x)), g_sin),
  RULE(PAT(OP_SQRT, P(x)), g_sqrt),
  RULE(PAT(OP_TRUNC, P(x)), g_trunc),
  RULE(PAT(OP_CAST, P(x)), g_cast),
  RULE(PAT(OP_WHERE, P(cond), P(x), P(y)), g_where),
  RULE(PAT(OP_MULACC, P(x), P(y), P(z)), g_mulacc),
  RULE(UP(.ops = OPSET(OP_CMPLT, OP_CMPNE, OP_CMPEQ, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_CDIV, OP_CMOD,
                       OP_BITCAST, OP_THREEFRY)), g_nograd),
  RULE(PAT(OP_REDUCE_AXIS, P(x)), g_reduce),
  RULE(PAT(OP_RESHAPE, P(x)), g_reshape),
  RULE(PAT(OP_EXPAND, P(x)), g_expand),
  RULE(PAT(OP_PERMUTE, P(x)), g_permute),
  RULE(PAT(OP_PAD, P(x)), g_pad),
  RULE(PAT(OP_SHRINK, P(x)), g_shrink),
  RULE(PAT(OP_FLIP, P(x)), g_flip),
  RULE(PAT(OP_CONTIGUOUS, P(x)), g_pass),
  RULE(PAT(OP_CONTIGUOUS_BACKWARD, P(x)), g_contig_bw),
  RULE(POP(OP_DETACH, x), g_detach),
  RULE(PAT(OP_ASSIGN, P(x), P(y)), g_assign),
  RULE(POP(OP_GRAD_FN, x), g_grad_fn),
  RULES_END,
};
static Pass gradient_pass = PASS("gradient", gradient_rules);

UOp *grad_fn_node(UOp *value, UOp *const *inputs, int n, GradFn fn, const int64_t *params, int nparams) {
  TG_ASSERT(n >= 1 && n <= GRAD_FN_MAX_INPUTS && nparams >= 0 && nparams <= GRAD_FN_MAX_PARAMS,
            "grad_fn_node: %d inputs, %d params", n, nparams);
  UOp *src[GRAD_FN_MAX_INPUTS + 1] = { value };
  int64_t arg[GRAD_FN_MAX_PARAMS + 1] = { (int64_t)(intptr_t)fn };
  memcpy(src + 1, inputs, (size_t)n * sizeof *src);
  if (nparams) memcpy(arg + 1, params, (size_t)nparams * sizeof *arg);
  return uop_new(OP_GRAD_FN, value->dtype, src, n + 1, arg_tuple(arg, nparams + 1));
}

const int64_t *grad_fn_params(const UOp *node) { return node->arg.tup + 1; }

// Forward, a GRAD_FN is its value: the scheduler never sees the node (nor its extra edges to the inputs).
static UOp *strip_one(Match *m) { return R->src[0]; }
static const Rule strip_rules[] = { RULE(POP(OP_GRAD_FN, x), strip_one), RULES_END };
static Pass strip_pass = PASS("strip_grad_fn", strip_rules);

UOp *grad_fn_strip(UOp *root) {
  const UOpList *topo = uop_toposort(root);
  for (int64_t i = 0; i < topo->n; i++)
    if (topo->items[i]->op == OP_GRAD_FN) return graph_rewrite_pre(root, &strip_pass, NULL);
  return root;
}

// ---- the reverse walk (tinygrad's compute_gradient) ----
int grad_compute(UOp *root, UOp *root_grad, UOp *const *targets, int n, UOp **out) {
  HMap is_target = { 0 }, on_path = { 0 }, grads = { 0 };
  for (int i = 0; i < n; i++) hmap_put(&is_target, (uint64_t)(uintptr_t)targets[i], 1);
  // on_path: nodes that reach a target through their sources (DETACH stops the path)
  const UOpList *topo = uop_toposort(root);
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    if (u->op == OP_DETACH) continue;
    for (uint32_t k = 0; k < u->nsrc; k++)
      if (hmap_get_or(&is_target, (uint64_t)(uintptr_t)u->src[k], 0) || HMAP_PTR(&on_path, u->src[k])) {
        HMAP_PUT_PTR(&on_path, u, 1);
        break;
      }
  }
  HMAP_PUT_PTR(&grads, root, root_grad);
  int rc = 0;
  for (int64_t i = topo->n - 1; i >= 0 && rc == 0; i--) {   // users before sources: a node's gradient is complete
    UOp *u = topo->items[i], *g = HMAP_PTR(&grads, u);
    if (!g || !HMAP_PTR(&on_path, u)) continue;
    UOp *r = pass_apply(&gradient_pass, u, g);
    if (!r) {
      tg_set_error("gradient: no derivative rule for %s (%s)", op_name((Op)u->op), st_name((ScalarType)u->dtype.scalar));
      rc = -1;
      break;
    }
    TG_ASSERT(r->op == OP_NOOP && r->nsrc == u->nsrc, "gradient rule for %s returned %u gradients for %u sources",
              op_name((Op)u->op), r->nsrc, u->nsrc);
    for (uint32_t k = 0; k < u->nsrc; k++) {
      UOp *s = u->src[k], *gs = r->src[k];
      if (is_none(gs) || !(HMAP_PTR(&on_path, s) || hmap_get_or(&is_target, (uint64_t)(uintptr_t)s, 0))) continue;
      TG_ASSERT(dt_eq(gs->dtype, s->dtype) && shape_eq(ushape(gs), ushape(s)),
                "gradient rule for %s: gradient of source %u has the wrong dtype or shape", op_name((Op)u->op), k);
      UOp *prev = HMAP_PTR(&grads, s);
      HMAP_PUT_PTR(&grads, s, prev ? uop_add(prev, gs) : gs);   // a node used several times sums its gradients
    }
  }
  for (int i = 0; i < n; i++) out[i] = rc ? NULL : HMAP_PTR(&grads, targets[i]);
  hmap_free(&is_target);
  hmap_free(&on_path);
  hmap_free(&grads);
  return rc;
}

// ---- the public API ----
/* A tensor's gradient is taken at its base node: t->uop, or the node under it when t->uop is a RESHAPE.
 * Reshaping a reshape builds one RESHAPE of the base (t_reshape), so a graph may reach t's data only through
 * other views of the base; the base sees every use. */
static UOp *base_of(tg_tensor *t) { return t->uop->op == OP_RESHAPE ? t->uop->src[0] : t->uop; }

static bool has_buffer(UOp *u) {
  const UOpList *topo = uop_toposort(u);
  for (int64_t i = 0; i < topo->n; i++) if (topo->items[i]->op == OP_BUFFER) return true;
  return false;
}

tg_tensor *tg_requires_grad(tg_tensor *t, bool on) {
  if (!t_check_inputs("tg_requires_grad", 1, t)) return NULL;
  if (on && !st_is_float(t->dtype)) {
    tg_set_error("tg_requires_grad: only floating-point tensors can require gradients, got %s (as torch)", st_name(t->dtype));
    return NULL;
  }
  // Equal constants are one interned node: give a constant tensor (tg_zeros, tg_full ...) a buffer of its own,
  // or two such parameters would share one gradient.
  if (on && !has_buffer(t->uop) && !tg_realize(t)) return NULL;
  t->requires_grad = on;
  return t;
}

tg_tensor *tg_grad(tg_tensor *t) { return t ? t->grad : NULL; }

tg_tensor *tg_detach(tg_tensor *t) {
  if (!t_check_inputs("tg_detach", 1, t)) return NULL;
  return tensor_wrap(uop1(OP_DETACH, t->uop->dtype, t->uop, arg_none()), t->dev);
}

void tg_zero_grad(tg_tensor **params, int n) {
  for (int i = 0; i < n; i++)
    if (params && params[i] && params[i]->grad) { tg_free(params[i]->grad); params[i]->grad = NULL; }
}

static bool float_check(const char *fn, const char *what, tg_tensor *t) {
  if (st_is_float(t->dtype)) return true;
  tg_set_error("%s: %s is %s; gradients exist only for floating-point tensors", fn, what, st_name(t->dtype));
  return false;
}

static UOp *ones_like(tg_tensor *t) { return t_const(1, t->dtype, t->shape, t->ndim); }

int tg_backward(tg_tensor *loss) {
  const char *fn = "tg_backward";
  if (!t_check_inputs(fn, 1, loss) || !float_check(fn, "the loss", loss)) return -1;
  if (tg_numel(loss) != 1) {
    char s[256];
    shape_str(loss->shape, loss->ndim, s, sizeof s);
    tg_set_error("%s: the loss must have one element, has shape %s (use tg_gradient for other shapes)", fn, s);
    return -1;
  }
  int n = 0, cap = 16;
  tg_tensor **ts = malloc((size_t)cap * sizeof *ts);
  TG_ASSERT(ts, "out of memory");
  for (tg_tensor *t = tensor_live_next(NULL); t; t = tensor_live_next(t)) {
    if (!t->requires_grad) continue;
    if (n == cap) { ts = realloc(ts, (size_t)(cap *= 2) * sizeof *ts); TG_ASSERT(ts, "out of memory"); }
    ts[n++] = t;
  }
  UOp **bases = malloc((size_t)(n ? n : 1) * sizeof *bases), **gs = malloc((size_t)(n ? n : 1) * sizeof *gs);
  TG_ASSERT(bases && gs, "out of memory");
  for (int i = 0; i < n; i++) bases[i] = base_of(ts[i]);
  int rc = grad_compute(loss->uop, ones_like(loss), bases, n, gs), reached = 0;
  for (int i = 0; i < n && rc == 0; i++) {     // check everything before changing any grad
    tg_tensor *t = ts[i], *g = t->grad;
    if (!gs[i]) continue;
    reached++;
    if (g && (g->dtype != t->dtype || g->ndim != t->ndim || memcmp(g->shape, t->shape, (size_t)t->ndim * 8))) {
      char sg[256], st[256];
      shape_str(g->shape, g->ndim, sg, sizeof sg);
      shape_str(t->shape, t->ndim, st, sizeof st);
      tg_set_error("%s: an existing grad %s %s does not match its tensor %s %s", fn, sg, st_name(g->dtype), st, st_name(t->dtype));
      rc = -1;
    }
  }
  if (rc == 0 && !reached) {
    tg_set_error("%s: the loss does not depend on any tensor that requires grad", fn);
    rc = -1;
  }
  for (int i = 0; i < n && rc == 0; i++) {
    tg_tensor *t = ts[i];
    if (!gs[i]) continue;
    UOp *g = t_reshape(gs[i], t->shape, t->ndim);
    if (t->grad) { t->grad->uop = uop_add(t->grad->uop, g); continue; }   // accumulate, same handle
    t->grad = tensor_wrap(g, t->dev);
    t->grad->scope = t->scope;            // the gradient lives as long as its tensor
  }
  free(ts);
  free(bases);
  free(gs);
  return rc;
}

int tg_gradient(tg_tensor *y, tg_tensor **xs, int n, tg_tensor **out) {
  const char *fn = "tg_gradient";
  if (!t_check_inputs(fn, 1, y) || !float_check(fn, "y", y)) return -1;
  if (n < 0 || (n > 0 && (!xs || !out))) { tg_set_error("%s: bad list of %d inputs", fn, n); return -1; }
  for (int i = 0; i < n; i++)
    if (!t_check_inputs(fn, 1, xs[i]) || !float_check(fn, "an input", xs[i])) return -1;
  UOp **bases = malloc((size_t)(n ? n : 1) * sizeof *bases), **gs = malloc((size_t)(n ? n : 1) * sizeof *gs);
  TG_ASSERT(bases && gs, "out of memory");
  for (int i = 0; i < n; i++) bases[i] = base_of(xs[i]);
  int rc = grad_compute(y->uop, ones_like(y), bases, n, gs);
  for (int i = 0; i < n; i++) {
    tg_tensor *x = xs[i];
    out[i] = rc ? NULL : tensor_wrap(gs[i] ? t_reshape(gs[i], x->shape, x->ndim) : t_const(0, x->dtype, x->shape, x->ndim), x->dev);
  }
  free(bases);
  free(gs);
  return rc;
}
