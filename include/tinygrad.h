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

/* ---- autograd ----
 * Reverse mode, as tinygrad: derivative rules are a rewrite pass over the lazy graph, and gradients are lazy
 * tensors too, so a training step's forward and backward schedule (and fuse) together when realized, and
 * a gradient can be differentiated again. Only floating-point tensors have gradients (as torch); integer and
 * bool values, a tg_where condition, comparisons and bitwise ops pass none.
 * Ties: tg_maximum/tg_minimum give half the gradient to each operand (torch.maximum); tg_max/tg_min
 * reductions split it evenly among all positions equal to the result (torch.amax; not torch.max(dim)). */
tg_tensor *tg_requires_grad(tg_tensor *t, bool on);   /* returns t; NULL + error for integer/bool tensors. A constant
                                                          tensor (tg_zeros, tg_full ...) is realized: equal constants
                                                          are one graph node and would share a gradient */
/* Gradients of a one-element loss into the grad of every live tensor that requires grad and that the loss
 * depends on: created (owned like the tensor itself) or, when one exists, accumulated (grad += new). The grads
 * are lazy; realize them, with the loss, in one tg_realize_many. -1 + error when nothing requires grad. */
int        tg_backward(tg_tensor *loss);
tg_tensor *tg_grad(tg_tensor *t);                     /* NULL when none */
/* out[i] = d(sum of y)/d xs[i] (y of any shape: an implicit gradient of ones, torch's grad_outputs=ones);
 * zeros when y does not depend on xs[i]. Lazy, and differentiable again (second order). 0, or -1 + error. */
int        tg_gradient(tg_tensor *y, tg_tensor **xs, int n, tg_tensor **out);
tg_tensor *tg_detach(tg_tensor *t);                   /* the same values; no gradient flows through */
void       tg_zero_grad(tg_tensor **params, int n);   /* frees each grad and sets it to NULL */

/* ---- state dicts and safetensors ----
   A state is an ordered list of (name, tensor) entries plus string metadata. It does NOT own its
   tensors (they stay in their scopes); tg_state_free frees the list only. Files are untrusted: a
   malformed one gives an error naming the file (and the tensor), never an out-of-bounds read. */
typedef struct tg_state tg_state;
tg_state   *tg_state_new(void);
void        tg_state_free(tg_state *s);
int         tg_state_add(tg_state *s, const char *name, tg_tensor *t);   /* 0, or -1 on a duplicate/NULL name */
int         tg_state_len(const tg_state *s);
const char *tg_state_name(const tg_state *s, int i);                     /* NULL when out of range */
tg_tensor  *tg_state_at(const tg_state *s, int i);
tg_tensor  *tg_state_get(const tg_state *s, const char *name);           /* NULL when absent (no error) */
int         tg_state_set_metadata(tg_state *s, const char *key, const char *value);  /* safetensors __metadata__ */
const char *tg_state_metadata(const tg_state *s, const char *key);       /* NULL when absent */
/* realize every tensor and write a .safetensors file atomically (a temporary file, then rename) */
int         tg_safetensors_save(const tg_state *s, const char *path);
/* copy a file's tensors into s's tensors, by name: every name in s must be in the file with the same
   shape and dtype (the file may hold more). Everything is checked before anything is written, so on
   an error s's tensors are unchanged. */
int         tg_safetensors_load(tg_state *s, const char *path);
/* every tensor of a file as a new tensor in the current scope, in header order, with its metadata;
   free the state with tg_state_free (the tensors stay in the scope) */
tg_state   *tg_safetensors_read(const char *path);

/* ---- datasets ----
   IDX files (gzip or plain; types u8 i8 i16 i32 f32 f64, big-endian as stored) as a tensor of the
   stored dims. Fashion-MNIST from FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian's
   dataset-fashion-mnist): images uint8 (N, 1, 28, 28) in 0..255, labels uint8 (N,) in 0..9; N is
   60000 (train) and 10000 (test). Outputs are new tensors in the current scope; a NULL output
   pointer skips that file. 0, or -1 with every output set to NULL. */
tg_tensor  *tg_idx_load(const char *path);
int         tg_fashion_mnist(tg_tensor **x_train, tg_tensor **y_train, tg_tensor **x_test, tg_tensor **y_test);

