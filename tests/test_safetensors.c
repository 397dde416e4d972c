// safetensors: round trips of every dtype, loading into a model (all-or-nothing), interop with Python
// (json + numpy, both directions), hand-written malformed files with their messages, and a mutation fuzzer
#define _GNU_SOURCE
#include "testlib.h"
#include "tinygrad.h"
#include "nn/state.h"
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tmp_path(const char *name) {
  static char buf[4][512];
  static int k;
  char *p = buf[k++ & 3];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

static void write_bytes(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(p, 1, n, f) == n, "cannot write %s", path);
  if (f) fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*n ? *n : 1);
  if (fread(p, 1, *n, f) != *n) { free(p); p = NULL; }
  fclose(f);
  return p;
}

// ---- a model with one tensor of every dtype (values are a function of the index, so Python can check them) ----

typedef struct { const char *name; tg_dtype dt; int ndim; int64_t shape[3]; } Spec;
static const Spec specs[] = {
  { "u8", TG_UINT8, 1, { 3 } },            // odd sizes first: the writer must still align the rest
  { "f32", TG_FLOAT32, 2, { 2, 3 } },
  { "layer.0.weight", TG_FLOAT16, 2, { 2, 2 } },
  { "i64", TG_INT64, 1, { 4 } },
  { "bf16_scalar", TG_BFLOAT16, 0, { 0 } },
  { "bool", TG_BOOL, 1, { 5 } },
  { "f64_empty", TG_FLOAT64, 2, { 0, 3 } },
  { "i8", TG_INT8, 1, { 3 } },
  { "i16", TG_INT16, 1, { 2 } },
  { "u16", TG_UINT16, 1, { 2 } },
  { "u32", TG_UINT32, 1, { 2 } },
  { "u64", TG_UINT64, 1, { 2 } },
  { "i32 ünïcode \"quoted\"", TG_INT32, 3, { 2, 1, 2 } },
};
enum { NSPECS = sizeof specs / sizeof *specs };

static int64_t spec_numel(const Spec *s) { int64_t n = 1; for (int i = 0; i < s->ndim; i++) n *= s->shape[i]; return n; }

// element i of spec k, as raw bytes: a pattern that differs per tensor and fits every dtype
static void fill(const Spec *s, int k, uint8_t *p, int seed) {
  int64_t n = spec_numel(s);
  size_t isz = tg_dtype_size(s->dt);
  for (int64_t i = 0; i < n; i++) {
    int64_t v = (i * 7 + k * 3 + seed) % 11 - 3;
    uint8_t *q = p + (size_t)i * isz;
    switch (s->dt) {
    case TG_FLOAT32: { float f = (float)v * 0.5f; memcpy(q, &f, 4); break; }
    case TG_FLOAT64: { double f = (double)v * 0.25; memcpy(q, &f, 8); break; }
    case TG_FLOAT16: { uint16_t h = v < 0 ? 0xC000 : 0x3C00 + (uint16_t)v; memcpy(q, &h, 2); break; }   // -2.0 or 1.0 + v/1024
    case TG_BFLOAT16: { uint16_t h = 0x4040; memcpy(q, &h, 2); break; }                                  // 3.0
    case TG_BOOL: q[0] = (uint8_t)(v > 0); break;
    default: memcpy(q, &v, isz); break;    // little-endian truncation
    }
  }
}

static tg_state *make_model(tg_tensor **ts, int seed) {
  tg_state *s = tg_state_new();
  for (int k = 0; k < NSPECS; k++) {
    uint8_t buf[64];
    fill(&specs[k], k, buf, seed);
    ts[k] = tg_from_data(buf, specs[k].dt, specs[k].shape, specs[k].ndim);
    CHECK(ts[k] && tg_state_add(s, specs[k].name, ts[k]) == 0, "%s: %s", specs[k].name, tg_error());
  }
  return s;
}

static bool tensor_equals(tg_tensor *t, const Spec *s, int k, int seed) {
  uint8_t want[64], got[64];
  size_t n = (size_t)spec_numel(s) * tg_dtype_size(s->dt);
  fill(s, k, want, seed);
  if (!t || tg_get_dtype(t) != s->dt || tg_ndim(t) != s->ndim) return false;
  for (int i = 0; i < s->ndim; i++) if (tg_shape(t)[i] != s->shape[i]) return false;
  return tg_data(t, got, n) == 0 && memcmp(want, got, n) == 0;
}

