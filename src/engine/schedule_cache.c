// Schedule cache: a graph with the structure of one already scheduled reuses its schedule and kernels
#include "engine/schedule_cache.h"
#include "uop/symdim.h"
#include "tensor/tensor.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/vec.h"
#include <stdlib.h>
#include <string.h>

/* A kernel argument or output: ref >= 0 is placeholder `ref` (a caller's buffer), ref < 0 is fresh buffer
 * -ref-1 (made anew on every hit). A fresh buffer the memory planner placed lives in storage `storage`. */
typedef struct CachedItem { UOp *ast; Program *prog; Device *dev; int nbufs; int32_t *ref; bool *reads_old; } CachedItem;
typedef struct FreshBuf { Device *dev; ScalarType dtype; int64_t size; int32_t storage; } FreshBuf;
typedef struct Storage { Device *dev; size_t nbytes; } Storage;
typedef struct Entry {
  UOp *key;
  uint64_t used;                 // LRU clock of the last hit
  CachedItem *items; int nitems;
  FreshBuf *fresh; int nfresh;
  Storage *storage; int nstorage;
  int32_t *outs; int nouts;
} Entry;

enum { SCACHE_DEFAULT_SIZE = 64 };
static HMap entries;             // key -> Entry*
static uint64_t clock_now;
static bool roots_on;
SchedCacheStats scache_stats;

// GC roots: the keys and the kernel ASTs (programs hold their own nodes, marked by the kernel cache).
static void mark_entries(void *ctx) {
  (void)ctx;
  for (int64_t i = 0; i < entries.cap; i++) {
    if (!entries.keys[i]) continue;
    Entry *e = (Entry *)(uintptr_t)entries.vals[i];
    uop_gc_mark(e->key);
    for (int k = 0; k < e->nitems; k++) if (e->items[k].ast) uop_gc_mark(e->items[k].ast);
  }
}

static void entry_free(Entry *e) {
  for (int i = 0; i < e->nitems; i++) { free(e->items[i].ref); free(e->items[i].reads_old); }
  free(e->items); free(e->fresh); free(e->storage); free(e->outs);
  free(e);
}

void scache_clear(void) {
  for (int64_t i = 0; i < entries.cap; i++) if (entries.keys[i]) entry_free((Entry *)(uintptr_t)entries.vals[i]);
  hmap_clear(&entries);
  scache_stats.entries = 0;
}

// ---- the key ----
static Buffer *storage_root(Buffer *b) { while (b->base) b = b->base; return b; }

// Placeholder for the n-th distinct buffer. Two placeholders whose buffers share storage record it, so a
// call where they do and one where they do not never share an entry.
static UOp *placeholder(UOp *buf, int n, HMap *roots) {
  Buffer *b = buf->arg.ptr, *root = storage_root(b);
  uint64_t first = hmap_get_or(roots, (uint64_t)(uintptr_t)root, 0);
  if (!first) hmap_put(roots, (uint64_t)(uintptr_t)root, (uint64_t)n + 1);
  int64_t a[4] = { n, b->size, (int64_t)(intptr_t)b->dev, (int64_t)first - 1 };
  return uop0(OP_UNIQUE, buf->dtype, arg_tuple(a, 4));
}

// The device and every setting that changes the kernels a graph schedules to, or how they are compiled.
static const struct { const char *name; int64_t dflt; } SETTINGS[] = {
  { "NOOPT", 0 }, { "BEAM", 0 }, { "TRANSCENDENTAL", 1 }, { "NO_MEMORY_PLANNER", 0 }, { "SPLIT_REDUCEOP", 1 },
};
enum { NSETTINGS = sizeof SETTINGS / sizeof SETTINGS[0] };
static Arg settings(Device *dev, int64_t *a) {
  a[0] = (int64_t)(intptr_t)dev;
  for (int i = 0; i < NSETTINGS; i++) a[i + 1] = env_int(SETTINGS[i].name, SETTINGS[i].dflt);
  return arg_tuple(a, NSETTINGS + 1);
}

