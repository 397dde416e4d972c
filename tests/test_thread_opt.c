// THREAD (CPU opt): the threaded axis is moved outermost, the thread count reaches the Program and the runtime,
// refusals, and values against a C loop
#include "testlib.h"
#include "kernellib.h"
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"
#include "codegen/opt/beam.h"
#include "runtime/buffer.h"
#include <stdlib.h>
#include <string.h>

enum { R = 48, C = 320 };

static void refused(UOp *ast, const RendererCaps *caps, Opt o, const char *reason) {
  char why[200] = "";
  CHECK(!opt_apply(ast, o, caps, why, sizeof why) && strstr(why, reason), "%s: refused with \"%s\"", reason, why);
}

// out[c] = sum_r x[r, c] * 2 with THREAD on the column axis, run on the CPU device
static void values(int threads) {
  static float x[R * C], out[C];
  for (int i = 0; i < R * C; i++) x[i] = (float)((i * 7 + 3) % 13) - 6;
  tg_tensor *in = tg_realize(tg_from_data(x, TG_FLOAT32, SH(R, C)));
  Schedule s;
  UOp *ast = kernel_of(tg_sum(tg_mul_s(in, 2), (int[]){ 0 }, 1, false), &s);
  UOp *r = NULL;
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i]->op == OP_RANGE && t->items[i]->arg.tup[1] == 0) r = t->items[i];
  char why[200] = "";
  UOp *k = r ? opt_apply(ast, (Opt){ OPT_THREAD, (int)r->arg.tup[0], threads }, NULL, why, sizeof why) : NULL;
  CHECK(k, "THREAD by %d: %s", threads, why);
  Program *p = k ? opt_codegen(k, false) : NULL;
  CHECK(p && p->par_threads == threads && p->par_size == C, "THREAD by %d: Program par_threads %d, par_size %lld", threads,
        p ? p->par_threads : -1, p ? (long long)p->par_size : -1);
  Device *d = dev_get("CPU");
  Buffer *o = buf_new(d, DT_FLOAT32, C);
  int rc = p && d->compile(d, p) == 0 && d->exec(d, p, (Buffer *[]){ o, s.items[s.n - 1].bufs[1] }, NULL) == 0 && buf_copyout(o, out, sizeof out) == 0 ? 0 : -1;
  CHECK(rc == 0, "run: %s", tg_error());
  int wrong = 0;
  for (int c = 0; c < C; c++) {
    float want = 0;
    for (int i = 0; i < R; i++) want += x[i * C + c] * 2;
    wrong += out[c] != want;
  }
  CHECK(wrong == 0, "THREAD by %d: %d of %d sums wrong", threads, wrong, C);
  buf_unref(o);
  if (p) program_free(p);
  sched_free(&s);
}

int main(void) {
  tg_set_default_device("CPU");    // THREAD is a CPU opt: its kernels run on the CPU device under DEV=CUDA too
  tg_scope_begin();
  Schedule s;
  // a (8, 64, 16) elementwise kernel: THREAD on axis 1 swaps it outermost (the threads split the first loop). The
  // input is read transposed so its three ranges do not merge into one.
  UOp *ast = kernel_of(tg_add_s(tg_permute(tg_empty(SH(16, 64, 8), TG_FLOAT32), (int[]){ 2, 1, 0 }, 3), 1), &s);
  int ids[3], n = 0;
  const UOpList *t = uop_toposort(ast);
  for (int64_t i = 0; i < t->n && n < 3; i++) if (t->items[i]->op == OP_RANGE) ids[n++] = (int)t->items[i]->arg.tup[0];
  CHECK(n == 3, "three output ranges, got %d", n);
  UOp *k = opt_apply(ast, (Opt){ OPT_THREAD, ids[1], 2 }, NULL, NULL, 0);
  Program *p = k ? opt_codegen(k, false) : NULL;
  CHECK(p && p->par_threads == 2, "par_threads %d", p ? p->par_threads : -1);
  int64_t sizes[3] = { 0 };
  for (int i = 0; i < 3 && k; i++) {
    const UOpList *u = uop_toposort(k);
    for (int64_t j = 0; j < u->n; j++) if (u->items[j]->op == OP_RANGE && u->items[j]->arg.tup[0] == ids[i]) sizes[i] = u->items[j]->src[0]->arg.i;
  }
  CHECK(sizes[0] == 64 && sizes[1] == 8, "the threaded axis (64) now has the outermost id: sizes %lld %lld %lld", (long long)sizes[0], (long long)sizes[1], (long long)sizes[2]);
  CHECK(p && p->par_size == 64, "the parallel range is the threaded axis: %lld trips", p ? (long long)p->par_size : -1);
  if (p) program_free(p);
  RendererCaps gpu = caps_gpu();
  refused(ast, &gpu, (Opt){ OPT_THREAD, ids[0], 2 }, "THREAD is for CPU devices");
  refused(ast, NULL, (Opt){ OPT_THREAD, 99, 2 }, "no such axis");
  refused(ast, NULL, (Opt){ OPT_THREAD, ids[0], 0 }, "thread count out of 1..255");
  refused(k, NULL, (Opt){ OPT_THREAD, ids[2], 2 }, "already has a THREAD opt");
  refused(k, &gpu, (Opt){ OPT_LOCAL, ids[2], 4 }, "THREAD opt");
  sched_free(&s);
  UOp *red = kernel_of(tg_sum(tg_empty(SH(16, 64), TG_FLOAT32), (int[]){ 1 }, 1, false), &s);
  const UOpList *rt = uop_toposort(red);
  for (int64_t i = 0; i < rt->n; i++)
    if (rt->items[i]->op == OP_RANGE && rt->items[i]->arg.tup[1] == 1) refused(red, NULL, (Opt){ OPT_THREAD, (int)rt->items[i]->arg.tup[0], 2 }, "needs an output axis");
  sched_free(&s);
  values(1);
  values(2);
  values(3);
  tg_scope_end();
  return test_finish("test_thread_opt");
}