/* ---- nn ----
 * Layers follow tinygrad's nn (torch's semantics, state-dict names and default init). For a layer <layer>:
 *   struct tg_nn_<layer> { tg_tensor *weight, *bias; ... };   public fields; a NULL tensor is absent. There is
 *       no typedef: in C the name tg_nn_<layer> is the function that applies the layer (struct tags have their
 *       own namespace), as ggml's struct ggml_tensor.
 *   struct tg_nn_<layer> *tg_nn_<layer>_new(...);  realized parameters with torch's default init (seeded by
 *       tg_manual_seed); NULL + tg_error on bad arguments
 *   tg_tensor *tg_nn_<layer>(struct tg_nn_<layer> *m, tg_tensor *x);   applies it (lazy, in the current scope)
 *   int  tg_nn_<layer>_params(m, const char *prefix, tg_nn_param *out, int max);   lists its tensors
 *   int  tg_nn_<layer>_state(m, const char *prefix, tg_state *s);                 adds them to a state dict
 *   void tg_nn_<layer>_free(m);                    frees the struct and its tensors
 * Parameters and buffers belong to no scope (as if created at depth 0): they outlive every tg_scope_end and are
 * freed only by tg_nn_<layer>_free (a layer may be created inside a scope; its temporaries die with the scope).
 * Trainable parameters have requires_grad set. _params lists the tensors in torch's state-dict order and names
 * ("fc1.weight" for prefix "fc1"; prefix NULL or "" gives "weight"), buffers (running_mean ...) marked not
 * trainable; it fills at most max entries and returns the total count (a NULL out with max 0 counts). _state
 * returns 0, or -1 with tg_error set (a duplicate name). */
#define TG_NN_NAME_MAX 128
typedef struct { char name[TG_NN_NAME_MAX]; tg_tensor *tensor; bool trainable; } tg_nn_param;
/* the tensors of ps[0..n), only the trainable ones when trainable_only; returns how many were written to out */
int tg_nn_param_tensors(const tg_nn_param *ps, int n, bool trainable_only, tg_tensor **out);
/* adds ps[0..n) to s by name (0, or -1 with tg_error set) */
int tg_nn_state_add(tg_state *s, const tg_nn_param *ps, int n);

/* training mode (tinygrad's Tensor.training / TRAINING): Dropout drops and BatchNorm uses batch statistics and
   updates its running statistics only while it is on. Off at startup. */
void tg_set_training(bool on);
bool tg_training(void);

/* initializers: lazy tensors drawn with tg_rand/tg_randn (so tg_manual_seed fixes them). The kaiming and glorot
   ones need 2 dims or more: fan_in is shape[1]*prod(shape[2:]) and fan_out shape[0]*prod(shape[2:]), as
   torch.nn.init (tinygrad's glorot_uniform uses shape[0] + prod(shape[1:]), the same for 2 dims). */
tg_tensor *tg_uniform(const int64_t *shape, int ndim, double low, double high, tg_dtype dt);
tg_tensor *tg_normal(const int64_t *shape, int ndim, double mean, double std, tg_dtype dt);
tg_tensor *tg_kaiming_uniform(const int64_t *shape, int ndim, double a, tg_dtype dt);  /* U(+-sqrt(6/((1+a^2) fan_in))) */
tg_tensor *tg_kaiming_normal(const int64_t *shape, int ndim, double a, tg_dtype dt);   /* N(0, 2/((1+a^2) fan_in)) */
tg_tensor *tg_glorot_uniform(const int64_t *shape, int ndim, tg_dtype dt);  /* xavier: U(+-sqrt(6/(fan_in+fan_out))) */

