// GROUP lowering: a REDUCE over group (thread) ranges becomes per-thread parts in shared memory, a barrier, a final reduce
#include "codegen/opt/opt_internal.h"
#include "uop/symbolic.h"
#include "base/error.h"
#include "base/vec.h"

enum { MAX_SIBLINGS = 256, MAX_RANGES = 16 };

static bool is_group(const UOp *u) { return u->op == OP_RANGE && axis_kind(u) == AXIS_GROUP; }

static bool grouped(const UOp *red) {
  if (red->op != OP_REDUCE) return false;
  for (uint32_t k = 1; k < red->nsrc; k++) if (is_group(red->src[k])) return true;
  return false;
}

static bool same_ranges(const UOp *a, const UOp *b) {
  if (a->nsrc != b->nsrc) return false;
  for (uint32_t k = 1; k < a->nsrc; k++) if (a->src[k] != b->src[k]) return false;
  return true;
}

// r0 * n1 * n2 ... + r1 * n2 ... + r_last: a distinct slot per combination of the ranges' values
static UOp *flat_index(UOp *const *rs, int n) {
  UOp *idx = uop_iconst(0);
  for (int k = 0; k < n; k++) idx = uop_add(uop_mul_i(idx, rs[k]->src[0]->arg.i), rs[k]);
  return sym_simplify(idx);
}

static int64_t next_id(const UOpList *t, Op op, bool range_id) {
  int64_t id = 0;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op != op) continue;
    int64_t v = range_id ? u->arg.tup[0] : u->arg.i;
    if (v >= id) id = v + 1;
  }
  return id;
}

// The thread ranges a part depends on besides the group ranges: threads that differ only in other ranges hold
// the same part, so they share its slot. Ordered by id, so equal kernels lower alike.
static int other_threads(UOp *part, UOp *const *grp, int ng, UOp **out) {
  const UOpList *t = uop_toposort(part);
  int n = 0;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    bool mine = false;
    for (int k = 0; k < ng; k++) mine |= u == grp[k];
    if (!axis_is_thread(u) || mine) continue;
    TG_ASSERT(n < MAX_RANGES, "GROUP lowering: more than %d thread ranges", MAX_RANGES);
    int at = n++;
    for (; at > 0 && out[at - 1]->arg.tup[0] > u->arg.tup[0]; at--) out[at] = out[at - 1];
    out[at] = u;
  }
  return n;
}

static int smem_itemsize(ScalarType s) { return s == DT_FLOAT16 || s == DT_BFLOAT16 ? 4 : st_itemsize(s); }   // computed as float

typedef struct { UOp *smem, *read_idx; } Part;

// One part's slot in a new DEFINE_LOCAL (arg *nloc): the STORE of it, and where the final reduce reads.
static UOp *store_part(UOp *red, UOp *part, UOp *const *grp, UOp *const *fin, int ng, int64_t *nloc, int64_t *bytes, Part *out) {
  UOp *w[2 * MAX_RANGES], *rd[2 * MAX_RANGES];
  int nl = other_threads(part, grp, ng, w);
  int64_t size = 1;
  for (int k = 0; k < nl; k++) { rd[k] = w[k]; size *= w[k]->src[0]->arg.i; }
  for (int k = 0; k < ng; k++) { w[nl + k] = grp[k]; rd[nl + k] = fin[k]; size *= grp[k]->src[0]->arg.i; }
  ScalarType s = (ScalarType)red->dtype.scalar;
  out->smem = uop0(OP_DEFINE_LOCAL, dt_ptr(dt_scalar(s), ADDR_LOCAL, size), arg_int((*nloc)++));
  out->read_idx = flat_index(rd, nl + ng);
  *bytes += size * smem_itemsize(s);
  UOp *ix = uop2(OP_INDEX, out->smem->dtype, out->smem, flat_index(w, nl + ng), arg_none());
  return uop2(OP_STORE, DT_VOID_T, ix, part, arg_none());
}

