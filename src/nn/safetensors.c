// safetensors: the file format (u64 LE header length, JSON header, packed data); read, load into a model, save
//
// The file is untrusted. It is mapped read-only (runtime/disk.c), the header is parsed by jansson
// (strict JSON, 64-bit integers, duplicate keys rejected), and every entry is checked before any
// tensor is touched: known dtype, non-negative shape whose byte size does not overflow and equals its
// data_offsets span, offsets inside the data section, and spans that tile the data section exactly
// (sorted, contiguous, no overlap, no gap, nothing after the last tensor), as the reference
// implementation requires. Only then is data copied into device buffers.
#include "nn/state.h"
#include "runtime/disk.h"
#include "schedule/schedule.h"
#include "tensor/tensor.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c copies data as is: it needs a little-endian host, as the format is little-endian"
#endif

#define ST_MAX_HEADER 100000000ull      // the reference implementation's limit on the JSON header

static const struct { const char *name; ScalarType dt; } st_types[] = {
  { "BOOL", DT_BOOL }, { "U8", DT_UINT8 }, { "I8", DT_INT8 }, { "I16", DT_INT16 }, { "U16", DT_UINT16 },
  { "F16", DT_FLOAT16 }, { "BF16", DT_BFLOAT16 }, { "I32", DT_INT32 }, { "U32", DT_UINT32 }, { "F32", DT_FLOAT32 },
  { "F64", DT_FLOAT64 }, { "I64", DT_INT64 }, { "U64", DT_UINT64 },
};
// valid safetensors dtypes that tinygrad.c has no dtype for
static const char *const st_unsupported[] = { "F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "C64" };
enum { NTYPES = sizeof st_types / sizeof *st_types };

static const char *type_name(ScalarType dt) {
  for (int i = 0; i < NTYPES; i++) if (st_types[i].dt == dt) return st_types[i].name;
  TG_UNREACHABLE("safetensors dtype %d", (int)dt);
}

typedef struct {
  const char *name;          // a key of the JSON root: lives as long as the root
  ScalarType dt;
  int ndim;
  int64_t shape[TG_MAX_DIMS];
  uint64_t begin, end;       // byte range within the data section
} Entry;

typedef struct {
  const char *fn, *what;     // error labels: the API function and the file
  json_t *root;
  json_t *meta;              // the "__metadata__" object, or NULL
  Entry *e;                  // tensors in header order
  int n;
  const uint8_t *data;       // the data section
  uint64_t data_len;
} Header;

static void header_free(Header *h) {
  free(h->e);
  if (h->root) json_decref(h->root);
  h->e = NULL;
  h->root = NULL;
}

__attribute__((format(printf, 2, 3))) static int fail(const Header *h, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tg_set_error("%s: %.200s: %s", h->fn, h->what, msg);
  return -1;
}

// a name from the file, made safe to print: control bytes become '?', long names are clipped
static const char *clip(const char *name, char buf[96]) {
  size_t i = 0;
  for (; name[i] && i < 80; i++) buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
  if (name[i])
    while (i > 0 && ((unsigned char)name[i] & 0xc0) == 0x80) i--;   // do not cut a UTF-8 character in two
  strcpy(buf + i, name[i] ? "..." : "");
  return buf;
}

static bool json_u64(json_t *x, uint64_t *out) {
  if (!json_is_integer(x) || json_integer_value(x) < 0) return false;
  *out = (uint64_t)json_integer_value(x);
  return true;
}

static int parse_dtype(const Header *h, const char *nm, json_t *dt, ScalarType *out) {
  if (!json_is_string(dt)) return fail(h, "tensor '%s': \"dtype\" is missing or not a string", nm);
  const char *s = json_string_value(dt);
  for (int i = 0; i < NTYPES; i++) if (!strcmp(s, st_types[i].name)) { *out = st_types[i].dt; return 0; }
  char b[96];
  for (size_t i = 0; i < sizeof st_unsupported / sizeof *st_unsupported; i++)
    if (!strcmp(s, st_unsupported[i]))
      return fail(h, "tensor '%s': dtype %s is not supported (supported: BOOL U8 I8 U16 I16 U32 I32 U64 I64 F16 BF16 F32 F64)", nm, s);
  return fail(h, "tensor '%s': unknown dtype '%s'", nm, clip(s, b));
}

static int parse_entry(const Header *h, const char *name, json_t *v, Entry *e) {
  char nm[96], sh[256];
  clip(name, nm);
  if (!json_is_object(v)) return fail(h, "tensor '%s': expected an object with dtype, shape and data_offsets", nm);
  e->name = name;
  if (parse_dtype(h, nm, json_object_get(v, "dtype"), &e->dt) < 0) return -1;
  json_t *shape = json_object_get(v, "shape"), *off = json_object_get(v, "data_offsets");
  if (!json_is_array(shape)) return fail(h, "tensor '%s': \"shape\" is missing or not an array", nm);
  size_t nd = json_array_size(shape);
  if (nd > TG_MAX_DIMS) return fail(h, "tensor '%s': shape has %zu dims, at most %d are supported", nm, nd, TG_MAX_DIMS);
  e->ndim = (int)nd;
  uint64_t numel = 1, nbytes, d;
  bool overflow = false;
  for (size_t i = 0; i < nd; i++) {
    if (!json_u64(json_array_get(shape, i), &d))
      return fail(h, "tensor '%s': shape entry %zu is not a non-negative integer", nm, i);
    e->shape[i] = (int64_t)d;
    overflow |= __builtin_mul_overflow(numel, d, &numel);
  }
  overflow |= __builtin_mul_overflow(numel, (uint64_t)st_itemsize(e->dt), &nbytes);
  shape_str(e->shape, e->ndim, sh, sizeof sh);
  if (overflow) return fail(h, "tensor '%s': shape %s of %s overflows 64 bits of bytes", nm, sh, type_name(e->dt));
  if (!json_is_array(off) || json_array_size(off) != 2 || !json_u64(json_array_get(off, 0), &e->begin) ||
      !json_u64(json_array_get(off, 1), &e->end))
    return fail(h, "tensor '%s': \"data_offsets\" must be [begin, end], two non-negative integers", nm);
  if (e->begin > e->end) return fail(h, "tensor '%s': data_offsets [%llu, %llu] end before they begin", nm,
                                     (unsigned long long)e->begin, (unsigned long long)e->end);
  if (e->end > h->data_len)
    return fail(h, "tensor '%s': data_offsets [%llu, %llu] run past the data section (%llu bytes)", nm,
                (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)h->data_len);
  if (e->end - e->begin != nbytes)
    return fail(h, "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, shape %s of %s needs %llu", nm,
                (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)(e->end - e->begin), sh,
                type_name(e->dt), (unsigned long long)nbytes);
  return 0;
}

static int cmp_offsets(const void *a, const void *b) {
  const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x < y ? -1 : x > y;
}

// the spans must tile [0, data_len): sorted by offset, each begins where the previous ended
static int check_tiling(const Header *h) {
  Entry **by = malloc((size_t)(h->n ? h->n : 1) * sizeof *by);
  TG_ASSERT(by, "out of memory");
  for (int i = 0; i < h->n; i++) by[i] = &h->e[i];
  qsort(by, (size_t)h->n, sizeof *by, cmp_offsets);
  uint64_t pos = 0;
  int rc = 0;
  char a[96], b[96];
  for (int i = 0; i < h->n && rc == 0; i++) {
    if (by[i]->begin < pos)
      rc = fail(h, "tensors '%s' and '%s' overlap (data_offsets [%llu, %llu] and [%llu, %llu])", clip(by[i - 1]->name, a),
                clip(by[i]->name, b), (unsigned long long)by[i - 1]->begin, (unsigned long long)by[i - 1]->end,
                (unsigned long long)by[i]->begin, (unsigned long long)by[i]->end);
    else if (by[i]->begin > pos)
      rc = fail(h, "bytes [%llu, %llu) of the data section belong to no tensor (the next is '%s')", (unsigned long long)pos,
                (unsigned long long)by[i]->begin, clip(by[i]->name, a));
    pos = by[i]->end;
  }
  if (rc == 0 && pos != h->data_len)
    rc = fail(h, "the data section has %llu bytes but the tensors cover only the first %llu", (unsigned long long)h->data_len,
              (unsigned long long)pos);
  free(by);
  return rc;
}

static int parse_metadata(const Header *h, json_t *meta) {
  if (!json_is_object(meta)) return fail(h, "\"__metadata__\" is not an object");
  const char *k;
  json_t *v;
  char b[96];
  json_object_foreach(meta, k, v) if (!json_is_string(v)) return fail(h, "\"__metadata__\" value of '%s' is not a string", clip(k, b));
  return 0;
}

// Parse and check the header of a whole file held in memory. 0, or -1 with the error set.
static int parse_header(Header *h, const uint8_t *bytes, size_t size) {
  if (size < 8) return fail(h, "file is %zu bytes, too short for the 8-byte header length", size);
  uint64_t n;
  memcpy(&n, bytes, 8);
  if (n > ST_MAX_HEADER) return fail(h, "header length %llu is over the limit of %llu bytes", (unsigned long long)n, ST_MAX_HEADER);
  if (n > size - 8) return fail(h, "header length %llu runs past the end of the file (%zu bytes)", (unsigned long long)n, size);
  if (n == 0 || bytes[8] != '{') return fail(h, "the JSON header does not start with '{'");
  h->data = bytes + 8 + n;
  h->data_len = size - 8 - n;
  json_error_t err;
  h->root = json_loadb((const char *)bytes + 8, (size_t)n, JSON_REJECT_DUPLICATES, &err);
  if (!h->root) return fail(h, "invalid JSON header at byte %d: %s", err.position, err.text);
  if (!json_is_object(h->root)) return fail(h, "the JSON header is not an object");
  size_t count = json_object_size(h->root);
  h->e = calloc(count ? count : 1, sizeof *h->e);
  TG_ASSERT(h->e, "out of memory");
  const char *k;
  json_t *v;
  json_object_foreach(h->root, k, v) {
    if (!strcmp(k, "__metadata__")) {
      if (parse_metadata(h, v) < 0) return -1;
      h->meta = v;
    } else if (parse_entry(h, k, v, &h->e[h->n++]) < 0) return -1;
  }
  return check_tiling(h);
}

// ---- reading a whole file ----

static tg_state *read_header(const Header *h) {
  tg_state *s = tg_state_new();
  const char *k;
  json_t *v;
  if (h->meta) json_object_foreach(h->meta, k, v) io_state_meta_push(s, k, json_string_value(v));
  for (int i = 0; i < h->n; i++) {
    const Entry *e = &h->e[i];
    tg_tensor *t = tg_from_data(h->data + e->begin, (tg_dtype)e->dt, e->shape, e->ndim);
    if (t && tg_state_add(s, e->name, t) == 0) continue;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", tg_error() ? tg_error() : "?");
    fail(h, "tensor %d: %s", i, msg);
    tg_free(t);
    for (int j = 0; j < s->n; j++) tg_free(s->e[j].t);
    tg_state_free(s);
    return NULL;
  }
  return s;
}

tg_state *io_safetensors_read_mem(const void *bytes, size_t size, const char *fn, const char *what) {
  Header h = { .fn = fn, .what = what };
  tg_state *s = parse_header(&h, bytes, size) == 0 ? read_header(&h) : NULL;
  header_free(&h);
  return s;
}

tg_state *tg_safetensors_read(const char *path) {
  DiskMap m;
  if (disk_map(&m, path, "tg_safetensors_read") < 0) return NULL;
  tg_state *s = io_safetensors_read_mem(m.base, m.size, "tg_safetensors_read", path);
  disk_unmap(&m);
  return s;
}

// ---- loading into a model's tensors ----

static int cmp_names(const void *a, const void *b) { return strcmp((*(Entry *const *)a)->name, (*(Entry *const *)b)->name); }

// the buffer t is a plain view of, realizing t first if it has none (this never changes t's value)
static Buffer *target_buffer(const Header *h, tg_tensor *t, const char *name) {
  if (!sched_view_buffer(t->uop) && !tg_realize(t)) {
    char msg[512], b[96];
    snprintf(msg, sizeof msg, "%s", tg_error() ? tg_error() : "?");
    fail(h, "cannot realize the model's tensor '%s': %s", clip(name, b), msg);
    return NULL;
  }
  Buffer *buf = sched_view_buffer(t->uop);
  TG_ASSERT(buf && buf->nbytes == (size_t)tg_numel(t) * (size_t)st_itemsize(t->dtype), "realized tensor without its own buffer");
  return buf;
}

// Check every name, shape and dtype, then realize every target, and only then copy: on an error the
// model is unchanged.
static int load_entries(const Header *h, tg_state *s) {
  Entry **by = malloc((size_t)(h->n ? h->n : 1) * sizeof *by);
  const Entry **src = malloc((size_t)(s->n ? s->n : 1) * sizeof *src);
  Buffer **dst = malloc((size_t)(s->n ? s->n : 1) * sizeof *dst);
  TG_ASSERT(by && src && dst, "out of memory");
  for (int i = 0; i < h->n; i++) by[i] = &h->e[i];
  qsort(by, (size_t)h->n, sizeof *by, cmp_names);
  int rc = 0;
  char nm[96], a[256], b[256];
  for (int i = 0; i < s->n && rc == 0; i++) {
    tg_tensor *t = s->e[i].t;
    Entry key = { .name = s->e[i].name }, *kp = &key, **f = bsearch(&kp, by, (size_t)h->n, sizeof *by, cmp_names);
    clip(s->e[i].name, nm);
    if (!f) { rc = fail(h, "tensor '%s' is not in the file (it has %d tensors)", nm, h->n); break; }
    src[i] = *f;
    shape_str(t->shape, t->ndim, a, sizeof a);
    shape_str(src[i]->shape, src[i]->ndim, b, sizeof b);
    if (t->ndim != src[i]->ndim || memcmp(t->shape, src[i]->shape, (size_t)t->ndim * sizeof(int64_t)) != 0)
      rc = fail(h, "tensor '%s' has shape %s in the model but %s in the file", nm, a, b);
    else if (t->dtype != src[i]->dt)
      rc = fail(h, "tensor '%s' is %s in the model but %s (%s) in the file", nm, st_name(t->dtype), type_name(src[i]->dt),
                st_name(src[i]->dt));
  }
  for (int i = 0; i < s->n && rc == 0; i++)
    if (!(dst[i] = target_buffer(h, s->e[i].t, s->e[i].name))) rc = -1;
  for (int i = 0; i < s->n && rc == 0; i++)
    rc = buf_copyin(dst[i], h->data + src[i]->begin, (size_t)(src[i]->end - src[i]->begin));
  free(by);
  free(src);
  free(dst);
  return rc;
}

int tg_safetensors_load(tg_state *s, const char *path) {
  const char *fn = "tg_safetensors_load";
  if (!s) { tg_set_error("%s: state is NULL", fn); return -1; }
  for (int i = 0; i < s->n; i++)
    if (!s->e[i].t) { tg_set_error("%s: tensor '%.200s' is NULL", fn, s->e[i].name); return -1; }
  DiskMap m;
  if (disk_map(&m, path, fn) < 0) return -1;
  Header h = { .fn = fn, .what = path };
  int rc = parse_header(&h, m.base, m.size);
  if (rc == 0) rc = load_entries(&h, s);
  header_free(&h);
  disk_unmap(&m);
  return rc;
}

// ---- saving ----

static int write_all(int fd, const void *p, size_t n) {
  for (const char *c = p; n;) {
    ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) { if (w == 0) errno = EIO; return -1; }
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

// The header in state order; the data ordered by itemsize, largest first, so that every tensor is
// aligned to its itemsize in the file (the header is padded with spaces to a multiple of 8).
static char *build_header(const Header *h, const tg_state *s, uint64_t *begin, size_t *len) {
  json_t *root = json_object();
  char b[96];
  if (s->nmeta) {
    json_t *meta = json_object();
    json_object_set_new(root, "__metadata__", meta);
    for (int i = 0; i < s->nmeta; i++)
      if (json_object_set_new(meta, s->meta[i].key, json_string(s->meta[i].val)) < 0) {
        fail(h, "metadata '%s' is not valid UTF-8", clip(s->meta[i].key, b));
        json_decref(root);
        return NULL;
      }
  }
  for (int i = 0; i < s->n; i++) {
    tg_tensor *t = s->e[i].t;
    json_t *e = json_object(), *shape = json_array();
    json_object_set_new(e, "dtype", json_string(type_name(t->dtype)));
    for (int d = 0; d < t->ndim; d++) json_array_append_new(shape, json_integer(t->shape[d]));
    json_object_set_new(e, "shape", shape);
    uint64_t nb = (uint64_t)tg_numel(t) * (uint64_t)st_itemsize(t->dtype);
    json_object_set_new(e, "data_offsets", json_pack("[II]", (json_int_t)begin[i], (json_int_t)(begin[i] + nb)));
    if (json_object_set_new(root, s->e[i].name, e) < 0) {
      fail(h, "tensor name '%s' is not valid UTF-8", clip(s->e[i].name, b));
      json_decref(root);
      return NULL;
    }
  }
  char *j = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  TG_ASSERT(j, "out of memory");
  size_t n = strlen(j), padded = (n + 7) & ~(size_t)7;
  if (padded > ST_MAX_HEADER) {
    fail(h, "the header would be %zu bytes, over the limit of %llu", padded, ST_MAX_HEADER);
    free(j);
    return NULL;
  }
  char *p = realloc(j, padded + 1);
  TG_ASSERT(p, "out of memory");
  memset(p + n, ' ', padded - n);
  p[padded] = 0;
  *len = padded;
  return p;
}

static int write_tensor(const Header *h, int fd, const char *tmp, tg_tensor *t) {
  Buffer *b = sched_view_buffer(t->uop);
  if (!b->nbytes) return 0;
  buf_ensure(b);
  void *host = b->dev->host_memory ? b->ptr : malloc(b->nbytes);
  TG_ASSERT(host, "out of memory");
  int rc = host == b->ptr ? 0 : buf_copyout(b, host, b->nbytes);
  if (rc == 0 && write_all(fd, host, b->nbytes) != 0) rc = fail(h, "cannot write '%s': %s", tmp, strerror(errno));
  if (host != b->ptr) free(host);
  return rc;
}

// write to a new file next to the target, then rename it over the target: readers see the old file or the new one
static int write_file(const Header *h, const tg_state *s, const char *hdr, size_t hlen, const int *order) {
  char tmp[PATH_MAX + 64];
  static unsigned counter;
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 100; tries++) {
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", h->what, (long)getpid(), counter++) >= (int)sizeof tmp)
      return fail(h, "path is too long");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return fail(h, "cannot create '%s': %s", tmp, strerror(errno));
  }
  if (fd < 0) return fail(h, "cannot create a temporary file next to it");
  uint64_t n = hlen;
  int rc = 0;
  if (write_all(fd, &n, 8) != 0 || write_all(fd, hdr, hlen) != 0) rc = fail(h, "cannot write '%s': %s", tmp, strerror(errno));
  for (int k = 0; k < s->n && rc == 0; k++) rc = write_tensor(h, fd, tmp, s->e[order[k]].t);
  if (rc == 0 && fsync(fd) != 0) rc = fail(h, "cannot sync '%s': %s", tmp, strerror(errno));
  if (close(fd) != 0 && rc == 0) rc = fail(h, "cannot close '%s': %s", tmp, strerror(errno));
  if (rc == 0 && rename(tmp, h->what) != 0) rc = fail(h, "cannot rename '%s' over it: %s", tmp, strerror(errno));
  if (rc != 0) unlink(tmp);
  return rc;
}

int tg_safetensors_save(const tg_state *s, const char *path) {
  Header h = { .fn = "tg_safetensors_save", .what = path ? path : "(null)" };
  if (!s || !path) { tg_set_error("%s: %s is NULL", h.fn, s ? "path" : "state"); return -1; }
  for (int i = 0; i < s->n; i++)
    if (!s->e[i].t) { tg_set_error("%s: tensor '%.200s' is NULL", h.fn, s->e[i].name); return -1; }
  for (int i = 0; i < s->n; i++)
    if (!target_buffer(&h, s->e[i].t, s->e[i].name)) return -1;
  int *order = malloc((size_t)(s->n ? s->n : 1) * sizeof *order), k = 0;
  uint64_t *begin = malloc((size_t)(s->n ? s->n : 1) * sizeof *begin), pos = 0;
  TG_ASSERT(order && begin, "out of memory");
  for (int size = 8; size >= 1; size /= 2)
    for (int i = 0; i < s->n; i++)
      if (st_itemsize(s->e[i].t->dtype) == size) {
        order[k++] = i;
        begin[i] = pos;
        pos += (uint64_t)tg_numel(s->e[i].t) * (uint64_t)size;
      }
  TG_ASSERT(k == s->n, "a dtype of unexpected size");
  size_t hlen = 0;
  char *hdr = build_header(&h, s, begin, &hlen);
  int rc = hdr ? write_file(&h, s, hdr, hlen, order) : -1;
  free(hdr);
  free(order);
  free(begin);
  return rc;
}
