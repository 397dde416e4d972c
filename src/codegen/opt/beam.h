// BEAM search: opt lists chosen by timing candidate kernels on the device; results cached on disk
#ifndef TG_BEAM_H
#define TG_BEAM_H
#include "codegen/opt/opt.h"
#include "runtime/device.h"

/* BEAM=N (tinygrad's beam_search): start from the unoptimized AST; each round applies every action (UPCAST and
 * UNROLL by 2,3,4,5,8,16 or the whole axis, VECTORIZE by half, one or two SIMD registers, PADTO, SWAP; on devices
 * with locals LOCAL by 2..32, GROUP and GROUPTOP by 4..256, NOLOCALS) to every entry of the beam, compiles the new kernels together (Device.compile_many), times each on random inputs and keeps the N
 * fastest. The search stops when a round brings no improvement. The opts found are stored under the CPU cache
 * directory (beam/<key>.txt, key: the AST's listing, device, vector width, decompositions, N), so the next
 * process applies them at once; IGNORE_BEAM_CACHE=1 searches anyway.
 * Timing: a device with par_prefix runs a prefix of the parallel range long enough to measure (>= BEAM_MIN_US,
 * default 1000) and scales it to the whole range; min of BEAM_REPEATS runs (default 3); a candidate 3x slower
 * than the best so far is not repeated; one candidate gets at most BEAM_TIMEOUT_MS (default 1000) of runs.
 * Other settings: BEAM_UPCAST_MAX (default 32: product of UPCAST amounts), BEAM_BODY_MAX (default 128: product of
 * UPCAST and UNROLL amounts), BEAM_ROUNDS (default 8),
 * BEAM_VERIFY=1 (each candidate's full output is compared with the unoptimized kernel's).
 * DEBUG>=2 reports every candidate that failed to compile or differed, and one summary line per search. */

// Applies opts in order for a backend with caps (NULL: a host backend): NULL (with the refusal in why) when one is
// not valid.
UOp *opt_apply_list(UOp *ast, const Opt *opts, int n, const RendererCaps *caps, char *why, int whylen);
// The codegen after opts: opt_finish, decompositions (when decomp), linearize, spec check. Not compiled.
Program *opt_codegen(UOp *ast, bool decomp);

typedef struct BeamStats {
  int64_t searches, cache_hits;      // searches run, results read from the disk cache
  int64_t candidates, runs;          // kernels compiled for timing, timing launches
  int64_t compile_failed, verify_failed;
  double codegen_s, compile_s, timing_s;   // where search time goes
} BeamStats;
extern BeamStats beam_stats;

// The single opts a search tries on ast (before opt_apply's checks), at most max; their count.
int beam_actions(UOp *ast, const RendererCaps *caps, Opt *out, int max);

// The opts (at most max) BEAM search of the given width picks for ast on dev, from the disk cache when it has
// them. Returns how many; opt_apply_list(ast, opts, n) is valid.
int beam_opts(Device *dev, UOp *ast, bool decomp, int width, Opt *opts, int max);
#endif
