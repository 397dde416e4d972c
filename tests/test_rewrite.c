// Tests of the rewrite engine: fixed points, memoization on shared DAGs, pattern matching,
// million-node graphs without recursion, the VIZ trace, and pre (top-down) vs post (bottom-up) passes
#include "testlib.h"
#include "base/vec.h"
#include "uop/rewrite.h"
#include "uop/uop.h"
#include <stdlib.h>

// ---- rules used by several tests ----
static UOp *add_zero(Match *m) { return B(x); }
static UOp *fold_consts(Match *m) {       // CONST + CONST -> CONST
  return uop_const_int(B(c1)->dtype, B(c1)->arg.i + B(c2)->arg.i);
}
static UOp *reassoc_consts(Match *m) {    // (x + c1) + c2 -> x + (c1 + c2)
  return uop_add(B(x), uop_add(B(c1), B(c2)));
}
static const Rule fold_rules[] = {
  RULE(PAT(OP_ADD, P(x), PCV(0)), add_zero),
  RULE(PAT(OP_ADD, PC(c1), PC(c2)), fold_consts),
  RULE(PAT(OP_ADD, PAT(OP_ADD, P(x), PC(c1)), PC(c2)), reassoc_consts),
  RULES_END
};
static Pass fold_pass = PASS("test_fold", fold_rules);

// (a) a pass reaches a fixed point: a chain of +c folds to x + sum(c)
static void test_fixed_point(void) {
  UOp *x = uop_var("x", 0, 100), *e = x;
  int64_t sum = 0;
  for (int i = 1; i <= 20000; i++) { e = uop_add_i(e, i % 3); sum += i % 3; }
  UOp *r = graph_rewrite(e, &fold_pass, NULL);
  CHECK(r == uop_add_i(x, sum), "chain folds to x+%lld", (long long)sum);
  CHECK(graph_rewrite(r, &fold_pass, NULL) == r, "the result is a fixed point");
  CHECK(graph_rewrite(uop_add(uop_iconst(0), x), &fold_pass, NULL) == x, "0+x -> x");
  CHECK(graph_rewrite(uop_add(uop_add_i(x, 0), uop_iconst(0)), &fold_pass, NULL) == x, "(x+0)+0 -> x");
  // zeros nested on both sides fold away through repeated rebuilding
  UOp *z = uop_add(uop_iconst(0), uop_add(uop_add_i(x, 0), uop_add(uop_iconst(2), uop_iconst(-2))));
  CHECK(graph_rewrite(z, &fold_pass, NULL) == x);
}

// (b) memoization: each node is visited once, however many paths reach it
static int64_t calls;
static UOp *count_any(Match *m) { (void)m; calls++; return NULL; }
static UOp *rename_x(Match *m) {           // DEFINE_VAR x -> DEFINE_VAR z (forces a rebuild of everything above)
  calls++;
  return !strcmp(uop_var_name(m->root), "x") ? uop_var("z", 0, 1) : NULL;
}
static const Rule count_rules[] = { RULE(P(x), count_any), RULES_END };
static Pass count_pass = PASS("count", count_rules);
static const Rule rename_rules[] = { RULE(POP(OP_DEFINE_VAR, x), rename_x), RULE(P(x), count_any), RULES_END };
static Pass rename_pass = PASS("rename", rename_rules);

static UOp *ladder(UOp *a, UOp *b, int depth) {   // each rung uses both nodes of the last: 2^depth paths
  for (int i = 0; i < depth; i++) { UOp *s = uop_add(a, b), *p = uop_mul(a, b); a = s; b = p; }
  return uop_add(a, b);
}

static void test_memo(void) {
  UOp *root = ladder(uop_var("x", 0, 1), uop_var("y", 0, 1), 30);
  int64_t n = uop_toposort(root)->n;
  CHECK_EQ_INT(n, 2 + 2 * 30 + 1);
  calls = 0;
  CHECK(graph_rewrite(root, &count_pass, NULL) == root);
  CHECK_EQ_INT(calls, n);
  calls = 0;
  CHECK(graph_rewrite_pre(root, &count_pass, NULL) == root);
  CHECK_EQ_INT(calls, n);
  calls = 0;
  UOp *r = graph_rewrite(root, &rename_pass, NULL);
  CHECK(r == ladder(uop_var("z", 0, 1), uop_var("y", 0, 1), 30), "renamed ladder");
  CHECK(calls <= 2 * n + 2, "rebuilding visits each old and new node about once: %lld calls for %lld nodes", (long long)calls, (long long)n);
  calls = 0;
  CHECK(graph_rewrite_pre(root, &rename_pass, NULL) == r);
  CHECK(calls <= 3 * n + 2, "pre: %lld calls for %lld nodes", (long long)calls, (long long)n);
}

