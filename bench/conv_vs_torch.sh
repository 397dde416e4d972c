#!/usr/bin/env bash
# The training network's convolutions, forward and backward: tinygrad.c and PyTorch CPU (2 threads), same run.
# usage: bench/conv_vs_torch.sh [build dir, default build] [batch, default 512]
set -euo pipefail
build=${1:-build}; B=${2:-512}
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/$build/bench_conv" "$B"
/usr/bin/python3 "$here/bench/peer_torch_conv.py" "$B"
