#!/usr/bin/env bash
# Graph-to-kernels time of the GPT-2-small forward graph: tinygrad (python, DEV=NULL) vs tinygrad.c, same run.
# usage: bench/overhead_vs_tinygrad.sh [path to tinygrad source, default /tmp/tinygrad] [build dir, default build]
set -euo pipefail
tg=${1:-/tmp/tinygrad}; build=${2:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
peer=$(PYTHONPATH="$tg" DEV=NULL python3 /work/shared/peers/peer_tinygrad_overhead.py 2>/dev/null || PYTHONPATH="$tg" DEV=NULL python3 "$here/bench/peer_tinygrad_overhead.py")
ours=$("$here/$build/bench_gpt2_overhead" 1)
echo "$peer"; echo "$ours"
p=$(echo "$peer" | sed -E 's/.*realize \(schedule\+codegen\) ([0-9.]+) ms.*/\1/')
o=$(echo "$ours" | sed -E 's/.*total realize ([0-9.]+) ms.*/\1/')
python3 -c "print(f'schedule+codegen: tinygrad {$p:.1f} ms, tinygrad.c {$o:.1f} ms, ratio {$p/$o:.1f}x')"
