// Linearize: place every node in the innermost loop it depends on, lower REDUCEs to accumulators
#include "codegen/linearize.h"
#include "uop/nest.h"
#include "uop/axis.h"
#include "codegen/wmma.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef VEC(UOp *) UOpVec;
typedef struct Lin {
  Nest nest;
  HMap newof;                            // AST node -> emitted node
  UOpVec body, defs, consts;             // defs: DEFINE_GLOBAL/VAR/REG, then consts, hoisted to the top
  HMap emitted;
  HMap groups;                           // first RANGE -> the REDUCEs over exactly those ranges
  UOpVec bucket[NEST_MAX_RANGES + 1];    // nodes placed in each scope (index 0 = root), topo order
  int chain_next[NEST_MAX_RANGES];       // the next loop of the same chain (output or one reduce)
  int first_output;
  int nregs;
  HMap terms;                            // REDUCE -> UOpVec* of the terms its accumulate adds one by one
  HMap folded;                           // the chain nodes those terms replace (never emitted)
} Lin;

static UOpVec *bucket_of(Lin *L, int scope) { return &L->bucket[scope + 1]; }
static UOp *newof(Lin *L, UOp *u) {
  UOp *n = HMAP_PTR(&L->newof, u);
  TG_ASSERT(n, "linearize: %s used before it was emitted", op_name((Op)u->op));
  return n;
}
static void put(Lin *L, UOp *old, UOp *n) { HMAP_PUT_PTR(&L->newof, old, n); }
static bool is_def(Op op) { return op == OP_DEFINE_GLOBAL || op == OP_DEFINE_VAR || op == OP_DEFINE_REG || op == OP_DEFINE_LOCAL; }
// Appends n; constants made during lowering (identities, offsets) go to the top the first time.
static void append(Lin *L, UOp *n) {
  for (uint32_t i = 0; i < n->nsrc; i++)
    if (n->src[i]->op == OP_CONST && !hmap_get(&L->emitted, (uint64_t)(uintptr_t)n->src[i], NULL)) {
      HMAP_PUT_PTR(&L->emitted, n->src[i], 1);
      vec_push(&L->consts, n->src[i]);
    }
  if (hmap_get(&L->emitted, (uint64_t)(uintptr_t)n, NULL)) {
    TG_ASSERT(n->op == OP_CONST, "linearize: %s emitted twice", op_name((Op)n->op));
    return;
  }
  HMAP_PUT_PTR(&L->emitted, n, 1);
  if (n->op == OP_CONST) vec_push(&L->consts, n);
  else if (is_def((Op)n->op)) vec_push(&L->defs, n);
  else vec_push(&L->body, n);
}

static UOp *rebuilt(Lin *L, UOp *u) {
  UOp *src[u->nsrc ? u->nsrc : 1];
  for (uint32_t i = 0; i < u->nsrc; i++) src[i] = newof(L, u->src[i]);
  return uop_with_src(u, src, (int)u->nsrc);
}

static UOp *identity(Op op, DType dt) {
  ScalarType s = (ScalarType)dt.scalar;
  if (op == OP_ADD) return uop_const(dt, 0);
  if (op == OP_MUL) return uop_const(dt, 1);
  TG_ASSERT(op == OP_MAX, "reduce op %s has no identity", op_name(op));
  return st_is_float(s) ? uop_const(dt, -INFINITY) : uop_const_int(dt, s == DT_BOOL ? 0 : st_min(s));
}

static void emit_loop(Lin *L, int r);
static void emit_node(Lin *L, UOp *u);

typedef struct Acc { UOp *ptr, *init; Op op; } Acc;
static HMap accs;   // REDUCE -> Acc* while it is being emitted

// Reduces over the same ranges (e.g. the copies an UPCAST makes) share one loop nest.
static UOpVec *group_of(Lin *L, UOp *red) { return HMAP_PTR(&L->groups, red->src[1]); }