// The sink's graph with buffers replaced, in toposort (first-visit) order; only nodes above a buffer change.
static UOp *normalize(SchedKey *k, UOp *sink, Device *dev) {
  const UOpList *topo = uop_toposort(sink);
  HMap map = { 0 }, roots = { 0 };               // node -> its normalized node (where it differs)
  VEC(Buffer *) in = { 0 };
  VEC(UOp *) src = { 0 };
  for (int64_t i = 0; i < topo->n; i++) {
    UOp *u = topo->items[i];
    if (u->op == OP_BUFFER) { HMAP_PUT_PTR(&map, u, placeholder(u, (int)in.len, &roots)); vec_push(&in, (Buffer *)u->arg.ptr); continue; }
    if (u->op == OP_BIND) { HMAP_PUT_PTR(&map, u, u->src[0]); continue; }   // values are passed per run
    int64_t tup[2 * TG_MAX_DIMS + 2];
    bool unbound = u->arg.kind == ARG_TUPLE && u->arg.n <= 2 * TG_MAX_DIMS + 2 && dim_unbind_tuple(u, tup);
    bool changed = unbound;
    src.len = 0;
    for (uint32_t j = 0; j < u->nsrc; j++) {
      UOp *s = HMAP_PTR(&map, u->src[j]);
      changed |= s != NULL;
      vec_push(&src, s ? s : u->src[j]);
    }
    if (u == sink) HMAP_PUT_PTR(&map, u, uop_new(OP_SINK, DT_VOID_T, src.data, (int)src.len, settings(dev, (int64_t[NSETTINGS + 1]){ 0 })));
    else if (changed) HMAP_PUT_PTR(&map, u, uop_new((Op)u->op, u->dtype, src.data, (int)src.len, unbound ? arg_tuple(tup, (int)u->arg.n) : u->arg));
  }
  UOp *key = HMAP_PTR(&map, sink);
  k->inputs = in.data;
  k->ninputs = (int)in.len;
  vec_free(&src);
  hmap_free(&map);
  hmap_free(&roots);
  return key;
}

// ---- a hit: make the schedule from an entry ----
static Buffer *resolve(const SchedKey *k, Buffer **fresh, int32_t ref) { return buf_ref(ref >= 0 ? k->inputs[ref] : fresh[-ref - 1]); }

static void instantiate(const Entry *e, const SchedKey *k, Schedule *s) {
  Buffer **st = malloc(((size_t)e->nstorage + 1) * sizeof *st), **fresh = malloc(((size_t)e->nfresh + 1) * sizeof *fresh);
  TG_ASSERT(st && fresh, "out of memory");
  for (int i = 0; i < e->nstorage; i++) st[i] = buf_new(e->storage[i].dev, DT_UINT8, (int64_t)e->storage[i].nbytes);
  for (int i = 0; i < e->nfresh; i++) {
    fresh[i] = buf_new(e->fresh[i].dev, e->fresh[i].dtype, e->fresh[i].size);
    if (e->fresh[i].storage >= 0) buf_share(fresh[i], st[e->fresh[i].storage]);
  }
  memset(s, 0, sizeof *s);
  s->n = s->cap = e->nitems;
  s->items = calloc((size_t)e->nitems + 1, sizeof *s->items);
  s->nouts = e->nouts;
  s->outs = malloc(((size_t)e->nouts + 1) * sizeof *s->outs);
  TG_ASSERT(s->items && s->outs, "out of memory");
  for (int i = 0; i < e->nitems; i++) {
    const CachedItem *c = &e->items[i];
    ScheduleItem *it = &s->items[i];
    *it = (ScheduleItem){ .ast = c->ast, .nbufs = c->nbufs, .dev = c->dev, .prog = c->prog };
    it->bufs = malloc((size_t)c->nbufs * sizeof *it->bufs);
    it->reads_old = malloc((size_t)c->nbufs * sizeof *it->reads_old);
    TG_ASSERT(it->bufs && it->reads_old, "out of memory");
    for (int j = 0; j < c->nbufs; j++) it->bufs[j] = resolve(k, fresh, c->ref[j]);
    memcpy(it->reads_old, c->reads_old, (size_t)c->nbufs * sizeof *it->reads_old);
  }
  for (int i = 0; i < e->nouts; i++) s->outs[i] = resolve(k, fresh, e->outs[i]);
  for (int i = 0; i < e->nstorage; i++) buf_unref(st[i]);      // the fresh buffers placed in it hold it
  for (int i = 0; i < e->nfresh; i++) buf_unref(fresh[i]);     // the items and outputs hold them
  free(st); free(fresh);
}

bool scache_find(SchedKey *k, UOp *sink, Device *dev, Schedule *s) {
  memset(k, 0, sizeof *k);
  if (!env_int("SCHEDULE_CACHE", 1)) return false;
  bool work = false;                  // realizing views of buffers schedules nothing: not worth a key
  for (uint32_t i = 0; i < sink->nsrc && !work; i++) work = !sched_view_buffer(sink->src[i]);
  if (!work) return false;
  if (!roots_on) { uop_gc_add_roots(mark_entries, NULL); roots_on = true; }
  k->key = normalize(k, sink, dev);
  uop_pin(k->key);                    // until scache_add: a collection may run in between
  Entry *e = HMAP_PTR(&entries, k->key);
  if (!e) { scache_stats.misses++; return false; }
  e->used = ++clock_now;
  scache_stats.hits++;
  instantiate(e, k, s);
  LOG(1, "scheduled %d kernels on %s (from the schedule cache)", s->n, dev->name);
  return true;
}

