// UOp: interning (hash-consing), constructors, and the toposort cache
#include "uop/uop.h"
#include "uop/uop_internal.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

UopPool uop_pool_;
static uint64_t next_id = 1;

// ---- hashing and equality ----
static uint64_t arg_hash(const Arg *a) {
  uint64_t h = hash_mix(a->kind + 1);
  switch (a->kind) {
  case ARG_INT: h = hash_combine(h, (uint64_t)a->i); break;
  case ARG_FLOAT: { uint64_t bits; memcpy(&bits, &a->f, 8); h = hash_combine(h, bits); break; }
  case ARG_PTR: h = hash_combine(h, (uint64_t)(uintptr_t)a->ptr); break;
  default: break;
  }
  if (a->kind == ARG_TUPLE || a->kind == ARG_VAR)
    for (uint32_t i = 0; i < a->n; i++) h = hash_combine(h, (uint64_t)a->tup[i]);
  if (a->kind == ARG_STR || a->kind == ARG_VAR)
    for (const char *s = a->str; *s; s++) h = hash_combine(h, (uint8_t)*s);
  return h;
}

bool arg_eq(const Arg *a, const Arg *b) {
  if (a->kind != b->kind || a->n != b->n) return false;
  switch (a->kind) {
  case ARG_NONE: return true;
  case ARG_INT: return a->i == b->i;
  case ARG_FLOAT: return memcmp(&a->f, &b->f, 8) == 0;
  case ARG_PTR: return a->ptr == b->ptr;
  case ARG_TUPLE: return memcmp(a->tup, b->tup, a->n * 8) == 0;
  case ARG_STR: return strcmp(a->str, b->str) == 0;
  case ARG_VAR: return memcmp(a->tup, b->tup, a->n * 8) == 0 && strcmp(a->str, b->str) == 0;
  }
  return false;
}

static uint64_t dtype_hash(DType d) {
  return hash_combine(hash_combine((uint64_t)d.scalar | (uint64_t)d.addr << 8 | (uint64_t)d.count << 16 |
                                   (uint64_t)d.vcount << 32, (uint64_t)d.size), 0x51);
}

static uint64_t node_hash(Op op, DType dt, UOp *const *src, int nsrc, const Arg *arg) {
  uint64_t h = hash_combine(hash_mix((uint64_t)op + 0x100), dtype_hash(dt));
  h = hash_combine(h, arg_hash(arg));
  for (int i = 0; i < nsrc; i++) h = hash_combine(h, src[i]->hash);
  return h ? h : 1;
}

static bool node_eq(const UOp *u, uint64_t h, Op op, DType dt, UOp *const *src, int nsrc, const Arg *arg) {
  if (u->hash != h || u->op != op || (int)u->nsrc != nsrc || !dt_eq(u->dtype, dt)) return false;
  for (int i = 0; i < nsrc; i++) if (u->src[i] != src[i]) return false;
  return arg_eq(&u->arg, arg);
}

// ---- the intern table: open addressing over UOp pointers, load <= 1/2 ----
void pool_insert_(UOp *u) {
  size_t mask = uop_pool_.cap - 1, i = u->hash & mask;
  while (uop_pool_.table[i]) i = (i + 1) & mask;
  uop_pool_.table[i] = u;
}

static void pool_grow(void) {
  UOp **old = uop_pool_.table;
  size_t oldcap = uop_pool_.cap;
  uop_pool_.cap = oldcap ? oldcap * 2 : 1 << 12;
  uop_pool_.table = calloc(uop_pool_.cap, sizeof(UOp *));
  TG_ASSERT(uop_pool_.table, "out of memory: intern table of %zu slots", uop_pool_.cap);
  for (size_t i = 0; i < oldcap; i++) if (old[i]) pool_insert_(old[i]);
  free(old);
}

static size_t arg_extra_bytes(const Arg *a) {
  size_t n = 0;
  if (a->kind == ARG_TUPLE || a->kind == ARG_VAR) n += a->n * 8;
  if (a->kind == ARG_STR || a->kind == ARG_VAR) n += strlen(a->str) + 1;
  return n;
}

