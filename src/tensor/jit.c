// tg_jit: run a tensor function normally, capture its kernels on the second call, replay them after
#include "tensor/tensor.h"
#include "uop/symdim.h"
#include "engine/jit.h"
#include "engine/realize.h"
#include "schedule/schedule.h"
#include "base/env.h"
#include <stdlib.h>
#include <string.h>

enum { JIT_MAX_IO = 64 };

typedef struct JitIO {           // one captured input or output
  Buffer *buf;                   // inputs: the buffer bound now (NULL: a variable); outputs: where the result lands
  const char *var;               // a variable input: its name (owned)
  ScalarType dtype;
  int ndim;
  int64_t shape[TG_MAX_DIMS];
  JitSlot *slots;                // inputs: where the recorded kernels read it
  int nslots;
} JitIO;

struct tg_jit {
  tg_jit_fn fn;
  void *user;
  int calls;
  bool alias_outputs;
  JitCapture cap;
  int nin, nout;
  JitIO in[JIT_MAX_IO], out[JIT_MAX_IO];
};

tg_jit *tg_jit_new(tg_jit_fn fn, void *user) {
  if (!fn) { tg_set_error("tg_jit_new: no function given"); return NULL; }
  tg_jit *j = calloc(1, sizeof *j);
  TG_ASSERT(j, "out of memory");
  j->fn = fn;
  j->user = user;
  return j;
}

void tg_jit_alias_outputs(tg_jit *j, bool alias) { if (j) j->alias_outputs = alias; }
int tg_jit_kernels(const tg_jit *j) { return j && j->calls >= 2 ? j->cap.n : 0; }
JitCapture *tg_jit_capture(tg_jit *j) { return j && j->calls >= 2 ? &j->cap : NULL; }

static void forget(tg_jit *j) {
  for (int i = 0; i < j->nin; i++) { if (j->in[i].buf) buf_unref(j->in[i].buf); free(j->in[i].slots); free((char *)j->in[i].var); }
  for (int i = 0; i < j->nout; i++) buf_unref(j->out[i].buf);
  jit_capture_free(&j->cap);
  j->nin = j->nout = 0;
}

void tg_jit_free(tg_jit *j) {
  if (!j) return;
  forget(j);
  free(j);
}

static Buffer *buffer_of(tg_tensor *t) { return sched_view_buffer(t->uop); }
// A variable passed as an input carries a value for the kernels, not a buffer.
static const char *variable_of(tg_tensor *t) {
  UOp *u = t->uop->op == OP_BIND ? t->uop->src[0] : t->uop;
  return u->op == OP_DEFINE_VAR ? uop_var_name(u) : NULL;
}

static void describe(JitIO *io, tg_tensor *t) {
  io->var = variable_of(t) ? strdup(variable_of(t)) : NULL;     // (the variable's node may be collected)
  io->buf = io->var ? NULL : buf_ref(buffer_of(t));
  io->dtype = t->dtype;
  io->ndim = t->ndim;
  memcpy(io->shape, t->shape, sizeof io->shape);
}

static int realize_inputs(const char *fn, tg_tensor **in, int nin) {
  if (nin < 0 || nin > JIT_MAX_IO || (nin && !in)) { tg_set_error("%s: %d inputs (at most %d)", fn, nin, JIT_MAX_IO); return -1; }
  for (int i = 0; i < nin; i++) if (!in[i]) { if (!tg_has_error()) tg_set_error("%s: input %d is NULL", fn, i); return -1; }
  tg_tensor *data[JIT_MAX_IO];
  int n = 0;
  for (int i = 0; i < nin; i++) if (!variable_of(in[i])) data[n++] = in[i];
  if (n && tg_realize_many(data, n) != 0) return -1;
  for (int i = 0; i < n; i++) TG_ASSERT(buffer_of(data[i]), "%s: realized input %d has no buffer", fn, i);
  return 0;
}

// fn runs in a scope of its own: the tensors it makes, other than its outputs, are freed when it returns,
// so the buffers of its intermediates are held by the capture alone (the capture-wide planner needs that).
static int run_plain(tg_jit *j, tg_tensor **in, int nin, tg_tensor **out, int maxout) {
  tg_scope_begin();
  int n = j->fn(in, nin, out, j->user);
  if (n < 0 && !tg_has_error()) tg_set_error("tg_jit_call: the function failed");
  if (n > maxout || n > JIT_MAX_IO) { tg_set_error("tg_jit_call: the function returned %d outputs, room for %d", n, maxout < JIT_MAX_IO ? maxout : JIT_MAX_IO); n = -1; }
  if (n > 0 && tg_realize_many(out, n) != 0) n = -1;
  for (int i = 0; i < n; i++) tg_keep(out[i]);
  tg_scope_end();
  return n;
}

// Call 2: run normally while the engine records; then note where inputs are read and outputs land.
static int capture(tg_jit *j, tg_tensor **in, int nin, tg_tensor **out, int maxout) {
  forget(j);
  jit_capture_begin(&j->cap);
  int n = run_plain(j, in, nin, out, maxout);
  jit_capture_end();
  if (n < 0) { forget(j); return -1; }
  j->nin = nin;
  j->nout = n;
  for (int i = 0; i < nin; i++) {
    describe(&j->in[i], in[i]);
    if (j->in[i].buf) j->in[i].nslots = jit_slots(&j->cap, j->in[i].buf, &j->in[i].slots);
  }
  for (int i = 0; i < n; i++) describe(&j->out[i], out[i]);
  tg_gc();                            // BUFFER nodes of fn's freed intermediates let go of their buffers
  jit_plan_memory(&j->cap);           // inputs and outputs are held above: only intermediates move
  return n;
}

