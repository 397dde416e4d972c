// FNV-1a hashing for disk-cache keys and file checksums
#include "base/fnv.h"
#include <stdio.h>
#include <string.h>

uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ULL; }
  return h;
}

void fnv_key_hex(const char *const *parts, size_t n, char out[33]) {
  uint64_t h1 = FNV1A_INIT, h2 = 0x84222325cbf29ce4ULL;
  for (size_t i = 0; i < n; i++) {            // each part with its NUL, so ("ab", "c") differs from ("a", "bc")
    h1 = fnv1a(h1, parts[i], strlen(parts[i]) + 1);
    h2 = fnv1a(h2, parts[i], strlen(parts[i]) + 1);
  }
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}
