// Datasets: IDX files (MNIST's format, gzip or plain) and Fashion-MNIST from its Debian package
//
// IDX: a big-endian header (0x00 0x00, a type byte, the number of dims, one u32 per dim), then the
// values, big-endian, row-major. The file is untrusted: the payload must be exactly what the dims
// say (no less, no more), and memory grows only as data actually arrives, so a header that claims
// huge dims cannot make us allocate more than the file holds.
#include "nn/datasets.h"
#include "base/env.h"
#include "tensor/tensor.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

const char *const io_fashion_mnist_files[4] = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };

static const struct { uint8_t code; ScalarType dt; } idx_types[] = {
  { 0x08, DT_UINT8 }, { 0x09, DT_INT8 }, { 0x0B, DT_INT16 }, { 0x0C, DT_INT32 }, { 0x0D, DT_FLOAT32 }, { 0x0E, DT_FLOAT64 },
};

// read up to n bytes (fewer only at the end of the data or on an error); -1 on a gzip error
static int64_t read_some(gzFile f, uint8_t *dst, uint64_t n) {
  uint64_t got = 0;
  while (got < n) {
    uint64_t want = n - got;
    int r = gzread(f, dst + got, want > (1u << 30) ? (1u << 30) : (unsigned)want);
    if (r < 0) return -1;
    if (r == 0) break;
    got += (uint64_t)r;
  }
  return (int64_t)got;
}

// zlib's error for f without the file name it starts with, or NULL; *trunc: the gzip data just stops
static const char *gz_msg(gzFile f, bool *trunc) {
  int code;
  const char *m = gzerror(f, &code);
  *trunc = code == Z_BUF_ERROR;
  if (code == Z_OK || code == Z_STREAM_END) return NULL;
  const char *q = m && !strncmp(m, "<fd:", 4) ? strstr(m, ">: ") : NULL;   // gzdopen names the file "<fd:N>"
  if (q) m = q + 3;
  return m && *m ? m : "error";
}

static void swap_bytes(uint8_t *p, uint64_t n, int size) {
  if (size == 1) return;
  for (uint64_t i = 0; i < n; i++, p += size)
    for (int a = 0, b = size - 1; a < b; a++, b--) { uint8_t t = p[a]; p[a] = p[b]; p[b] = t; }
}

// the payload: exactly `want` bytes, then the end of the data
static uint8_t *read_payload(gzFile f, const char *path, uint64_t want, const char *shape, const char *dt) {
  const char *fn = "tg_idx_load";
  uint64_t cap = want < (16u << 20) ? want : (16u << 20), got = 0;
  uint8_t *buf = malloc(cap ? cap : 1);
  TG_ASSERT(buf, "out of memory");
  for (;;) {
    int64_t r = read_some(f, buf + got, cap - got);
    if (r < 0) break;
    got += (uint64_t)r;
    if (got < cap || cap == want) break;
    cap = cap * 2 < want ? cap * 2 : want;
    uint8_t *nb = realloc(buf, cap);
    TG_ASSERT(nb, "out of memory");
    buf = nb;
  }
  uint8_t extra;
  bool trunc;
  const char *gz = gz_msg(f, &trunc);
  int64_t more = gz || got < want ? 0 : read_some(f, &extra, 1);   // also makes zlib check the gzip trailer
  if (!gz) gz = gz_msg(f, &trunc);
  if (gz && !trunc) tg_set_error("%s: '%s': corrupt gzip data: %s", fn, path, gz);
  else if (got < want || gz)
    tg_set_error("%s: '%s' is truncated: shape %s of %s needs %llu data bytes, the file has %llu%s", fn, path, shape, dt,
                 (unsigned long long)want, (unsigned long long)got, gz ? " (the gzip stream ends early)" : "");
  else if (more > 0) tg_set_error("%s: '%s': data continues after the %llu bytes that shape %s of %s needs", fn, path,
                                  (unsigned long long)want, shape, dt);
  else return buf;
  free(buf);
  return NULL;
}

