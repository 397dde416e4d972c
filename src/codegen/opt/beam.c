// BEAM search: opt lists chosen by timing candidate kernels on the device; results cached on disk
#include "codegen/opt/beam.h"
#include "codegen/opt/opt_internal.h"
#include "base/fnv.h"
#include "uop/axis.h"
#include "codegen/decomp.h"
#include "codegen/linearize.h"
#include "runtime/cpu.h"
#include "uop/print.h"
#include "uop/spec.h"
#include "tinygrad.h"
#include "base/env.h"
#include "base/error.h"
#include "base/hashmap.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/strbuf.h"
#include "base/threadpool.h"
#include "base/timer.h"
#include "base/vec.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

BeamStats beam_stats;
enum { MAX_OPTS = 16, MAX_BUFS = 64, MAX_ACTIONS = 512 };

UOp *opt_apply_list(UOp *ast, const Opt *opts, int n, const RendererCaps *caps, char *why, int whylen) {
  for (int i = 0; i < n && ast; i++) ast = opt_apply(ast, opts[i], caps, why, whylen);
  return ast;
}

Program *opt_codegen(UOp *ast, bool decomp) {
  UOp *k = opt_finish(ast);
  Program *p = cg_linearize(decomp ? cg_decomp(k) : k);
  spec_verify(p->lin[p->nlin - 1], SPEC_PROGRAM, "linearize");
  return p;
}

