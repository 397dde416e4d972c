/* tinygrad.c public API: the only header users include.
 *
 * tinygrad.c is tinygrad's design in C11: a lazy Tensor library with autograd on top of one graph IR
 * (UOps) that pattern-rule passes rewrite into fused kernels. See README.md and shared/API.md.
 *
 * Conventions
 * - A function that can fail returns NULL (or a negative int) and records a one-line message that
 *   tg_error() returns. A tensor function given a NULL input returns NULL and keeps the first message,
 *   so a chain of calls needs one check at the end.
 * - Graph building is single-threaded: call the API from one thread.
 */
#ifndef TINYGRAD_H
#define TINYGRAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_VERSION "0.1.0"

/* Element types. The values are fixed: programs may store them. */
typedef enum { TG_BOOL, TG_INT8, TG_UINT8, TG_INT16, TG_UINT16, TG_INT32, TG_UINT32,
               TG_INT64, TG_UINT64, TG_FLOAT16, TG_BFLOAT16, TG_FLOAT32, TG_FLOAT64 } tg_dtype;

/* A shape is passed as (const int64_t *shape, int ndim); TG_SHAPE(2, 3) expands to both. */
#define TG_SHAPE(...) (const int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))

/* ---- errors ---- */
const char *tg_error(void);          /* the last error message (one line), or NULL */
void        tg_clear_error(void);

/* ---- dtypes ---- */
const char *tg_dtype_name(tg_dtype dt);        /* "float32" ... */
size_t      tg_dtype_size(tg_dtype dt);        /* bytes per element */
/* torch's type promotion for two tensors; returns -1 (and sets the error) when torch has none */
int         tg_promote_types(tg_dtype a, tg_dtype b);


/* ---- tensors: lifetime ---- */
typedef struct tg_tensor tg_tensor;          /* opaque handle */
void        tg_scope_begin(void);
void        tg_scope_end(void);              /* frees every tensor created since the matching begin, except kept ones */
tg_tensor  *tg_keep(tg_tensor *t);           /* move t to the enclosing scope; returns t */
void        tg_free(tg_tensor *t);
void        tg_gc(void);                     /* collect unreachable graph nodes and buffers now */

/* ---- creation ---- */
tg_tensor *tg_from_data(const void *data, tg_dtype dt, const int64_t *shape, int ndim);  /* copies */
tg_tensor *tg_empty(const int64_t *shape, int ndim, tg_dtype dt);
tg_tensor *tg_zeros(const int64_t *shape, int ndim, tg_dtype dt);
tg_tensor *tg_ones(const int64_t *shape, int ndim, tg_dtype dt);
tg_tensor *tg_full(const int64_t *shape, int ndim, double value, tg_dtype dt);
tg_tensor *tg_zeros_like(tg_tensor *t);
tg_tensor *tg_ones_like(tg_tensor *t);
tg_tensor *tg_full_like(tg_tensor *t, double value);
tg_tensor *tg_arange(double start, double stop, double step, tg_dtype dt);
tg_tensor *tg_linspace(double start, double stop, int64_t steps, tg_dtype dt);
tg_tensor *tg_eye(int64_t n, tg_dtype dt);
void       tg_manual_seed(uint64_t seed);
tg_tensor *tg_rand(const int64_t *shape, int ndim, tg_dtype dt);    /* uniform [0,1) */
tg_tensor *tg_randn(const int64_t *shape, int ndim, tg_dtype dt);
tg_tensor *tg_randint(const int64_t *shape, int ndim, int64_t low, int64_t high, tg_dtype dt);
tg_tensor *tg_rand_like(tg_tensor *t);

/* ---- inspecting and realizing ---- */
int        tg_ndim(const tg_tensor *t);
int64_t    tg_dim(const tg_tensor *t, int axis);
const int64_t *tg_shape(const tg_tensor *t);
int64_t    tg_numel(const tg_tensor *t);
tg_dtype   tg_get_dtype(const tg_tensor *t);
const char*tg_device(const tg_tensor *t);
tg_tensor *tg_realize(tg_tensor *t);                          /* returns t, NULL on error */
int        tg_realize_many(tg_tensor **ts, int n);            /* one schedule for all */
int        tg_data(tg_tensor *t, void *dst, size_t nbytes);   /* realize + copy out, row-major, t's dtype */
double     tg_item(tg_tensor *t);                             /* one-element tensor; NAN + error otherwise */
tg_tensor *tg_to(tg_tensor *t, const char *device);           /* "CPU", "INTERP" ... */
tg_tensor *tg_contiguous(tg_tensor *t);
/* write value (broadcast, cast to t's dtype) into t's buffer when t is next realized; returns t.
   Graphs built earlier that read t keep reading its old value if they are realized in the same
   tg_realize_many call (the scheduler orders the write after those reads). */
tg_tensor *tg_assign(tg_tensor *t, tg_tensor *value);
tg_tensor *tg_cast(tg_tensor *t, tg_dtype dt);
tg_tensor *tg_bitcast(tg_tensor *t, tg_dtype dt);
int        tg_set_default_device(const char *device);         /* 0, or -1 when unknown */

/* ---- elementwise (broadcasting, torch promotion) ---- */
#define TG_BINARY_OPS(X) X(add) X(sub) X(mul) X(div) X(mod) X(pow) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) \
  X(gt) X(ge) X(bitwise_and) X(bitwise_or) X(bitwise_xor) X(lshift) X(rshift) X(idiv)