static void test_round_trip(void) {
  tg_scope_begin();
  tg_tensor *ts[NSPECS];
  tg_state *s = make_model(ts, 0);
  CHECK(tg_state_set_metadata(s, "format", "pt") == 0 && tg_state_set_metadata(s, "note", "tinygrad.c") == 0);
  CHECK_EQ_INT(tg_state_len(s), NSPECS);
  CHECK(tg_state_get(s, "f32") == ts[1] && tg_state_get(s, "nope") == NULL && tg_state_at(s, 3) == ts[3]);
  CHECK_STR(tg_state_name(s, 2), "layer.0.weight");
  CHECK(tg_state_name(s, NSPECS) == NULL && tg_state_name(s, -1) == NULL);
  const char *path = tmp_path("model.safetensors");
  CHECK(tg_safetensors_save(s, path) == 0, "save: %s", tg_error());
  // the file's layout: an 8-aligned data section, each tensor aligned to its itemsize
  size_t n = 0;
  uint8_t *bytes = read_bytes(path, &n);
  CHECK(bytes && n > 8);
  uint64_t hlen;
  memcpy(&hlen, bytes, 8);
  CHECK(hlen % 8 == 0 && hlen + 8 <= n, "header length %llu", (unsigned long long)hlen);
  CHECK(bytes[8] == '{' && memmem(bytes + 8, hlen, "\"__metadata__\":{\"format\":\"pt\",\"note\":\"tinygrad.c\"}", 49));
  free(bytes);

  tg_state *r = tg_safetensors_read(path);
  CHECK(r != NULL, "read: %s", tg_error());
  CHECK_EQ_INT(tg_state_len(r), NSPECS);
  for (int k = 0; r && k < NSPECS; k++) {
    CHECK_STR(tg_state_name(r, k), specs[k].name);           // header order is the state's order
    CHECK(tensor_equals(tg_state_get(r, specs[k].name), &specs[k], k, 0), "read back %s", specs[k].name);
  }
  CHECK_STR(tg_state_metadata(r, "format"), "pt");
  CHECK_STR(tg_state_metadata(r, "note"), "tinygrad.c");
  CHECK(tg_state_metadata(r, "absent") == NULL);
  tg_state_free(r);

  // load into a second model with other values, some of them lazy (never realized)
  tg_tensor *ts2[NSPECS];
  tg_state *m = tg_state_new();
  for (int k = 0; k < NSPECS; k++) {
    ts2[k] = k % 2 ? tg_zeros(specs[k].shape, specs[k].ndim, specs[k].dt) : tg_ones(specs[k].shape, specs[k].ndim, specs[k].dt);
    tg_state_add(m, specs[k].name, ts2[k]);
  }
  CHECK(tg_safetensors_load(m, path) == 0, "load: %s", tg_error());
  for (int k = 0; k < NSPECS; k++) CHECK(tensor_equals(ts2[k], &specs[k], k, 0), "loaded %s", specs[k].name);
  // a lazy graph built on a loaded tensor reads the new values
  float f[6];
  CHECK(tg_data(tg_mul_s(ts2[1], 2), f, sizeof f) == 0 && f[0] == 0 && f[1] == 7, "f32 * 2 after load: %g %g", f[0], f[1]);
  tg_state_free(m);

  // saving over an existing file replaces it atomically and leaves no temporary file behind
  tg_state *s2 = make_model(ts, 5);
  CHECK(tg_safetensors_save(s2, path) == 0, "save again: %s", tg_error());
  r = tg_safetensors_read(path);
  for (int k = 0; r && k < NSPECS; k++) CHECK(tensor_equals(tg_state_at(r, k), &specs[k], k, 5), "second save %s", specs[k].name);
  tg_state_free(r);
  DIR *d = opendir(tmpdir);
  for (struct dirent *de; d && (de = readdir(d));) CHECK(!strstr(de->d_name, ".tmp."), "left behind: %s", de->d_name);
  if (d) closedir(d);
  // an empty state is a valid file
  tg_state *e = tg_state_new();
  CHECK(tg_safetensors_save(e, tmp_path("empty.safetensors")) == 0, "%s", tg_error());
  tg_state *er = tg_safetensors_read(tmp_path("empty.safetensors"));
  CHECK(er && tg_state_len(er) == 0);
  tg_state_free(er);
  tg_state_free(e);
  tg_state_free(s2);
  tg_state_free(s);
  tg_scope_end();
}

