#!/usr/bin/env python3
"""Makes the PyTorch interop fixtures of InteropTests (run from anywhere; writes beside itself):

    /usr/bin/python3 tests/TorchSpecs.Tests/Interop/Fixtures/make_fixtures.py

For tiny_alexnet and tiny_vgg_bn (torchvision_models.py), seeded: the state_dict as torch.save
writes it (NAME.pth) and as safetensors (NAME.safetensors), a fixed input batch (NAME_input.npy,
NCHW float32) and PyTorch's eval-mode logits for it (NAME_logits.npy). Also a training-style
checkpoint dict (tiny_alexnet_checkpoint.pth: state_dict, classes, epoch) and a whole pickled model
(whole_model.pth: torch.save(model), which a state-dict reader must refuse).
Debian's python3-torch and python3-torchvision 1.13/0.14 made the committed files.
"""
import os

import numpy as np
import torch

from torchvision_models import TINY, build, save_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    for seed, name in enumerate(sorted(TINY), start=1):
        torch.manual_seed(seed)
        model, size = build(name)
        state = model.state_dict()
        torch.save(state, os.path.join(HERE, f"{name}.pth"))
        save_safetensors(state, os.path.join(HERE, f"{name}.safetensors"))
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(HERE, f"{name}_input.npy"), x.numpy())
        np.save(os.path.join(HERE, f"{name}_logits.npy"), y.numpy())
        print(f"{name}: {len(state)} tensors, {sum(p.numel() for p in model.parameters())} parameters, logits {tuple(y.shape)}")
        if name == "tiny_alexnet":
            classes = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
            torch.save({"state_dict": state, "classes": classes, "epoch": 3},
                       os.path.join(HERE, "tiny_alexnet_checkpoint.pth"))
        else:
            torch.save(model, os.path.join(HERE, "whole_model.pth"))


if __name__ == "__main__":
    main()