#define TG_DECL_BIN_(name) tg_tensor *tg_##name(tg_tensor *a, tg_tensor *b); tg_tensor *tg_##name##_s(tg_tensor *a, double b);
TG_BINARY_OPS(TG_DECL_BIN_)
#undef TG_DECL_BIN_
tg_tensor *tg_rsub_s(tg_tensor *a, double b);      /* b - a */
tg_tensor *tg_rdiv_s(tg_tensor *a, double b);      /* b / a */
tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b);
tg_tensor *tg_where_s(tg_tensor *cond, double a, double b);
tg_tensor *tg_clamp(tg_tensor *t, double lo, double hi);
#define TG_UNARY_OPS(X) X(neg) X(reciprocal) X(sqrt) X(rsqrt) X(exp) X(exp2) X(log) X(log2) X(sin) X(cos) X(tan) \
  X(tanh) X(sigmoid) X(relu) X(gelu) X(silu) X(abs) X(sign) X(floor) X(ceil) X(round) X(trunc) X(square) X(erf) \
  X(isnan) X(isinf) X(logical_not) X(softplus) X(elu) X(hardswish) X(mish) X(relu6) X(hardsigmoid) X(hardtanh)
#define TG_DECL_UN_(name) tg_tensor *tg_##name(tg_tensor *t);
TG_UNARY_OPS(TG_DECL_UN_)
#undef TG_DECL_UN_
tg_tensor *tg_leaky_relu(tg_tensor *t, double slope);

/* ---- movement ---- */
tg_tensor *tg_reshape(tg_tensor *t, const int64_t *shape, int ndim);   /* one -1 allowed */
tg_tensor *tg_permute(tg_tensor *t, const int *order, int n);
tg_tensor *tg_expand(tg_tensor *t, const int64_t *shape, int ndim);    /* -1 keeps a dim */
tg_tensor *tg_pad(tg_tensor *t, const int64_t *before_after, int n, double value); /* n == 2*ndim; negative trims */
tg_tensor *tg_shrink(tg_tensor *t, const int64_t *begin_end, int n);  /* n == 2*ndim */
tg_tensor *tg_flip(tg_tensor *t, const int *axes, int naxes);
tg_tensor *tg_slice(tg_tensor *t, int axis, int64_t start, int64_t stop, int64_t step); /* python slice semantics */
tg_tensor *tg_transpose(tg_tensor *t, int a, int b);
tg_tensor *tg_flatten(tg_tensor *t, int start, int end);
tg_tensor *tg_squeeze(tg_tensor *t, int axis);
tg_tensor *tg_unsqueeze(tg_tensor *t, int axis);
tg_tensor *tg_cat(tg_tensor **ts, int n, int axis);
tg_tensor *tg_stack(tg_tensor **ts, int n, int axis);
int        tg_split(tg_tensor *t, int64_t size, int axis, tg_tensor **out, int max_out);  /* returns count */
int        tg_chunk(tg_tensor *t, int chunks, int axis, tg_tensor **out, int max_out);
tg_tensor *tg_repeat(tg_tensor *t, const int64_t *repeats, int n);
tg_tensor *tg_gather(tg_tensor *t, int axis, tg_tensor *index);
tg_tensor *tg_one_hot(tg_tensor *t, int64_t num_classes);

/* ---- reductions ---- */
tg_tensor *tg_sum(tg_tensor *t, const int *axes, int naxes, bool keepdim);   /* naxes == 0: all axes */
tg_tensor *tg_prod(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_max(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_min(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_mean(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_any(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_all(tg_tensor *t, const int *axes, int naxes, bool keepdim);
tg_tensor *tg_var(tg_tensor *t, const int *axes, int naxes, bool keepdim, double correction);
tg_tensor *tg_std(tg_tensor *t, const int *axes, int naxes, bool keepdim, double correction);
tg_tensor *tg_argmax(tg_tensor *t, int axis, bool keepdim);
tg_tensor *tg_argmin(tg_tensor *t, int axis, bool keepdim);
tg_tensor *tg_cumsum(tg_tensor *t, int axis);
tg_tensor *tg_logsumexp(tg_tensor *t, int axis, bool keepdim);

/* ---- nn functions ---- */
tg_tensor *tg_softmax(tg_tensor *t, int axis);
tg_tensor *tg_log_softmax(tg_tensor *t, int axis);
tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b);                            /* batched, broadcasting */
tg_tensor *tg_linear(tg_tensor *x, tg_tensor *w, tg_tensor *bias);           /* x @ w.T + bias; bias may be NULL */
tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *w, tg_tensor *bias, int groups,
                     const int *stride, const int *padding, const int *dilation); /* NCHW, pairs, NULL = defaults */
tg_tensor *tg_max_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding);
tg_tensor *tg_avg_pool2d(tg_tensor *x, const int *kernel, const int *stride, const int *padding);
tg_tensor *tg_layernorm(tg_tensor *x, int axis, double eps);
tg_tensor *tg_scaled_dot_product_attention(tg_tensor *q, tg_tensor *k, tg_tensor *v, tg_tensor *mask, bool causal);
tg_tensor *tg_cross_entropy(tg_tensor *logits, tg_tensor *target_index, double label_smoothing);

#ifdef __cplusplus
}
#endif
#endif
