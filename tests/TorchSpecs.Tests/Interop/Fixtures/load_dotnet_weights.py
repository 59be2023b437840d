#!/usr/bin/env python3
"""The other direction: loads weights that .NET saved into the torchvision model with
load_state_dict(strict=True) and writes its eval-mode logits for a .npy batch.

    load_dotnet_weights.py MODEL WEIGHTS INPUT.npy OUTPUT.npy

MODEL is tiny_alexnet, tiny_vgg_bn (torchvision_models.py) or a torchvision model name
(alexnet, vgg11_bn). WEIGHTS is a .pth (read with torch.load(weights_only=True)) or a .safetensors file.
"""
import sys

import numpy as np
import torch

from torchvision_models import build, load_safetensors


def main():
    name, weights, input_path, output_path = sys.argv[1:5]
    model, _ = build(name)
    if weights.endswith(".safetensors"):
        state = load_safetensors(weights)
    else:
        state = torch.load(weights, weights_only=True) if "weights_only" in torch.load.__code__.co_varnames else torch.load(weights)
    model.load_state_dict(state, strict=True)
    x = torch.from_numpy(np.load(input_path))
    with torch.no_grad():
        y = model(x)
    np.save(output_path, y.numpy())
    print(f"{name}: loaded {len(state)} tensors strictly from {weights}; logits {tuple(y.shape)}")


if __name__ == "__main__":
    main()
