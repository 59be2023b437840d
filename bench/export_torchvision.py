#!/usr/bin/env python3
"""Writes a torchvision model's state_dict, plus a probe file holding one input batch and the
model's output for it in eval mode (in TorchSharp's exchange format).

    export_torchvision.py alexnet weights.dat probe.dat [seed] [size]

The weights file's extension picks its format: .pth or .pt is torch.save's zip, .safetensors is
safetensors (an 8-byte header length, a JSON header, raw little-endian data; the fixtures' writer), and
anything else TorchSharp's exchange format (the exportsd.py convention).

The model is built with random weights (weights=None: nothing is downloaded), seeded, so a test
can load the weights into the generated TorchSpecs model and compare its output with the probe's.
Format: LEB128 count; per entry LEB128 key length, UTF-8 key, LEB128 ScalarType code, LEB128
number of dimensions, LEB128 dimensions, raw little-endian values.
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "TorchSpecs.Tests", "Interop", "Fixtures"))
from torchvision_models import save_safetensors  # noqa: E402  (the one safetensors writer, as bench/interop_parity.py uses it)

CODES = {torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4,
         torch.float16: 5, torch.float32: 6, torch.float64: 7, torch.bool: 11, torch.bfloat16: 15}


def leb128(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def write(path, tensors):
    with open(path, "wb") as f:
        f.write(leb128(len(tensors)))
        for key, t in tensors.items():
            encoded = key.encode("utf-8")
            f.write(leb128(len(encoded)))
            f.write(encoded)
            f.write(leb128(CODES[t.dtype]))
            f.write(leb128(t.dim()))
            for d in t.shape:
                f.write(leb128(d))
            f.write(t.detach().cpu().contiguous().numpy().tobytes())


def save_weights(path, state):
    if path.endswith((".pth", ".pt")):
        torch.save(state, path)
    elif path.endswith(".safetensors"):
        save_safetensors(state, path, metadata=False)
    else:
        write(path, state)


def main():
    name, weights_path, probe_path = sys.argv[1:4]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 224
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():  # random running statistics, so batch norm is not an identity
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    save_weights(weights_path, model.state_dict())
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        y = model(x)
    write(probe_path, {"input": x, "output": y})
    print(f"{name}: {len(model.state_dict())} tensors, "
          f"{sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
