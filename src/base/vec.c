// Growable arrays: the one realloc path every VEC shares
#include "base/vec.h"
#include "base/error.h"
#include <stdlib.h>

void vec_grow_(void **data, int64_t *cap, int64_t need, size_t elem) {
  int64_t ncap = *cap ? *cap : 8;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*data, (size_t)ncap * elem);
  TG_ASSERT(p != NULL, "out of memory growing an array to %lld elements", (long long)ncap);
  *data = p;
  *cap = ncap;
}
