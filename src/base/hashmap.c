// Hash map from 64-bit keys to 64-bit values: linear probing, backward-shift deletion
#include "base/hashmap.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

static int64_t slot_of(const HMap *m, uint64_t key) {
  int64_t mask = m->cap - 1, i = (int64_t)(hash_mix(key) & (uint64_t)mask);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & mask;
  return i;
}

static void rehash(HMap *m, int64_t ncap) {
  HMap n = { calloc((size_t)ncap, 8), calloc((size_t)ncap, 8), 0, ncap };
  TG_ASSERT(n.keys && n.vals, "out of memory: hash map of %lld slots", (long long)ncap);
  for (int64_t i = 0; i < m->cap; i++)
    if (m->keys[i]) hmap_put(&n, m->keys[i], m->vals[i]);
  free(m->keys); free(m->vals);
  *m = n;
}

bool hmap_get(const HMap *m, uint64_t key, uint64_t *val) {
  if (!m->cap) return false;
  int64_t i = slot_of(m, key);
  if (!m->keys[i]) return false;
  if (val) *val = m->vals[i];
  return true;
}

uint64_t hmap_get_or(const HMap *m, uint64_t key, uint64_t dflt) {
  uint64_t v;
  return hmap_get(m, key, &v) ? v : dflt;
}

void hmap_put(HMap *m, uint64_t key, uint64_t val) {
  TG_ASSERT(key != 0, "hash map key 0 is reserved");
  if ((m->len + 1) * 4 >= m->cap * 3) rehash(m, m->cap ? m->cap * 2 : 16);
  int64_t i = slot_of(m, key);
  if (!m->keys[i]) { m->keys[i] = key; m->len++; }
  m->vals[i] = val;
}

bool hmap_del(HMap *m, uint64_t key) {
  if (!m->cap) return false;
  int64_t mask = m->cap - 1, i = slot_of(m, key);
  if (!m->keys[i]) return false;
  // backward-shift: pull later entries of the probe run into the hole
  for (int64_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
    int64_t home = (int64_t)(hash_mix(m->keys[j]) & (uint64_t)mask);
    bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (between) continue;
    m->keys[i] = m->keys[j]; m->vals[i] = m->vals[j];
    i = j;
  }
  m->keys[i] = 0; m->vals[i] = 0;
  m->len--;
  return true;
}

void hmap_clear(HMap *m) {
  if (m->cap) { memset(m->keys, 0, (size_t)m->cap * 8); memset(m->vals, 0, (size_t)m->cap * 8); }
  m->len = 0;
}

void hmap_free(HMap *m) {
  free(m->keys); free(m->vals);
  memset(m, 0, sizeof *m);
}