// Before a group's loops open: the nodes of the group's own scope that any member's body needs.
// (A later member's body may use nodes that come after the first member in toposort.)
static void emit_group_deps(Lin *L, UOpVec *g, int scope) {
  HMap seen = { 0 };
  UOpVec stack = { 0 }, found = { 0 };
  for (int64_t i = 0; i < g->len; i++) vec_push(&stack, g->data[i]->src[0]);
  while (stack.len) {
    UOp *u = vec_pop(&stack);
    if (HMAP_PTR(&L->newof, u) || hmap_get(&seen, (uint64_t)(uintptr_t)u, NULL) || u->op == OP_RANGE) continue;
    HMAP_PUT_PTR(&seen, u, 1);
    if (nest_place(&L->nest, u) == scope && u->op != OP_REDUCE) vec_push(&found, u);
    for (uint32_t k = 0; k < u->nsrc; k++) vec_push(&stack, u->src[k]);
  }
  // in toposort order, which the bucket of the scope already is
  UOpVec *b = bucket_of(L, scope);
  for (int64_t i = 0; i < b->len; i++)
    if (hmap_get(&seen, (uint64_t)(uintptr_t)b->data[i], NULL) && !HMAP_PTR(&L->newof, b->data[i])) {
      for (int64_t j = 0; j < found.len; j++) if (found.data[j] == b->data[i]) { emit_node(L, b->data[i]); break; }
    }
  hmap_free(&seen); vec_free(&stack); vec_free(&found);
}

static void emit_reduce(Lin *L, UOp *first) {
  if (HMAP_PTR(&L->newof, first)) return;                 // emitted with its group
  UOpVec *g = group_of(L, first);
  if (g->len > 1) emit_group_deps(L, g, nest_place(&L->nest, first));
  for (int64_t i = 0; i < g->len; i++) {
    UOp *red = g->data[i];
    TG_ASSERT(nest_place(&L->nest, red) == nest_place(&L->nest, first), "linearize: reduces sharing ranges are placed apart");
    Op op = (Op)red->arg.i;
    UOp *reg = uop0(OP_DEFINE_REG, dt_ptr(red->dtype, ADDR_REG, 1), arg_int(L->nregs++));
    append(L, reg);
    Acc *a = malloc(sizeof *a);
    TG_ASSERT(a, "out of memory");
    a->ptr = uop2(OP_INDEX, reg->dtype, reg, uop_iconst(0), arg_none());
    a->init = uop2(OP_STORE, DT_VOID_T, a->ptr, identity(op, red->dtype), arg_none());
    a->op = op;
    append(L, a->ptr);
    append(L, a->init);
    HMAP_PUT_PTR(&accs, red, a);
  }
  emit_loop(L, nest_range_index(&L->nest, first->src[1]));
  UOp *after = uop1(OP_END, DT_VOID_T, newof(L, first->src[1]), arg_none());   // the outer loop's END
  for (int64_t i = 0; i < g->len; i++) {
    UOp *red = g->data[i];
    Acc *a = HMAP_PTR(&accs, red);
    UOp *val = uop2(OP_LOAD, red->dtype, a->ptr, after, arg_none());
    append(L, val);
    put(L, red, val);
    hmap_del(&accs, (uint64_t)(uintptr_t)red);
    free(a);
  }
}

// the accumulate step at the end of the reduces' innermost loop
static bool lazy_scope(Lin *L, int scope) {   // emit_accumulate emits this loop's nodes (see there)
  if (scope == NEST_ROOT || !L->nest.owner[scope] || L->chain_next[scope] >= 0) return false;
  for (int i = 0; i < L->nest.nranges; i++) if (L->nest.parent[i] == scope) return false;   // an inner loop needs them first
  return true;
}

// Emits u after whatever it needs from this scope that is not emitted yet (sources first).
static void emit_tree(Lin *L, UOp *u, int scope) {
  if (u->op == OP_RANGE || u->op == OP_SINK || HMAP_PTR(&L->newof, u) || HMAP_PTR(&L->folded, u)) return;
  if (nest_place(&L->nest, u) != scope) return;
  if (u->op != OP_REDUCE)
    for (uint32_t k = 0; k < u->nsrc; k++) emit_tree(L, u->src[k], scope);
  emit_node(L, u);
}

// The accumulate step at the end of the group's innermost loop. The loop's own nodes are emitted here, term
// by term across the group (every accumulator's term 0, then term 1 ...), each right before its use: the
// C compiler allocates registers in about this order, so a register tile keeps only one step's loads live.
// Past these (an UNROLL over 32 steps, a tile of over 64 instructions) the sums stay as they are: an mma with C = 0
// and adds (the same sums, rounded once more; slower).
enum { MAX_WMMA_STEPS = 32, MAX_WMMA_SETS = 64 };