// (c) matching
#define MATCH(pat, u) (b = (Bind){ 0 }, upat_match((pat), (u), &b))
static void test_match(void) {
  Bind b;
  UOp *x = uop_var("x", 0, 9), *y = uop_var("y", 0, 9), *zero = uop_iconst(0), *two = uop_iconst(2);
  CHECK(MATCH(PAT(OP_ADD, P(x), PCV(0)), uop_add(x, zero)) && b.v[BIND_x] == x, "x+0");
  CHECK(MATCH(PAT(OP_ADD, P(x), PCV(0)), uop_add(zero, x)) && b.v[BIND_x] == x, "0+x matches a commutative pattern");
  CHECK(!MATCH(PAT(OP_ADD, P(x), PCV(0)), uop_add(x, y)));
  CHECK(MATCH(PAT(OP_ADD, P(x), PCV(0)), uop_add(zero, zero)) && b.v[BIND_x] == zero);
  // non-commutative ops match only in order
  UOp *sub_x0 = uop2(OP_SUB, DT_INDEX_T, x, zero, arg_none()), *sub_0x = uop2(OP_SUB, DT_INDEX_T, zero, x, arg_none());
  CHECK(MATCH(PAT(OP_SUB, P(x), PCV(0)), sub_x0) && b.v[BIND_x] == x);
  CHECK(!MATCH(PAT(OP_SUB, P(x), PCV(0)), sub_0x), "SUB is not commutative");
  CHECK(MATCH(PAT(OP_CMPLT, P(x), PCV(0)), uop_lt(x, zero)));
  CHECK(!MATCH(PAT(OP_CMPLT, P(x), PCV(0)), uop_lt(zero, x)), "CMPLT is not commutative");
  // SRC_EXACT: order matters even for a commutative op
  const UPat *exact = UP(.ops = OPSET(OP_ADD), .src_mode = SRC_EXACT, UP_SRCS_(P(x), PCV(0)));
  CHECK(MATCH(exact, uop_add(x, zero)) && !MATCH(exact, uop_add(zero, x)));
  // a name bound twice must be the same node
  CHECK(MATCH(PAT(OP_ADD, P(x), P(x)), uop_add(x, x)) && b.v[BIND_x] == x);
  CHECK(!MATCH(PAT(OP_ADD, P(x), P(x)), uop_add(x, y)));
  // the first order binds x to y*2 and fails; the second must start from clean bindings
  const UPat *dbl = PAT(OP_ADD, P(x), PAT(OP_MUL, P(x), PC(c)));
  CHECK(MATCH(dbl, uop_add(uop_mul(y, two), y)) && b.v[BIND_x] == y && b.v[BIND_c] == two);
  CHECK(b.set == ((1ull << BIND_x) | (1ull << BIND_c)), "only x and c are bound");
  CHECK(!MATCH(dbl, uop_add(uop_mul(y, two), x)));
  // SRC_REPEAT: every source matches the one pattern (a named one: all the same node)
  const UPat *all_const = UP(.ops = OPSET(OP_SINK), .src_mode = SRC_REPEAT, UP_SRCS_(UP(.ops = OPSET(OP_CONST))));
  UOp *s3 = uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ zero, two, uop_iconst(7) }, 3, arg_none());
  UOp *s_mixed = uop2(OP_SINK, DT_VOID_T, zero, x, arg_none()), *s0 = uop0(OP_SINK, DT_VOID_T, arg_none());
  CHECK(MATCH(all_const, s3) && !MATCH(all_const, s_mixed) && !MATCH(all_const, s0));
  const UPat *all_same = UP(.ops = OPSET(OP_SINK), .src_mode = SRC_REPEAT, UP_SRCS_(P(x)));
  CHECK(MATCH(all_same, uop_new(OP_SINK, DT_VOID_T, (UOp *[]){ x, x, x }, 3, arg_none())) && b.v[BIND_x] == x);
  CHECK(!MATCH(all_same, uop2(OP_SINK, DT_VOID_T, x, y, arg_none())));
  // SRC_PREFIX: the first sources match in order; more may follow
  const UPat *prefix = UP(.ops = OPSET(OP_SINK), .src_mode = SRC_PREFIX, UP_SRCS_(P(a), PCV(2)));
  CHECK(MATCH(prefix, uop2(OP_SINK, DT_VOID_T, x, two, arg_none())) && b.v[BIND_a] == x);
  CHECK(MATCH(prefix, uop3(OP_SINK, DT_VOID_T, x, two, y, arg_none())));
  CHECK(!MATCH(prefix, uop1(OP_SINK, DT_VOID_T, x, arg_none())), "too few sources");
  CHECK(!MATCH(prefix, uop2(OP_SINK, DT_VOID_T, two, x, arg_none())), "prefix is ordered");
  // dtype masks
  UOp *f = uop_const(DT_FLOAT_T, 1.5), *i32 = uop_const_int(DT_INT32_T, 3), *bl = uop_const(DT_BOOL_T, 1);
  const UPat *fl = UP(.dtypes = DTM_FLOATS, PNAME(x)), *in = UP(.dtypes = DTM_INTS, PNAME(x)), *bo = UP(.dtypes = DTM_BOOL);
  CHECK(MATCH(fl, f) && !MATCH(fl, i32) && !MATCH(fl, bl));
  CHECK(MATCH(in, i32) && MATCH(in, x) && !MATCH(in, f) && !MATCH(in, bl));
  CHECK(MATCH(bo, bl) && !MATCH(bo, i32));
  CHECK(MATCH(UP(.dtypes = DTM(DT_INDEX), PSRCS(P(x), P(y))), uop_add(x, y)));
  // args and SRC_ANY
  const UPat *r0 = UP(.ops = OPSET(OP_RANGE), .match_arg = 1, .arg = { .kind = ARG_INT, .i = 0 });
  CHECK(MATCH(r0, uop1(OP_RANGE, DT_INDEX_T, two, arg_int(0))) && !MATCH(r0, uop1(OP_RANGE, DT_INDEX_T, two, arg_int(1))));
  CHECK(MATCH(POP(OP_ADD, r), uop_add(x, y)) && b.v[BIND_r] == uop_add(x, y));
  CHECK(!MATCH(PAT(OP_ADD, P(x)), uop_add(x, y)), "source count must match");
}

