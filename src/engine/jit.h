// JIT capture and replay at the engine level: the kernels (and copies) a stretch of execution launched,
// with the buffers each touched, replayed later with some buffers swapped for new ones
#ifndef TG_ENGINE_JIT_H
#define TG_ENGINE_JIT_H
#include "codegen/program.h"
#include "runtime/buffer.h"

/* While a capture is active, eng_run appends every item it runs to it (after running it, so a capture
 * also runs normally). A captured item owns a reference to each of its buffers, so the intermediates a
 * capture saw stay allocated and are reused by every replay: a replay allocates nothing. */
typedef struct JitItem {
  Program *p;            // NULL for a copy (bufs[0] <- bufs[1])
  Device *dev;
  Buffer **bufs;
  void **ptrs;           // device pointers of bufs, refreshed when an input is rebound
  int nbufs;
} JitItem;

typedef struct JitCapture {
  JitItem *items;
  int n, cap;
} JitCapture;

void jit_capture_begin(JitCapture *c);   // eng_run records into c until jit_capture_end
void jit_capture_end(void);
JitCapture *jit_capturing(void);         // the active capture, or NULL
void jit_capture_add(Program *p, Device *dev, Buffer **bufs, int nbufs);
// Every (item, slot) that holds buffer `from` now holds `to` (a reference moves with it).
void jit_rebind(JitCapture *c, Buffer *from, Buffer *to);
// The (item, slot) pairs holding b, found once so that a replay can rebind an input without searching.
typedef struct JitSlot { int item, slot; } JitSlot;
int  jit_slots(JitCapture *c, Buffer *b, JitSlot **out);      // count; *out malloc'd (free it)
void jit_set_slots(JitCapture *c, const JitSlot *s, int n, Buffer *to);
bool jit_uses(JitCapture *c, Buffer *b);
int  jit_replay(JitCapture *c);          // 0, or -1 with tg_error set
void jit_capture_free(JitCapture *c);
struct tg_jit;
JitCapture *tg_jit_capture(struct tg_jit *j);   // a tg_jit's recording (NULL before call 2): for benchmarks
#endif