static void opts_str(const Opt *o, int n, char *buf, size_t len) {
  size_t k = (size_t)snprintf(buf, len, "%s", n ? "" : "none");
  for (int i = 0; i < n && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s(axis %d, %d)", i ? " " : "", opt_name(o[i].kind), o[i].axis, o[i].amount);
}

// ---- the bench: random inputs of the kernel's sizes, timing, and the BEAM_VERIFY reference ----
typedef struct Bench {
  Device *dev;
  Buffer *bufs[MAX_BUFS];
  int nbufs;
  void *init[MAX_BUFS], *ref[MAX_BUFS];   // BEAM_VERIFY: contents before a run; after the unoptimized kernel's
  bool verify;
  double min_s, limit_s;
  int repeats;
} Bench;

static uint64_t rnd(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

// Floats in [-1, 1) (16-bit floats: +-[0.5, 2)), integers in [-8, 8] ([0, 16] unsigned), bools 0/1.
static void fill_random(void *dst, ScalarType t, int64_t n, uint64_t *seed) {
  int sz = st_itemsize(t);
  for (int64_t i = 0; i < n; i++) {
    uint64_t r = rnd(seed);
    double u = (double)(r >> 11) * 0x1p-52 - 1;
    int64_t v = (int64_t)(r % 17) - (st_is_unsigned(t) ? 0 : 8);
    if (t == DT_FLOAT32) ((float *)dst)[i] = (float)u;
    else if (t == DT_FLOAT64) ((double *)dst)[i] = u;
    else if (t == DT_FLOAT16) ((uint16_t *)dst)[i] = (uint16_t)((r >> 63) << 15 | (14 + (r >> 62 & 1)) << 10 | (r & 1023));
    else if (t == DT_BFLOAT16) ((uint16_t *)dst)[i] = (uint16_t)((r >> 63) << 15 | (126 + (r >> 62 & 1)) << 7 | (r & 127));
    else if (t == DT_BOOL) ((uint8_t *)dst)[i] = r & 1;
    else memcpy((char *)dst + i * sz, &v, (size_t)sz);   // little-endian: the low bytes are the wrapped value
  }
}

static void bench_free(Bench *b) {
  for (int i = 0; i < b->nbufs; i++) {
    if (b->bufs[i]) buf_unref(b->bufs[i]);
    free(b->init[i]);
    free(b->ref[i]);
  }
  memset(b, 0, sizeof *b);
}

// One buffer per DEFINE_GLOBAL slot, of its dtype and size, filled with random values.
static bool bench_init(Bench *b, Device *dev, UOp *ast, const char **why) {
  *b = (Bench){ .dev = dev, .verify = env_int("BEAM_VERIFY", 0) != 0, .min_s = (double)env_int("BEAM_MIN_US", 1000) * 1e-6,
                .limit_s = (double)env_int("BEAM_TIMEOUT_MS", 1000) * 1e-3, .repeats = (int)env_int("BEAM_REPEATS", 3) };
  if (b->repeats < 1) b->repeats = 1;
  const UOpList *t = uop_toposort(ast);
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *u = t->items[i];
    if (u->op == OP_DEFINE_VAR) { *why = "the kernel has symbolic variables"; return false; }
    if (u->op != OP_DEFINE_GLOBAL) continue;
    int slot = (int)u->arg.i;
    if (slot < 0 || slot >= MAX_BUFS || u->dtype.size < 0) { *why = "a buffer of unknown size or slot"; return false; }
    ScalarType st = (ScalarType)u->dtype.scalar;
    size_t nbytes = (size_t)u->dtype.size * (size_t)st_itemsize(st);
    void *host = malloc(nbytes ? nbytes : 1);
    TG_ASSERT(host, "out of memory");
    fill_random(host, st, u->dtype.size, &seed);
    b->bufs[slot] = buf_new(dev, st, u->dtype.size);
    buf_copyin(b->bufs[slot], host, nbytes);
    if (b->verify) b->init[slot] = host; else free(host);
    if (slot >= b->nbufs) b->nbufs = slot + 1;
  }
  return true;
}

static double run_once(Bench *b, Program *p, int launches) {
  if (b->dev->timer_begin) {                // device time (CUDA events): no host launch cost in the figure
    if (b->dev->timer_begin(b->dev) != 0) return -1;
    for (int i = 0; i < launches; i++) {
      if (b->dev->exec(b->dev, p, b->bufs, NULL) != 0) return -1;
      beam_stats.runs++;
    }
    double t = b->dev->timer_end(b->dev);
    return t < 0 ? -1 : t / launches;
  }
  double t0 = time_s();
  for (int i = 0; i < launches; i++) {
    if (b->dev->exec(b->dev, p, b->bufs, NULL) != 0) return -1;
    beam_stats.runs++;
  }
  if (b->dev->synchronize && b->dev->synchronize(b->dev) != 0) return -1;   // asynchronous launches: wait for them
  return (time_s() - t0) / launches;
}

/* Estimated seconds of one whole launch of p (INFINITY when it fails to run). A measurement shorter than min_s
 * first grows the prefix of the parallel range it runs (k of n trips), then the number of launches; its time is
 * scaled by n/k. Min of `repeats` measurements; a candidate 3x slower than best, or past limit_s, stops early. */
static double time_candidate(Bench *b, Program *p, double best) {
  int64_t n = b->dev->par_prefix && p->par_range && p->par_size > 1 ? p->par_size : 0;
  int64_t k = n ? (n < tp_threads() ? n : tp_threads()) : 0;
  int launches = 1, reps = 0;
  double spent = 0, best_est = INFINITY, last = INFINITY;
  while (reps < b->repeats) {
    p->par_limit = k;
    double t = run_once(b, p, launches), total = t * launches;
    if (t < 0) {
      LOG(2, "BEAM: %s failed to run: %s", p->name, tg_error());
      p->par_limit = 0;
      return INFINITY;
    }
    spent += total;
    last = k ? t * (double)n / (double)k : t;
    if (total < b->min_s && spent < b->limit_s && (k < n || launches < 1000)) {   // too short to measure: longer
      double f = b->min_s * 1.5 / (total > 1e-7 ? total : 1e-7);
      if (k < n) k = (int64_t)fmin((double)n, fmax(2.0 * (double)k, (double)k * f));
      else launches = (int)fmin(1000, fmax(2.0 * launches, launches * f));
      continue;
    }
    best_est = fmin(best_est, last);
    reps++;
    if (best_est > 3 * best || spent > b->limit_s) break;
  }
  p->par_limit = 0;
  return reps ? best_est : last;   // a candidate stopped by the time limit before a full measurement: its last
}

static bool close_enough(ScalarType t, const void *got, const void *want, int64_t n, int64_t *at) {
  double scale = 0;
  for (int64_t i = 0; t == DT_FLOAT32 && i < n; i++) scale = fmax(scale, fabs(((const float *)want)[i]));
  for (int64_t i = 0; t == DT_FLOAT64 && i < n; i++) scale = fmax(scale, fabs(((const double *)want)[i]));
  int sz = st_itemsize(t);
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    if (t == DT_FLOAT32 || t == DT_FLOAT64) {   // sums reassociate under UNROLL/VECTORIZE: 1e-4 of the output's scale
      double g = t == DT_FLOAT32 ? ((const float *)got)[i] : ((const double *)got)[i];
      double w = t == DT_FLOAT32 ? ((const float *)want)[i] : ((const double *)want)[i];
      ok = (isnan(g) && isnan(w)) || g == w || fabs(g - w) <= 1e-4 * (scale + fabs(w));
    } else if (t == DT_FLOAT16 || t == DT_BFLOAT16) {   // within 2 units in the last place
      int16_t g, w;
      memcpy(&g, (const char *)got + 2 * i, 2);
      memcpy(&w, (const char *)want + 2 * i, 2);
      int gi = g < 0 ? -(g & 0x7fff) : g, wi = w < 0 ? -(w & 0x7fff) : w;
      ok = abs(gi - wi) <= 2;
    } else ok = memcmp((const char *)got + i * sz, (const char *)want + i * sz, (size_t)sz) == 0;
    if (!ok) { *at = i; return false; }
  }
  return true;
}