static UOp *node_alloc(uint64_t h, Op op, DType dt, UOp *const *src, int nsrc, const Arg *arg) {
  size_t base = sizeof(UOp) + (size_t)nsrc * sizeof(UOp *), bytes = base + arg_extra_bytes(arg);
  UOp *u = malloc(bytes);
  TG_ASSERT(u, "out of memory allocating a UOp");
  memset(u, 0, sizeof(UOp));
  u->op = (uint8_t)op; u->nsrc = (uint32_t)nsrc; u->dtype = dt; u->hash = h; u->id = next_id++;
  if (nsrc) memcpy(u->src, src, (size_t)nsrc * sizeof(UOp *));     // src is NULL for leaves: memcpy(dst, NULL, 0) is UB
  u->arg = *arg;
  char *extra = (char *)u + base;
  if (arg->kind == ARG_TUPLE || arg->kind == ARG_VAR) {
    if (arg->n) memcpy(extra, arg->tup, arg->n * 8);
    u->arg.tup = (const int64_t *)extra;
    extra += arg->n * 8;
  }
  if (arg->kind == ARG_STR || arg->kind == ARG_VAR) { strcpy(extra, arg->str); u->arg.str = extra; }
  uop_pool_.live_bytes += bytes;
  return u;
}

UOp *uop_new(Op op, DType dt, UOp *const *src, int nsrc, Arg arg) {
  TG_ASSERT(op >= 0 && op < OP_COUNT_ && nsrc >= 0, "uop_new: bad op %d or nsrc %d", (int)op, nsrc);
  for (int i = 0; i < nsrc; i++) TG_ASSERT(src[i] != NULL, "uop_new(%s): source %d is NULL", op_name(op), i);
  if (arg.kind == ARG_NONE) arg = arg_none();   // normalise the unused fields
  if ((uop_pool_.count + 1) * 2 > uop_pool_.cap) pool_grow();
  uint64_t h = node_hash(op, dt, src, nsrc, &arg);
  size_t mask = uop_pool_.cap - 1, i = h & mask;
  for (UOp *u; (u = uop_pool_.table[i]); i = (i + 1) & mask)
    if (node_eq(u, h, op, dt, src, nsrc, &arg)) return u;
  UOp *u = node_alloc(h, op, dt, src, nsrc, &arg);
  uop_compute_range_(u);
  uop_pool_.table[i] = u;
  uop_pool_.count++;
  return u;
}

UOp *uop0(Op op, DType dt, Arg arg) { return uop_new(op, dt, NULL, 0, arg); }
UOp *uop1(Op op, DType dt, UOp *a, Arg arg) { return uop_new(op, dt, &a, 1, arg); }
UOp *uop2(Op op, DType dt, UOp *a, UOp *b, Arg arg) { return uop_new(op, dt, (UOp *[]){ a, b }, 2, arg); }
UOp *uop3(Op op, DType dt, UOp *a, UOp *b, UOp *c, Arg arg) { return uop_new(op, dt, (UOp *[]){ a, b, c }, 3, arg); }
UOp *uop_with_src(UOp *u, UOp *const *src, int nsrc) { return uop_new((Op)u->op, u->dtype, src, nsrc, u->arg); }
UOp *uop_with_dtype(UOp *u, DType dt) { return uop_new((Op)u->op, dt, u->src, (int)u->nsrc, u->arg); }

// ---- constants ----
UOp *uop_const_int(DType dt, int64_t v) {
  ScalarType s = (ScalarType)dt.scalar;
  if (st_is_float(s)) return uop0(OP_CONST, dt, arg_float(st_round_float(s, (double)v)));
  return uop0(OP_CONST, dt, arg_int(st_wrap_int(s, v)));
}

UOp *uop_const(DType dt, double v) {
  ScalarType s = (ScalarType)dt.scalar;
  if (st_is_float(s)) return uop0(OP_CONST, dt, arg_float(st_round_float(s, v)));
  if (s == DT_BOOL) return uop0(OP_CONST, dt, arg_int(v != 0));
  TG_ASSERT(!isnan(v) && fabs(v) < 9.3e18, "uop_const: %g does not fit %s", v, st_name(s));
  return uop_const_int(dt, (int64_t)v);
}

UOp *uop_const_like(UOp *like, double v) { DType d = like->dtype; return uop_const(dt_deref(d), v); }
UOp *uop_iconst(int64_t v) { return uop_const_int(DT_INDEX_T, v); }

double uop_const_value(UOp *c) {
  TG_ASSERT(c->op == OP_CONST, "uop_const_value on %s", op_name((Op)c->op));
  return c->arg.kind == ARG_FLOAT ? c->arg.f : (double)c->arg.i;
}

bool uop_is_const(UOp *u, double v) { return u->op == OP_CONST && uop_const_value(u) == v; }

