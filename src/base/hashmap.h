// Hash map from 64-bit keys (usually pointers) to 64-bit values, open addressing
#ifndef TG_HASHMAP_H
#define TG_HASHMAP_H
#include <stdbool.h>
#include <stdint.h>

// Key 0 is reserved as "empty"; pointer keys are never 0.
typedef struct HMap { uint64_t *keys, *vals; int64_t len, cap; } HMap;

bool     hmap_get(const HMap *m, uint64_t key, uint64_t *val);
uint64_t hmap_get_or(const HMap *m, uint64_t key, uint64_t dflt);
void     hmap_put(HMap *m, uint64_t key, uint64_t val);
bool     hmap_del(HMap *m, uint64_t key);
void     hmap_clear(HMap *m);                  // keeps capacity
void     hmap_free(HMap *m);

// iterate: for (int64_t i = 0; i < m.cap; i++) if (m.keys[i]) ...
#define HMAP_PTR(m, k) ((void *)(uintptr_t)hmap_get_or((m), (uint64_t)(uintptr_t)(k), 0))
#define HMAP_PUT_PTR(m, k, v) hmap_put((m), (uint64_t)(uintptr_t)(k), (uint64_t)(uintptr_t)(v))

static inline uint64_t hash_mix(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27; x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
static inline uint64_t hash_combine(uint64_t h, uint64_t v) { return hash_mix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6))); }
#endif