// The leaves of an ADD tree, left to right (at most max; -1 when there are more).
static int add_leaves(UOp *u, UOp **out, int n, int max) {
  if (n < 0) return n;
  if (u->op == OP_ADD) return add_leaves(u->src[1], out, add_leaves(u->src[0], out, n, max), max);
  if (n == max) return -1;
  out[n] = u;
  return n + 1;
}

// A sum whose term is a WMMA with C = 0 (the TC opt's form), or an UNROLL's sum of such: the WMMAs in order (their
// count; 0 when the term is not of this form).
static int wmma_steps(Lin *L, UOp *red, UOp **steps) {
  if ((Op)red->arg.i != OP_ADD || HMAP_PTR(&L->terms, red)) return 0;
  int n = add_leaves(red->src[0], steps, 0, MAX_WMMA_STEPS);
  for (int i = 0; i < n; i++) {
    UOp *w = steps[i];
    if (w->op != OP_WMMA || wmma_component(w) != wmma_component(steps[0])) return 0;
    for (int k = WMMA_NA + WMMA_NB; k < WMMA_SRCS; k++)
      if (w->src[k]->op != OP_CONST || uop_const_value(w->src[k]) != 0) return 0;
  }
  return n > 0 ? n : 0;
}

// Marks an ADD tree's nodes emitted (as v): a folded sum's adds are never emitted.
static void skip_adds(Lin *L, UOp *u, UOp *v) {
  if (u->op != OP_ADD) return;
  put(L, u, v);
  skip_adds(L, u->src[0], v);
  skip_adds(L, u->src[1], v);
}

// Members i and j take the same instructions in the same order (any components).
static bool same_steps(UOp *const *a, UOp *const *b, int n) {
  for (int s = 0; s < n; s++) if (!wmma_same(a[s], b[s])) return false;
  return true;
}

/* The four sums of one tensor-core instruction (its components as terms, C = 0; or sums of such instructions) take the
 * instructions into their accumulators: D = A @ B + acc, one mma a step instead of an mma and four adds. Emitted step by
 * step across the instruction sets (a register tile's independent mmas next to each other, not one set's dependent
 * chain). Marks those members done. */
typedef struct { int64_t of[WMMA_NC]; int n; } WmmaSet;

static int wmma_sets(Lin *L, UOpVec *g, bool *done, WmmaSet *sets, int max) {
  int ns = 0;
  for (int64_t i = 0; i < g->len && ns < max; i++) {
    UOp *mine[MAX_WMMA_STEPS], *theirs[MAX_WMMA_STEPS];
    int n = done[i] ? 0 : wmma_steps(L, g->data[i], mine);
    if (!n) continue;
    WmmaSet *set = &sets[ns];
    int found = 0;
    for (int c = 0; c < WMMA_NC; c++) {
      set->of[c] = -1;
      for (int64_t j = 0; j < g->len && set->of[c] < 0; j++)
        if (!done[j] && wmma_steps(L, g->data[j], theirs) == n && wmma_component(theirs[0]) == c && same_steps(mine, theirs, n)) set->of[c] = j;
      found += set->of[c] >= 0;
    }
    if (found < WMMA_NC) continue;
    set->n = n;
    for (int c = 0; c < WMMA_NC; c++) done[set->of[c]] = true;
    ns++;
  }
  return ns;
}

static void fold_wmma(Lin *L, UOpVec *g, UOp **cur, bool *done, int scope) {
  WmmaSet sets[MAX_WMMA_SETS];
  int ns = wmma_sets(L, g, done, sets, MAX_WMMA_SETS), most = 0;
  for (int i = 0; i < ns; i++) most = sets[i].n > most ? sets[i].n : most;
  for (int s = 0; s < most; s++)
    for (int i = 0; i < ns; i++) {
      if (s >= sets[i].n) continue;
      UOp *steps[WMMA_NC][MAX_WMMA_STEPS], *src[WMMA_SRCS];
      for (int c = 0; c < WMMA_NC; c++) wmma_steps(L, g->data[sets[i].of[c]], steps[c]);
      UOp *w = steps[0][s];
      for (int k = 0; k < WMMA_NA + WMMA_NB; k++) { emit_tree(L, w->src[k], scope); src[k] = newof(L, w->src[k]); }
      for (int c = 0; c < WMMA_NC; c++) src[WMMA_NA + WMMA_NB + c] = cur[sets[i].of[c]];
      for (int c = 0; c < WMMA_NC; c++) {
        UOp *fused = wmma_node(src, wmma_in_type(w), c, wmma_flags(w));
        append(L, fused);
        put(L, steps[c][s], fused);               // the unfused instruction is never emitted
        cur[sets[i].of[c]] = fused;
      }
    }
  for (int i = 0; i < ns; i++)
    for (int c = 0; c < WMMA_NC; c++) skip_adds(L, g->data[sets[i].of[c]]->src[0], cur[sets[i].of[c]]);
}

