// JIT capture and replay (engine level): record launched items, replay them with rebound buffers
#include "engine/jit.h"
#include "engine/realize.h"
#include "runtime/device.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

static JitCapture *active;

void jit_capture_begin(JitCapture *c) { memset(c, 0, sizeof *c); active = c; }
void jit_capture_end(void) { active = NULL; }
JitCapture *jit_capturing(void) { return active; }

static void refresh_ptrs(JitItem *it) {
  for (int k = 0; k < it->nbufs; k++) { buf_ensure(it->bufs[k]); it->ptrs[k] = it->bufs[k]->ptr; }
}

void jit_capture_add(Program *p, Device *dev, Buffer **bufs, int nbufs) {
  JitCapture *c = active;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->items = realloc(c->items, (size_t)c->cap * sizeof *c->items);
    TG_ASSERT(c->items, "out of memory");
  }
  JitItem *it = &c->items[c->n++];
  *it = (JitItem){ .p = p, .dev = dev, .nbufs = nbufs };
  it->bufs = malloc((size_t)nbufs * sizeof(Buffer *));
  it->ptrs = malloc((size_t)nbufs * sizeof(void *));
  TG_ASSERT(it->bufs && it->ptrs, "out of memory");
  for (int k = 0; k < nbufs; k++) it->bufs[k] = buf_ref(bufs[k]);
  refresh_ptrs(it);
}

void jit_rebind(JitCapture *c, Buffer *from, Buffer *to) {
  if (from == to) return;
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    bool hit = false;
    for (int k = 0; k < it->nbufs; k++)
      if (it->bufs[k] == from) { buf_unref(from); it->bufs[k] = buf_ref(to); hit = true; }
    if (hit) refresh_ptrs(it);
  }
}

int jit_slots(JitCapture *c, Buffer *b, JitSlot **out) {
  int n = 0;
  *out = NULL;
  for (int i = 0; i < c->n; i++)
    for (int k = 0; k < c->items[i].nbufs; k++)
      if (c->items[i].bufs[k] == b) {
        *out = realloc(*out, (size_t)(n + 1) * sizeof **out);
        TG_ASSERT(*out, "out of memory");
        (*out)[n++] = (JitSlot){ i, k };
      }
  return n;
}

void jit_set_slots(JitCapture *c, const JitSlot *s, int n, Buffer *to) {
  buf_ensure(to);
  for (int j = 0; j < n; j++) {
    JitItem *it = &c->items[s[j].item];
    if (it->bufs[s[j].slot] == to) continue;
    buf_unref(it->bufs[s[j].slot]);
    it->bufs[s[j].slot] = buf_ref(to);
    it->ptrs[s[j].slot] = to->ptr;
  }
}

bool jit_uses(JitCapture *c, Buffer *b) {
  for (int i = 0; i < c->n; i++)
    for (int k = 0; k < c->items[i].nbufs; k++) if (c->items[i].bufs[k] == b) return true;
  return false;
}

static int replay_copy(JitItem *it) {
  Buffer *dst = it->bufs[0], *src = it->bufs[1];
  if (dst->dev->host_memory && src->dev->host_memory) { memcpy(dst->ptr, src->ptr, dst->nbytes); return 0; }
  void *tmp = malloc(src->nbytes);
  TG_ASSERT(tmp, "out of memory");
  int rc = buf_copyout(src, tmp, src->nbytes);
  if (rc == 0) rc = buf_copyin(dst, tmp, dst->nbytes);
  free(tmp);
  return rc;
}

// The launches were checked when they were captured: a device with a launch entry point gets the raw
// pointers (no argument checks, no allocation), the rest go through exec.
int jit_replay(JitCapture *c) {
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    int rc = !it->p ? replay_copy(it)
           : it->dev->launch ? it->dev->launch(it->dev, it->p, it->ptrs, NULL)
           : it->dev->exec(it->dev, it->p, it->bufs, NULL);
    if (rc != 0) return -1;
  }
  eng_stats.kernels += c->n;
  return 0;
}

void jit_capture_free(JitCapture *c) {
  for (int i = 0; i < c->n; i++) {
    for (int k = 0; k < c->items[i].nbufs; k++) buf_unref(c->items[i].bufs[k]);
    free(c->items[i].bufs);
    free(c->items[i].ptrs);
  }
  free(c->items);
  memset(c, 0, sizeof *c);
}