// a load that fails anywhere changes nothing
static void test_load_all_or_nothing(void) {
  tg_scope_begin();
  tg_tensor *ts[NSPECS];
  tg_state *s = make_model(ts, 0);
  const char *path = tmp_path("model.safetensors");
  CHECK(tg_safetensors_save(s, path) == 0, "%s", tg_error());
  float ones[6] = { 1, 1, 1, 1, 1, 1 }, got[6];
  tg_tensor *a = tg_from_data(ones, TG_FLOAT32, TG_SHAPE(2, 3));
  tg_tensor *bad_shape = tg_zeros(TG_SHAPE(3), TG_INT64), *bad_dtype = tg_zeros(TG_SHAPE(3), TG_INT16);
  struct { const char *name; tg_tensor *t; const char *needle; } cases[] = {
    { "i64", bad_shape, "tensor 'i64' has shape (3,) in the model but (4,) in the file" },
    { "u8", bad_dtype, "tensor 'u8' is int16 in the model but U8 (uint8) in the file" },
    { "missing", bad_shape, "tensor 'missing' is not in the file (it has 13 tensors)" },
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    tg_state *m = tg_state_new();
    tg_state_add(m, "f32", a);                   // valid, listed first: must not be written
    tg_state_add(m, cases[c].name, cases[c].t);
    expect_err(cases[c].needle, tg_safetensors_load(m, path) != 0, cases[c].needle);
    CHECK(tg_data(a, got, sizeof got) == 0 && memcmp(got, ones, sizeof ones) == 0, "case %zu changed the model", c);
    tg_state_free(m);
  }
  tg_state *m = tg_state_new();
  tg_state_add(m, "f32", a);
  expect_err("load missing file", tg_safetensors_load(m, tmp_path("nope.safetensors")) != 0, "nope.safetensors");
  expect_err("load NULL", tg_safetensors_load(NULL, path) != 0, "state is NULL");
  tg_state_free(m);
  // state API misuse
  tg_state *x = tg_state_new();
  CHECK(tg_state_add(x, "w", a) == 0);
  expect_err("duplicate", tg_state_add(x, "w", a) != 0, "tg_state_add: duplicate name 'w'");
  expect_err("reserved", tg_state_add(x, "__metadata__", a) != 0, "reserved");
  expect_err("NULL tensor", tg_state_add(x, "v", NULL) != 0, "tensor 'v' is NULL");
  expect_err("NULL name", tg_state_add(x, NULL, a) != 0, "name is NULL");
  CHECK(tg_state_add(x, "\xff\xfe", a) == 0);
  expect_err("save bad UTF-8", tg_safetensors_save(x, tmp_path("bad.safetensors")) != 0, "is not valid UTF-8");
  CHECK(access(tmp_path("bad.safetensors"), F_OK) != 0, "a failed save left a file");
  expect_err("save to missing dir", tg_safetensors_save(s, tmp_path("no/such/dir.safetensors")) != 0, "cannot create");
  expect_err("save NULL", tg_safetensors_save(NULL, path) != 0, "state is NULL");
  // many entries: the name table grows
  tg_state *big = tg_state_new();
  char nm[32];
  for (int i = 0; i < 5000; i++) { snprintf(nm, sizeof nm, "p%d", i); CHECK(tg_state_add(big, nm, a) == 0); }
  CHECK(tg_state_get(big, "p4321") == a && tg_state_get(big, "p5000") == NULL && tg_state_len(big) == 5000);
  tg_state_free(big);
  tg_state_free(x);
  tg_state_free(s);
  tg_scope_end();
}

// ---- Python interop (json + numpy; the safetensors package is not in Debian) ----

static bool have_python(void) { return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0; }