/* Lowers `first` and its siblings (the reduces over the same ranges: UPCAST copies), sharing the barriers and the
 * final reduce's loops:
 *   part_i = REDUCE(src_i, the other ranges)            this thread's part (src_i itself when none are left)
 *   STORE(smem_i[threads...], part_i) ...; b = BARRIER(the stores)
 *   fin_i = REDUCE(LOAD(smem_i[threads..., g'...], b), g'...)   g': new reduce ranges over the group's sizes
 *   b2 = BARRIER(fin...); each reduce -> AFTER(fin_i, b2)  (no thread overwrites smem, e.g. in the grid-stride
 *                                                            loop's next block, before every thread has read it) */
static UOp *lower_siblings(UOp *ast, UOp *first, int64_t *bytes) {
  const UOpList *t = uop_toposort(ast);
  UOp *reds[MAX_SIBLINGS], *grp[MAX_RANGES], *keep[MAX_RANGES], *fin[MAX_RANGES];
  int nred = 0, ng = 0, nk = 0;
  for (int64_t i = 0; i < t->n && nred < MAX_SIBLINGS; i++)
    if (t->items[i]->op == OP_REDUCE && same_ranges(t->items[i], first)) reds[nred++] = t->items[i];
  int64_t id = next_id(t, OP_RANGE, true), nloc = next_id(t, OP_DEFINE_LOCAL, false);
  for (uint32_t k = 1; k < first->nsrc; k++) {
    UOp *r = first->src[k];
    TG_ASSERT(ng < MAX_RANGES && nk < MAX_RANGES, "GROUP lowering: a reduce over more than %d ranges", MAX_RANGES);
    if (!is_group(r)) { keep[nk++] = r; continue; }
    grp[ng] = r;
    fin[ng++] = uop1(OP_RANGE, r->dtype, r->src[0], arg_tuple((int64_t[]){ id++, AXIS_REDUCE }, 2));
  }
  UOp *stores[MAX_SIBLINGS], *fins[MAX_SIBLINGS], *after[MAX_SIBLINGS];
  Part parts[MAX_SIBLINGS];
  for (int i = 0; i < nred; i++) {
    UOp *src[MAX_RANGES + 1] = { reds[i]->src[0] };
    for (int k = 0; k < nk; k++) src[k + 1] = keep[k];
    UOp *part = nk ? uop_new(OP_REDUCE, reds[i]->dtype, src, nk + 1, reds[i]->arg) : reds[i]->src[0];
    stores[i] = store_part(reds[i], part, grp, fin, ng, &nloc, bytes, &parts[i]);
  }
  UOp *bar = uop_new(OP_BARRIER, DT_VOID_T, stores, nred, arg_none());
  for (int i = 0; i < nred; i++) {
    UOp *ix = uop2(OP_INDEX, parts[i].smem->dtype, parts[i].smem, parts[i].read_idx, arg_none());
    UOp *src[MAX_RANGES + 1] = { uop2(OP_LOAD, reds[i]->dtype, ix, bar, arg_none()) };
    for (int k = 0; k < ng; k++) src[k + 1] = fin[k];
    fins[i] = uop_new(OP_REDUCE, reds[i]->dtype, src, ng + 1, reds[i]->arg);
  }
  UOp *bar2 = uop_new(OP_BARRIER, DT_VOID_T, fins, nred, arg_none());
  for (int i = 0; i < nred; i++) after[i] = uop2(OP_AFTER, fins[i]->dtype, fins[i], bar2, arg_none());
  return sym_substitute(ast, reds, after, nred);
}

UOp *opt_lower_groups(UOp *ast, int64_t *smem_bytes) {
  int64_t bytes = 0;
  for (;;) {
    const UOpList *t = uop_toposort(ast);
    UOp *first = NULL;
    for (int64_t i = 0; i < t->n && !first; i++) if (grouped(t->items[i])) first = t->items[i];   // inner reduces first
    if (!first) break;
    ast = lower_siblings(ast, first, &bytes);
  }
  if (smem_bytes) *smem_bytes = bytes;
  return ast;
}