static void emit_accumulate(Lin *L, UOp *owner, int scope) {
  UOpVec *g = group_of(L, owner);
  UOp *cur[g->len];
  bool done[g->len];
  int64_t most = 1;
  for (int64_t i = 0; i < g->len; i++) {
    Acc *a = HMAP_PTR(&accs, g->data[i]);
    cur[i] = uop2(OP_LOAD, g->data[i]->dtype, a->ptr, a->init, arg_none());
    append(L, cur[i]);
    UOpVec *t = HMAP_PTR(&L->terms, g->data[i]);
    if (t && t->len > most) most = t->len;
    done[i] = false;
  }
  fold_wmma(L, g, cur, done, scope);
  for (int64_t k = 0; k < most; k++)
    for (int64_t i = 0; i < g->len; i++) {
      UOp *red = g->data[i];
      if (done[i]) continue;
      UOpVec *t = HMAP_PTR(&L->terms, red);
      if (k >= (t ? t->len : 1)) continue;
      UOp *term = t ? t->data[k] : red->src[0];
      emit_tree(L, term, scope);
      cur[i] = uop2(((Acc *)HMAP_PTR(&accs, red))->op, red->dtype, cur[i], newof(L, term), arg_none());
      append(L, cur[i]);
    }
  for (int64_t i = 0; i < g->len; i++) append(L, uop2(OP_STORE, DT_VOID_T, ((Acc *)HMAP_PTR(&accs, g->data[i]))->ptr, cur[i], arg_none()));
  UOpVec *b = bucket_of(L, scope);          // anything of this loop no term needed
  for (int64_t i = 0; i < b->len; i++) emit_node(L, b->data[i]);
}


// An unrolled reduce sums its k terms before adding them to the accumulator: a chain of k dependent ops
// plus temporaries per accumulator. Adding each term straight into the accumulator instead makes every
// step one fused multiply-add into a register. Only chain nodes nothing else uses are folded.
static void fold_reduce_chains(Lin *L) {
  HMap users = { 0 };
  uop_count_users(L->nest.topo, &users);
  for (int64_t i = 0; i < L->nest.topo->n; i++) {
    UOp *red = L->nest.topo->items[i];
    // vector accumulators only: GCC 12 -O2 miscompiles its own vectorization of a scalar loop whose
    // accumulator takes two adds per trip (acc = acc + a + b over a 3-trip loop summed 6 ones to 9). On a GPU
    // folding scalar chains measured slower (the H100's 4096 fp32 matmul, 32-bit indices: 25.7 -> 13.6 TFLOP/s):
    // the unrolled sum's independent products give nvcc more to schedule between loads.
    if (red->op != OP_REDUCE || red->dtype.count == 1) continue;
    Op op = (Op)red->arg.i;
    UOpVec rev = { 0 };
    UOp *c = red->src[0];
    while (c->op == op && hmap_get_or(&users, (uint64_t)(uintptr_t)c, 0) == 1) {
      vec_push(&rev, c->src[1]);
      HMAP_PUT_PTR(&L->folded, c, 1);
      c = c->src[0];
    }
    if (!rev.len) continue;
    vec_push(&rev, c);
    UOpVec *t = calloc(1, sizeof *t);
    TG_ASSERT(t, "out of memory");
    for (int64_t k = rev.len - 1; k >= 0; k--) vec_push(t, rev.data[k]);
    HMAP_PUT_PTR(&L->terms, red, t);
    vec_free(&rev);
  }
  hmap_free(&users);
}

/* The terms of a group's accumulators in step with each other: term k of every accumulator should read the same
 * loads (one unrolled step's B vectors in a matmul tile), so the step-by-step emission of emit_accumulate keeps only
 * one step's loads live. The ADD trees' canonical order does not keep the unroll's order, so each accumulator's terms
 * are matched, greedily, to the step whose loads (of the accumulators placed before it) they share most. Without this
 * a 6x16 tile unrolled by 4 kept all 8 B vectors live and GCC re-read them from memory for each FMA (1.6x slower). */