// Runs p once over everything from the initial contents; store: keep the results as the reference, else compare.
static bool run_checked(Bench *b, Program *p, bool store, char *why, int whylen) {
  for (int i = 0; i < b->nbufs; i++) if (b->bufs[i]) buf_copyin(b->bufs[i], b->init[i], b->bufs[i]->nbytes);
  if (b->dev->exec(b->dev, p, b->bufs, NULL) != 0) { snprintf(why, (size_t)whylen, "%s", tg_error()); return false; }
  bool ok = true;
  for (int i = 0; i < b->nbufs && ok; i++) {
    Buffer *x = b->bufs[i];
    if (!x) continue;
    void *host = malloc(x->nbytes ? x->nbytes : 1);
    TG_ASSERT(host, "out of memory");
    buf_copyout(x, host, x->nbytes);
    int64_t at;
    if (store) { free(b->ref[i]); b->ref[i] = host; continue; }
    if (!(ok = close_enough(x->dtype, host, b->ref[i], x->size, &at))) snprintf(why, (size_t)whylen, "buffer %d differs at element %lld", i, (long long)at);
    free(host);
  }
  return ok;
}

// ---- candidates and actions ----
typedef struct Cand { UOp *ast; Opt opts[MAX_OPTS]; int nopts; Program *p; double t; } Cand;
typedef VEC(Cand) CandVec;

static const int AMOUNTS[] = { 2, 3, 4, 5, 6, 8, 16 };

// Copies of the kernel body that UPCAST (or UPCAST and UNROLL) make.
static int64_t expansion(const Cand *c, bool unroll_too) {
  int64_t e = 1;
  for (int i = 0; i < c->nopts; i++)
    if (c->opts[i].kind == OPT_UPCAST || (unroll_too && c->opts[i].kind == OPT_UNROLL)) e *= c->opts[i].amount;
  return e;
}

static int add_action(Opt *out, int n, Opt o) {
  for (int i = 0; i < n; i++) if (out[i].kind == o.kind && out[i].axis == o.axis && out[i].amount == o.amount) return n;
  if (n < MAX_ACTIONS) out[n++] = o;
  return n;
}

