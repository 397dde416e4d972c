// Program: one compiled kernel as the runtime sees it (freeing it, checking its linear list)
#include "codegen/program.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "runtime/device.h"
#include <stdlib.h>

void program_free(Program *p) {
  if (!p) return;
  if (p->dev && p->dev->release) p->dev->release(p->dev, p);
  free(p->lin);
  free(p->vars);
  free(p->src);
  free(p);
}

static bool is_hoisted(const UOp *u) {
  return u->op == OP_CONST || u->op == OP_DEFINE_GLOBAL || u->op == OP_DEFINE_VAR;
}

typedef struct {
  const Program *p;
  HMap pos;            // node -> position + 1
  int *scope;          // scope serial each position's value lives in (0: the whole function)
  bool *alive;         // per scope serial: open now
  UOp **stack;         // open RANGE/IF nodes
  int *stack_serial;
  int depth, nserial;
} Verify;

static void check_sources(Verify *v, int i) {
  UOp *u = v->p->lin[i];
  for (uint32_t k = 0; k < u->nsrc; k++) {
    UOp *s = u->src[k];
    uint64_t at;
    TG_ASSERT(hmap_get(&v->pos, (uint64_t)(uintptr_t)s, &at) && (int64_t)at <= i,
              "program %s: lin[%d] %s uses a %s that is not listed before it", v->p->name, i, op_name((Op)u->op),
              op_name((Op)s->op));
    if (s->dtype.scalar == DT_VOID && !dt_is_ptr(s->dtype)) continue;   // an ordering dependency only
    if (u->op == OP_END || u->op == OP_SINK) continue;
    TG_ASSERT(v->alive[v->scope[at - 1]], "program %s: lin[%d] %s uses lin[%d] %s outside the loop/if that computes it",
              v->p->name, i, op_name((Op)u->op), (int)at - 1, op_name((Op)s->op));
  }
}

static void open_scope(Verify *v, UOp *u) {
  v->stack[v->depth] = u;
  v->stack_serial[v->depth++] = ++v->nserial;
  v->alive[v->nserial] = true;
}

static void close_scope(Verify *v, UOp *opener, int i) {
  TG_ASSERT(v->depth > 0 && v->stack[v->depth - 1] == opener, "program %s: lin[%d] %s closes a %s that is not the innermost open one",
            v->p->name, i, op_name((Op)v->p->lin[i]->op), op_name((Op)opener->op));
  v->alive[v->stack_serial[--v->depth]] = false;
}

static void close_end(Verify *v, UOp *u, int i) {   // an END closes each RANGE among its sources, innermost first
  int n = 0;
  for (uint32_t k = 0; k < u->nsrc; k++) n += u->src[k]->op == OP_RANGE;
  TG_ASSERT(n > 0, "program %s: lin[%d] END closes no RANGE", v->p->name, i);
  for (; n > 0; n--) {
    TG_ASSERT(v->depth > 0, "program %s: lin[%d] END with no open RANGE", v->p->name, i);
    UOp *top = v->stack[v->depth - 1];
    bool mine = false;
    for (uint32_t k = 0; k < u->nsrc; k++) mine |= u->src[k] == top;
    TG_ASSERT(mine && top->op == OP_RANGE, "program %s: lin[%d] END does not close the innermost open %s", v->p->name, i,
              op_name((Op)top->op));
    close_scope(v, top, i);
  }
}

static void check_node(Verify *v, int i) {
  const Program *p = v->p;
  UOp *u = p->lin[i];
  check_sources(v, i);
  v->scope[i] = is_hoisted(u) ? 0 : v->depth ? v->stack_serial[v->depth - 1] : 0;
  if (u->op == OP_DEFINE_GLOBAL)
    TG_ASSERT(u->arg.kind == ARG_INT && u->arg.i >= 0 && u->arg.i < p->nbufs, "program %s: DEFINE_GLOBAL slot out of [0, %d)",
              p->name, p->nbufs);
  if (u->op == OP_DEFINE_VAR) {
    bool found = false;
    for (int k = 0; k < p->nvars; k++) found |= p->vars[k] == u;
    TG_ASSERT(found, "program %s: DEFINE_VAR %s is not in the program's vars", p->name, uop_var_name(u));
  }
  if (u->op == OP_RANGE) { open_scope(v, u); v->scope[i] = v->stack_serial[v->depth - 1]; }
  if (u->op == OP_IF) open_scope(v, u);
  if (u->op == OP_ENDIF) close_scope(v, u->src[0], i);
  if (u->op == OP_END) close_end(v, u, i);
}

void program_verify(const Program *p) {
  int n = p->nlin;
  Verify v = { .p = p };
  v.scope = calloc((size_t)n + 1, sizeof(int));
  v.alive = calloc((size_t)n + 2, sizeof(bool));
  v.stack = calloc((size_t)n + 1, sizeof(UOp *));
  v.stack_serial = calloc((size_t)n + 1, sizeof(int));
  TG_ASSERT(v.scope && v.alive && v.stack && v.stack_serial, "out of memory");
  v.alive[0] = true;
  for (int i = 0; i < n; i++) {
    TG_ASSERT(!hmap_get(&v.pos, (uint64_t)(uintptr_t)p->lin[i], NULL), "program %s: lin[%d] %s is listed twice", p->name, i,
              op_name((Op)p->lin[i]->op));
    hmap_put(&v.pos, (uint64_t)(uintptr_t)p->lin[i], (uint64_t)i + 1);
    check_node(&v, i);
    if (p->lin[i] == p->par_range)
      TG_ASSERT(v.depth == 1, "program %s: the parallel RANGE must be outermost", p->name);
  }
  TG_ASSERT(v.depth == 0, "program %s: %d loops/ifs are never closed", p->name, v.depth);
  TG_ASSERT(!p->par_range || hmap_get(&v.pos, (uint64_t)(uintptr_t)p->par_range, NULL), "program %s: par_range is not in lin", p->name);
  hmap_free(&v.pos);
  free(v.scope); free(v.alive); free(v.stack); free(v.stack_serial);
}