// (d) a million-node chain: no recursion anywhere
static UOp *one_to_two(Match *m) { return uop_add(B(x), uop_iconst(2)); }
static const Rule bump_rules[] = { RULE(PAT(OP_ADD, P(x), PCV(1)), one_to_two), RULES_END };
static Pass bump_pass = PASS("bump", bump_rules);

static int64_t chain_len(UOp *e, UOp *leaf, int64_t step) {   // -1 if not a chain of +step
  int64_t n = 0;
  for (; e != leaf; e = e->src[0], n++)
    if (e->op != OP_ADD || !uop_is_const(e->src[1], (double)step)) return -1;
  return n;
}

static void test_deep_chain(void) {
  int64_t N = env_or("REWRITE_CHAIN", 1000000);
  uop_gc();                          // nothing is pinned: start from an empty pool
  size_t base = uop_live_count();
  UOp *x = uop_var("deep", 0, 10), *e = x, *one = uop_iconst(1);
  for (int64_t i = 0; i < N; i++) e = uop_add(e, one);
  CHECK_EQ_INT(uop_toposort(e)->n, N + 2);
  CHECK(uop_toposort(e)->items[N + 1] == e);
  UOp *post = graph_rewrite(e, &bump_pass, NULL);
  CHECK_EQ_INT(chain_len(post, x, 2), N);
  UOp *pre = graph_rewrite_pre(e, &bump_pass, NULL);
  CHECK(pre == post, "pre and post agree on a confluent pass");
  // GC marks iteratively: a pinned million-deep chain survives, the unpinned one is freed
  uop_pin(post);
  size_t freed = uop_gc();
  CHECK(freed >= (size_t)N, "the original chain and intermediates are freed (%zu)", freed);
  CHECK_EQ_INT(uop_live_count(), base + (size_t)N + 2);    // the chain, x and the CONST 2
  CHECK_EQ_INT(chain_len(post, x, 2), N);
  UOp *bottom = post;
  while (bottom->src[0] != x) bottom = bottom->src[0];
  CHECK(uop_add(x, uop_iconst(2)) == bottom, "interning after GC finds the surviving node");
  uop_unpin(post);
  uop_gc();
  CHECK_EQ_INT(uop_live_count(), base);
}

