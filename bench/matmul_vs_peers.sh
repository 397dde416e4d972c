#!/usr/bin/env bash
# fp32 matmul N=512,1024,2048: tinygrad.c (hand-coded opts, BEAM=2 with its search time), numpy (OpenBLAS when
# libopenblas0-pthread is installed) and PyTorch, in the same run, on every core.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/$build/bench_matmul" 512 1024 2048
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - <<'PY'
import os, time
import numpy as np
def best(fn, n):
    fn()
    reps, ts = (3 if n >= 2048 else 10), []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return min(ts)
maps = [l.split()[-1] for l in open("/proc/self/maps") if "/libblas" in l or "/libopenblas" in l]
blas = "/".join(maps[0].split("/")[-2:]) if maps else "unknown BLAS"   # e.g. openblas-pthread/libblas.so.3
for n in (512, 1024, 2048):
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    t = best(lambda: a @ b, n)
    print(f"N={n:<5} numpy ({blas}): {t*1e3:8.2f} ms  {2*n**3/t*1e-9:7.1f} GFLOP/s")
import torch
torch.set_num_threads(os.cpu_count())
for n in (512, 1024, 2048):
    a, b = torch.rand(n, n), torch.rand(n, n)
    t = best(lambda: a @ b, n)
    print(f"N={n:<5} torch {torch.__version__} ({torch.get_num_threads()} threads): {t*1e3:8.2f} ms  {2*n**3/t*1e-9:7.1f} GFLOP/s")
PY
