// Buffers: device memory with a dtype and element count, reference counted
#ifndef TG_BUFFER_H
#define TG_BUFFER_H
#include "uop/dtype.h"
#include <stddef.h>
#include <stdint.h>

typedef struct Device Device;
typedef struct Buffer {
  Device *dev;
  ScalarType dtype;
  int64_t size;          // elements
  size_t nbytes;
  void *ptr;             // device pointer (host memory for CPU, INTERP, NULL)
  int refcount;
  void *node;            // the BUFFER UOp that views this buffer, if one exists (set by the tensor layer)
  struct Buffer *base;   // storage owner when this buffer lives in another's memory (the memory planner)
} Buffer;

Buffer *buf_new(Device *dev, ScalarType dt, int64_t size);   // allocates lazily on first buf_ensure
void    buf_ensure(Buffer *b);                               // allocate device memory now
Buffer *buf_ref(Buffer *b);
void    buf_unref(Buffer *b);
int     buf_copyin(Buffer *b, const void *src, size_t nbytes);   // host -> device
int     buf_copyout(Buffer *b, void *dst, size_t nbytes);        // device -> host
size_t  buf_bytes_live(void);                                     // bytes held by allocated buffers
size_t  buf_bytes_peak(void);                                     // the most buf_bytes_live has been
void    buf_reset_peak(void);                                     // peak := live
// b (not allocated yet) will live in storage's memory, which must be as large, on the same device.
void    buf_share(Buffer *b, Buffer *storage);
#endif
