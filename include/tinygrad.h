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

#ifdef __cplusplus
}
#endif
#endif
