// State dicts: an ordered list of named tensors (not owned) plus string metadata, looked up by name
#include "nn/state.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

tg_state *tg_state_new(void) {
  tg_state *s = calloc(1, sizeof *s);
  TG_ASSERT(s, "out of memory");
  return s;
}

void tg_state_free(tg_state *s) {
  if (!s) return;
  for (int i = 0; i < s->n; i++) free(s->e[i].name);
  for (int i = 0; i < s->nmeta; i++) { free(s->meta[i].key); free(s->meta[i].val); }
  free(s->e);
  free(s->slots);
  free(s->meta);
  free(s);
}

static uint64_t str_hash(const char *p) {       // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
  return h ^ (h >> 29);
}

static int *find_slot(const tg_state *s, const char *name) {
  if (!s->nslots) return NULL;
  for (uint64_t i = str_hash(name) & (uint64_t)(s->nslots - 1);; i = (i + 1) & (uint64_t)(s->nslots - 1)) {
    int *slot = &s->slots[i];
    if (!*slot || !strcmp(s->e[*slot - 1].name, name)) return slot;
  }
}

int io_state_find(const tg_state *s, const char *name) {
  int *slot = s && name ? find_slot(s, name) : NULL;
  return slot && *slot ? *slot - 1 : -1;
}

static void rehash(tg_state *s) {
  free(s->slots);
  s->nslots = s->nslots ? 2 * s->nslots : 16;
  s->slots = calloc((size_t)s->nslots, sizeof *s->slots);
  TG_ASSERT(s->slots, "out of memory");
  for (int i = 0; i < s->n; i++) *find_slot(s, s->e[i].name) = i + 1;
}

static char *dup_str(const char *p) {
  char *d = strdup(p);
  TG_ASSERT(d, "out of memory");
  return d;
}

int tg_state_add(tg_state *s, const char *name, tg_tensor *t) {
  if (!s || !name) { tg_set_error("tg_state_add: %s is NULL", s ? "name" : "state"); return -1; }
  if (!t) {
    if (!tg_has_error()) tg_set_error("tg_state_add: tensor '%.200s' is NULL", name);
    return -1;
  }
  if (!strcmp(name, "__metadata__")) { tg_set_error("tg_state_add: '__metadata__' is reserved (safetensors metadata)"); return -1; }
  if (io_state_find(s, name) >= 0) { tg_set_error("tg_state_add: duplicate name '%.200s'", name); return -1; }
  if (s->n == INT32_MAX / 4) { tg_set_error("tg_state_add: too many entries (%d)", s->n); return -1; }
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 16;
    s->e = realloc(s->e, (size_t)s->cap * sizeof *s->e);
    TG_ASSERT(s->e, "out of memory");
  }
  s->e[s->n++] = (StateEntry){ dup_str(name), t };
  if (2 * s->n > s->nslots) rehash(s);
  else *find_slot(s, name) = s->n;
  return 0;
}

int tg_state_len(const tg_state *s) { return s ? s->n : 0; }
const char *tg_state_name(const tg_state *s, int i) { return s && i >= 0 && i < s->n ? s->e[i].name : NULL; }
tg_tensor *tg_state_at(const tg_state *s, int i) { return s && i >= 0 && i < s->n ? s->e[i].t : NULL; }

tg_tensor *tg_state_get(const tg_state *s, const char *name) {
  int i = io_state_find(s, name);
  return i >= 0 ? s->e[i].t : NULL;
}

int tg_state_set_metadata(tg_state *s, const char *key, const char *value) {
  if (!s || !key || !value) { tg_set_error("tg_state_set_metadata: %s is NULL", !s ? "state" : !key ? "key" : "value"); return -1; }
  for (int i = 0; i < s->nmeta; i++)
    if (!strcmp(s->meta[i].key, key)) { free(s->meta[i].val); s->meta[i].val = dup_str(value); return 0; }
  io_state_meta_push(s, key, value);
  return 0;
}

void io_state_meta_push(tg_state *s, const char *key, const char *value) {
  if (s->nmeta == s->metacap) {
    s->metacap = s->metacap ? 2 * s->metacap : 8;
    s->meta = realloc(s->meta, (size_t)s->metacap * sizeof *s->meta);
    TG_ASSERT(s->meta, "out of memory");
  }
  s->meta[s->nmeta++] = (StateMeta){ dup_str(key), dup_str(value) };
}

const char *tg_state_metadata(const tg_state *s, const char *key) {
  for (int i = 0; s && key && i < s->nmeta; i++)
    if (!strcmp(s->meta[i].key, key)) return s->meta[i].val;
  return NULL;
}
