#!/usr/bin/env bash
# JIT replay cost per kernel, 1,000 tiny dependent kernels: tinygrad.c, the direct-call floor, and tinygrad's TinyJit.
# usage: bench/jit_replay_vs_tinygrad.sh [path to tinygrad source, default /tmp/tinygrad] [build dir, default build]
set -euo pipefail
tg=${1:-/tmp/tinygrad}; build=${2:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/$build/bench_jit_replay"
PYTHONPATH="$tg" DEV=CPU python3 "$here/bench/peer_tinygrad_jit.py"
