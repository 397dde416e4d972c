// Program: one compiled kernel as the runtime sees it (its linear UOp list, source, launch facts)
#ifndef TG_PROGRAM_H
#define TG_PROGRAM_H
#include "uop/uop.h"

/* The linear list (output of codegen/linearize, input of renderers and INTERP).
 * Every node appears exactly once, sources before users. Nodes and their meaning:
 *   DEFINE_GLOBAL  dtype ptr(global, size) to the element type, arg INT = buffer slot (0..nbufs-1)
 *   DEFINE_VAR     a symbolic int (index dtype), ARG_VAR (name, min, max); value passed at launch,
 *                  slot = its position in Program.vars
 *   CONST          scalar constant
 *   RANGE          src[0] = end (index expr): opens `for (r = 0; r < end; r++)`; arg TUPLE (id, kind)
 *                  kind 0 = loop over an output axis, 1 = reduce loop (uop/axis.h). The program's first RANGE
 *                  may be the parallel one (Program.par_range): the runtime calls the kernel with a
 *                  [start, end) slice of it per thread. Thread ranges (kinds 3 LOCAL, 4 GROUP, 5 WARP; Program.local_range)
 *                  form one chain (nothing between their RANGEs but side-effect-free nodes, their ENDs in a row):
 *                  the threads of a block. They run "at once": a GPU renders them as threadIdx, INTERP as
 *                  virtual threads, each running until the next BARRIER before any goes on.
 *   DEFINE_LOCAL   dtype ptr(local, size) of the element type, arg INT = id: an array the block's threads share
 *   BARRIER        (void) every thread of the block has reached it; sources = the stores it orders
 *   WMMA           one lane's element of a warp's tensor-core instruction (codegen/wmma.h): every lane of the warp (the
 *                  AXIS_WARP range, threadIdx.x) reaches it together; sources = the lane's A, B and C fragments
 *   END            src[0] = the RANGE it closes (dtype void)
 *   DEFINE_REG     dtype ptr(reg, size) of the element type, arg INT = register id: a small local array
 *   INDEX          src = (ptr, idx[, gate]) -> ptr dtype; the element at ptr + idx. A gate (bool) says
 *                  whether the access happens at all.
 *   LOAD           src = (INDEX[, alt]): value at the index; with a gated INDEX, alt (same dtype as
 *                  the load) is the value when the gate is false. Extra void-typed sources are ordering
 *                  dependencies only (e.g. a load of an accumulator after its loop's END).
 *   STORE          src = (INDEX, value[, void deps...]); dtype void. A gated INDEX skips the store.
 *   ALU ops        EXP2 LOG2 SIN SQRT RECIPROCAL NEG TRUNC ADD MUL SUB FDIV CDIV CMOD MAX POW CMPLT CMPNE
 *                  CMPEQ AND OR XOR SHL SHR WHERE MULACC THREEFRY with C semantics (CDIV/CMOD truncate)
 *   CAST BITCAST   value conversion / reinterpretation
 *   SINK           last, sources = the stores (dtype void)
 * Dtypes seen: every scalar type (index renders as int64); float16/bfloat16 are stored as 16-bit and
 * computed in float32 by the C renderer.
 */
typedef struct Program {
  char name[64];            // tinygrad style: E_4_16, r_64_16
  UOp **lin;                // the linear list (malloc'd array)
  int nlin;
  int nbufs;                // DEFINE_GLOBAL slots
  int nvars;
  UOp **vars;               // DEFINE_VAR nodes, in slot order
  UOp *par_range;           // the RANGE split across threads, or NULL
  int64_t par_size;         // its trip count (when constant), else -1
  int64_t par_limit;        // > 0: exec runs only the first par_limit trips of par_range (timing slices;
                            // honoured by devices with par_prefix)
  int par_threads;          // THREAD opt: at most this many CPU threads split par_range (0: every worker)
  int nlocal;               // thread ranges: 0 (the device's default block), 1..3
  UOp *local_range[3];      // the RANGE that threadIdx.x, .y, .z stand for (the innermost thread range is x)
  int64_t local_size[3];    // the block's shape (1 where unused)
  char *src;                // rendered source (NULL until rendered)
  void *lib, *entry;        // compiled object (runtime-specific)
  struct Device *dev;       // the device that compiled it (set by compile; program_free calls its release)
  double est_flops, est_bytes;
} Program;

// Frees what p owns (lin, vars, src, the compiled object through dev->release) and p itself, which
// must come from malloc/calloc. NULL is a no-op.
void program_free(Program *p);
// Checks the linear list's structure and aborts (an internal bug) on a violation: every source is
// listed before its user, RANGE/END (and IF/ENDIF) nest, no value is used outside the loop that
// computes it (CONST, DEFINE_GLOBAL and DEFINE_VAR are visible everywhere), buffer slots are below
// nbufs and every DEFINE_VAR is in vars. The renderers and INTERP call it before they run.
void program_verify(const Program *p);
#endif
