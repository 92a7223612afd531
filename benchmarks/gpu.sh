#!/usr/bin/env bash
# Every GPU figure of benchmarks/bench_gpu.py, on a machine with a CUDA GPU, in a few minutes; JSON to
# $OUT/gpu.json (the device tool's output folder), else benchmarks/results/gpu.json.
#
# The GPU machine gets the working tree but not ../shared, so MNIST travels gzipped in the ignored folder .device/:
#   here:            bash benchmarks/gpu.sh --pack       (writes .device/mnist.tar.gz, 11 MB)
#   on the GPU:      bash benchmarks/gpu.sh              (run with carry [".device"]; unpacks it to a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--pack" ]; then
  mkdir -p .device
  tar -czf .device/mnist.tar.gz -C "${LATENT_EXPLORER_DATA:-../shared/data}" \
    MNIST/raw/train-images-idx3-ubyte MNIST/raw/train-labels-idx1-ubyte \
    MNIST/raw/t10k-images-idx3-ubyte MNIST/raw/t10k-labels-idx1-ubyte
  echo "wrote .device/mnist.tar.gz; on the GPU machine (carry .device): bash benchmarks/gpu.sh"
  exit 0
fi
if [ ! -f .device/mnist.tar.gz ]; then
  echo "error: no .device/mnist.tar.gz: run 'bash benchmarks/gpu.sh --pack' where the data is, and carry .device" >&2
  exit 1
fi
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
tar -xzf .device/mnist.tar.gz -C "$DATA"
"${PYTHON:-python3}" benchmarks/bench_gpu.py --data-dir "$DATA" --out "${OUT:-benchmarks/results}/gpu.json"
