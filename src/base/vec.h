// Growable arrays (a typed VEC(T) struct plus push/reserve macros over one realloc helper)
#ifndef TG_VEC_H
#define TG_VEC_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define VEC(T) struct { T *data; int64_t len, cap; }

void vec_grow_(void **data, int64_t *cap, int64_t need, size_t elem);

#define vec_reserve(v, n) \
  ((n) > (v)->cap ? vec_grow_((void **)&(v)->data, &(v)->cap, (n), sizeof(*(v)->data)) : (void)0)
#define vec_push(v, x) (vec_reserve((v), (v)->len + 1), (v)->data[(v)->len++] = (x))
#define vec_pop(v) ((v)->data[--(v)->len])
#define vec_last(v) ((v)->data[(v)->len - 1])
#define vec_clear(v) ((v)->len = 0)
#define vec_free(v) (free((v)->data), (v)->data = NULL, (v)->len = (v)->cap = 0)

#endif