/* Every single opt worth trying on c: amounts that divide the axis. The body may grow to BEAM_UPCAST_MAX (default
 * 32) output elements per iteration besides the SIMD lanes, and BEAM_BODY_MAX (default 128) copies with UNROLL:
 * past that the accumulators no longer fit in registers, and GCC takes seconds (128 scalar accumulators: ~7 s). */
// GPU devices: threads on any output axis (LOCAL) or reduce axis (GROUP, GROUPTOP), or none at all (NOLOCALS);
// opt_apply refuses what the block cannot hold.
static const int LOCAL_AMOUNTS[] = { 2, 4, 8, 16, 32 }, GROUP_AMOUNTS[] = { 4, 8, 16, 32, 64, 128, 256 };

static int thread_actions(UOp *r, int n, Opt *out) {
  int64_t size = r->src[0]->arg.i;
  int axis = (int)r->arg.tup[0];
  if (r->arg.tup[1] == AXIS_OUTPUT)
    for (size_t a = 0; a < sizeof LOCAL_AMOUNTS / sizeof *LOCAL_AMOUNTS; a++)
      if (size % LOCAL_AMOUNTS[a] == 0) n = add_action(out, n, (Opt){ OPT_LOCAL, axis, LOCAL_AMOUNTS[a] });
  if (r->arg.tup[1] == AXIS_REDUCE)
    for (size_t a = 0; a < sizeof GROUP_AMOUNTS / sizeof *GROUP_AMOUNTS; a++)
      if (size % GROUP_AMOUNTS[a] == 0) {
        n = add_action(out, n, (Opt){ OPT_GROUP, axis, GROUP_AMOUNTS[a] });
        n = add_action(out, n, (Opt){ OPT_GROUPTOP, axis, GROUP_AMOUNTS[a] });
      }
  return n;
}

static int actions(const Cand *c, int lanes, const RendererCaps *caps, Opt *out) {
  const UOpList *t = uop_toposort(c->ast);
  int64_t up_room = env_int("BEAM_UPCAST_MAX", 32) / expansion(c, false), body_room = env_int("BEAM_BODY_MAX", 128) / expansion(c, true);
  bool vectorized = opt_lane_range(c->ast) != NULL;
  int n = 0;
  for (int64_t i = 0; i < t->n; i++) {
    UOp *r = t->items[i];
    if (r->op != OP_RANGE || r->src[0]->op != OP_CONST || r->arg.tup[1] > 1) continue;
    int64_t size = r->src[0]->arg.i, axis = r->arg.tup[0];
    OptKind kind = r->arg.tup[1] == 0 ? OPT_UPCAST : OPT_UNROLL;
    int64_t room = kind == OPT_UPCAST && up_room < body_room ? up_room : body_room;
    for (size_t a = 0; a <= sizeof AMOUNTS / sizeof *AMOUNTS; a++) {
      int64_t amt = a < sizeof AMOUNTS / sizeof *AMOUNTS ? AMOUNTS[a] : size;   // the last: the whole axis
      if (amt >= 2 && amt <= 32 && size % amt == 0 && amt <= room) n = add_action(out, n, (Opt){ kind, (int)axis, (int)amt });
    }
    for (int w = lanes / 2; w <= 2 * lanes && !vectorized && lanes >= 2; w *= 2)
      if (w >= 2 && w <= 32 && size % w == 0) n = add_action(out, n, (Opt){ OPT_VECTORIZE, (int)axis, w });
    if (caps->has_local) n = thread_actions(r, n, out);
    else if (kind == OPT_UPCAST && !kernel_threads(c->ast)) {      // CPU: this axis threaded, by one or every worker
      n = add_action(out, n, (Opt){ OPT_THREAD, (int)axis, 1 });
      if (tp_threads() > 1) n = add_action(out, n, (Opt){ OPT_THREAD, (int)axis, tp_threads() });
    }
    for (int w = 4; w <= lanes && size % w; w *= 2)               // pad to a multiple of the lanes (opt_apply refuses > 25%)
      n = add_action(out, n, (Opt){ OPT_PADTO, (int)axis, w });
    for (int w = 3; w <= 6 && kind == OPT_UPCAST; w++)            // ... or of a register tile's rows (a 6x16 matmul tile)
      if (w != 4 && size % w) n = add_action(out, n, (Opt){ OPT_PADTO, (int)axis, w });
    for (int64_t j = 0; j < i && kind == OPT_UPCAST; j++) {       // loop order: swap with an earlier output axis
      UOp *q = t->items[j];
      if (q->op == OP_RANGE && q->arg.tup[1] == 0) n = add_action(out, n, (Opt){ OPT_SWAP, (int)q->arg.tup[0], (int)axis });
    }
  }
  if (caps->has_local) n = add_action(out, n, (Opt){ OPT_NOLOCALS, 0, 0 });
  for (int64_t i = 0; i < t->n && caps->tc && c->nopts == 0; i++) {     // tensor cores: only as the first opt
    UOp *r = t->items[i];
    int m, nn;
    if (r->op == OP_RANGE && axis_kind(r) == AXIS_REDUCE && opt_tc_axes(c->ast, (int)r->arg.tup[0], caps, &m, &nn))
      n = add_action(out, n, (Opt){ OPT_TC, (int)r->arg.tup[0], 0 });
  }
  return n;
}

