#!/usr/bin/env python3
"""Full-size PyTorch <-> .NET weight parity: torchvision's alexnet and vgg11_bn (random weights
and batch-norm statistics, seeded; nothing is downloaded) at 224x224.

    /usr/bin/python3 bench/interop_parity.py [--models alexnet,vgg11_bn] [--work DIR] [--cli "CMD"]

For each model: PyTorch saves its state_dict as .pth (torch.save) and .safetensors, and its
eval-mode logits for a fixed batch (.npy); the CLI's `predict` loads each file into the generated
model (AlexNet, Vgg11Bn) and writes its logits; then the CLI's `convert` writes the weights back
from .NET (.pth and .safetensors, torchvision's names) and PyTorch loads them with
load_state_dict(strict=True) and runs the batch again. Prints the largest absolute differences
as a Markdown table (docs/interop.md). Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "TorchSpecs.Tests", "Interop", "Fixtures"))
from torchvision_models import build, load_safetensors, save_safetensors  # noqa: E402

GENERATED = {"alexnet": ("AlexNet", "torch"), "vgg11_bn": ("Vgg11Bn", "torchvision")}


def run(cli, *args):
    command = shlex.split(cli) + list(args)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="alexnet,vgg11_bn")
    parser.add_argument("--work", default=None)
    parser.add_argument("--cli", default=f"dotnet run -c Release --project {os.path.join(HERE, '..', 'samples', 'TorchSpecs.Cli')} --")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="torchspecs-parity-")
    os.makedirs(work, exist_ok=True)
    rows = []
    for seed, name in enumerate(args.models.split(","), start=1):
        generated, names = GENERATED[name]
        torch.manual_seed(seed)
        model, size = build(name)
        state = model.state_dict()
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            y = model(x).numpy()
        paths = {ext: os.path.join(work, f"{name}{ext}") for ext in (".pth", ".safetensors")}
        torch.save(state, paths[".pth"])
        save_safetensors(state, paths[".safetensors"])
        np.save(os.path.join(work, "x.npy"), x.numpy())
        for ext, path in paths.items():
            out = os.path.join(work, f"dotnet{ext}.npy")
            run(args.cli, "predict", generated, "--weights", path, "--input", os.path.join(work, "x.npy"), "--output", out, "--top", "1")
            rows.append((name, f"PyTorch {ext} -> .NET predict", float(np.abs(np.load(out) - y).max())))
        for ext in (".pth", ".safetensors"):
            back = os.path.join(work, f"from_dotnet_{name}{ext}")
            run(args.cli, "convert", generated, paths[".pth"], back, "--names", names)
            fresh, _ = build(name)
            loaded = load_safetensors(back) if ext == ".safetensors" else torch.load(back, weights_only=True)
            fresh.load_state_dict(loaded, strict=True)
            with torch.no_grad():
                z = fresh(x).numpy()
            rows.append((name, f".NET convert -> {ext} -> PyTorch load_state_dict(strict=True)", float(np.abs(z - y).max())))
    print(f"| model | path | max abs difference of the logits (batch 2, {size}x{size}) |")
    print("|---|---|---|")
    for name, path, diff in rows:
        print(f"| {name} | {path} | {diff:.2e} |")


if __name__ == "__main__":
    main()
