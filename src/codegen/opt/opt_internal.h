// What the opt files share: finding and splitting ranges, the GPU opts, the heuristics' kernel queries
#ifndef TG_OPT_INTERNAL_H
#define TG_OPT_INTERNAL_H
#include "codegen/opt/opt.h"

UOp *opt_find_range(UOp *ast, int axis);                  // the RANGE with this id, or NULL
UOp *opt_split_range(UOp *ast, UOp *r, int w, int kind, bool top);   // see opt.c
// LOCAL/GROUP/GROUPTOP split (codegen/opt/locals.c), not yet checked against shared memory and the loop nest.
UOp *opt_split_threads(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen);
UOp *opt_nolocals(UOp *ast, const RendererCaps *caps, char *why, int whylen);
// TC (codegen/opt/tc.c), not yet checked against the loop nest.
UOp *opt_tc(UOp *ast, Opt o, const RendererCaps *caps, char *why, int whylen);
// Whether TC applies with reduce axis k_axis as K; the ids of the M and N axes it would tile.
bool opt_tc_axes(UOp *ast, int k_axis, const RendererCaps *caps, int *m_axis, int *n_axis);

// ---- for the heuristics (codegen/opt/heuristic.c) ----
typedef struct { UOp *r; int64_t size; } Axis;
// The constant-size ranges of one kind, outer (lower id) first; their count.
int heur_ranges(UOp *ast, int kind, Axis *out, int max);
bool heur_has_reduce(UOp *ast);
// Applies o when valid (recording it in opts); else returns ast unchanged.
UOp *heur_try(UOp *ast, Opt o, const RendererCaps *caps, Opt *opts, int max, int *n);
// idx(r + 1) - idx(r) when it is a constant, else INT64_MIN.
int64_t heur_step(UOp *idx, UOp *r);
// The kernel's store walks output axis r contiguously (step 1).
bool heur_store_contiguous(UOp *ast, UOp *r);
// Loads of the heaviest loop nest that walk r contiguously, and those that neither do nor stay put (gathers).
void heur_load_steps(UOp *ast, UOp *r, int *contiguous, int *gathers);
// The loads of the heaviest loop nest (those in loops at least 1/8 as long): where a reduce kernel's time goes.
int heur_main_loads(UOp *ast, UOp **out, int max);
// The main loop nest's loads depend on output axis r (its copies would be separate accumulators).
bool heur_feeds_main_loop(UOp *ast, UOp *r);
#endif
