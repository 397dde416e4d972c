// Merge adjacent loops of a kernel that every index walks as one (tinygrad's simplify_merge_adjacent)
#ifndef TG_MERGE_RANGES_H
#define TG_MERGE_RANGES_H
#include "uop/uop.h"

// The kernel AST with each pair of ranges a (outer) and b (inner, the next id, same kind, constant sizes) merged
// into one range m of size |a| |b| wherever a -> m / |b|, b -> m % |b| simplifies to no more divisions and moduli
// than before (every index, gate and value uses them only as a * |b| + b). MERGE_RANGES=0 turns it off.
UOp *merge_adjacent_ranges(UOp *ast);
#endif
