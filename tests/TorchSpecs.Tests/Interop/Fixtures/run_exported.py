#!/usr/bin/env python3
"""Loads an exported TorchSpecs module (`export MODEL --format pytorch`), reads weights .NET saved
into it with load_state_dict(strict=True), and writes its eval-mode output for a .npy batch.

    run_exported.py MODULE.py CLASS WEIGHTS.pth INPUT.npy OUTPUT.npy
"""
import importlib.util
import sys

import numpy as np
import torch


def main():
    source, name, weights, input_path, output_path = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location("exported", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, name)().eval()
    state = torch.load(weights, weights_only=True)
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        y = model(torch.from_numpy(np.load(input_path)))
    np.save(output_path, y.numpy())
    print(f"{name}: {len(state)} tensors loaded strictly; output {tuple(y.shape)}")


if __name__ == "__main__":
    main()
