#!/usr/bin/env bash
# Makes the torchrun-resume fixtures of PyTorchResumeTests, beside this script:
#   tiny_fashion_ddp.pth             scripts/train_ddp.py under torchrun (2 gloo ranks) trains
#                                    tiny_fashion.py (PyTorchExporter's TinyFashion, checked by
#                                    TheFixturesModuleIsTheExportersOutput) for one epoch of --epochs 3
#                                    on the first 2,048 Fashion-MNIST images (32 steps per rank)
#   tiny_fashion_ddp_incomplete.pth  the same checkpoint without its 'world_size' entry
#   tiny_fashion_ddp_step.pth, tiny_fashion_step_*.npy  one SGD step from it in PyTorch (step_from_checkpoint.py)
# Needs Debian's python3-torch (/usr/bin/torchrun) and dataset-fashion-mnist. Run from anywhere:
#   tests/TorchSpecs.Tests/Interop/Fixtures/make_ddp_checkpoint.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's torchrun 1.13 on Python 3.11 cannot parse its own default --redirects/--tee "0": name both.
/usr/bin/torchrun --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "${PORT:-29533}" --redirects 2 --tee 1 --log_dir "$work/logs" \
  "$repo/scripts/train_ddp.py" --module "$here/tiny_fashion.py" --model TinyFashion --dataset fashion-mnist --limit 2048 \
  --epochs 3 --max-steps 32 --batch-size 32 --lr 0.05 --out "$here/tiny_fashion_ddp.pth"
/usr/bin/python3 - "$here" <<'PY'
import os, sys
import torch
here = sys.argv[1]
checkpoint = torch.load(os.path.join(here, "tiny_fashion_ddp.pth"))
del checkpoint["world_size"]
torch.save(checkpoint, os.path.join(here, "tiny_fashion_ddp_incomplete.pth"))
print("tiny_fashion_ddp_incomplete.pth: without 'world_size'")
PY
/usr/bin/python3 "$here/step_from_checkpoint.py"