// (e) the VIZ trace
static void test_trace(void) {
  UOp *x = uop_var("tx", 0, 5), *e = uop_mul(uop_add_i(x, 0), uop_iconst(3));
  rewrite_trace_clear();
  rewrite_trace_enable(false);
  graph_rewrite(e, &fold_pass, NULL);
  CHECK_EQ_INT(rewrite_trace_len(), 0);
  rewrite_trace_enable(true);
  CHECK(rewrite_trace_enabled());
  UOp *r = graph_rewrite(e, &fold_pass, NULL);
  CHECK(r == uop_mul(x, uop_iconst(3)));
  CHECK_EQ_INT(rewrite_trace_len(), 1);
  const RewriteStep *s = rewrite_trace_at(0);
  CHECK(s != NULL);
  if (s) {
    CHECK_STR(s->pass, "test_fold");
    CHECK_STR(s->rule, "add_zero");
    CHECK(strstr(s->file, "test_rewrite.c") != NULL, "file %s", s->file);
    CHECK_EQ_INT(s->line, fold_rules[0].line);
    CHECK(s->line > 0 && s->line < __LINE__);
    CHECK(s->before == uop_add_i(x, 0) && s->after == x);
  }
  CHECK(rewrite_trace_at(1) == NULL && rewrite_trace_at(-1) == NULL);
  // a chain of rules is recorded in order: fold, then reassociate, then fold the new constant
  rewrite_trace_clear();
  graph_rewrite(uop_add_i(uop_add_i(x, 1), 2), &fold_pass, NULL);
  CHECK_EQ_INT(rewrite_trace_len(), 2);
  if (rewrite_trace_len() == 2) {
    CHECK_STR(rewrite_trace_at(0)->rule, "reassoc_consts");
    CHECK_STR(rewrite_trace_at(1)->rule, "fold_consts");
    CHECK(rewrite_trace_at(1)->after == uop_iconst(3));
  }
  // the trace keeps its nodes alive across a collection
  uop_gc();
  CHECK(rewrite_trace_at(0)->before->op == OP_ADD && rewrite_trace_at(0)->before == uop_add_i(uop_add_i(x, 1), 2));
  rewrite_trace_enable(false);
  rewrite_trace_clear();
  graph_rewrite(uop_add_i(x, 0), &fold_pass, NULL);
  CHECK_EQ_INT(rewrite_trace_len(), 0);
}

// (f) pre (top-down) vs post (bottom-up)
static UOp *one_to_two_const(Match *m) { (void)m; return uop_iconst(2); }
static UOp *plus_one_to_times7(Match *m) { return uop_mul(B(x), uop_iconst(7)); }
static const Rule order_rules[] = {
  RULE(PCV(1), one_to_two_const),
  RULE(PAT(OP_ADD, P(x), PCV(1)), plus_one_to_times7),
  RULES_END
};
static Pass order_pass = PASS("order", order_rules);

static VEC(UOp *) seen;
static UOp *log_node(Match *m) { vec_push(&seen, m->root); return NULL; }
static UOp *zero_mul(Match *m) { (void)m; return uop_iconst(0); }
static const Rule log_rules[] = { RULE(PAT(OP_MUL, P(x), PCV(0)), zero_mul), RULE(P(x), log_node), RULES_END };
static Pass log_pass = PASS("log", log_rules);

static int64_t pos_of(UOp *u) {
  for (int64_t i = 0; i < seen.len; i++) if (seen.data[i] == u) return i;
  return -1;
}

static void test_pre_post(void) {
  UOp *x = uop_var("px", 0, 5), *e = uop_add_i(x, 1);
  // post: the CONST 1 becomes 2 first, so x+1 is never seen and stays x+2
  CHECK(graph_rewrite(e, &order_pass, NULL) == uop_add_i(x, 2));
  // pre: the parent is seen first, as x+1, and becomes x*7
  CHECK(graph_rewrite_pre(e, &order_pass, NULL) == uop_mul_i(x, 7));
  // visiting order: post sees sources before users; pre sees users before sources
  UOp *a = uop_add(x, uop_iconst(3)), *b = uop_mul(a, uop_iconst(5)), *root = uop_add(b, a);
  vec_clear(&seen);
  graph_rewrite(root, &log_pass, NULL);
  CHECK(pos_of(x) >= 0 && pos_of(x) < pos_of(a) && pos_of(a) < pos_of(b) && pos_of(b) < pos_of(root), "post order");
  CHECK(seen.data[seen.len - 1] == root);
  CHECK_EQ_INT(seen.len, uop_toposort(root)->n);
  vec_clear(&seen);
  graph_rewrite_pre(root, &log_pass, NULL);
  CHECK(seen.len > 0 && seen.data[0] == root && pos_of(root) < pos_of(b) && pos_of(b) < pos_of(a) && pos_of(a) < pos_of(x), "pre order");
  // top-down can prune: x*0 is replaced before its (large) left side is ever visited
  UOp *big = ladder(uop_var("p", 0, 1), uop_var("q", 0, 1), 20), *z = uop_mul(big, uop_iconst(0));
  vec_clear(&seen);
  CHECK(graph_rewrite_pre(z, &log_pass, NULL) == uop_iconst(0));
  CHECK(pos_of(big) < 0 && seen.len == 1, "pre never visits the pruned side (%lld visits)", (long long)seen.len);
  vec_clear(&seen);
  CHECK(graph_rewrite(z, &log_pass, NULL) == uop_iconst(0));
  CHECK(pos_of(big) >= 0, "post visits the sources first");
  vec_free(&seen);
}

int main(void) {
  test_fixed_point();
  test_memo();
  test_match();
  test_trace();
  test_pre_post();
  test_deep_chain();
  return test_finish("test_rewrite");
}
