#!/usr/bin/env bash
# The fused 10-op elementwise chain on 16M float32: tinygrad.c, numpy and the C stream floor, same run.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/$build/bench_elementwise"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - <<'PY'
import numpy as np, time
x = (np.arange(16*1024*1024) % 1000).astype(np.float32) * np.float32(0.001)
def chain():
    y = x * np.float32(1.5) + np.float32(0.5)
    y = np.maximum(y - np.float32(0.25), np.float32(-1))
    y = y * x
    y = y * np.float32(0.75) + np.float32(1)
    y = np.minimum(y / np.float32(3), np.float32(2))
    return y + x
best = min((lambda t0: (chain(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))
print(f"numpy 10-op chain on 16M f32: {best*1e3:.2f} ms, {2*16*1024*1024*4/best*1e-9:.1f} GB/s (effective)")
PY
