"""The networks of the interop fixtures, built with torchvision's own classes.

tiny_alexnet() is torchvision.models.AlexNet with its features, pool and classifier narrowed to
the widths of tests/TorchSpecs.Tests/specs/tiny-alexnet.yaml, keeping torchvision's module layout
(so its state_dict keys are torchvision's: features.0.weight, classifier.6.bias, ...).
tiny_vgg_bn() is torchvision.models.vgg.VGG over torchvision's make_layers(batch_norm=True)
with a narrow configuration, as tiny-vgg-bn.yaml. full(name) is torchvision's own model.
Batch-norm statistics and affine parameters are random, so batch norm is not an identity.
Also small readers/writers of safetensors files (the format is an 8-byte header length, a JSON
header and raw little-endian data), so the scripts need only torch, torchvision and numpy.
"""
import json
import struct

import numpy as np
import torch
import torchvision
from torch import nn


def randomize_batch_norm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.num_batches_tracked.fill_(7)
    return model


def tiny_alexnet():
    model = torchvision.models.AlexNet(num_classes=10)
    model.features = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(8, 16, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(16, 24, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(24, 16, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2))
    model.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    model.classifier = nn.Sequential(
        nn.Dropout(0.5), nn.Linear(64, 32), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(32, 32), nn.ReLU(inplace=True),
        nn.Linear(32, 10))
    return model


def tiny_vgg_bn():
    features = torchvision.models.vgg.make_layers([8, "M", 16, "M", 16, 16, "M"], batch_norm=True)
    model = torchvision.models.vgg.VGG(features, num_classes=10)
    model.avgpool = nn.AdaptiveAvgPool2d((2, 2))
    model.classifier = nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(True), nn.Dropout(0.5),
        nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(0.5),
        nn.Linear(32, 10))
    return randomize_batch_norm(model)


TINY = {"tiny_alexnet": (tiny_alexnet, 63), "tiny_vgg_bn": (tiny_vgg_bn, 16)}


def build(name):
    """(model, input size) for a tiny fixture model or a full torchvision model (alexnet, vgg11_bn, ...)."""
    if name in TINY:
        make, size = TINY[name]
        return make().eval(), size
    return randomize_batch_norm(getattr(torchvision.models, name)(weights=None)).eval(), 224


DTYPES = {torch.float32: ("F32", np.float32), torch.float64: ("F64", np.float64), torch.int64: ("I64", np.int64),
          torch.int32: ("I32", np.int32), torch.float16: ("F16", np.float16), torch.uint8: ("U8", np.uint8)}
CODES = {code: np_type for code, np_type in DTYPES.values()}


def save_safetensors(state, path, metadata=True):
    """Writes state as safetensors; with metadata, the {"format": "pt"} entry Hugging Face's safetensors writes."""
    header, chunks, offset = ({"__metadata__": {"format": "pt"}} if metadata else {}), [], 0
    for key, t in state.items():
        data = t.detach().cpu().contiguous().numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def load_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    state = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=CODES[entry["dtype"]]).reshape(entry["shape"])
        state[key] = torch.from_numpy(array.copy())
    return state
