// Random tensors: tinygrad's counter-based threefry2x32 generator (rand, randn, randint), per-device streams
#include "tensor/tensor.h"
#include "renderer/cprelude.h"
#include <math.h>
#include <stdlib.h>
#include <time.h>

/* As tinygrad's Tensor.rand (mixin/rand.py, tensor.py _next_counter), so that a seed gives tinygrad's numbers:
 * - each device has a key, (seed << 32) | k_i, where k_i is the low 32 bits of sha256(i as 4 big-endian bytes)
 *   and i counts the devices in the order they first draw after tg_manual_seed, and a 64-bit counter that
 *   every call advances by the number of 32-bit words it draws;
 * - a call drawing n words at counter c uses the key K = threefry(c, key), computed here on the host, and
 *   the kernel computes threefry((j + h) << 32 | j, K) for j < h = ceil(n/2); its low words, then its high
 *   words, are the n random words;
 * - floats: the top mantissa-many bits of each word (16-bit dtypes take two per word, float64 one word pair)
 *   under the exponent of 1.0, minus 1, so [0, 1); randn: Box-Muller on a float32 rand of shape (2, *shape);
 *   randint: floor(rand * (high - low)) + low, rand in float32.
 * Differences: the default seed is the time at startup (as tinygrad); draws of 2^32 words or more in one call
 * are refused (tinygrad splits them in chunks); the counter lives on the host, not in a device tensor (the
 * per-call key K is uploaded in a one-element buffer, so kernels do not recompile from call to call). */

#define RNG_MAX_DEVICES 16
static const uint32_t DEVICE_KEYS[RNG_MAX_DEVICES] = {   // low 32 bits of sha256(i.to_bytes(4, "big"))
  0x14b81119, 0x764f528d, 0xdb12cf1a, 0x0f79f7d3, 0x900b0937, 0x3eaa7569, 0x7c0172cb, 0x28a3a23b,
  0x15036943, 0xdfa285d3, 0xeae31389, 0xf888ebe4, 0x9a1c7059, 0x4273a435, 0x5a3336e3, 0x0f41de35 };

TG_CODE_THREEFRY

static struct {
  bool seeded;
  uint64_t seed;
  int ndev;
  struct { Device *dev; uint64_t counter; } devs[RNG_MAX_DEVICES];
} rng;

void tg_manual_seed(uint64_t seed) {
  rng.seeded = true;
  rng.seed = seed;
  rng.ndev = 0;
}

// The device's key and the counter for a draw of n words (advancing it); false when too many devices.
static bool next_counter(const char *fn, Device *d, uint64_t n, uint64_t *key, uint64_t *counter) {
  if (!rng.seeded) tg_manual_seed((uint64_t)time(NULL));
  int i = 0;
  while (i < rng.ndev && rng.devs[i].dev != d) i++;
  if (i == rng.ndev) {
    if (i == RNG_MAX_DEVICES) { tg_set_error("%s: more than %d devices drew random numbers", fn, RNG_MAX_DEVICES); return false; }
    rng.devs[rng.ndev++].dev = d;
    rng.devs[i].counter = 0;
  }
  *key = (uint64_t)(uint32_t)rng.seed << 32 | DEVICE_KEYS[i];
  *counter = rng.devs[i].counter;
  rng.devs[i].counter += n;
  return true;
}

static tg_tensor *iota_u32(Device *d, int64_t n) {          // 0 .. n-1 as uint32, uploaded
  Buffer *b = buf_new(d, DT_UINT32, n);
  uint32_t *host = malloc((size_t)(n ? n : 1) * sizeof *host);
  TG_ASSERT(host, "out of memory");
  for (int64_t i = 0; i < n; i++) host[i] = (uint32_t)i;
  buf_ensure(b);
  int rc = n ? buf_copyin(b, host, b->nbytes) : 0;
  free(host);
  if (rc != 0) { buf_unref(b); return NULL; }
  return tensor_wrap(t_reshape(tensor_buffer_uop(b), (int64_t[]){ n }, 1), d);
}