static void test_python(void) {
  if (!have_python()) { printf("test_safetensors: no /usr/bin/python3 with numpy, skipping interop\n"); return; }
  tg_scope_begin();
  tg_tensor *ts[NSPECS];
  tg_state *s = make_model(ts, 0);
  tg_state_set_metadata(s, "format", "pt");
  const char *path = tmp_path("for_python.safetensors");
  CHECK(tg_safetensors_save(s, path) == 0, "%s", tg_error());
  // Python checks the format as the reference implementation does, and the values, from the same formula
  const char *check =
    "import json, struct, sys, numpy as np\n"
    "b = open(sys.argv[1], 'rb').read()\n"
    "n = struct.unpack('<Q', b[:8])[0]; assert n % 8 == 0 and b[8:9] == b'{'\n"
    "h = json.loads(b[8:8+n]); data = b[8+n:]\n"
    "assert h.pop('__metadata__') == {'format': 'pt'}\n"
    "np_t = dict(BOOL=np.bool_, U8=np.uint8, I8=np.int8, I16=np.int16, U16=np.uint16, I32=np.int32, U32=np.uint32,\n"
    "            I64=np.int64, U64=np.uint64, F16=np.float16, BF16=np.uint16, F32=np.float32, F64=np.float64)\n"
    "spans = sorted(v['data_offsets'] for v in h.values()); pos = 0\n"
    "for s0, e0 in spans: assert s0 == pos, spans; pos = e0\n"
    "assert pos == len(data)\n"
    "for k, (name, v) in enumerate(h.items()):\n"
    "  s0, e0 = v['data_offsets']; dt = np.dtype(np_t[v['dtype']])\n"
    "  assert s0 % dt.itemsize == 0, (name, s0)\n"
    "  a = np.frombuffer(data[s0:e0], dtype=dt).reshape(v['shape'])\n"
    "  i = np.arange(a.size); w = (i * 7 + k * 3) % 11 - 3\n"
    "  want = {'F32': w * 0.5, 'F64': w * 0.25, 'F16': np.where(w < 0, -2.0, 1.0 + w / 1024), 'BF16': np.full(a.size, 0x4040),\n"
    "          'BOOL': w > 0}.get(v['dtype'], w)\n"
    "  assert np.array_equal(a.reshape(-1), np.asarray(want).astype(dt)), (name, a, want)\n"
    "print(list(h))\n";
  write_bytes(tmp_path("check.py"), check, strlen(check));
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s > %s 2>&1", tmp_path("check.py"), path, tmp_path("py.out"));
  int rc = system(cmd);
  size_t n = 0;
  char *out = (char *)read_bytes(tmp_path("py.out"), &n);
  CHECK(rc == 0, "python rejected our file: %.*s", (int)n, out ? out : "");
  CHECK(out && strstr(out, "['u8', 'f32', 'layer.0.weight'"), "python's key order: %.*s", (int)n, out ? out : "");
  free(out);

  // a file written by Python: default json separators (spaces), an unpadded header, tensors stored in
  // reverse order of the header, big shapes
  const char *gen =
    "import json, struct, sys, numpy as np\n"
    "ts = {'w': np.arange(12, dtype=np.float32).reshape(3, 4) / 8, 'b': np.array([-1, 2, -3], dtype=np.int64),\n"
    "      'h': np.array([[1.5, -2.25]], dtype=np.float16), 'big': np.arange(100000, dtype=np.int32) * 3 - 7}\n"
    "h, blobs, off = {'__metadata__': {'format': 'np', 'k': 'v'}}, [], 0\n"
    "for name in reversed(list(ts)):\n"
    "  a = ts[name]; blobs.append(a.tobytes())\n"
    "  h[name] = {'dtype': {'float32': 'F32', 'int64': 'I64', 'float16': 'F16', 'int32': 'I32'}[str(a.dtype)],\n"
    "             'shape': list(a.shape), 'data_offsets': [off, off + a.nbytes]}; off += a.nbytes\n"
    "hd = {'__metadata__': h.pop('__metadata__')}; hd.update({k: h[k] for k in ts})\n"
    "j = json.dumps(hd).encode() + b'   '\n"
    "open(sys.argv[1], 'wb').write(struct.pack('<Q', len(j)) + j + b''.join(blobs))\n";
  write_bytes(tmp_path("gen.py"), gen, strlen(gen));
  const char *np_path = tmp_path("from_python.safetensors");
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", tmp_path("gen.py"), np_path);
  CHECK(system(cmd) == 0, "python generator failed");
  tg_state *r = tg_safetensors_read(np_path);
  CHECK(r != NULL, "read python's file: %s", tg_error());
  if (r) {
    CHECK_EQ_INT(tg_state_len(r), 4);
    CHECK_STR(tg_state_name(r, 0), "w");
    CHECK_STR(tg_state_name(r, 3), "big");
    CHECK_STR(tg_state_metadata(r, "format"), "np");
    float w[12];
    CHECK(tg_data(tg_state_get(r, "w"), w, sizeof w) == 0 && w[0] == 0 && w[11] == 11.0f / 8 && tg_dim(tg_state_get(r, "w"), 0) == 3);
    int64_t b[3];
    CHECK(tg_data(tg_state_get(r, "b"), b, sizeof b) == 0 && b[0] == -1 && b[2] == -3);
    CHECK(tg_get_dtype(tg_state_get(r, "h")) == TG_FLOAT16 && tg_item(tg_slice(tg_state_get(r, "h"), 1, 1, 2, 1)) == -2.25);
    static int32_t big[100000];
    CHECK(tg_data(tg_state_get(r, "big"), big, sizeof big) == 0 && big[0] == -7 && big[99999] == 99999 * 3 - 7);
    // and loading Python's file into a model computes with it
    tg_tensor *wm = tg_zeros(TG_SHAPE(3, 4), TG_FLOAT32);
    tg_state *m = tg_state_new();
    tg_state_add(m, "w", wm);
    CHECK(tg_safetensors_load(m, np_path) == 0, "%s", tg_error());
    CHECK(tg_item(tg_sum(wm, NULL, 0, false)) == 66.0 / 8, "sum after load");
    tg_state_free(m);
  }
  tg_state_free(r);
  tg_state_free(s);
  tg_scope_end();
}

