#!/usr/bin/env bash
# Median Fashion-MNIST training step (the demo network, Adam, batch 512), tinygrad.c and PyTorch CPU alternating
# in the same run, ROUNDS times each (this machine is shared and noisy; compare runs that sit next to each other).
# usage: bench/fmnist_vs_torch.sh [build dir, default build] [steps per run, default 40] [rounds, default 2]
set -euo pipefail
build=${1:-build}; steps=${2:-40}; rounds=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
for r in $(seq "$rounds"); do
  echo "== round $r"
  "$here/$build/tg" train fashion-mnist --steps "$steps" --out /tmp/fmnist_bench.safetensors 2>/dev/null | grep "median step"
  STEPS=$steps EVERY=0 /usr/bin/python3 "$here/bench/peer_torch_fmnist.py" | grep "median step"
done