static int caps_lanes(const RendererCaps *caps, UOp *ast) {
  int item = st_itemsize((ScalarType)ast->src[0]->src[0]->dtype.scalar);
  return item > 0 ? caps->vector_bytes / item : 0;
}
static int store_lanes(Device *dev, UOp *ast) { return caps_lanes(&dev->caps, ast); }

int beam_actions(UOp *ast, const RendererCaps *caps, Opt *out, int max) {
  Cand c = { .ast = ast };
  Opt all[MAX_ACTIONS];
  int n = actions(&c, caps_lanes(caps, ast), caps, all);
  if (n > max) n = max;
  memcpy(out, all, (size_t)n * sizeof *out);
  return n;
}

// Codegen + compile every candidate (together when the device can); failures are counted and reported.
static void compile_cands(Device *dev, Cand *cs, int n, bool decomp, const char *kname) {
  Program **ps = malloc(((size_t)n + 1) * sizeof *ps);
  char **errs = calloc((size_t)n + 1, sizeof *errs);
  TG_ASSERT(ps && errs, "out of memory");
  double t0 = time_s();
  for (int i = 0; i < n; i++) ps[i] = cs[i].p = opt_codegen(cs[i].ast, decomp);
  double t1 = time_s();
  if (dev->compile_many) dev->compile_many(dev, ps, n, errs);
  else
    for (int i = 0; i < n; i++)
      if (dev->compile(dev, ps[i]) != 0) errs[i] = strdup(tg_error() ? tg_error() : "compile failed");
  beam_stats.codegen_s += t1 - t0;
  beam_stats.compile_s += time_s() - t1;
  for (int i = 0; i < n; i++) {
    beam_stats.candidates++;
    if (!errs[i]) continue;
    char o[512];
    opts_str(cs[i].opts, cs[i].nopts, o, sizeof o);
    beam_stats.compile_failed++;
    LOG(2, "BEAM %s: candidate [%s] failed to compile: %s", kname, o, errs[i]);
    program_free(cs[i].p);
    cs[i].p = NULL;
    cs[i].t = INFINITY;
    free(errs[i]);
  }
  free(ps);
  free(errs);
}

static int cmp_time(const void *a, const void *b) {
  double x = ((const Cand *)a)->t, y = ((const Cand *)b)->t;
  return x < y ? -1 : x > y ? 1 : 0;
}

typedef struct Search {
  Device *dev;
  Bench b;
  char kname[64];
  double t0, best;
  int round, done, total, differ;
} Search;