// ---- hand-written malformed files ----

// a file from a header text and a data section size (zero bytes), header length as given or computed
static void expect_bad(const char *header, size_t data_len, int64_t hlen, const char *needle) {
  size_t hn = strlen(header), n = 8 + hn + data_len;
  uint8_t *b = calloc(1, n);
  uint64_t h = hlen >= 0 ? (uint64_t)hlen : hn;
  memcpy(b, &h, 8);
  memcpy(b + 8, header, hn);
  const char *path = tmp_path("bad.safetensors");
  write_bytes(path, b, n);
  tg_scope_begin();
  tg_state *s = tg_safetensors_read(path);
  char what[160];
  snprintf(what, sizeof what, "header %.100s", header);
  expect_err(what, s == NULL, needle);
  tg_state_free(s);
  tg_scope_end();
  free(b);
}

#define T(x) "{\"t\":{\"dtype\":\"F32\",\"shape\":" x "}}"
static void test_malformed(void) {
  // framing
  write_bytes(tmp_path("short.safetensors"), "\x05\0\0", 3);
  expect_err("short", !tg_safetensors_read(tmp_path("short.safetensors")), "file is 3 bytes, too short for the 8-byte header length");
  write_bytes(tmp_path("empty.bin"), "", 0);
  expect_err("empty", !tg_safetensors_read(tmp_path("empty.bin")), "file is 0 bytes");
  expect_err("missing", !tg_safetensors_read(tmp_path("none.safetensors")), "cannot open");
  expect_err("directory", !tg_safetensors_read(tmpdir), "is a directory");
  CHECK(mkfifo(tmp_path("fifo"), 0600) == 0);
  expect_err("fifo", !tg_safetensors_read(tmp_path("fifo")), "not a regular file");     // and does not block
  expect_err("NULL path", !tg_safetensors_read(NULL), "path is NULL");
  expect_bad("{}", 0, 3, "header length 3 runs past the end of the file (10 bytes)");
  expect_bad("{}", 0, 100000001, "header length 100000001 is over the limit of 100000000 bytes");
  expect_bad("{}", 0, (int64_t)0x7fffffffffffffffLL, "over the limit");
  expect_bad("{}", 0, 0, "does not start with '{'");
  expect_bad("[]", 0, -1, "does not start with '{'");
  expect_bad(" {}", 0, -1, "does not start with '{'");
  expect_bad("{", 0, -1, "invalid JSON header");
  expect_bad("{}x", 0, -1, "invalid JSON header");
  expect_bad("{}", 2, 4, "invalid JSON header");         // NUL padding
  // trailing spaces, tabs and newlines after the JSON are padding, not an error
  write_bytes(tmp_path("pad.safetensors"), "\x06\0\0\0\0\0\0\0{} \t\n ", 14);
  tg_state *pad = tg_safetensors_read(tmp_path("pad.safetensors"));
  CHECK(pad && tg_state_len(pad) == 0, "padded header: %s", tg_error());
  tg_state_free(pad);
  expect_bad("{}", 4, -1, "the data section has 4 bytes but the tensors cover only the first 0");
  expect_bad("{\"a\":1,\"a\":2}", 0, -1, "duplicate object key");
  expect_bad("{\"t\":5}", 0, -1, "tensor 't': expected an object");
  expect_bad("{\"t\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4, -1, "tensor 't': \"dtype\" is missing");
  expect_bad("{\"t\":{\"dtype\":7,\"shape\":[],\"data_offsets\":[0,4]}}", 4, -1, "\"dtype\" is missing or not a string");
  expect_bad("{\"t\":{\"dtype\":\"F17\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, -1, "tensor 't': unknown dtype 'F17'");
  expect_bad("{\"t\":{\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, -1, "unknown dtype 'f32'");
  expect_bad("{\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[],\"data_offsets\":[0,1]}}", 1, -1, "dtype F8_E4M3 is not supported");
  expect_bad("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, -1, "\"shape\" is missing or not an array");
  expect_bad(T("[-1],\"data_offsets\":[0,4]"), 4, -1, "tensor 't': shape entry 0 is not a non-negative integer");
  expect_bad(T("[1,2.0],\"data_offsets\":[0,8]"), 8, -1, "shape entry 1 is not a non-negative integer");
  expect_bad(T("[\"1\"],\"data_offsets\":[0,4]"), 4, -1, "shape entry 0 is not");
  expect_bad(T("[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]"), 4, -1, "shape has 17 dims, at most 16");
  expect_bad(T("[4294967296,4294967296],\"data_offsets\":[0,4]"), 4, -1, "shape (4294967296, 4294967296) of F32 overflows");
  expect_bad(T("[4611686018427387904],\"data_offsets\":[0,4]"), 4, -1, "overflows");
  expect_bad(T("[18446744073709551615],\"data_offsets\":[0,4]"), 4, -1, "too big integer");
  expect_bad(T("[1]"), 4, -1, "\"data_offsets\" must be [begin, end]");
  expect_bad(T("[1],\"data_offsets\":[0]"), 4, -1, "\"data_offsets\" must be [begin, end]");
  expect_bad(T("[1],\"data_offsets\":[0,4,8]"), 4, -1, "\"data_offsets\" must be");
  expect_bad(T("[1],\"data_offsets\":[-4,0]"), 4, -1, "two non-negative integers");
  expect_bad(T("[1],\"data_offsets\":{\"0\":4}"), 4, -1, "\"data_offsets\" must be");
  expect_bad(T("[1],\"data_offsets\":[4,0]"), 4, -1, "data_offsets [4, 0] end before they begin");
  expect_bad(T("[1],\"data_offsets\":[0,8]"), 4, -1, "data_offsets [0, 8] run past the data section (4 bytes)");
  expect_bad(T("[1],\"data_offsets\":[9223372036854775800,9223372036854775804]"), 4, -1, "run past the data section");
  expect_bad(T("[3],\"data_offsets\":[0,8]"), 8, -1, "data_offsets [0, 8] hold 8 bytes, shape (3,) of F32 needs 12");
  expect_bad(T("[0],\"data_offsets\":[0,4]"), 4, -1, "hold 4 bytes, shape (0,) of F32 needs 0");
  expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}",
             6, -1, "tensors 'a' and 'b' overlap (data_offsets [0, 4] and [2, 6])");
  expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
             4, -1, "overlap");
  expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}",
             5, -1, "bytes [2, 3) of the data section belong to no tensor (the next is 'b')");
  expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", 3, -1, "bytes [0, 1) of the data section belong to no tensor");
  expect_bad("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 3, -1, "has 3 bytes but the tensors cover only the first 2");
  expect_bad("{\"__metadata__\":[]}", 0, -1, "\"__metadata__\" is not an object");
  expect_bad("{\"__metadata__\":{\"k\":1}}", 0, -1, "\"__metadata__\" value of 'k' is not a string");
  expect_bad("{\"\xff\":{}}", 0, -1, "invalid JSON header");                       // not UTF-8
  expect_bad("{\"a\\u0000b\":{}}", 0, -1, "invalid JSON header");                  // NUL inside a name
  expect_bad("{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0, -1, "invalid JSON header");
  // a hostile name is printed clipped, without control characters
  expect_bad("{\"\\u001b[31mred\\nline\":{\"dtype\":\"F17\"}}", 0, -1, "tensor '?[31mred?line': unknown dtype");
  char longname[400] = "{\"";
  memset(longname + 2, 'n', 300);
  strcpy(longname + 302, "\":{\"dtype\":\"X\"}}");
  expect_bad(longname, 0, -1, "nnnnnnnn...': unknown dtype 'X'");
  // deep nesting: jansson's depth limit, not the C stack
  size_t deep = 100000;
  char *d = malloc(2 * deep + 16);
  strcpy(d, "{\"x\":");
  memset(d + 5, '[', deep);
  memset(d + 5 + deep, ']', deep);
  strcpy(d + 5 + 2 * deep, "}");
  expect_bad(d, 0, -1, "invalid JSON header");
  free(d);
}

// ---- mutation fuzzer ----

static const char *const tokens[] = { "0", "-1", "1", "1.5", "1e3", "18446744073709551615", "9223372036854775807",
                                      "4294967296", "\"F32\"", "\"U8\"", "[]", "{}", "null", "\"", ",", ":", "[", "]",
                                      "{", "}", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\\u0000" };

static size_t mutate(TestRng *r, const uint8_t *base, size_t n0, uint8_t *out, size_t cap) {
  memcpy(out, base, n0);
  size_t n = n0;
  uint64_t hl;
  memcpy(&hl, base, 8);
  int edits = (int)rng_range(r, 1, 3);
  bool fix_len = rng_range(r, 0, 1) == 0;
  for (int e = 0; e < edits && n > 0; e++) {
    size_t hend = 8 + (size_t)hl < n ? 8 + (size_t)hl : n;   // header region, as the current length field says
    size_t pos = hend > 8 && rng_range(r, 0, 9) < 8 ? (size_t)rng_range(r, 8, (int64_t)hend - 1) : (size_t)rng_range(r, 0, (int64_t)n - 1);
    switch (rng_range(r, 0, 7)) {
    case 0: out[pos] ^= (uint8_t)(1u << rng_range(r, 0, 7)); break;                     // bit flip
    case 1: out[pos] = (uint8_t)"{}[]\",:0123456789-. eE\\u"[rng_range(r, 0, 24)]; break;  // JSON-ish byte
    case 2: n = (size_t)rng_range(r, 0, (int64_t)n); fix_len = false; break;            // truncate
    case 3: {                                                                           // header length edit
      uint64_t vals[] = { 0, 1, hl - 1, hl + 1, n - 8, n - 7, 1ull << 63, ~0ull, (uint64_t)rng_range(r, 0, 1000), 100000000 };
      hl = vals[rng_range(r, 0, 9)];
      memcpy(out, &hl, 8);
      fix_len = false;
      break;
    }
    case 4: case 5: {                                                                   // replace a number or span with a token
      size_t a = pos, b = pos;
      if (out[pos] >= '0' && out[pos] <= '9') {
        while (a > 8 && out[a - 1] >= '0' && out[a - 1] <= '9') a--;
        while (b < n && out[b] >= '0' && out[b] <= '9') b++;
      } else {
        b = pos + (size_t)rng_range(r, 0, 4);
        if (b > n) b = n;
      }
      const char *t = tokens[rng_range(r, 0, sizeof tokens / sizeof *tokens - 1)];
      size_t tl = strlen(t);
      if (n - (b - a) + tl > cap) break;
      memmove(out + a + tl, out + b, n - b);
      memcpy(out + a, t, tl);
      n = n - (b - a) + tl;
      if (a < hend) hl = hl - (b - a) + tl;
      break;
    }
    case 7: {                                                       // shift one tensor's data_offsets, keeping its span
      const char *key = "\"data_offsets\":[";
      uint8_t *hits[64];
      int nh = 0;
      if (hend <= 8) break;
      for (uint8_t *q = out + 8; nh < 64 && (q = memmem(q, (size_t)(out + hend - q), key, strlen(key))); q++) hits[nh++] = q;
      if (!nh) break;
      char *a = (char *)hits[rng_range(r, 0, nh - 1)] + strlen(key), *end, text[64];
      if (!memchr(a, ']', (size_t)((char *)out + hend - a))) break;
      unsigned long long b0 = strtoull(a, &end, 10), e0 = *end == ',' ? strtoull(end + 1, &end, 10) : 0;
      if (*end != ']') break;
      long long shifts[] = { -8, -4, -2, -1, 1, 2, 4, 8, (long long)rng_range(r, -100, 100), -(long long)b0 };
      long long d = shifts[rng_range(r, 0, 9)];
      if ((long long)b0 + d < 0) break;
      int tl = snprintf(text, sizeof text, "%llu,%llu", b0 + (unsigned long long)d, e0 + (unsigned long long)d);
      size_t oldl = (size_t)(end - a), at = (size_t)((uint8_t *)a - out);
      if (n - oldl + (size_t)tl > cap) break;
      memmove(out + at + tl, out + at + oldl, n - at - oldl);
      memcpy(out + at, text, (size_t)tl);
      n = n - oldl + (size_t)tl;
      hl = hl - oldl + (uint64_t)tl;
      break;
    }
    case 6: {                                                                           // duplicate a span
      size_t len = (size_t)rng_range(r, 1, 40);
      if (pos + len > n || n + len > cap) break;
      memmove(out + pos + len, out + pos, n - pos);
      if (pos < hend) hl += len;
      n += len;
      break;
    }
    }
  }
  if (fix_len && n >= 8) memcpy(out, &hl, 8);        // keep the length field consistent so the JSON gets parsed
  return n;
}

static void test_fuzz(void) {
  tg_scope_begin();
  tg_tensor *ts[NSPECS];
  tg_state *s = make_model(ts, 0);
  tg_state_set_metadata(s, "format", "pt");
  const char *path = tmp_path("fuzz_base.safetensors");
  CHECK(tg_safetensors_save(s, path) == 0, "%s", tg_error());
  size_t n0 = 0;
  uint8_t *base = read_bytes(path, &n0);
  CHECK(base != NULL);
  if (!base) { tg_scope_end(); return; }
  size_t cap = n0 + 512;
  uint8_t *buf = malloc(cap);
  // model snapshot: a failed load must leave it as it was
  uint8_t snap[NSPECS][64], now[64];
  size_t nb[NSPECS];
  for (int k = 0; k < NSPECS; k++) {
    nb[k] = (size_t)spec_numel(&specs[k]) * tg_dtype_size(specs[k].dt);
    tg_data(ts[k], snap[k], nb[k]);
  }
  int64_t iters = env_or("SAFETENSORS_FUZZ_N", 20000);
  TestRng r = { 0x5afe7e45u };
  int ok = 0, loads = 0, loads_ok = 0;
  const char *fpath = tmp_path("fuzz.safetensors");
  for (int64_t it = 0; it < iters; it++) {
    size_t n = mutate(&r, base, n0, buf, cap);
    tg_scope_begin();
    tg_state *st = io_safetensors_read_mem(buf, n, "fuzz", "mem");
    const char *e = tg_error();
    if (st) {
      ok++;
      uint64_t total = 0;
      for (int i = 0; i < tg_state_len(st); i++) {
        tg_tensor *t = tg_state_at(st, i);
        size_t bytes = (size_t)tg_numel(t) * tg_dtype_size(tg_get_dtype(t));
        total += bytes;
        void *p = malloc(bytes ? bytes : 1);
        CHECK(tg_data(t, p, bytes) == 0, "case %lld: %s", (long long)it, tg_error());
        free(p);
      }
      CHECK(total <= n, "case %lld: %llu tensor bytes from a %zu-byte file", (long long)it, (unsigned long long)total, n);
    } else CHECK(e && *e && !strchr(e, '\n'), "case %lld: failure without a one-line message", (long long)it);
    tg_state_free(st);
    tg_clear_error();
    if (it % 40 == 0) {      // through a real file: read, and load into the model (all or nothing)
      write_bytes(fpath, buf, n);
      tg_state *fs = tg_safetensors_read(fpath);
      CHECK((fs != NULL) == (st != NULL), "case %lld: file and memory disagree", (long long)it);
      tg_state_free(fs);
      tg_clear_error();
      loads++;
      int rc = tg_safetensors_load(s, fpath);
      loads_ok += rc == 0;
      for (int k = 0; k < NSPECS; k++) {
        CHECK(tg_data(ts[k], now, nb[k]) == 0);
        if (rc != 0) CHECK(memcmp(now, snap[k], nb[k]) == 0, "case %lld: failed load changed %s", (long long)it, specs[k].name);
        else memcpy(snap[k], now, nb[k]);
      }
      tg_clear_error();
    }
    tg_scope_end();
  }
  printf("test_safetensors: fuzz: %lld mutated files, %d parsed as valid; %d loads, %d succeeded\n", (long long)iters, ok, loads,
         loads_ok);
  CHECK(ok > 0 && ok < iters, "the mutations should give both valid and invalid files (%d valid)", ok);
  free(buf);
  free(base);
  tg_state_free(s);
  tg_scope_end();
}

static void rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  for (struct dirent *de; d && (de = readdir(d));) {
    if (de->d_name[0] == '.') continue;
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  rmdir(dir);
}

int main(void) {
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/tg_safetensors_XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  test_round_trip();
  test_load_all_or_nothing();
  test_python();
  test_malformed();
  test_fuzz();
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("test_safetensors: %.2fs\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  rm_tree(tmpdir);
  return test_finish("test_safetensors");
}
