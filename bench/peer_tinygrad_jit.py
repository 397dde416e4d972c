# tinygrad's TinyJit replay cost per kernel: a chain of 1,000 tiny dependent kernels (same graph as bench/jit_replay.c)
import time
from tinygrad import Tensor, TinyJit
CHAIN, REPS = 1000, 20
@TinyJit
def chain(x):
  for _ in range(CHAIN): x = (x + 1).contiguous()
  return x.realize()
x = Tensor.rand(4).realize()
for _ in range(3): chain(x)
best = 1e9
for _ in range(REPS):
  t = time.perf_counter(); chain(x); best = min(best, time.perf_counter() - t)
print(f"tinygrad TinyJit replay: {CHAIN} kernels, {best * 1e6 / CHAIN:.3f} us per kernel (best of {REPS})")
