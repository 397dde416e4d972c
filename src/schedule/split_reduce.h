// Split a reduce much larger than its output into two kernels (tinygrad's split_reduceop)
#ifndef TG_SPLIT_REDUCE_H
#define TG_SPLIT_REDUCE_H
#include "uop/uop.h"

// sink with every such REDUCE_AXIS rewritten as a reduce into (output, chunks) partials, realized, then a
// reduce over the chunks. SPLIT_REDUCEOP=0 turns it off.
UOp *split_reduces(UOp *sink);
#endif
