// JIT capture and replay (engine level): record launched items, replay them with rebound buffers
#include "engine/jit.h"
#include "engine/realize.h"
#include "runtime/device.h"
#include "base/error.h"
#include "tinygrad.h"
#include "base/log.h"
#include "base/env.h"
#include "base/vec.h"
#include "base/hashmap.h"
#include <stdlib.h>
#include <string.h>

static JitCapture *active;

void jit_capture_begin(JitCapture *c) { memset(c, 0, sizeof *c); active = c; }
void jit_capture_end(void) { active = NULL; }
JitCapture *jit_capturing(void) { return active; }

static void refresh_ptrs(JitItem *it) {
  for (int k = 0; k < it->nbufs; k++) { buf_ensure(it->bufs[k]); it->ptrs[k] = it->bufs[k]->ptr; }
  it->dirty = true;
}

void jit_capture_add(Program *p, Device *dev, Buffer **bufs, int nbufs, const int64_t *vals) {
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
  if (!p || !p->nvars) return;
  it->var_at = malloc((size_t)p->nvars * sizeof(int));
  it->vals = malloc((size_t)p->nvars * sizeof(int64_t));
  TG_ASSERT(it->var_at && it->vals, "out of memory");
  for (int k = 0; k < p->nvars; k++) {
    const char *name = uop_var_name(p->vars[k]);
    if (varvals_find(&c->vars, name) < 0) varvals_add(&c->vars, name, vals[k]);
    it->var_at[k] = varvals_find(&c->vars, name);
    it->vals[k] = vals[k];
  }
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
    it->dirty = true;
  }
}

bool jit_uses(JitCapture *c, Buffer *b) {
  for (int i = 0; i < c->n; i++)
    for (int k = 0; k < c->items[i].nbufs; k++) if (c->items[i].bufs[k] == b) return true;
  return false;
}

static int replay_copy(JitItem *it) {
  Buffer *dst = it->bufs[0], *src = it->bufs[1];
  int direct = dst->dev->copy_from ? dst->dev->copy_from(dst->dev, dst->ptr, src->dev, src->ptr, dst->nbytes) : 1;
  if (direct <= 0) return direct;                // device to device (CUDA peer copies)
  if (dst->dev->host_memory && src->dev->host_memory) { memcpy(dst->ptr, src->ptr, dst->nbytes); return 0; }
  void *tmp = malloc(src->nbytes);
  TG_ASSERT(tmp, "out of memory");
  int rc = buf_copyout(src, tmp, src->nbytes);
  if (rc == 0) rc = buf_copyin(dst, tmp, dst->nbytes);
  free(tmp);
  return rc;
}

// ---- graphs: the whole capture submitted as one device graph (CUDA graphs) ----
static bool graph_fits(JitCapture *c) {
  if (c->n == 0 || !env_int("GRAPH", 1)) return false;
  Device *d = c->items[0].dev;
  if (!d->graph_new) return false;
  for (int i = 0; i < c->n; i++) if (!c->items[i].p || c->items[i].dev != d) return false;   // copies run outside
  return true;
}

static int graph_build(JitCapture *c) {
  Device *d = c->items[0].dev;
  Program **ps = malloc((size_t)c->n * sizeof *ps);
  void ***ptrs = malloc((size_t)c->n * sizeof *ptrs);
  int64_t **vals = malloc((size_t)c->n * sizeof *vals);
  TG_ASSERT(ps && ptrs && vals, "out of memory");
  for (int i = 0; i < c->n; i++) { ps[i] = c->items[i].p; ptrs[i] = c->items[i].ptrs; vals[i] = c->items[i].vals; c->items[i].dirty = false; }
  c->graph = d->graph_new(d, ps, ptrs, vals, c->n);
  c->graph_dev = d;
  free(ps); free(ptrs); free(vals);
  if (!c->graph) {            // (the launches still replay one by one, as without graphs)
    LOG(1, "jit: no %s graph, replaying launch by launch: %s", d->name, tg_has_error() ? tg_error() : "?");
    tg_clear_error();
    c->no_graph = true;
    return -1;
  }
  return 0;
}

static bool vals_changed(JitItem *it, const JitCapture *c) {
  bool changed = false;
  for (int k = 0; k < it->p->nvars; k++) {
    int64_t v = c->vars.vals[it->var_at[k]];
    changed |= it->vals[k] != v;
    it->vals[k] = v;
  }
  return changed;
}

static int graph_replay(JitCapture *c) {
  if (!c->graph && graph_build(c) != 0) return 1;           // 1: replay launch by launch instead
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    bool changed = it->vals && vals_changed(it, c);
    if ((changed || it->dirty) && c->graph_dev->graph_set(c->graph_dev, c->graph, i, it->ptrs, it->vals) != 0) return -1;
    it->dirty = false;
  }
  return c->graph_dev->graph_run(c->graph_dev, c->graph);
}

// The launches were checked when they were captured: a device with a launch entry point gets the raw
// pointers (no argument checks, no allocation), the rest go through exec.
int jit_replay(JitCapture *c) {
  if (!c->no_graph && (c->graph || graph_fits(c))) {
    int rc = graph_replay(c);
    if (rc <= 0) { if (rc == 0) eng_stats.kernels += c->n; return rc; }
  } else c->no_graph = true;
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    if (it->vals) for (int k = 0; k < it->p->nvars; k++) it->vals[k] = c->vars.vals[it->var_at[k]];
    int rc = !it->p ? replay_copy(it)
           : it->dev->launch ? it->dev->launch(it->dev, it->p, it->ptrs, it->vals)
           : it->dev->exec(it->dev, it->p, it->bufs, it->vals);
    if (rc != 0) return -1;
  }
  eng_stats.kernels += c->n;
  return 0;
}