// Same dtype and shape, a symbolic dim matching whatever value its variables have now.
static bool same_io(const JitIO *io, tg_tensor *t) {
  if (io->dtype != t->dtype || io->ndim != t->ndim || (io->var != NULL) != (variable_of(t) != NULL)) return false;
  if (io->var && strcmp(io->var, variable_of(t))) return false;
  for (int i = 0; i < t->ndim; i++)
    if (io->shape[i] != t->shape[i] && (!dim_is_sym(io->shape[i]) || dim_unbound(io->shape[i]) != dim_unbound(t->shape[i]))) return false;
  return true;
}

// The values of the captured kernels' variables for this call, from the inputs (shapes, variables).
static int bind_vars(tg_jit *j, tg_tensor **in, int nin) {
  if (!j->cap.vars.n) return 0;
  VarVals now = { 0 };
  int rc = 0;
  for (int i = 0; i < nin && rc == 0; i++) rc = varvals_collect(&now, in[i]->uop);
  for (int k = 0; k < j->cap.vars.n && rc == 0; k++) {
    int at = varvals_find(&now, j->cap.vars.names[k]);
    if (at >= 0) j->cap.vars.vals[k] = now.vals[at];
    else { tg_set_error("tg_jit_call: the kernels use variable %s, which no input carries (pass it as an input)", j->cap.vars.names[k]); rc = -1; }
  }
  varvals_free(&now);
  return rc;
}

static int check_inputs(tg_jit *j, tg_tensor **in, int nin) {
  const char *fn = "tg_jit_call";
  if (nin != j->nin) { tg_set_error("%s: %d inputs, the captured function took %d", fn, nin, j->nin); return -1; }
  for (int i = 0; i < nin; i++) {
    if (!same_io(&j->in[i], in[i])) {
      char want[256], got[256];
      shape_str(j->in[i].shape, j->in[i].ndim, want, sizeof want);
      shape_str(in[i]->shape, in[i]->ndim, got, sizeof got);
      tg_set_error("%s: input %d is %s %s, the capture was %s %s", fn, i, got, st_name(in[i]->dtype), want, st_name(j->in[i].dtype));
      return -1;
    }
    Buffer *b = buffer_of(in[i]);
    if (j->in[i].var || b == j->in[i].buf) continue;   // bound already: nothing new to check (keeps replays scan-free)
    bool is_input = false;
    for (int k = 0; k < nin; k++) is_input |= j->in[k].buf == b;
    if (!is_input && jit_uses(&j->cap, b)) {
      tg_set_error("%s: input %d is a buffer the captured kernels use otherwise (a weight or an intermediate)", fn, i);
      return -1;
    }
  }
  return 0;
}

static tg_tensor *output_tensor(tg_jit *j, JitIO *o) {
  Buffer *b = o->buf;
  int64_t shape[TG_MAX_DIMS];
  for (int i = 0; i < o->ndim; i++) shape[i] = dim_rebind(o->shape[i], &j->cap.vars);   // this call's values
  if (!j->alias_outputs) {
    b = buf_new(o->buf->dev, o->dtype, o->buf->size);
    buf_ensure(b);
    void *tmp = o->buf->dev->host_memory ? o->buf->ptr : malloc(o->buf->nbytes);
    TG_ASSERT(tmp, "out of memory");
    if (tmp != o->buf->ptr) buf_copyout(o->buf, tmp, o->buf->nbytes);
    buf_copyin(b, tmp, b->nbytes);
    if (tmp != o->buf->ptr) free(tmp);
    return tensor_wrap(t_reshape(tensor_buffer_uop(b), shape, o->ndim), b->dev);
  }
  return tensor_wrap(t_reshape(tensor_buffer_view_uop(b), shape, o->ndim), b->dev);
}

static int replay(tg_jit *j, tg_tensor **in, int nin, tg_tensor **out, int maxout) {
  if (check_inputs(j, in, nin) != 0) return -1;
  if (j->nout > maxout) { tg_set_error("tg_jit_call: the function has %d outputs, room for %d", j->nout, maxout); return -1; }
  if (bind_vars(j, in, nin) != 0) return -1;
  for (int i = 0; i < nin; i++) {
    Buffer *b = buffer_of(in[i]);
    if (j->in[i].var || b == j->in[i].buf) continue;
    jit_set_slots(&j->cap, j->in[i].slots, j->in[i].nslots, b);
    buf_unref(j->in[i].buf);
    j->in[i].buf = buf_ref(b);
  }
  if (jit_replay(&j->cap) != 0) return -1;
  for (int i = 0; i < j->nout; i++) out[i] = output_tensor(j, &j->out[i]);
  tensor_gc_maybe();       // the outputs of earlier replays are garbage by now
  return j->nout;
}

int tg_jit_call(tg_jit *j, tg_tensor **in, int nin, tg_tensor **out, int maxout) {
  if (!j) { tg_set_error("tg_jit_call: jit is NULL"); return -1; }
  if (!out && maxout > 0) { tg_set_error("tg_jit_call: no output array"); return -1; }
  if (realize_inputs("tg_jit_call", in, nin) != 0) return -1;
  if (!env_int("JIT", 1)) return run_plain(j, in, nin, out, maxout);
  if (jit_capturing()) { tg_set_error("tg_jit_call: called while another JIT is capturing (nested JITs are not supported)"); return -1; }
  int n = j->calls == 0 ? run_plain(j, in, nin, out, maxout) : j->calls == 1 ? capture(j, in, nin, out, maxout) : replay(j, in, nin, out, maxout);
  if (n >= 0) j->calls++;
  return n;
}