enum { TERM_LOADS = 16 };
static int term_loads(UOp *u, UOp **out, int n) {
  if (n >= TERM_LOADS) return n;
  if (u->op == OP_LOAD) {
    for (int i = 0; i < n; i++) if (out[i] == u) return n;
    out[n++] = u;
    return n;
  }
  if (u->op == OP_RANGE || u->op == OP_CONST || u->op == OP_DEFINE_GLOBAL) return n;
  for (uint32_t k = 0; k < u->nsrc; k++) n = term_loads(u->src[k], out, n);
  return n;
}

static void align_group_terms(Lin *L, UOpVec *g) {
  int64_t steps = 0;
  for (int64_t i = 0; i < g->len; i++) {
    UOpVec *t = HMAP_PTR(&L->terms, g->data[i]);
    if (!t || (steps && t->len != steps) || t->len > 64) return;
    steps = t->len;
  }
  if (g->len < 2 || steps < 2) return;
  HMap seen[steps];                      // the loads step k's terms read so far
  memset(seen, 0, sizeof seen);
  for (int64_t i = 0; i < g->len; i++) {
    UOpVec *t = HMAP_PTR(&L->terms, g->data[i]);
    UOp *order[steps], *loads[steps][TERM_LOADS];
    int nloads[steps];
    bool used[steps];
    for (int64_t j = 0; j < steps; j++) { nloads[j] = term_loads(t->data[j], loads[j], 0); used[j] = false; }
    for (int64_t k = 0; k < steps; k++) {
      int64_t best = -1, most = -1;
      for (int64_t j = 0; j < steps; j++) {
        int shared = 0;
        for (int l = 0; l < nloads[j] && !used[j]; l++) shared += hmap_get(&seen[k], (uint64_t)(uintptr_t)loads[j][l], NULL);
        if (!used[j] && shared > most) { most = shared; best = j; }
      }
      used[best] = true;
      order[k] = t->data[best];
      for (int l = 0; l < nloads[best]; l++) hmap_put(&seen[k], (uint64_t)(uintptr_t)loads[best][l], 1);
    }
    memcpy(t->data, order, sizeof order);
  }
  for (int64_t k = 0; k < steps; k++) hmap_free(&seen[k]);
}

static void align_terms(Lin *L) {
  for (int64_t i = 0; i < L->groups.cap; i++)
    if (L->groups.keys[i]) align_group_terms(L, (UOpVec *)(uintptr_t)L->groups.vals[i]);
}

static void build_groups(Lin *L) {
  for (int64_t i = 0; i < L->nest.topo->n; i++) {
    UOp *u = L->nest.topo->items[i];
    if (u->op != OP_REDUCE) continue;
    UOpVec *g = HMAP_PTR(&L->groups, u->src[1]);
    if (!g) { g = calloc(1, sizeof *g); TG_ASSERT(g, "out of memory"); HMAP_PUT_PTR(&L->groups, u->src[1], g); }
    if (g->len) {
      UOp *f = g->data[0];
      bool same = f->nsrc == u->nsrc;
      for (uint32_t k = 1; same && k < u->nsrc; k++) same = f->src[k] == u->src[k];
      TG_ASSERT(same, "linearize: reduces share a range but not all of them");
    }
    vec_push(g, u);
  }
}

static void free_groups(Lin *L) {
  for (int64_t i = 0; i < L->groups.cap; i++)
    if (L->groups.keys[i]) { UOpVec *g = (UOpVec *)(uintptr_t)L->groups.vals[i]; vec_free(g); free(g); }
  hmap_free(&L->groups);
}

static void emit_scope(Lin *L, int scope) {
  UOpVec *b = bucket_of(L, scope);
  if (!lazy_scope(L, scope))
    for (int64_t i = 0; i < b->len; i++) emit_node(L, b->data[i]);
  int child = scope == NEST_ROOT ? L->first_output : (L->nest.owner[scope] ? -1 : L->chain_next[scope]);
  if (child >= 0) emit_loop(L, child);
}

