// FNV-1a hashing for disk-cache keys and file checksums (stable across runs and machines, unlike hash_mix)
#ifndef TG_FNV_H
#define TG_FNV_H
#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *data, size_t n);
// A 128-bit key of n NUL-terminated strings (two FNV-1a streams with different seeds) as 32 hex digits.
void fnv_key_hex(const char *const *parts, size_t n, char out[33]);
#endif