static tg_tensor *idx_read(gzFile f, const char *path) {
  const char *fn = "tg_idx_load";
  uint8_t h[4 + 4 * 255];
  int64_t r = read_some(f, h, 4);
  bool trunc;
  if (r < 4) {
    const char *gz = gz_msg(f, &trunc);
    if (gz && !trunc) tg_set_error("%s: '%s': corrupt gzip data: %s", fn, path, gz);
    else tg_set_error("%s: '%s' is truncated: %lld bytes, an IDX header needs at least 4", fn, path, (long long)(r < 0 ? 0 : r));
    return NULL;
  }
  ScalarType dt = DT_VOID;
  for (size_t i = 0; i < sizeof idx_types / sizeof *idx_types; i++) if (h[2] == idx_types[i].code) dt = idx_types[i].dt;
  if (h[0] || h[1] || dt == DT_VOID) {
    tg_set_error("%s: '%s': bad magic 0x%02x%02x%02x%02x (IDX: 0x0000, a type of 08 09 0B 0C 0D 0E, then the dim count)", fn,
                 path, h[0], h[1], h[2], h[3]);
    return NULL;
  }
  int ndim = h[3];
  if (ndim < 1 || ndim > TG_MAX_DIMS) {
    tg_set_error("%s: '%s': the magic says %d dims (must be 1..%d)", fn, path, ndim, TG_MAX_DIMS);
    return NULL;
  }
  r = read_some(f, h + 4, 4 * (uint64_t)ndim);
  if (r < 4 * ndim) {
    const char *gz = gz_msg(f, &trunc);
    if (gz && !trunc) tg_set_error("%s: '%s': corrupt gzip data: %s", fn, path, gz);
    else tg_set_error("%s: '%s' is truncated: the header needs %d dims of 4 bytes, the file has %lld bytes of them", fn, path,
                      ndim, (long long)(r < 0 ? 0 : r));
    return NULL;
  }
  int64_t shape[TG_MAX_DIMS];
  uint64_t numel = 1, nbytes;
  bool overflow = false;
  for (int i = 0; i < ndim; i++) {
    const uint8_t *p = h + 4 + 4 * i;
    shape[i] = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    overflow |= __builtin_mul_overflow(numel, (uint64_t)shape[i], &numel);
  }
  overflow |= __builtin_mul_overflow(numel, (uint64_t)st_itemsize(dt), &nbytes);
  char s[256];
  shape_str(shape, ndim, s, sizeof s);
  if (overflow || nbytes > IO_IDX_MAX_BYTES) {
    tg_set_error("%s: '%s': shape %s of %s is over the limit of %llu bytes", fn, path, s, st_name(dt), IO_IDX_MAX_BYTES);
    return NULL;
  }
  uint8_t *data = read_payload(f, path, nbytes, s, st_name(dt));
  if (!data) return NULL;
  swap_bytes(data, numel, st_itemsize(dt));
  tg_tensor *t = tg_from_data(data, (tg_dtype)dt, shape, ndim);
  free(data);
  return t;
}

tg_tensor *io_idx_read_fd(int fd, const char *path) {
  int d = dup(fd);
  gzFile f = d < 0 ? NULL : gzdopen(d, "rb");
  if (!f) {
    tg_set_error("tg_idx_load: cannot read '%s': %s", path, strerror(errno));
    if (d >= 0) close(d);
    return NULL;
  }
  tg_tensor *t = idx_read(f, path);
  gzclose(f);
  return t;
}