static void draw(Search *s) {
  if (!progress_wanted()) return;
  char label[96], extra[96];
  snprintf(label, sizeof label, "BEAM %-20s round %d", s->kname, s->round);
  snprintf(extra, sizeof extra, "best %.1f us", s->best * 1e6);
  progress_draw(label, s->done, s->total, time_s() - s->t0, extra);
}

// Times (and with BEAM_VERIFY checks) the compiled candidates; the others keep t = INFINITY.
static void time_cands(Search *s, Cand *cs, int n) {
  double t0 = time_s();
  s->done = 0;
  s->total = n;
  for (int i = 0; i < n; i++, s->done++, draw(s)) {
    if (!cs[i].p) continue;
    char why[256];
    if (s->b.verify && !run_checked(&s->b, cs[i].p, false, why, sizeof why)) {
      char o[512];
      opts_str(cs[i].opts, cs[i].nopts, o, sizeof o);
      beam_stats.verify_failed++;
      s->differ++;
      LOG(2, "BEAM %s: candidate [%s] differs from the unoptimized kernel: %s", s->kname, o, why);
      cs[i].t = INFINITY;
      continue;
    }
    cs[i].t = time_candidate(&s->b, cs[i].p, s->best);
    s->best = fmin(s->best, cs[i].t);
  }
  beam_stats.timing_s += time_s() - t0;
}

static void free_programs(Cand *cs, int n) {
  for (int i = 0; i < n; i++) { program_free(cs[i].p); cs[i].p = NULL; }
}

// The next round's candidates: every action on every beam entry, each new AST once (ASTs are interned).
static void expand(Search *s, const Cand *beam, int nbeam, HMap *seen, CandVec *out) {
  Opt acts[MAX_ACTIONS];
  int lanes = store_lanes(s->dev, beam[0].ast);
  for (int e = 0; e < nbeam; e++) {
    if (beam[e].nopts >= MAX_OPTS) continue;
    int na = actions(&beam[e], lanes, &s->dev->caps, acts);
    for (int a = 0; a < na; a++) {
      UOp *next = opt_apply(beam[e].ast, acts[a], &s->dev->caps, NULL, 0);
      if (!next || hmap_get(seen, (uint64_t)(uintptr_t)next, NULL)) continue;
      hmap_put(seen, (uint64_t)(uintptr_t)next, 1);
      Cand c = beam[e];
      c.ast = next;
      c.opts[c.nopts++] = acts[a];
      c.p = NULL;
      c.t = INFINITY;
      vec_push(out, c);
    }
  }
}

