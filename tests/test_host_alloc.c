// Host allocator: 64-byte alignment, freed blocks reused by size, the HOST_CACHE_MB cap, flush
#include "testlib.h"
#include "runtime/runtime.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  setenv("HOST_CACHE_MB", "1", 1);            // read at the first free
  rt_host_cache_flush();
  enum { MB = 1 << 20 };
  char *a = rt_host_alloc(NULL, MB);
  CHECK(a && (uintptr_t)a % 64 == 0, "1 MB block aligned to 64: %p", (void *)a);
  memset(a, 1, MB);                            // the whole block is usable
  for (size_t n = 1; n < 200; n += 37) {
    void *p = rt_host_alloc(NULL, n);
    CHECK(p && (uintptr_t)p % 64 == 0, "%zu-byte block aligned", n);
    rt_host_free(NULL, p);
  }
  rt_host_cache_flush();
#if defined(__SANITIZE_ADDRESS__)
  rt_host_free(NULL, a);
  printf("  (AddressSanitizer build: blocks are not cached)\n");
#else
  int64_t hits = host_cache_stats.hits;
  rt_host_free(NULL, a);
  CHECK(host_cache_stats.cached_bytes == MB, "a freed 1 MB block is cached (%zu bytes cached)", host_cache_stats.cached_bytes);
  char *b = rt_host_alloc(NULL, MB - 10);      // rounds to the same size: the same block comes back
  CHECK(b == a && host_cache_stats.hits == hits + 1, "the cached block is reused");
  char *c = rt_host_alloc(NULL, 2 * MB);
  rt_host_free(NULL, c);                       // over the 1 MB cap with b out: given back, not cached
  CHECK(host_cache_stats.cached_bytes <= MB, "the cap holds: %zu bytes cached", host_cache_stats.cached_bytes);
  rt_host_free(NULL, b);
  rt_host_cache_flush();
  CHECK(rt_host_alloc(NULL, 64) != NULL, "allocation after a flush");
#endif
  return test_finish("test_host_alloc");
}
