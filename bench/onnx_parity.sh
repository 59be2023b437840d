#!/usr/bin/env bash
# Every model (or those named) exported to ONNX with its initial weights (seed 0), checked by
# ONNX's checker (bench/onnx_check.py, python3-onnx) and run in ONNX Runtime against TorchSharp on
# a random batch of 2 (`export --verify`). Results in docs/interop.md.
#   bench/onnx_parity.sh [MODEL ...]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release samples/TorchSpecs.Cli >/dev/null
cli=(dotnet samples/TorchSpecs.Cli/bin/Release/net10.0/torchspecs.dll)
models=("$@")
if [ ${#models[@]} -eq 0 ]; then mapfile -t models < <("${cli[@]}" list | awk 'NR > 1 { print $1 }'); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for model in "${models[@]}"; do
  "${cli[@]}" export "$model" --format onnx --out "$work/$model.onnx" --verify 2>/dev/null | grep '^verify'
  if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
    /usr/bin/python3 bench/onnx_check.py "$work/$model.onnx" | sed "s|$work/||"
  fi
  rm -f "$work/$model.onnx"
done
