// Tensor handles: creation of handles, scopes and lifetime, GC roots, inspection
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "base/env.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

_Thread_local int tensor_scope_depth;
static tg_tensor live_head = { .prev = &live_head, .next = &live_head };   // circular list of live handles
static bool roots_registered;
static size_t bytes_at_last_gc;

static void mark_tensors(void *ctx) {
  (void)ctx;
  for (tg_tensor *t = live_head.next; t != &live_head; t = t->next) uop_gc_mark(t->uop);
}

static void release_buffer(UOp *u) {
  Buffer *b = u->arg.ptr;
  b->node = NULL;
  buf_unref(b);
}

static void register_roots(void) {
  if (roots_registered) return;
  roots_registered = true;
  uop_gc_add_roots(mark_tensors, NULL);
  uop_gc_on_free(OP_BUFFER, release_buffer);
}

UOp *tensor_buffer_uop(Buffer *b) {     // the node takes over the caller's reference to b
  register_roots();
  TG_ASSERT(!b->node, "a buffer already has its BUFFER node");
  UOp *u = uop0(OP_BUFFER, dt_scalar(b->dtype), arg_ptr(b));
  b->node = u;
  return u;
}

UOp *tensor_buffer_view_uop(Buffer *b) { return b->node ? (UOp *)b->node : tensor_buffer_uop(buf_ref(b)); }

tg_tensor *tensor_wrap(UOp *u, Device *dev) {
  register_roots();
  tg_tensor *t = calloc(1, sizeof *t);
  TG_ASSERT(t, "out of memory");
  const Shape *s = ushape(u);
  for (int i = 0; i < s->ndim; i++)
    if (!dim_ok(s->d[i])) {       // size arithmetic on a symbolic dim by an op that cannot express it
      free(t);
      tg_set_error("%s: this op does not support symbolic dimensions", op_name((Op)u->op));
      return NULL;
    }
  t->uop = u;
  t->dev = dev;
  t->dtype = (ScalarType)u->dtype.scalar;
  t->ndim = s->ndim;
  memcpy(t->shape, s->d, (size_t)s->ndim * 8);
  t->scope = tensor_scope_depth;
  t->next = live_head.next; t->prev = &live_head;
  live_head.next->prev = t; live_head.next = t;
  return t;
}

void tg_free(tg_tensor *t) {
  if (!t) return;
  t->prev->next = t->next;
  t->next->prev = t->prev;
  free(t);
}

tg_tensor *tensor_live_next(tg_tensor *t) {
  tg_tensor *n = t ? t->next : live_head.next;
  return n == &live_head ? NULL : n;
}

void tg_scope_begin(void) { tensor_scope_depth++; }

void tg_scope_end(void) {
  TG_ASSERT(tensor_scope_depth > 0, "tg_scope_end without tg_scope_begin");
  for (tg_tensor *t = live_head.next, *n; t != &live_head; t = n) {
    n = t->next;
    if (t->scope >= tensor_scope_depth) tg_free(t);
  }
  tensor_scope_depth--;
  tensor_gc_maybe();
}

tg_tensor *tg_keep(tg_tensor *t) {
  if (t && t->scope > 0) t->scope = tensor_scope_depth > 0 ? tensor_scope_depth - 1 : 0;
  return t;
}

// A safe point: collect when the node pool doubled or buffers held by dead nodes may be large.
void tensor_gc_maybe(void) {
  size_t held = buf_bytes_live();
  if (held > 2 * bytes_at_last_gc + (16u << 20)) { uop_gc(); bytes_at_last_gc = buf_bytes_live(); return; }
  if (uop_gc_maybe()) bytes_at_last_gc = buf_bytes_live();
}

void tg_gc(void) { uop_gc(); bytes_at_last_gc = buf_bytes_live(); }

bool t_check_inputs(const char *fn, int n, ...) {
  va_list ap;
  va_start(ap, n);
  bool ok = true;
  for (int i = 0; i < n; i++) if (!va_arg(ap, tg_tensor *)) ok = false;
  va_end(ap);
  if (!ok && !tg_has_error()) tg_set_error("%s: input tensor is NULL", fn);
  return ok;
}

bool t_check_concrete(const char *fn, const tg_tensor *t, int axis) {
  for (int i = 0; t && i < t->ndim; i++) {
    if ((axis >= 0 && i != axis) || !dim_is_sym(t->shape[i])) continue;
    char s[256];
    shape_str(t->shape, t->ndim, s, sizeof s);
    tg_set_error("%s: symbolic dimension %d in shape %s is not supported here", fn, i, s);
    return false;
  }
  return true;
}

int t_norm_axis(const char *fn, const tg_tensor *t, int axis, bool allow_end) {
  int n = t->ndim + (allow_end ? 1 : 0);
  int a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= (n ? n : 1)) {
    char s[256];
    shape_str(t->shape, t->ndim, s, sizeof s);
    tg_set_error("%s: axis %d out of range for shape %s", fn, axis, s);
    return -1;
  }
  return a;
}

// ---- inspection ----
int tg_ndim(const tg_tensor *t) { return t ? t->ndim : -1; }
const int64_t *tg_shape(const tg_tensor *t) { return t ? t->shape : NULL; }
int64_t tg_dim(const tg_tensor *t, int axis) {
  if (!t) return -1;
  int a = t_norm_axis("tg_dim", t, axis, false);
  return a < 0 ? -1 : (t->ndim ? t->shape[a] : 1);
}
int64_t tg_numel(const tg_tensor *t) {     // symbolic dims at their bound values
  if (!t) return -1;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= dim_value(t->shape[i]);
  return n;
}
tg_dtype tg_get_dtype(const tg_tensor *t) { return t ? (tg_dtype)t->dtype : TG_FLOAT32; }
const char *tg_device(const tg_tensor *t) { return t ? t->dev->name : NULL; }

int tg_set_default_device(const char *device) {
  if (!dev_get(device)) return -1;
  dev_set_default(device);
  return 0;
}