// x: uint64 tensor of rank 1. The key travels in a one-element buffer, not as a constant, so that every draw
// of one shape runs the same compiled kernel (a constant would make each call's source, and compile, new).
static tg_tensor *threefry(tg_tensor *x, uint64_t key) {
  Buffer *b = buf_new(x->dev, DT_UINT64, 1);
  buf_ensure(b);
  if (buf_copyin(b, &key, sizeof key) != 0) { buf_unref(b); return NULL; }
  UOp *k = t_expand(t_reshape(tensor_buffer_uop(b), (int64_t[]){ 1 }, 1), x->shape, 1);
  return tensor_wrap(uop2(OP_THREEFRY, dt_scalar(DT_UINT64), x->uop, k, arg_none()), x->dev);
}

// n random uint32 words on d (tinygrad's random_bits)
static tg_tensor *random_words(const char *fn, Device *d, int64_t n) {
  if ((uint64_t)n >= 0xffffffffull) { tg_set_error("%s: %lld random words in one call (at most 2^32 - 2)", fn, (long long)n); return NULL; }
  uint64_t key, counter;
  if (!next_counter(fn, d, (uint64_t)n, &key, &counter)) return NULL;
  uint64_t k = tg_threefry(counter, key);
  int64_t h = (n + 1) / 2;
  tg_tensor *c0 = iota_u32(d, h);
  if (!c0) return NULL;
  tg_tensor *x = tg_bitwise_or(tg_lshift_s(tg_cast(tg_add_s(c0, (double)h), TG_UINT64), 32), tg_cast(c0, TG_UINT64));
  tg_tensor *b = threefry(x, k);
  tg_tensor *w = tg_cat((tg_tensor *[]){ tg_cast(b, TG_UINT32), tg_cast(tg_rshift_s(b, 32), TG_UINT32) }, 2, 0);
  return tg_slice(w, 0, 0, n, 1);
}

static bool valid_shape(const char *fn, const int64_t *shape, int ndim, int64_t *numel) {
  if (ndim < 0 || ndim > TG_MAX_DIMS || (ndim && !shape)) { tg_set_error("%s: invalid shape (%d dims)", fn, ndim); return false; }
  *numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) { tg_set_error("%s: negative dimension %lld", fn, (long long)shape[i]); return false; }
    if (shape[i] && *numel > INT64_MAX / 8 / shape[i]) { tg_set_error("%s: shape too large", fn); return false; }
    *numel *= shape[i];
  }
  return true;
}

// uniform [0, 1) of dtype dt on device d (tinygrad's _rand with _bits_to_rand)
static tg_tensor *rand_on(const char *fn, Device *d, const int64_t *shape, int ndim, tg_dtype dt) {
  int64_t numel;
  if (!valid_shape(fn, shape, ndim, &numel)) return NULL;
  if ((int)dt < TG_FLOAT16 || dt > TG_FLOAT64) {
    tg_set_error("%s: dtype %s is not a float dtype", fn, (int)dt >= 0 && dt <= TG_FLOAT64 ? tg_dtype_name(dt) : "(invalid)");
    return NULL;
  }
  if (numel == 0) return tensor_wrap(t_const(0, (ScalarType)dt, shape, ndim), d);
  int isz = (int)tg_dtype_size(dt);
  int64_t n = (numel * isz + 3) / 4;
  tg_tensor *w = random_words(fn, d, n), *u;
  if (!w) return NULL;
  if (isz == 4) u = w;
  else if (isz == 8) {                  // word pairs, little-endian
    tg_tensor *p = tg_reshape(w, TG_SHAPE(n / 2, 2));
    u = tg_bitwise_or(tg_cast(tg_reshape(tg_slice(p, 1, 0, 1, 1), TG_SHAPE(n / 2)), TG_UINT64),
                      tg_lshift_s(tg_cast(tg_reshape(tg_slice(p, 1, 1, 2, 1), TG_SHAPE(n / 2)), TG_UINT64), 32));
  } else {                              // two halves per word, low first
    tg_tensor *c = tg_reshape(w, TG_SHAPE(n, 1));
    tg_tensor *halves[2] = { tg_cast(c, TG_UINT16), tg_cast(tg_rshift_s(c, 16), TG_UINT16) };
    u = tg_reshape(tg_cat(halves, 2, 1), TG_SHAPE(2 * n));
  }
  int nmant = dt == TG_FLOAT16 ? 10 : dt == TG_BFLOAT16 ? 7 : dt == TG_FLOAT32 ? 23 : 52;
  double one = dt == TG_FLOAT16 ? 0x3c00 : dt == TG_BFLOAT16 ? 0x3f80 : dt == TG_FLOAT32 ? 0x3f800000 : 0x3ff0000000000000ull;
  tg_tensor *f = tg_bitcast(tg_bitwise_or_s(tg_rshift_s(u, isz * 8 - nmant), one), dt);
  return tg_contiguous(tg_reshape(tg_sub_s(tg_slice(f, 0, 0, numel, 1), 1), shape, ndim));
}

