// Dtype queries of the public API (thin wrappers over uop/dtype)
#include "tinygrad.h"
#include "uop/dtype.h"
#include "base/error.h"

static bool valid(tg_dtype dt) { return (int)dt >= TG_BOOL && dt <= TG_FLOAT64; }

const char *tg_dtype_name(tg_dtype dt) { return valid(dt) ? st_name((ScalarType)dt) : "invalid"; }
size_t tg_dtype_size(tg_dtype dt) { return valid(dt) ? (size_t)st_itemsize((ScalarType)dt) : 0; }

int tg_promote_types(tg_dtype a, tg_dtype b) {
  if (!valid(a) || !valid(b)) { tg_set_error("tg_promote_types: invalid dtype (%d, %d)", (int)a, (int)b); return -1; }
  ScalarType r = st_promote((ScalarType)a, (ScalarType)b);
  if (r == DT_VOID) {
    tg_set_error("tg_promote_types: no common type for %s and %s (as torch)", st_name((ScalarType)a), st_name((ScalarType)b));
    return -1;
  }
  return (int)r;
}