tg_tensor *tg_idx_load(const char *path) {
  const char *fn = "tg_idx_load";
  if (!path) { tg_set_error("%s: path is NULL", fn); return NULL; }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   // O_NONBLOCK: a FIFO must not hang us before fstat
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    tg_set_error("%s: cannot open '%s': %s", fn, path, strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  tg_tensor *t = NULL;
  if (!S_ISREG(st.st_mode)) tg_set_error("%s: cannot open '%s': not a regular file", fn, path);
  else t = io_idx_read_fd(fd, path);
  close(fd);
  return t;
}

// ---- Fashion-MNIST ----

// dir/name.gz, else dir/name; false (with the error set) when neither exists
static bool find_file(const char *dir, const char *name, char *path, size_t n) {
  const char *fn = "tg_fashion_mnist";
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    tg_set_error("%s: the folder '%s' does not exist (install the data with `apt-get install dataset-fashion-mnist`, "
                 "or set FASHION_MNIST_DIR to a folder holding %s.gz)", fn, dir, name);
    return false;
  }
  for (int gz = 1; gz >= 0; gz--) {
    if (snprintf(path, n, "%s/%s%s", dir, name, gz ? ".gz" : "") >= (int)n) { tg_set_error("%s: path too long", fn); return false; }
    if (stat(path, &st) == 0) return true;
  }
  tg_set_error("%s: '%s/%s.gz' not found (install the data with `apt-get install dataset-fashion-mnist`, or set "
               "FASHION_MNIST_DIR to a folder holding it)", fn, dir, name);
  return false;
}

static tg_tensor *load_part(const char *dir, int i) {
  const char *fn = "tg_fashion_mnist";
  char path[4096], s[256];
  if (!find_file(dir, io_fashion_mnist_files[i], path, sizeof path)) return NULL;
  tg_tensor *t = tg_idx_load(path);
  if (!t) return NULL;
  bool images = i % 2 == 0;
  shape_str(t->shape, t->ndim, s, sizeof s);
  if (t->dtype != DT_UINT8 || (images ? t->ndim != 3 || t->shape[1] != 28 || t->shape[2] != 28 : t->ndim != 1)) {
    tg_set_error("%s: '%s' holds %s of shape %s, expected uint8 %s", fn, path, st_name(t->dtype), s,
                 images ? "images (N, 28, 28)" : "labels (N,)");
    tg_free(t);
    return NULL;
  }
  if (images) {
    tg_tensor *r = tg_reshape(t, TG_SHAPE(t->shape[0], 1, 28, 28));
    tg_free(t);
    return r;
  }
  uint8_t *v = malloc(t->shape[0] ? (size_t)t->shape[0] : 1);
  TG_ASSERT(v, "out of memory");
  int rc = tg_data(t, v, (size_t)t->shape[0]);
  for (int64_t k = 0; rc == 0 && k < t->shape[0]; k++)
    if (v[k] > 9) { tg_set_error("%s: '%s': label %d at index %lld is outside 0..9", fn, path, v[k], (long long)k); rc = -1; }
  free(v);
  if (rc != 0) { tg_free(t); return NULL; }
  return t;
}

int tg_fashion_mnist(tg_tensor **x_train, tg_tensor **y_train, tg_tensor **x_test, tg_tensor **y_test) {
  tg_tensor **out[4] = { x_train, y_train, x_test, y_test };
  const char *dir = env_str("FASHION_MNIST_DIR", "");
  if (!*dir) dir = IO_FASHION_MNIST_DIR;
  tg_tensor *t[4] = { 0 };
  int rc = 0;
  for (int i = 0; i < 4 && rc == 0; i++)
    if (out[i] && !(t[i] = load_part(dir, i))) rc = -1;
  for (int i = 0; i < 4 && rc == 0; i += 2)
    if (t[i] && t[i + 1] && t[i]->shape[0] != t[i + 1]->shape[0]) {
      tg_set_error("tg_fashion_mnist: %lld %s images but %lld labels", (long long)t[i]->shape[0], i ? "test" : "training",
                   (long long)t[i + 1]->shape[0]);
      rc = -1;
    }
  for (int i = 0; i < 4; i++) {
    if (rc != 0) { tg_free(t[i]); t[i] = NULL; }
    if (out[i]) *out[i] = t[i];
  }
  return rc;
}