void scache_key_free(SchedKey *k) {
  if (k->key) uop_unpin(k->key);
  free(k->inputs);
  memset(k, 0, sizeof *k);
}

// ---- a miss: record a schedule ----
typedef struct Recorder {
  HMap ref;                          // Buffer* -> ref + BIAS
  VEC(FreshBuf) fresh;
  VEC(Storage) storage;
  HMap storage_of;                   // planner storage Buffer* -> index + 1
} Recorder;
#define BIAS ((int64_t)1 << 40)

static int32_t record_buf(Recorder *r, Buffer *b) {
  uint64_t v;
  if (hmap_get(&r->ref, (uint64_t)(uintptr_t)b, &v)) return (int32_t)((int64_t)v - BIAS);
  int32_t storage = -1;
  if (b->base) {
    uint64_t si = hmap_get_or(&r->storage_of, (uint64_t)(uintptr_t)b->base, 0);
    if (!si) {
      vec_push(&r->storage, ((Storage){ b->base->dev, b->base->nbytes }));
      hmap_put(&r->storage_of, (uint64_t)(uintptr_t)b->base, si = (uint64_t)r->storage.len);
    }
    storage = (int32_t)si - 1;
  }
  vec_push(&r->fresh, ((FreshBuf){ b->dev, b->dtype, b->size, storage }));
  int32_t ref = -(int32_t)r->fresh.len;
  hmap_put(&r->ref, (uint64_t)(uintptr_t)b, (uint64_t)((int64_t)ref + BIAS));
  return ref;
}

// The least recently used entry goes when the cache is full.
static void make_room(void) {
  int64_t cap = env_int("SCHEDULE_CACHE_SIZE", SCACHE_DEFAULT_SIZE);
  while (entries.len > 0 && entries.len >= (cap > 0 ? cap : 1)) {
    int64_t oldest = -1;
    for (int64_t i = 0; i < entries.cap; i++)
      if (entries.keys[i] && (oldest < 0 || ((Entry *)(uintptr_t)entries.vals[i])->used < ((Entry *)(uintptr_t)entries.vals[oldest])->used)) oldest = i;
    Entry *e = (Entry *)(uintptr_t)entries.vals[oldest];
    hmap_del(&entries, (uint64_t)(uintptr_t)e->key);
    entry_free(e);
  }
}

void scache_add(const SchedKey *k, const Schedule *s) {
  if (!k->key || HMAP_PTR(&entries, k->key)) return;
  Recorder r = { 0 };
  for (int i = 0; i < k->ninputs; i++) hmap_put(&r.ref, (uint64_t)(uintptr_t)k->inputs[i], (uint64_t)((int64_t)i + BIAS));
  Entry *e = calloc(1, sizeof *e);
  e->items = calloc((size_t)s->n + 1, sizeof *e->items);
  e->outs = malloc(((size_t)s->nouts + 1) * sizeof *e->outs);
  TG_ASSERT(e && e->items && e->outs, "out of memory");
  e->key = k->key;
  e->nitems = s->n;
  for (int i = 0; i < s->n; i++) {
    const ScheduleItem *it = &s->items[i];
    CachedItem *c = &e->items[i];
    TG_ASSERT(!it->ast || it->prog, "scache_add: item %d ran without a program", i);
    *c = (CachedItem){ .ast = it->ast, .prog = it->prog, .dev = it->dev, .nbufs = it->nbufs };
    c->ref = malloc(((size_t)it->nbufs + 1) * sizeof *c->ref);
    c->reads_old = malloc(((size_t)it->nbufs + 1) * sizeof *c->reads_old);
    TG_ASSERT(c->ref && c->reads_old, "out of memory");
    for (int j = 0; j < it->nbufs; j++) c->ref[j] = record_buf(&r, it->bufs[j]);
    memcpy(c->reads_old, it->reads_old, (size_t)it->nbufs * sizeof *c->reads_old);
  }
  e->nouts = s->nouts;
  for (int i = 0; i < s->nouts; i++) e->outs[i] = record_buf(&r, s->outs[i]);
  e->fresh = r.fresh.data; e->nfresh = (int)r.fresh.len;
  e->storage = r.storage.data; e->nstorage = (int)r.storage.len;
  hmap_free(&r.ref);
  hmap_free(&r.storage_of);
  make_room();
  e->used = ++clock_now;
  HMAP_PUT_PTR(&entries, e->key, e);
  scache_stats.entries = entries.len;
}