// ---- ALU builders ----
UOp *uop_alu(Op op, UOp *a, UOp *b) {
  bool shift = op == OP_SHL || op == OP_SHR;
  TG_ASSERT(shift || dt_eq(a->dtype, b->dtype), "uop_alu(%s): operand dtypes differ (%s %s)", op_name(op),
            st_name((ScalarType)a->dtype.scalar), st_name((ScalarType)b->dtype.scalar));
  DType dt = op_is_comparison(op) ? dt_vec(DT_BOOL_T, a->dtype.count) : a->dtype;
  if (op == OP_SUB && !st_is_float((ScalarType)a->dtype.scalar))     // symbolic form: a + b*-1
    return uop_alu(OP_ADD, a, uop_mul_i(b, -1));
  return uop2(op, dt, a, b, arg_none());
}

UOp *uop_alu1(Op op, UOp *a) { return uop1(op, a->dtype, a, arg_none()); }
UOp *uop_where(UOp *c, UOp *t, UOp *f) {
  TG_ASSERT(dt_eq(t->dtype, f->dtype), "uop_where: branch dtypes differ");
  return uop3(OP_WHERE, t->dtype, c, t, f, arg_none());
}
UOp *uop_cast(UOp *a, DType dt) { return dt_eq(a->dtype, dt) ? a : uop1(OP_CAST, dt, a, arg_none()); }
UOp *uop_add_i(UOp *a, int64_t c) { return uop_alu(OP_ADD, a, uop_const_int(dt_deref(a->dtype), c)); }
UOp *uop_mul_i(UOp *a, int64_t c) { return uop_alu(OP_MUL, a, uop_const_int(dt_deref(a->dtype), c)); }
UOp *uop_neg(UOp *a) {
  ScalarType s = (ScalarType)a->dtype.scalar;
  return st_is_float(s) ? uop_alu1(OP_NEG, a) : s == DT_BOOL ? uop_alu(OP_XOR, a, uop_const(a->dtype, 1)) : uop_mul_i(a, -1);
}

UOp *uop_var(const char *name, int64_t vmin, int64_t vmax) {
  TG_ASSERT(vmin <= vmax, "uop_var(%s): empty range [%lld, %lld]", name, (long long)vmin, (long long)vmax);
  int64_t b[2] = { vmin, vmax };
  return uop0(OP_DEFINE_VAR, DT_INDEX_T, (Arg){ .kind = ARG_VAR, .n = 2, .tup = b, .str = name });
}

const char *uop_var_name(const UOp *u) { return u->arg.kind == ARG_VAR || u->arg.kind == ARG_STR ? u->arg.str : "?"; }

// ---- toposort (cached per root until the next collection) ----
const UOpList *uop_toposort(UOp *root) {
  UOpList *cached = HMAP_PTR(&uop_pool_.topo_cache, root);
  if (cached) return cached;
  HMap seen = { 0 };
  VEC(UOp *) out = { 0 };
  VEC(struct { UOp *u; uint32_t next; }) stack = { 0 };
  vec_push(&stack, ((__typeof__(*stack.data)){ root, 0 }));
  HMAP_PUT_PTR(&seen, root, 1);
  while (stack.len) {
    __typeof__(*stack.data) *top = &vec_last(&stack);
    if (top->next < top->u->nsrc) {
      UOp *s = top->u->src[top->next++];
      if (hmap_get(&seen, (uint64_t)(uintptr_t)s, NULL)) continue;
      HMAP_PUT_PTR(&seen, s, 1);
      vec_push(&stack, ((__typeof__(*stack.data)){ s, 0 }));
    } else {
      vec_push(&out, top->u);
      stack.len--;
    }
  }
  hmap_free(&seen);
  vec_free(&stack);
  UOpList *l = malloc(sizeof *l);
  TG_ASSERT(l, "out of memory");
  l->items = out.data; l->n = out.len;
  HMAP_PUT_PTR(&uop_pool_.topo_cache, root, l);
  return l;
}

void uop_count_users(const UOpList *topo, HMap *count) {
  for (int64_t i = 0; i < topo->n; i++)
    for (uint32_t k = 0; k < topo->items[i]->nsrc; k++) {
      uint64_t key = (uint64_t)(uintptr_t)topo->items[i]->src[k];
      hmap_put(count, key, hmap_get_or(count, key, 0) + 1);
    }
}

bool uop_reaches(UOp *root, const UOp *target) {
  const UOpList *t = uop_toposort(root);
  for (int64_t i = 0; i < t->n; i++) if (t->items[i] == target) return true;
  return false;
}