// ---- the planner ----
typedef struct Use { int first, last, count; bool written_first, returned; } Use;
typedef VEC(Use) UseVec;
typedef VEC(Buffer *) BufList;

static Buffer *storage_of(Buffer *b) { while (b->base) b = b->base; return b; }

size_t jit_storage_bytes(JitCapture *c) {
  HMap seen = { 0 };
  size_t total = 0;
  for (int i = 0; i < c->n; i++)
    for (int k = 0; k < c->items[i].nbufs; k++) {
      Buffer *s = storage_of(c->items[i].bufs[k]);
      if (hmap_get(&seen, (uint64_t)(uintptr_t)s, NULL)) continue;
      hmap_put(&seen, (uint64_t)(uintptr_t)s, 1);
      total += s->nbytes;
    }
  hmap_free(&seen);
  return total;
}

// Per buffer: first and last item, slot count, and whether its first use only writes it (slot 0, no other slot).
static Use *use_of(HMap *uses, UseVec *v, Buffer *b) { return &v->data[hmap_get_or(uses, (uint64_t)(uintptr_t)b, 0)]; }
static void note_uses(JitCapture *c, HMap *uses, UseVec *v) {
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    for (int k = 0; k < it->nbufs; k++) {
      Buffer *b = it->bufs[k];
      if (!hmap_get(uses, (uint64_t)(uintptr_t)b, NULL)) {
        bool only_out = k == 0;
        for (int j = 1; j < it->nbufs && only_out; j++) only_out = it->bufs[j] != b;
        vec_push(v, ((Use){ .first = i, .last = i, .written_first = only_out }));
        hmap_put(uses, (uint64_t)(uintptr_t)b, (uint64_t)v->len - 1);
      }
      use_of(uses, v, b)->last = i;
      use_of(uses, v, b)->count++;
    }
  }
}

static Buffer *take(BufList *free_st, BufList *all_st, Buffer *b) {
  int64_t best = -1;
  for (int64_t s = 0; s < free_st->len; s++)
    if (free_st->data[s]->dev == b->dev && free_st->data[s]->nbytes >= b->nbytes && (best < 0 || free_st->data[s]->nbytes < free_st->data[best]->nbytes)) best = s;
  if (best < 0) { Buffer *st = buf_new(b->dev, DT_UINT8, (int64_t)b->nbytes); vec_push(all_st, st); return st; }
  Buffer *st = free_st->data[best];
  free_st->data[best] = vec_last(free_st);
  free_st->len--;
  return st;
}

void jit_plan_memory(JitCapture *c) {
  if (env_int("NO_MEMORY_PLANNER", 0) || !c->n) return;
  HMap uses = { 0 }, moved = { 0 };              // moved: old buffer -> its replacement in shared storage
  UseVec use = { 0 };
  BufList free_st = { 0 }, all_st = { 0 }, olds = { 0 };
  note_uses(c, &uses, &use);
  size_t before = jit_storage_bytes(c);
  for (int i = 0; i < c->n; i++) {
    JitItem *it = &c->items[i];
    for (int k = 0; k < it->nbufs; k++) {        // placed at the first use ...
      Buffer *b = it->bufs[k];
      Use *u = use_of(&uses, &use, b);
      // only the capture holds it (one reference per slot), and nothing reads it before it is written
      if (u->first != i || !u->written_first || b->refcount != u->count || HMAP_PTR(&moved, b)) continue;
      Buffer *nb = buf_new(b->dev, b->dtype, b->size);
      buf_share(nb, take(&free_st, &all_st, b));
      HMAP_PUT_PTR(&moved, b, nb);
      vec_push(&olds, b);
    }
    for (int k = 0; k < it->nbufs; k++) {        // ... and given back after the last (not during: an item reads
      Buffer *b = it->bufs[k], *nb = HMAP_PTR(&moved, b);   // one buffer while it writes another)
      Use *u = use_of(&uses, &use, b);
      if (!nb || u->last != i || u->returned) continue;
      vec_push(&free_st, nb->base);
      u->returned = true;
    }
  }
  for (int64_t i = 0; i < olds.len; i++) {
    Buffer *nb = HMAP_PTR(&moved, olds.data[i]);
    jit_rebind(c, olds.data[i], nb);             // the old buffer (and then its old storage) is freed here
    buf_unref(nb);
  }
  for (int64_t i = 0; i < all_st.len; i++) buf_unref(all_st.data[i]);   // the new buffers hold them
  LOG(2, "jit memory planner: %lld buffers placed, storage %.2f MB -> %.2f MB", (long long)olds.len, (double)before / 1e6,
      (double)jit_storage_bytes(c) / 1e6);
  vec_free(&use); vec_free(&free_st); vec_free(&all_st); vec_free(&olds);
  hmap_free(&uses); hmap_free(&moved);
}

void jit_capture_free(JitCapture *c) {
  if (c->graph) c->graph_dev->graph_free(c->graph_dev, c->graph);
  for (int i = 0; i < c->n; i++) {
    for (int k = 0; k < c->items[i].nbufs; k++) buf_unref(c->items[i].bufs[k]);
    free(c->items[i].bufs);
    free(c->items[i].ptrs);
    free(c->items[i].var_at);
    free(c->items[i].vals);
  }
  varvals_free(&c->vars);
  free(c->items);
  memset(c, 0, sizeof *c);
}
