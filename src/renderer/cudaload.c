// Grouping consecutive scalar loads into 16-byte loads for the CUDA dialect (see cudaload.h)
#include "renderer/cudaload.h"
#include "uop/symbolic.h"
#include "uop/dtype.h"
#include <stdlib.h>

typedef struct { UOp *buf, *base; int64_t off; int block; } LoadKey;

// A LOAD the grouping may take: buf[base + off] with no gate, 4-byte elements, base a multiple of 4
static bool groupable(UOp *u, LoadKey *k) {
  if (u->op != OP_LOAD || u->dtype.count != 1 || (u->nsrc >= 2 && u->src[1]->dtype.scalar != DT_VOID)) return false;
  UOp *ix = u->src[0];
  if (ix->op != OP_INDEX || ix->nsrc != 2 || ix->src[0]->op != OP_DEFINE_GLOBAL) return false;
  ScalarType t = (ScalarType)ix->src[0]->dtype.scalar;
  if (t != DT_FLOAT32 && t != DT_INT32 && t != DT_UINT32) return false;
  UOp *idx = ix->src[1];
  k->buf = ix->src[0];
  k->base = idx;
  k->off = 0;
  if (idx->op == OP_ADD && idx->src[1]->op == OP_CONST) { k->base = idx->src[0]; k->off = idx->src[1]->arg.i; }
  else if (idx->op == OP_CONST) { k->base = NULL; k->off = idx->arg.i; }
  if (k->base && sym_const_factor(k->base) % 4 != 0) return false;
  return true;
}

static bool breaks_stretch(const UOp *u) {
  return u->op == OP_RANGE || u->op == OP_END || u->op == OP_IF || u->op == OP_ENDIF || u->op == OP_STORE ||
         u->op == OP_BARRIER;
}

static int64_t floor4(int64_t x) { return x >= 0 ? x / 4 * 4 : -((-x + 3) / 4 * 4); }

int cuda_load_groups(const Program *p, int *lead, int *lane) {
  int n = p->nlin, groups = 0, block = 0;
  LoadKey *keys = calloc((size_t)n, sizeof *keys);
  bool *ok = calloc((size_t)n, sizeof *ok);
  for (int i = 0; i < n; i++) {
    lead[i] = -1;
    lane[i] = 0;
    if (breaks_stretch(p->lin[i])) block++;
    ok[i] = groupable(p->lin[i], &keys[i]);
    keys[i].block = block;
  }
  // quadratic in the loads of one stretch, which an unrolled body keeps to a few hundred
  for (int i = 0; i < n; i++) {
    if (!ok[i] || lead[i] >= 0) continue;
    int64_t start = floor4(keys[i].off);
    int member[4] = { -1, -1, -1, -1 }, found = 0;
    for (int j = i; j < n && keys[j].block == keys[i].block; j++) {
      if (!ok[j] || lead[j] >= 0 || keys[j].buf != keys[i].buf || keys[j].base != keys[i].base) continue;
      int64_t l = keys[j].off - start;
      if (l < 0 || l > 3 || member[l] >= 0) continue;
      member[l] = j;
      found++;
    }
    if (found < 4) continue;
    for (int l = 0; l < 4; l++) { lead[member[l]] = i; lane[member[l]] = l; }
    groups++;
  }
  free(keys);
  free(ok);
  return groups;
}
