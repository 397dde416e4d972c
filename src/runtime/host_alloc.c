// Host memory for the CPU-side devices: 64-byte aligned blocks, freed blocks kept for reuse by size
#include "runtime/runtime.h"
#include "base/env.h"
#include "base/hashmap.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A training step without the JIT frees its intermediates (hundreds of MB) and allocates the same sizes again
 * on the next step. Through malloc each large block is an mmap/munmap pair, and every page faults again on
 * first touch: 20-50 ms a step. Freed blocks are kept here, by exact rounded size, up to HOST_CACHE_MB
 * (default 1024; 0 turns the cache off), and handed out again. A failed allocation empties the cache and
 * retries. Each block starts with a 64-byte header holding its size and the free-list link, so the user part
 * stays 64-byte aligned. Builds with AddressSanitizer do not cache (a reused block would hide use-after-free). */
#if defined(__SANITIZE_ADDRESS__)
#define HOST_CACHE_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_CACHE_ON 0
#endif
#endif
#ifndef HOST_CACHE_ON
#define HOST_CACHE_ON 1
#endif

enum { HEADER = 64 };
typedef struct Block { size_t size; struct Block *next; } Block;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static HMap free_lists;        // rounded size -> Block* (a stack)
static size_t cached_bytes, cache_cap;
static bool cap_read;
HostCacheStats host_cache_stats;

static size_t round_size(size_t nbytes) { return ((nbytes ? nbytes : 1) + 63) & ~(size_t)63; }

static void flush_locked(void) {
  for (int64_t i = 0; i < free_lists.cap; i++) {
    if (!free_lists.keys[i]) continue;
    for (Block *b = (Block *)(uintptr_t)free_lists.vals[i], *n; b; b = n) { n = b->next; free(b); }
  }
  hmap_clear(&free_lists);
  cached_bytes = host_cache_stats.cached_bytes = 0;
}

void rt_host_cache_flush(void) { pthread_mutex_lock(&mu); flush_locked(); pthread_mutex_unlock(&mu); }

static Block *take_cached(size_t size) {
  Block *b = (Block *)(uintptr_t)hmap_get_or(&free_lists, size, 0);
  if (!b) return NULL;
  if (b->next) hmap_put(&free_lists, size, (uint64_t)(uintptr_t)b->next); else hmap_del(&free_lists, size);
  cached_bytes -= size;
  host_cache_stats.hits++;
  return b;
}

void *rt_host_alloc(Device *d, size_t nbytes) {
  (void)d;
  size_t size = round_size(nbytes);
  pthread_mutex_lock(&mu);
  Block *b = HOST_CACHE_ON ? take_cached(size) : NULL;
  if (!b) {
    void *p = NULL;
    if (posix_memalign(&p, 64, size + HEADER) != 0 && cached_bytes) { flush_locked(); p = NULL; }   // then retry once
    if (!p && posix_memalign(&p, 64, size + HEADER) != 0) p = NULL;
    b = p;
    if (b) { b->size = size; host_cache_stats.misses++; }
  }
  pthread_mutex_unlock(&mu);
  return b ? (char *)b + HEADER : NULL;
}

void rt_host_free(Device *d, void *ptr) {
  (void)d;
  if (!ptr) return;
  Block *b = (Block *)((char *)ptr - HEADER);
  pthread_mutex_lock(&mu);
  if (!cap_read) { cap_read = true; cache_cap = (size_t)env_int("HOST_CACHE_MB", 1024) << 20; }
  if (HOST_CACHE_ON && cached_bytes + b->size <= cache_cap) {
    b->next = (Block *)(uintptr_t)hmap_get_or(&free_lists, b->size, 0);
    hmap_put(&free_lists, b->size, (uint64_t)(uintptr_t)b);
    cached_bytes += b->size;
  } else {
    free(b);
  }
  host_cache_stats.cached_bytes = cached_bytes;
  pthread_mutex_unlock(&mu);
}
