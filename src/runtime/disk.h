// Disk: read-only file mappings (mmap) that loaders bounds-check before they copy into device buffers
#ifndef TG_DISK_H
#define TG_DISK_H
#include <stddef.h>
#include <stdint.h>

typedef struct DiskMap {
  const uint8_t *base;   // the whole file, read-only (NULL for an empty file)
  size_t size;           // bytes
} DiskMap;

// Map a regular file. 0, or -1 with tg_set_error("<fn>: cannot open '<path>': ...").
int  disk_map(DiskMap *m, const char *path, const char *fn);
void disk_unmap(DiskMap *m);
#endif