static Device *default_dev(const char *fn) {
  Device *d = dev_default();
  if (!d && !tg_error()) tg_set_error("%s: no default device", fn);
  return d;
}

tg_tensor *tg_rand(const int64_t *shape, int ndim, tg_dtype dt) {
  Device *d = default_dev("tg_rand");
  return d ? rand_on("tg_rand", d, shape, ndim, dt) : NULL;
}

tg_tensor *tg_rand_like(tg_tensor *t) {
  if (!t_check_inputs("tg_rand_like", 1, t)) return NULL;
  return rand_on("tg_rand_like", t->dev, t->shape, t->ndim, (tg_dtype)t->dtype);
}

// Box-Muller: cos(2 pi u0) * sqrt(-2 log(1 - u1)), from one float32 draw of shape (2, *shape)
tg_tensor *tg_randn(const int64_t *shape, int ndim, tg_dtype dt) {
  int64_t numel;
  if (!valid_shape("tg_randn", shape, ndim, &numel)) return NULL;
  if ((int)dt < TG_FLOAT16 || dt > TG_FLOAT64) { tg_set_error("tg_randn: dtype %d is not a float dtype", (int)dt); return NULL; }
  if (ndim >= TG_MAX_DIMS) { tg_set_error("tg_randn: %d dims (at most %d)", ndim, TG_MAX_DIMS - 1); return NULL; }
  Device *d = default_dev("tg_randn");
  if (!d) return NULL;
  int64_t s2[TG_MAX_DIMS] = { 2 };
  for (int i = 0; i < ndim; i++) s2[i + 1] = shape[i];
  tg_tensor *src = rand_on("tg_randn", d, s2, ndim + 1, TG_FLOAT32);
  if (!src) return NULL;
  tg_tensor *u0 = tg_squeeze(tg_slice(src, 0, 0, 1, 1), 0), *u1 = tg_squeeze(tg_slice(src, 0, 1, 2, 1), 0);
  tg_tensor *r = tg_mul(tg_cos(tg_mul_s(u0, 2 * M_PI)), tg_sqrt(tg_mul_s(tg_log(tg_rsub_s(u1, 1)), -2)));
  return tg_cast(r, dt);
}

tg_tensor *tg_randint(const int64_t *shape, int ndim, int64_t low, int64_t high, tg_dtype dt) {
  if (high <= low) { tg_set_error("tg_randint: low (%lld) must be below high (%lld)", (long long)low, (long long)high); return NULL; }
  if ((int)dt < TG_INT8 || dt > TG_UINT64) { tg_set_error("tg_randint: dtype %d is not an integer dtype", (int)dt); return NULL; }
  tg_tensor *r = tg_rand(shape, ndim, TG_FLOAT32);
  return tg_add_s(tg_cast(tg_mul_s(r, (double)(high - low)), dt), (double)low);
}