static void emit_loop(Lin *L, int r) {
  UOp *rng = L->nest.range[r];
  UOp *nr = rebuilt(L, rng);
  append(L, nr);
  put(L, rng, nr);
  emit_scope(L, r);
  UOp *owner = L->nest.owner[r];
  if (owner) {
    if (L->chain_next[r] >= 0) emit_loop(L, L->chain_next[r]);
    else emit_accumulate(L, owner, r);
  }
  append(L, uop1(OP_END, DT_VOID_T, nr, arg_none()));
}

static void emit_node(Lin *L, UOp *u) {
  if (u->op == OP_RANGE || u->op == OP_SINK || HMAP_PTR(&L->newof, u) || HMAP_PTR(&L->folded, u)) return;
  if (u->op == OP_REDUCE) { emit_reduce(L, u); return; }
  UOp *n = rebuilt(L, u);
  append(L, n);
  put(L, u, n);
}

static void link_chains(Lin *L) {
  L->first_output = -1;
  for (int i = 0; i < L->nest.nranges; i++) L->chain_next[i] = -1;
  for (int i = 0; i < L->nest.nranges; i++) {
    int p = L->nest.parent[i];
    bool same_chain = p != NEST_ROOT && L->nest.owner[p] == L->nest.owner[i];
    if (same_chain) L->chain_next[p] = i;
    else if (p == NEST_ROOT && !L->nest.owner[i]) L->first_output = i;
  }
}

// "_16", or for a symbolic trip count the (first) variable it depends on: "_pos"
static int name_range(char *at, size_t room, const UOp *r) {
  int64_t n = nest_range_size(r);
  if (n >= 0) return snprintf(at, room, "_%lld", (long long)n);
  const UOpList *t = uop_toposort(r->src[0]);
  for (int64_t i = 0; i < t->n; i++)
    if (t->items[i]->op == OP_DEFINE_VAR) return snprintf(at, room, "_%.24s", uop_var_name(t->items[i]));
  return snprintf(at, room, "_n");
}

static void kernel_name(Lin *L, Program *p) {
  bool reduce = false;
  for (int i = 0; i < L->nest.nranges; i++) reduce |= L->nest.owner[i] != NULL;
  int k = snprintf(p->name, sizeof p->name, reduce ? "r" : "E");
  for (int r = L->first_output; r >= 0 && k < (int)sizeof p->name - 8; r = L->chain_next[r])
    k += name_range(p->name + k, sizeof p->name - (size_t)k, L->nest.range[r]);
  for (int i = 0; i < L->nest.nranges && k < (int)sizeof p->name - 8; i++)
    if (L->nest.owner[i]) k += name_range(p->name + k, sizeof p->name - (size_t)k, L->nest.range[i]);
}

// The thread ranges (innermost of the output chain) as threadIdx.x, .y, .z: the innermost is x.
static void block_shape(Lin *L, Program *p) {
  for (int k = 0; k < 3; k++) p->local_size[k] = 1;
  UOp *chain[NEST_MAX_RANGES];
  int n = 0;
  for (int r = L->first_output; r >= 0; r = L->chain_next[r]) if (axis_is_thread(L->nest.range[r])) chain[n++] = L->nest.range[r];
  TG_ASSERT(n <= 3, "linearize: %d thread ranges (a block has at most 3 dimensions)", n);
  p->nlocal = n;
  for (int k = 0; k < n; k++) {
    p->local_range[k] = newof(L, chain[n - 1 - k]);
    p->local_size[k] = nest_range_size(chain[n - 1 - k]);
    TG_ASSERT(p->local_size[k] > 0, "linearize: a thread range of symbolic size");
  }
}

static int cmp_slot(const void *a, const void *b) {
  const UOp *x = *(UOp *const *)a, *y = *(UOp *const *)b;
  if (x->op != y->op) return (int)x->op - (int)y->op;
  return x->arg.kind == ARG_INT && y->arg.kind == ARG_INT ? (x->arg.i > y->arg.i) - (x->arg.i < y->arg.i) : (x->id > y->id) - (x->id < y->id);
}

