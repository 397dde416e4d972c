// Pattern rewrite: patterns as data (UPat), rules (pattern + callback), passes, graph_rewrite
#ifndef TG_REWRITE_H
#define TG_REWRITE_H
#include "uop/uop.h"

// ---- binding names: a pattern binds a node to a slot; a rule reads it with B(name) ----
#define TG_BIND_NAMES(X) \
  X(x) X(y) X(z) X(a) X(b) X(c) X(d) X(e) X(f) X(g) X(h) X(k) X(m) X(n) X(p) X(q) \
  X(r) X(s) X(t) X(u) X(v) X(w) X(c0) X(c1) X(c2) X(c3) X(x0) X(x1) X(x2) X(y0) X(y1) X(y2) \
  X(idx) X(buf) X(val) X(gate) X(rng) X(acc) X(src) X(root) X(cast) X(ld) X(st) X(vec) X(end) X(mul) X(add) X(div) \
  X(mod) X(cond) X(lhs) X(rhs) X(base) X(off) X(bits) X(sink)
typedef enum {
#define X(nm) BIND_##nm,
  TG_BIND_NAMES(X)
#undef X
  BIND_COUNT_
} BindName;
_Static_assert(BIND_COUNT_ <= 64, "at most 64 binding names");
const char *bind_name(int slot);

typedef struct Bind { uint64_t set; UOp *v[BIND_COUNT_]; } Bind;

// ---- patterns ----
typedef enum {
  SRC_ANY,       // sources are not looked at
  SRC_AUTO,      // exact order, or both orders when the node's op is commutative (binary)
  SRC_EXACT,     // exact order and count
  SRC_REPEAT,    // every source (any count >= 1) matches src[0]
  SRC_PREFIX,    // the first nsrc sources match in order; more may follow
} SrcMode;

typedef struct UPat UPat;
struct UPat {
  OpSet ops;                 // empty: any op
  uint32_t dtypes;           // bitmask of ScalarType (of the value's scalar), 0: any
  uint8_t name;              // 1 + BindName, 0: not bound
  uint8_t src_mode;          // SrcMode
  uint8_t match_arg;         // compare the node's arg with `arg`
  uint8_t match_value;       // CONST whose numeric value equals `value`
  int nsrc;
  const UPat *const *src;
  Arg arg;
  double value;
};

#define DTM(s) (1u << (s))
#define DTM_INTS (DTM(DT_INT8) | DTM(DT_UINT8) | DTM(DT_INT16) | DTM(DT_UINT16) | DTM(DT_INT32) | DTM(DT_UINT32) | \
                  DTM(DT_INT64) | DTM(DT_UINT64) | DTM(DT_INDEX))
#define DTM_FLOATS (DTM(DT_FLOAT16) | DTM(DT_BFLOAT16) | DTM(DT_FLOAT32) | DTM(DT_FLOAT64))
#define DTM_BOOL DTM(DT_BOOL)

#define UP(...) (&(const UPat){ __VA_ARGS__ })
#define UP_SRCS_(...) .src = (const UPat *const[]){ __VA_ARGS__ }, .nsrc = (int)(sizeof((const UPat *const[]){ __VA_ARGS__ }) / sizeof(const UPat *))
// any node, bound as nm:                        P(x)
#define P(nm) UP(.name = 1 + BIND_##nm)
// a CONST, bound as nm:                         PC(c)
#define PC(nm) UP(.ops = OPSET(OP_CONST), .name = 1 + BIND_##nm)
// a CONST with value v:                         PCV(0)
#define PCV(v) UP(.ops = OPSET(OP_CONST), .match_value = 1, .value = (v))
// op with sources (both orders if commutative): PAT(OP_ADD, P(x), PCV(0))
#define PAT(op, ...) UP(.ops = OPSET(op), .src_mode = SRC_AUTO, UP_SRCS_(__VA_ARGS__))
// the same, bound as nm:                        PATN(y, OP_ADD, P(x), PC(c))
#define PATN(nm, op, ...) UP(.ops = OPSET(op), .name = 1 + BIND_##nm, .src_mode = SRC_AUTO, UP_SRCS_(__VA_ARGS__))
// op without looking at sources:               POP(OP_RANGE, r)
#define POP(op, nm) UP(.ops = OPSET(op), .name = 1 + BIND_##nm)
#define PSRCS(...) .src_mode = SRC_AUTO, UP_SRCS_(__VA_ARGS__)
#define PNAME(nm) .name = 1 + BIND_##nm

// ---- rules and passes ----
typedef struct Match { void *ctx; UOp *root; Bind b; } Match;
typedef UOp *(*RuleFn)(Match *m);
#define B(nm) (m->b.v[BIND_##nm])
#define HAS(nm) ((m->b.set >> BIND_##nm) & 1)

typedef struct Rule { const UPat *pat; RuleFn fn; const char *name, *file; int line; } Rule;
#define RULE(pat, fn) { (pat), (fn), #fn, __FILE__, __LINE__ }
#define RULES_END { 0 }

typedef struct PassIndex PassIndex;
typedef struct Pass {
  const char *name;
  const Rule *const *tables;     // NULL-terminated list of RULES_END-terminated tables, tried in order
  PassIndex *_Atomic index;      // built on first use: rules per root op
} Pass;
#define PASS(nm, ...) { .name = (nm), .tables = (const Rule *const[]){ __VA_ARGS__, NULL } }

bool upat_match(const UPat *p, UOp *u, Bind *b);
// Try the pass's rules on one node: the first rule whose callback returns a different node wins.
UOp *pass_apply(Pass *pass, UOp *u, void *ctx);

// Rewrite to a fixed point. `post` rules run on a node after its sources are rewritten (tinygrad's
// default); `pre` rules run on a node before its sources are visited (tinygrad's bottom_up=True).
// Either may be NULL. Memoized per node within a call; uses a heap stack, never C recursion.
UOp *graph_rewrite(UOp *root, Pass *post, void *ctx);
UOp *graph_rewrite_pre(UOp *root, Pass *pre, void *ctx);
UOp *graph_rewrite_ex(UOp *root, Pass *post, Pass *pre, void *ctx);

// ---- trace of rule applications, for VIZ ----
typedef struct RewriteStep { const char *pass, *rule, *file; int line; UOp *before, *after; } RewriteStep;
void rewrite_trace_enable(bool on);          // also on when VIZ is set in the environment
bool rewrite_trace_enabled(void);
int64_t rewrite_trace_len(void);
const RewriteStep *rewrite_trace_at(int64_t i);
void rewrite_trace_clear(void);
#endif