/* Linear: y = x @ weight.T + bias; weight (out, in) */
struct tg_nn_linear { tg_tensor *weight, *bias; int64_t in_features, out_features; };
struct tg_nn_linear *tg_nn_linear_new(int64_t in_features, int64_t out_features, bool bias);
tg_tensor *tg_nn_linear(struct tg_nn_linear *m, tg_tensor *x);
int  tg_nn_linear_params(struct tg_nn_linear *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_linear_state(struct tg_nn_linear *m, const char *prefix, tg_state *s);
void tg_nn_linear_free(struct tg_nn_linear *m);

/* Conv1d on (N, C, L); weight (out, in/groups, k) */
struct tg_nn_conv1d { tg_tensor *weight, *bias; int64_t in_channels, out_channels; int kernel_size, stride, padding, dilation, groups; };
struct tg_nn_conv1d *tg_nn_conv1d_new(int64_t in_channels, int64_t out_channels, int kernel_size, int stride, int padding,
                                      int dilation, int groups, bool bias);
tg_tensor *tg_nn_conv1d(struct tg_nn_conv1d *m, tg_tensor *x);
int  tg_nn_conv1d_params(struct tg_nn_conv1d *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_conv1d_state(struct tg_nn_conv1d *m, const char *prefix, tg_state *s);
void tg_nn_conv1d_free(struct tg_nn_conv1d *m);

/* Conv2d on NCHW; weight (out, in/groups, kh, kw). kernel_size, stride, padding, dilation are (h, w) pairs;
   NULL gives stride 1, padding 0, dilation 1 */
struct tg_nn_conv2d { tg_tensor *weight, *bias; int64_t in_channels, out_channels; int kernel_size[2], stride[2], padding[2], dilation[2], groups; };
struct tg_nn_conv2d *tg_nn_conv2d_new(int64_t in_channels, int64_t out_channels, const int *kernel_size, const int *stride,
                                      const int *padding, const int *dilation, int groups, bool bias);
tg_tensor *tg_nn_conv2d(struct tg_nn_conv2d *m, tg_tensor *x);
int  tg_nn_conv2d_params(struct tg_nn_conv2d *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_conv2d_state(struct tg_nn_conv2d *m, const char *prefix, tg_state *s);
void tg_nn_conv2d_free(struct tg_nn_conv2d *m);

/* transposed convolution (the gradient of conv2d with respect to its input), as torch's conv_transpose2d:
   x (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw); pairs, NULL = defaults (stride 1, padding 0, dilation 1,
   output_padding 0); output H' = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1 */
tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *w, tg_tensor *bias, int groups, const int *stride,
                               const int *padding, const int *dilation, const int *output_padding);
struct tg_nn_conv_transpose2d { tg_tensor *weight, *bias; int64_t in_channels, out_channels; int kernel_size[2], stride[2], padding[2], dilation[2], output_padding[2], groups; };
struct tg_nn_conv_transpose2d *tg_nn_conv_transpose2d_new(int64_t in_channels, int64_t out_channels, const int *kernel_size,
                                                          const int *stride, const int *padding, const int *dilation,
                                                          const int *output_padding, int groups, bool bias);
tg_tensor *tg_nn_conv_transpose2d(struct tg_nn_conv_transpose2d *m, tg_tensor *x);
int  tg_nn_conv_transpose2d_params(struct tg_nn_conv_transpose2d *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_conv_transpose2d_state(struct tg_nn_conv_transpose2d *m, const char *prefix, tg_state *s);
void tg_nn_conv_transpose2d_free(struct tg_nn_conv_transpose2d *m);

/* BatchNorm (BatchNorm1d/2d/3d: normalizes axis 1 of an (N, C, ...) input). In training mode: batch statistics
   (biased variance), and running_mean/running_var move by momentum toward the batch mean and the unbiased batch
   variance (tg_assign: written when they are next realized, e.g. by tg_optim_step given them), num_batches_tracked
   (int64, 0-d) counts. Otherwise the running statistics. track_running_stats false: always batch statistics. */
struct tg_nn_batchnorm { tg_tensor *weight, *bias, *running_mean, *running_var, *num_batches_tracked; int64_t num_features;
                 double eps, momentum; bool affine, track_running_stats; };
struct tg_nn_batchnorm *tg_nn_batchnorm_new(int64_t num_features, double eps, double momentum, bool affine, bool track_running_stats);
tg_tensor *tg_nn_batchnorm(struct tg_nn_batchnorm *m, tg_tensor *x);
int  tg_nn_batchnorm_params(struct tg_nn_batchnorm *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_batchnorm_state(struct tg_nn_batchnorm *m, const char *prefix, tg_state *s);
void tg_nn_batchnorm_free(struct tg_nn_batchnorm *m);

/* LayerNorm over the last ndim axes (normalized_shape); weight ones, bias zeros when elementwise_affine */
struct tg_nn_layernorm { tg_tensor *weight, *bias; int64_t normalized_shape[8]; int ndim; double eps; bool elementwise_affine; };
struct tg_nn_layernorm *tg_nn_layernorm_new(const int64_t *normalized_shape, int ndim, double eps, bool elementwise_affine);
tg_tensor *tg_nn_layernorm(struct tg_nn_layernorm *m, tg_tensor *x);
int  tg_nn_layernorm_params(struct tg_nn_layernorm *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_layernorm_state(struct tg_nn_layernorm *m, const char *prefix, tg_state *s);
void tg_nn_layernorm_free(struct tg_nn_layernorm *m);

/* GroupNorm on (N, C, ...): C channels in num_groups groups; per-channel affine */
struct tg_nn_groupnorm { tg_tensor *weight, *bias; int64_t num_groups, num_channels; double eps; bool affine; };
struct tg_nn_groupnorm *tg_nn_groupnorm_new(int64_t num_groups, int64_t num_channels, double eps, bool affine);
tg_tensor *tg_nn_groupnorm(struct tg_nn_groupnorm *m, tg_tensor *x);
int  tg_nn_groupnorm_params(struct tg_nn_groupnorm *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_groupnorm_state(struct tg_nn_groupnorm *m, const char *prefix, tg_state *s);
void tg_nn_groupnorm_free(struct tg_nn_groupnorm *m);

/* RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * weight (tinygrad's default eps is 1e-6) */
struct tg_nn_rmsnorm { tg_tensor *weight; int64_t dim; double eps; };
struct tg_nn_rmsnorm *tg_nn_rmsnorm_new(int64_t dim, double eps, bool elementwise_affine);
tg_tensor *tg_nn_rmsnorm(struct tg_nn_rmsnorm *m, tg_tensor *x);
int  tg_nn_rmsnorm_params(struct tg_nn_rmsnorm *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_rmsnorm_state(struct tg_nn_rmsnorm *m, const char *prefix, tg_state *s);
void tg_nn_rmsnorm_free(struct tg_nn_rmsnorm *m);

/* Embedding: integer indices (...) -> (..., embed_size), a compare against arange (one fused kernel); weight N(0, 1) */
struct tg_nn_embedding { tg_tensor *weight; int64_t vocab_size, embed_size; };
struct tg_nn_embedding *tg_nn_embedding_new(int64_t vocab_size, int64_t embed_size);
tg_tensor *tg_nn_embedding(struct tg_nn_embedding *m, tg_tensor *idx);
int  tg_nn_embedding_params(struct tg_nn_embedding *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_embedding_state(struct tg_nn_embedding *m, const char *prefix, tg_state *s);
void tg_nn_embedding_free(struct tg_nn_embedding *m);

/* Dropout (no parameters, so no struct): in training mode zeroes each element with probability p (drawn with
   tg_rand) and scales the rest by 1/(1-p); otherwise returns x */
tg_tensor *tg_nn_dropout(tg_tensor *x, double p);

/* LSTMCell: gates i, f, g, o from x @ weight_ih.T + b_ih + h @ weight_hh.T + b_hh; h, c may be NULL (zeros).
   Writes the new h and c (lazy, current scope); returns 0, or -1 with tg_error set. */
struct tg_nn_lstmcell { tg_tensor *weight_ih, *weight_hh, *bias_ih, *bias_hh; int64_t input_size, hidden_size; };
struct tg_nn_lstmcell *tg_nn_lstmcell_new(int64_t input_size, int64_t hidden_size, bool bias);
int  tg_nn_lstmcell(struct tg_nn_lstmcell *m, tg_tensor *x, tg_tensor *h, tg_tensor *c, tg_tensor **h_out, tg_tensor **c_out);
int  tg_nn_lstmcell_params(struct tg_nn_lstmcell *m, const char *prefix, tg_nn_param *out, int max);
int  tg_nn_lstmcell_state(struct tg_nn_lstmcell *m, const char *prefix, tg_state *s);
void tg_nn_lstmcell_free(struct tg_nn_lstmcell *m);

/* losses (reduction: mean, as torch's default) */
/* logits (N, C); target: class indices (N,) or class probabilities (N, C) */
tg_tensor *tg_nn_cross_entropy(tg_tensor *logits, tg_tensor *target, double label_smoothing);
/* tinygrad's: logits (..., C), integer labels (...); labels equal to ignore_index (-1: none) are left out of the mean */
tg_tensor *tg_nn_sparse_categorical_crossentropy(tg_tensor *logits, tg_tensor *labels, int64_t ignore_index, double label_smoothing);
/* log-probabilities (N, C), integer target (N,), optional class weight (C,) (NULL: ones), torch's ignore_index
   (-100 for torch's default); the mean is weighted as torch's */
tg_tensor *tg_nn_nll_loss(tg_tensor *logp, tg_tensor *target, tg_tensor *weight, int64_t ignore_index);
tg_tensor *tg_nn_binary_cross_entropy(tg_tensor *p, tg_tensor *y);            /* logs clamped at -100, as torch */
/* numerically stable in x; pos_weight (broadcast over the last axis) may be NULL */
tg_tensor *tg_nn_binary_cross_entropy_with_logits(tg_tensor *x, tg_tensor *y, tg_tensor *pos_weight);
tg_tensor *tg_nn_mse_loss(tg_tensor *x, tg_tensor *y);
tg_tensor *tg_nn_l1_loss(tg_tensor *x, tg_tensor *y);

/* ---- JIT: capture a function's kernels once, replay them ----
 * tg_jit_call(j, in, nin, out, maxout) calls fn(in, nin, out, user), which builds its outputs from the inputs
 * (and from any tensors it reaches, e.g. model weights) and returns how many it wrote to out (or -1).
 *   call 1   runs fn normally and realizes its outputs;
 *   call 2   does the same while recording every kernel and copy that runs, with the buffers each touches;
 *   call 3+  does not call fn: it rebinds the inputs' buffers and replays the recorded kernels (no graph
 *            building, scheduling, compiling or allocation). Weights are updated in place as in call 2.
 * Inputs are realized first. From call 2 on they must keep the shapes and dtypes of call 2 (else an error);
 * an input whose buffer the recorded kernels use for something else (a weight, an intermediate) is an error.
 * Outputs are new tensors in the current scope, owning copies of the results; with
 * tg_jit_alias_outputs(j, true) they are views of the JIT's own buffers instead, overwritten by the next call.
 * fn runs in a scope of its own: tensors it creates, other than its outputs, are freed when it returns
 * (parameters, which belong to no scope, are not). The kernels' intermediates share memory by lifetime
 * across the whole capture (NO_MEMORY_PLANNER=1: not).
 * What replay cannot see: host-side values fn reads or writes (tg_item, tg_data, new tg_from_data inputs
 * inside fn) are frozen at call 2. JIT=0 calls fn every time. eng-level caches cleared while a JIT
 * lives invalidate it. Returns the output count, or -1 with tg_error set. */
typedef struct tg_jit tg_jit;
typedef int (*tg_jit_fn)(tg_tensor **in, int nin, tg_tensor **out, void *user);
tg_jit *tg_jit_new(tg_jit_fn fn, void *user);
int     tg_jit_call(tg_jit *j, tg_tensor **in, int nin, tg_tensor **out, int maxout);
void    tg_jit_alias_outputs(tg_jit *j, bool alias);
int     tg_jit_kernels(const tg_jit *j);     /* kernels (and copies) replayed per call; 0 before capture */
void    tg_jit_free(tg_jit *j);

/* ---- symbolic shapes ----
 * tg_variable makes a 0-d int32 tensor standing for an integer in [min, max] (tinygrad's Variable); tg_bind
 * gives it a value. Tensors built afterwards carry that value; those built before keep theirs (as
 * Variable.bind). tg_sym turns a 0-d integer expression of bound variables and constants (the variable
 * itself, tg_add_s(v, 1), tg_mul of two of them, ...) into a shape dimension: an int64 token that every shape and shrink
 * argument accepts, so one compiled kernel serves all values:
 *     tg_bind(pos, 7);  int64_t n = tg_sym(tg_add_s(pos, 1));         // n stands for pos + 1, now 8
 *     tg_tensor *past = tg_shrink(cache, (int64_t[]){ 0, n, 0, 64 }, 4);  // (pos + 1, 64)
 * tg_shape() then holds the token; tg_sym_value gives a dimension's value (a plain size is itself), and
 * tg_numel counts with the values. A realized tensor of symbolic shape lives in a buffer sized for the
 * largest values. Reshaping between a symbolic and a concrete shape of equal value is allowed. In a JIT the
 * inputs' shapes may hold tokens: every call binds the variables found in its inputs (shapes, or a
 * variable passed as an input) and the replay passes those values to the kernels.
 * Ops that compute sizes from a symbolic dim they cannot express (conv, pool, stepped slices, ...) fail
 * with an error naming the dimension. */
tg_tensor *tg_variable(const char *name, int64_t min, int64_t max);
int        tg_bind(tg_tensor *var, int64_t value);                 /* 0, or -1 when out of range / not a variable */
int64_t    tg_sym(tg_tensor *expr);                                /* a dimension token; -1 with an error */
int64_t    tg_sym_value(int64_t dim);                              /* the value; -1 for a bad token */
bool       tg_sym_is(int64_t dim);                                 /* a token (not a plain size) */

/* ---- optimizers ----
 * tinygrad's optimizers (nn/optim.py), with torch's update rules where torch has the optimizer. An optimizer
 * holds the tensors it was given; each step reads every parameter's grad and writes the update into the
 * parameter's own buffer with tg_assign, so a parameter keeps its buffer (and graphs that use it stay valid).
 * - A tensor with a grad (tg_grad) is updated. One without is skipped when it requires grad (as torch skips a
 *   parameter whose grad is None); otherwise it is a buffer (BatchNorm's running statistics) that the step only
 *   realizes, so its pending tg_assign updates land. tg_nn_param_tensors(..., false, ...) gives both kinds.
 * - One tg_optim_step is one tg_realize_many over the parameters, buffers and optimizer state, so the update
 *   fuses with the forward and backward graphs it reads. lr and Adam's bias-correction powers are 1-element
 *   tensors, so changing lr (tg_optim_set_lr) or stepping never recompiles a kernel.
 * - Optimizer state is float32 and belongs to no scope; tg_optim_free releases it. Returns NULL + tg_error on
 *   bad arguments. */
typedef struct tg_optim tg_optim;
/* SGD with momentum (torch's: buf = momentum*buf + g, dampening 0), weight decay added to the gradient, nesterov */
tg_optim *tg_optim_sgd(tg_tensor **params, int n, double lr, double momentum, double weight_decay, bool nesterov);
/* Adam with torch's bias correction */
tg_optim *tg_optim_adam(tg_tensor **params, int n, double lr, double b1, double b2, double eps);
/* AdamW: decoupled weight decay (p -= lr*wd*p), torch's default weight_decay is 0.01 */
tg_optim *tg_optim_adamw(tg_tensor **params, int n, double lr, double b1, double b2, double eps, double weight_decay);
/* LAMB: the Adam(W) update scaled per tensor by the trust ratio ||p|| / ||update|| (tinygrad's defaults
   b1 0.9, b2 0.999, eps 1e-6, weight_decay 0) */
tg_optim *tg_optim_lamb(tg_tensor **params, int n, double lr, double b1, double b2, double eps, double weight_decay);
/* Muon: SGD momentum (nesterov optional) whose update, viewed as (shape[0], -1), is orthogonalized by ns_steps
   Newton-Schulz iterations with tinygrad's coefficients (3.4445, -4.775, 2.0315), then decoupled weight decay
   p *= 1 - lr*wd. tinygrad's defaults: lr 0.001, momentum 0.95, weight_decay 0.1, ns_steps 5, nesterov */
tg_optim *tg_optim_muon(tg_tensor **params, int n, double lr, double momentum, double weight_decay, int ns_steps, bool nesterov);
int    tg_optim_step(tg_optim *o);              /* 0, or -1 with tg_error set */
/* the same step, realizing also[0..n) (the loss, metrics) in its schedule; they see the values from before the
   update. (Realized after the step instead, a loss would be recomputed from the updated parameters.) */
int    tg_optim_step_with(tg_optim *o, tg_tensor **also, int n);
void   tg_optim_zero_grad(tg_optim *o);         /* frees every parameter's grad, sets it to NULL (tg_zero_grad) */
void   tg_optim_set_lr(tg_optim *o, double lr); /* takes effect at the next step */
double tg_optim_get_lr(const tg_optim *o);
void   tg_optim_free(tg_optim *o);              /* the parameters stay; the state goes */

#ifdef __cplusplus
}
#endif
#endif