// Work estimates for DEBUG=2: ALU ops and global bytes moved, each times its loops' trip counts.
static void estimate(Program *p) {
  double mult[NEST_MAX_RANGES * 2 + 2] = { 1 };
  int depth = 0;
  for (int i = 0; i < p->nlin; i++) {
    UOp *u = p->lin[i];
    if (u->op == OP_RANGE) {
      int64_t n = u->src[0]->op == OP_CONST ? u->src[0]->arg.i : 1;
      if (depth + 1 < (int)(sizeof mult / sizeof *mult)) { mult[depth + 1] = mult[depth] * (double)n; depth++; }
    } else if (u->op == OP_END) depth = depth > 0 ? depth - 1 : 0;
    else if (op_is_alu((Op)u->op) && u->op != OP_CAST && u->op != OP_BITCAST && !dt_is_ptr(u->dtype) &&
             u->dtype.scalar != DT_INDEX) p->est_flops += mult[depth] * (u->op == OP_MULACC ? 2 : 1) * u->dtype.count;
    else if (u->op == OP_WMMA) p->est_flops += mult[depth] * 2.0 * WMMA_M * WMMA_N * WMMA_K / (WMMA_LANES * WMMA_NC);   // a lane's share
    else if ((u->op == OP_LOAD || u->op == OP_STORE) && u->src[0]->src[0]->op == OP_DEFINE_GLOBAL)
      p->est_bytes += mult[depth] * st_itemsize((ScalarType)u->src[0]->dtype.scalar) * (u->op == OP_LOAD ? u : u->src[1])->dtype.count;
  }
}

Program *cg_linearize(UOp *ast) {
  Lin *L = calloc(1, sizeof *L);
  TG_ASSERT(L, "out of memory");
  nest_build(&L->nest, ast);
  TG_ASSERT(!L->nest.split_reduce, "linearize: reduces sharing a range are placed apart");
  link_chains(L);
  build_groups(L);
  fold_reduce_chains(L);
  align_terms(L);
  for (int64_t i = 0; i < L->nest.topo->n; i++) {
    UOp *u = L->nest.topo->items[i];
    if (u->op != OP_RANGE && u->op != OP_SINK) vec_push(bucket_of(L, nest_place(&L->nest, u)), u);
  }
  emit_scope(L, NEST_ROOT);
  Program *p = calloc(1, sizeof *p);
  TG_ASSERT(p, "out of memory");
  qsort(L->defs.data, (size_t)L->defs.len, sizeof(UOp *), cmp_slot);
  int64_t n = L->defs.len + L->consts.len + L->body.len + 1;
  p->lin = malloc((size_t)n * sizeof(UOp *));
  memcpy(p->lin, L->defs.data, (size_t)L->defs.len * sizeof(UOp *));
  memcpy(p->lin + L->defs.len, L->consts.data, (size_t)L->consts.len * sizeof(UOp *));
  memcpy(p->lin + L->defs.len + L->consts.len, L->body.data, (size_t)L->body.len * sizeof(UOp *));
  UOp *stores[256];
  int ns = 0;
  for (uint32_t i = 0; i < ast->nsrc && ns < 256; i++) stores[ns++] = newof(L, ast->src[i]);
  p->lin[n - 1] = uop_new(OP_SINK, DT_VOID_T, stores, ns, arg_none());
  p->nlin = (int)n;
  for (int64_t i = 0; i < L->defs.len; i++) {
    UOp *d = L->defs.data[i];
    if (d->op == OP_DEFINE_GLOBAL) p->nbufs = (int)d->arg.i + 1 > p->nbufs ? (int)d->arg.i + 1 : p->nbufs;
    if (d->op == OP_DEFINE_VAR) {
      p->vars = realloc(p->vars, (size_t)(p->nvars + 1) * sizeof(UOp *));
      p->vars[p->nvars++] = d;
    }
  }
  if (L->first_output >= 0 && !axis_is_thread(L->nest.range[L->first_output])) {
    p->par_range = newof(L, L->nest.range[L->first_output]);
    p->par_size = nest_range_size(p->par_range);
    p->par_threads = kernel_threads(ast);
    if (p->par_size < 0) p->par_range = NULL;
  }
  block_shape(L, p);
  kernel_name(L, p);
  estimate(p);
  for (int i = 0; i <= NEST_MAX_RANGES; i++) vec_free(&L->bucket[i]);
  vec_free(&L->defs); vec_free(&L->body); vec_free(&L->consts);
  hmap_free(&L->emitted);
  hmap_free(&L->newof);
  free_groups(L);
  for (int64_t i = 0; i < L->terms.cap; i++)
    if (L->terms.keys[i]) { UOpVec *t = (UOpVec *)(uintptr_t)L->terms.vals[i]; vec_free(t); free(t); }
  hmap_free(&L->terms);
  hmap_free(&L->folded);
  nest_free(&L->nest);
  free(L);
  return p;
}
