// Disk: read-only file mappings (mmap) that loaders bounds-check before they copy into device buffers
#include "runtime/disk.h"
#include "base/error.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int disk_map(DiskMap *m, const char *path, const char *fn) {
  m->base = NULL;
  m->size = 0;
  if (!path) { tg_set_error("%s: path is NULL", fn); return -1; }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   // O_NONBLOCK: a FIFO must not hang us before fstat
  if (fd < 0) { tg_set_error("%s: cannot open '%s': %s", fn, path, strerror(errno)); return -1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { tg_set_error("%s: cannot stat '%s': %s", fn, path, strerror(errno)); close(fd); return -1; }
  if (!S_ISREG(st.st_mode)) {
    tg_set_error("%s: cannot open '%s': %s", fn, path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    close(fd);
    return -1;
  }
  if (st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) { tg_set_error("%s: cannot map '%s': %s", fn, path, strerror(errno)); close(fd); return -1; }
    m->base = p;
    m->size = (size_t)st.st_size;
  }
  close(fd);
  return 0;
}

void disk_unmap(DiskMap *m) {
  if (m->base) munmap((void *)m->base, m->size);
  m->base = NULL;
  m->size = 0;
}