// The search itself; -1 (with why) when the kernel cannot be timed.
static int search(Device *dev, UOp *ast, bool decomp, int width, Opt *out, int max, const char **why) {
  Search s = { .dev = dev, .t0 = time_s(), .best = INFINITY };
  if (!bench_init(&s.b, dev, ast, why)) { bench_free(&s.b); return -1; }
  beam_stats.searches++;
  int64_t failed0 = beam_stats.compile_failed;
  Cand base = { .ast = ast, .t = INFINITY };
  compile_cands(dev, &base, 1, decomp, "(unoptimized)");
  snprintf(s.kname, sizeof s.kname, "%s", base.p ? base.p->name : "kernel");
  char vwhy[256];
  if (s.b.verify && (!base.p || !run_checked(&s.b, base.p, true, vwhy, sizeof vwhy))) {   // nothing to compare with
    LOG(2, "BEAM %s: the unoptimized kernel failed, BEAM_VERIFY is off for it: %s", s.kname, base.p ? vwhy : "no program");
    s.b.verify = false;
  }
  if (base.p) base.t = s.best = time_candidate(&s.b, base.p, INFINITY);
  double t_base = base.t;
  free_programs(&base, 1);
  CandVec beam = { 0 }, next = { 0 };
  vec_push(&beam, base);
  Cand best = base;
  HMap seen = { 0 };
  hmap_put(&seen, (uint64_t)(uintptr_t)ast, 1);
  // the hand-coded opts start in the beam too: the search never returns a kernel slower than the heuristic's
  // (as timed here), and refines it
  Cand heur = { .t = INFINITY };
  heur.ast = opt_heuristic(ast, &dev->caps, heur.opts, MAX_OPTS, &heur.nopts);
  if (heur.nopts > 0 && heur.ast != ast) {
    compile_cands(dev, &heur, 1, decomp, s.kname);
    time_cands(&s, &heur, 1);
    free_programs(&heur, 1);
    hmap_put(&seen, (uint64_t)(uintptr_t)heur.ast, 1);
    if (!isinf(heur.t)) vec_push(&beam, heur);
    if (heur.t < best.t) best = heur;
  }
  int rounds = (int)env_int("BEAM_ROUNDS", 8), ncand = 0;
  for (s.round = 1; s.round <= rounds; s.round++) {
    vec_clear(&next);
    expand(&s, beam.data, (int)beam.len, &seen, &next);
    if (!next.len) break;
    ncand += (int)next.len;
    compile_cands(dev, next.data, (int)next.len, decomp, s.kname);
    time_cands(&s, next.data, (int)next.len);
    free_programs(next.data, (int)next.len);
    qsort(next.data, (size_t)next.len, sizeof *next.data, cmp_time);
    if (!(next.data[0].t < best.t * 0.99)) break;   // no round is worth less than 1%: that is timing noise
    best = next.data[0];
    vec_clear(&beam);
    for (int i = 0; i < width && i < next.len && !isinf(next.data[i].t); i++) vec_push(&beam, next.data[i]);
  }
  if (progress_wanted()) progress_end();
  char o[512];
  opts_str(best.opts, best.nopts, o, sizeof o);
  LOG(2, "BEAM %s: %.1f -> %.1f us after %d rounds of %d candidates (%lld failed to compile, %d differed) in %.1f s: %s",
      s.kname, t_base * 1e6, best.t * 1e6, s.round > rounds ? rounds : s.round, ncand, (long long)(beam_stats.compile_failed - failed0),
      s.differ, time_s() - s.t0, o);
  int n = best.nopts < max ? best.nopts : max;
  memcpy(out, best.opts, (size_t)n * sizeof *out);
  vec_free(&beam);
  vec_free(&next);
  hmap_free(&seen);
  bench_free(&s.b);
  return n;
}

// ---- the disk cache: <cache dir>/beam/<key>.txt, a few text lines closed by a checksum line ----
static const char CACHE_MAGIC[] = "tinygrad.c beam 1\n";

static char *cache_path(Device *dev, UOp *ast, bool decomp, int width) {
  char *dir = rt_cpu_cache_dir();
  if (!dir) return NULL;
  char *listing = uop_listing(ast), params[128];
  snprintf(params, sizeof params, "%s|%d|%d|%d%s%s", dev->name, dev->caps.vector_bytes, (int)decomp, width, dev->model[0] ? "|" : "", dev->model);
  const char *parts[] = { CACHE_MAGIC, listing, params };
  char key[33];
  fnv_key_hex(parts, sizeof parts / sizeof *parts, key);
  StrBuf sb = { 0 };
  sb_printf(&sb, "%s/beam/%s.txt", dir, key);
  free(listing);
  free(dir);
  return sb_take(&sb);
}

static bool parse_kind(const char *s, OptKind *k) {
  for (int i = OPT_UPCAST; i < OPT_NKINDS; i++)
    if (!strcmp(s, opt_name((OptKind)i))) { *k = (OptKind)i; return true; }
  return false;
}

