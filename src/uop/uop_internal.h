// UOp pool internals shared by uop.c, range.c and gc.c (not for other modules)
#ifndef TG_UOP_INTERNAL_H
#define TG_UOP_INTERNAL_H
#include "uop/uop.h"
#include "base/hashmap.h"

typedef struct UopPool {
  UOp **table;           // the intern table (every live node)
  size_t cap, count;
  size_t live_bytes;
  size_t count_after_gc; // pool size after the last collection, for uop_gc_maybe
  uint64_t epoch;
  HMap topo_cache;       // root -> UOpList*
} UopPool;

extern UopPool uop_pool_;
void pool_insert_(UOp *u);
void uop_compute_range_(UOp *u);
#endif
