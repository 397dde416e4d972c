// Buffers: device memory with a dtype and element count, reference counted
#include "runtime/buffer.h"
#include "runtime/device.h"
#include "base/error.h"
#include <stdlib.h>

static size_t bytes_live, bytes_peak;     // device bytes held by allocated buffers (now, at most)
size_t buf_bytes_live(void) { return bytes_live; }
size_t buf_bytes_peak(void) { return bytes_peak; }
void buf_reset_peak(void) { bytes_peak = bytes_live; }

void buf_share(Buffer *b, Buffer *storage) {
  TG_ASSERT(!b->ptr && !b->base && storage->dev == b->dev && storage->nbytes >= b->nbytes, "buf_share: storage does not fit");
  b->base = buf_ref(storage);
}

Buffer *buf_new(Device *dev, ScalarType dt, int64_t size) {
  if (!dev) { tg_set_error("buf_new: no device"); return NULL; }
  if (size < 0 || dt == DT_VOID || dt >= DT_SCALAR_COUNT_) {
    tg_set_error("buf_new(%s): bad buffer of %lld elements of dtype %d", dev->name, (long long)size, (int)dt);
    return NULL;
  }
  Buffer *b = calloc(1, sizeof *b);
  TG_ASSERT(b, "out of memory");
  b->dev = dev;
  b->dtype = dt;
  b->size = size;
  b->nbytes = (size_t)size * (size_t)st_itemsize(dt);
  b->refcount = 1;
  return b;
}

void buf_ensure(Buffer *b) {
  if (b->ptr) return;
  if (b->base) { buf_ensure(b->base); b->ptr = b->base->ptr; return; }
  b->ptr = b->dev->alloc(b->dev, b->nbytes);
  TG_ASSERT(b->ptr, "out of memory: %zu bytes on %s", b->nbytes, b->dev->name);
  bytes_live += b->nbytes;
  if (bytes_live > bytes_peak) bytes_peak = bytes_live;
}

Buffer *buf_ref(Buffer *b) { if (b) b->refcount++; return b; }

void buf_unref(Buffer *b) {
  if (!b) return;
  TG_ASSERT(b->refcount > 0, "buf_unref of a freed buffer");
  if (--b->refcount) return;
  if (b->base) buf_unref(b->base);
  else if (b->ptr) { b->dev->free(b->dev, b->ptr); bytes_live -= b->nbytes; }
  free(b);
}

static int check_size(Buffer *b, size_t nbytes, const char *fn) {
  if (nbytes == b->nbytes) return 0;
  tg_set_error("%s: %zu bytes given, the %s buffer of %lld %s holds %zu", fn, nbytes, b->dev->name, (long long)b->size,
               st_name(b->dtype), b->nbytes);
  return -1;
}

int buf_copyin(Buffer *b, const void *src, size_t nbytes) {
  if (check_size(b, nbytes, "buf_copyin") < 0) return -1;
  buf_ensure(b);
  return b->dev->copyin(b->dev, b->ptr, src, nbytes);
}

int buf_copyout(Buffer *b, void *dst, size_t nbytes) {
  if (check_size(b, nbytes, "buf_copyout") < 0) return -1;
  buf_ensure(b);
  return b->dev->copyout(b->dev, dst, b->ptr, nbytes);
}