// Parses a cache file's text (checksum already checked). NULL, or what is wrong with it.
static const char *parse_entry(char *text, UOp *ast, const RendererCaps *caps, Opt *opts, int max, int *n) {
  if (strncmp(text, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0) return "not a BEAM cache file";
  char *line = text + strlen(CACHE_MAGIC), *save = NULL;
  char *tok = strtok_r(line, "\n", &save);
  if (!tok || sscanf(tok, "opts %d", n) != 1 || *n < 0 || *n > max) return "bad opt count";
  for (int i = 0; i < *n; i++) {
    char kind[16];
    tok = strtok_r(NULL, "\n", &save);
    if (!tok || sscanf(tok, "%15s %d %d", kind, &opts[i].axis, &opts[i].amount) != 3 || !parse_kind(kind, &opts[i].kind)) return "bad opt line";
  }
  char why[160];
  if (!opt_apply_list(ast, opts, *n, caps, why, sizeof why)) return "its opts no longer apply to this kernel";
  return NULL;
}

// The cached opts: their count, or -1 (a corrupt or stale file gets a warning and is ignored).
static int cache_read(const char *path, UOp *ast, const RendererCaps *caps, Opt *opts, int max) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  char buf[4096];
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  bool big = !feof(f);
  fclose(f);
  buf[len] = 0;
  const char *bad = NULL;
  char *check = NULL;
  for (char *c = strstr(buf, "check "); c; c = strstr(c + 1, "check ")) check = c;   // the last one
  unsigned long long want = 0;
  int n = -1;
  if (big || len == 0 || memchr(buf, 0, len)) bad = "not a small text file";
  else if (!check || sscanf(check, "check %llx", &want) != 1) bad = "no checksum (truncated?)";
  else if (fnv1a(FNV1A_INIT, buf, (size_t)(check - buf)) != want) bad = "checksum mismatch";
  else {
    *check = 0;
    bad = parse_entry(buf, ast, caps, opts, max, &n);
  }
  if (bad) { log_warn("BEAM cache: ignoring %s: %s", path, bad); return -1; }
  return n;
}

static void cache_write(const char *path, const Opt *opts, int n) {
  StrBuf sb = { 0 }, dir = { 0 }, tmp = { 0 };
  sb_puts(&sb, CACHE_MAGIC);
  sb_printf(&sb, "opts %d\n", n);
  for (int i = 0; i < n; i++) sb_printf(&sb, "%s %d %d\n", opt_name(opts[i].kind), opts[i].axis, opts[i].amount);
  sb_printf(&sb, "check %016llx\n", (unsigned long long)fnv1a(FNV1A_INIT, sb.s, sb.len));
  sb_printf(&dir, "%.*s", (int)(strrchr(path, '/') - path), path);
  sb_printf(&tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *f = rt_cpu_mkdirs(dir.s) == 0 ? fopen(tmp.s, "wb") : NULL;
  bool ok = f && fwrite(sb.s, 1, sb.len, f) == sb.len;
  if (f && fclose(f) != 0) ok = false;
  if (!ok || rename(tmp.s, path) != 0) {    // the search result is still used; only the next process repeats it
    log_warn("BEAM cache: cannot write %s: %s", path, strerror(errno));
    unlink(tmp.s);
  }
  sb_free(&sb); sb_free(&dir); sb_free(&tmp);
}

int beam_opts(Device *dev, UOp *ast, bool decomp, int width, Opt *opts, int max) {
  if (max > MAX_OPTS) max = MAX_OPTS;
  char *path = cache_path(dev, ast, decomp, width);
  int n = path && !env_int("IGNORE_BEAM_CACHE", 0) ? cache_read(path, ast, &dev->caps, opts, max) : -1;
  if (n >= 0) {
    beam_stats.cache_hits++;
    free(path);
    return n;
  }
  const char *why = NULL;
  n = search(dev, ast, decomp, width, opts, max, &why);
  if (n >= 0 && path) cache_write(path, opts, n);
  if (n < 0) {   // said, not hidden: the kernel gets the hand-coded opts
    LOG(1, "BEAM: cannot search this kernel (%s); using the heuristic opts", why);
    opt_heuristic(ast, &dev->caps, opts, max, &n);
  }
  free(path);
  return n;
}
