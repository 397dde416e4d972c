// JIT capture and replay at the engine level: the kernels (and copies) a stretch of execution launched,
// with the buffers each touched, replayed later with some buffers swapped for new ones
#ifndef TG_ENGINE_JIT_H
#define TG_ENGINE_JIT_H
#include "codegen/program.h"
#include "runtime/buffer.h"
#include "uop/symdim.h"

/* While a capture is active, eng_run appends every item it runs to it (after running it, so a capture
 * also runs normally). A captured item owns a reference to each of its buffers, so the intermediates a
 * capture saw stay allocated and are reused by every replay: a replay allocates nothing. */
typedef struct JitItem {
  Program *p;            // NULL for a copy (bufs[0] <- bufs[1])
  Device *dev;
  Buffer **bufs;
  void **ptrs;           // device pointers of bufs, refreshed when an input is rebound
  int nbufs;
  bool dirty;            // arguments changed since the graph (if any) last saw them
  int *var_at;           // per program var: its place in the capture's vars
  int64_t *vals;         // the values passed at launch, refreshed from the capture's vars by each replay
} JitItem;

typedef struct JitCapture {
  JitItem *items;
  int n, cap;
  VarVals vars;          // the symbolic variables the kernels take; set the values before a replay
  void *graph;           // the launches as one device graph (JIT graphs; GRAPH=0: none), built at the first replay
  Device *graph_dev;
  bool no_graph;         // a graph cannot hold this capture (copies, several devices, no graph support)
} JitCapture;

void jit_capture_begin(JitCapture *c);   // eng_run records into c until jit_capture_end
void jit_capture_end(void);
JitCapture *jit_capturing(void);         // the active capture, or NULL
// vals: the values p's vars were launched with (names from p->vars), NULL when it has none
void jit_capture_add(Program *p, Device *dev, Buffer **bufs, int nbufs, const int64_t *vals);
// Every (item, slot) that holds buffer `from` now holds `to` (a reference moves with it).
void jit_rebind(JitCapture *c, Buffer *from, Buffer *to);
// The (item, slot) pairs holding b, found once so that a replay can rebind an input without searching.
typedef struct JitSlot { int item, slot; } JitSlot;
int  jit_slots(JitCapture *c, Buffer *b, JitSlot **out);      // count; *out malloc'd (free it)
void jit_set_slots(JitCapture *c, const JitSlot *s, int n, Buffer *to);
bool jit_uses(JitCapture *c, Buffer *b);
int  jit_replay(JitCapture *c);          // 0, or -1 with tg_error set
// Memory planner across the whole capture (the schedule planner sees one realize at a time): buffers that
// only the capture holds and that are written before they are read share storage by lifetime over the
// item list. Call once the caller holds its own references (inputs, outputs). NO_MEMORY_PLANNER=1: none.
void jit_plan_memory(JitCapture *c);
size_t jit_storage_bytes(JitCapture *c); // bytes of distinct storage the capture's buffers live in
void jit_capture_free(JitCapture *c);
struct tg_jit;
JitCapture *tg_jit_capture(struct tg_jit *j);   // a tg_jit's recording (NULL before call 2): for benchmarks
#endif
