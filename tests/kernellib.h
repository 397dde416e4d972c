// Test support for the optimizer tests: shapes written inline, and the kernel AST a tensor schedules to
#ifndef TG_KERNELLIB_H
#define TG_KERNELLIB_H
#include "tinygrad.h"
#include "tensor/tensor.h"
#include "schedule/schedule.h"

#define SH(...) (int64_t[]){ __VA_ARGS__ }, (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))

// The last kernel AST of t's schedule on the CPU (its buffers: slot 0 the output, then the inputs in order);
// the caller frees s.
static inline UOp *kernel_of(tg_tensor *t, Schedule *s) {
  UOp *root = t->uop;
  TG_ASSERT(sched_create(s, &root, 1, dev_get("CPU")) == 0 && s->n > 0, "schedule: %s", tg_error());
  return s->items[s->n - 1].ast;
}
#endif
