// What every compiling backend (CPU, CUDA) does around a rendered program: its symbol, taking its source, and
// reading a checksummed disk-cache file
#include "runtime/runtime.h"
#include "base/fnv.h"
#include "base/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_symbol_name(const Program *p, char *out, size_t n) {
  size_t k = 0;
  if (!((p->name[0] >= 'a' && p->name[0] <= 'z') || (p->name[0] >= 'A' && p->name[0] <= 'Z'))) k = (size_t)snprintf(out, n, "k_");
  for (const char *c = p->name; *c && k + 1 < n; c++)
    out[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ? *c : '_';
  out[k] = 0;
  if (!strcmp(out, "k_")) snprintf(out, n, "kernel");
}

void rt_take_source(Device *d, Program *p, char *src) {
  if (p->dev && p->dev->release) p->dev->release(p->dev, p);   // what an earlier compile made
  free(p->src);
  p->src = src;
  p->dev = d;
  LOG(4, "%s", src);
}

char *rt_cache_read(const char *path, const char magic[8], size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (len > 16 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
    uint64_t h = fnv1a(FNV1A_INIT, buf, (size_t)len - 16), stored;
    memcpy(&stored, buf + len - 8, 8);
    if (!memcmp(buf + len - 16, magic, 8) && stored == h) { *n = (size_t)len - 16; fclose(f); return buf; }
  }
  free(buf);
  fclose(f);
  return NULL;
}
