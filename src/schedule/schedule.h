// Schedule: decide which tensor nodes get buffers, and turn each into a kernel AST with its buffers
#ifndef TG_SCHEDULE_H
#define TG_SCHEDULE_H
#include "uop/uop.h"
#include "runtime/buffer.h"
#include "uop/symdim.h"
#include "runtime/device.h"

typedef struct ScheduleItem {
  UOp *ast;                  // SINK(STORE(INDEX(DEFINE_GLOBAL 0, ...), value)); NULL for a copy
  Buffer **bufs;             // DEFINE_GLOBAL slot -> buffer (slot 0 is written)
  int nbufs;
  bool *reads_old;           // per slot: read through a BUFFER leaf (the value before this schedule)
  Device *dev;
  Program *prog;             // the compiled kernel once known (eng_run fills it; a cached schedule comes with it)
} ScheduleItem;

typedef struct Schedule {
  ScheduleItem *items;
  int n, cap;
  Buffer **outs;             // buffer holding roots[i]'s value, row-major and contiguous
  int nouts;
  VarVals vars;              // values of the symbolic variables for this run (the kernels take them as arguments)
} Schedule;

// Schedule the given tensor-graph roots, computed on dev. Returns 0, or -1 with tg_error set.
int  sched_create(Schedule *s, UOp **roots, int n, Device *dev);
void sched_free(Schedule *s);
// The buffer a node is a plain row-major view of (BUFFER, or RESHAPE of a BUFFER), else NULL.
Buffer *sched_view_buffer(UOp *u);
#endif
