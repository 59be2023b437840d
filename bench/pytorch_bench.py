#!/usr/bin/env python3
"""The same network in PyTorch, from the same spec, timed the way `torchspecs bench` times it.

    /usr/bin/python3 bench/pytorch_bench.py specs/seeds/alexnet-torch-lrn.yaml --batch 16 --threads 2 [--json]

Builds the layer table of a TorchSpecs YAML spec with torch.nn (the same layers, padding,
initializers and activations as the generated TorchSharp module; every row's output shape is
checked against the table before timing), then measures images/s forward (eval, inference
mode) and forward+backward (cross-entropy, backward; 'train' adds an SGD momentum step), with
warm-up and several runs, like the bench verb. PyTorch is optional: without it, --json prints
{"available": false, "reason": ...} and the script exits 0, so `bench --compare-pytorch` can
say so. Debian's python3-torch/python3-torchvision and python3-yaml are enough.
"""
import argparse
import json
import statistics
import sys
import time


def unavailable(reason, as_json):
    if as_json:
        print(json.dumps({"available": False, "reason": reason}))
    else:
        print("PyTorch benchmark not run: " + reason)
    sys.exit(0)


def pair(value, name):
    if isinstance(value, int):
        return value, value
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{name}: expected n or [h, w], got {value!r}")


def parse_shape(text):
    text = str(text)
    if "x" in text:
        h, w, c = (int(v) for v in text.split("x"))
        return (c, h, w)
    return (int(text),)


def size_pair(value):
    text = str(value)
    if "x" in text:
        h, w = (int(v) for v in text.split("x"))
        return h, w
    return int(text), int(text)


def parse_init(text):
    text = str(text).strip()
    if "(" in text:
        kind, args = text.split("(", 1)
        mean, std = (float(v) for v in args.rstrip(")").split(","))
        return kind.strip(), mean, std
    return text, 0.0, 0.0


def same_padding(size, kernel, stride, dilation):
    """Keras' 'same': output ceil(n/s), the extra padding on the bottom/right (as the generator)."""
    output = (size + stride - 1) // stride
    total = max((output - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def build(spec, torch, nn):
    """nn.Module for the spec, mirroring ModelEmitter: one module per row, activations folded in."""
    defaults = spec.get("defaults") or {}
    shape = parse_shape(spec["input"])
    layers = []
    rows = spec["layers"]

    class Row(nn.Module):
        def __init__(self, pad, body, act):
            super().__init__()
            self.pad, self.body, self.act = pad, body, act

        def forward(self, x):
            if self.pad is not None:
                x = self.pad(x)
            x = self.body(x)
            if self.act == "relu":
                x = x.relu_()
            elif self.act == "tanh":
                x = x.tanh_()
            elif self.act == "sigmoid":
                x = x.sigmoid_()
            elif self.act == "softmax":
                x = x.softmax(1)
            return x

    for index, raw in enumerate(rows):
        row = dict(defaults)
        row.update(raw)
        kind = row["type"]
        act = str(row.get("activation", "none")).lower()
        last = index == len(rows) - 1
        if last and act == "softmax":
            act = "none"  # the generated forward returns logits; softmax is left to the loss
        pad = None
        if kind in ("conv", "maxpool", "avgpool"):
            kh, kw = pair(row["kernel"], "kernel")
            default_stride = 1 if kind == "conv" else row["kernel"]
            sh, sw = pair(row.get("stride", default_stride), "stride")
            dh, dw = pair(row.get("dilation", 1), "dilation")
            padding = row.get("padding", 0)
            if padding == "same":
                top, bottom = same_padding(shape[1], kh, sh, dh)
                left, right = same_padding(shape[2], kw, sw, dw)
            elif padding == "valid":
                top = bottom = left = right = 0
            elif isinstance(padding, int):
                top = bottom = left = right = padding
            elif len(padding) == 2:
                top = bottom = int(padding[0])
                left = right = int(padding[1])
            else:
                top, bottom, left, right = (int(v) for v in padding)
            native = top == bottom and left == right
            if kind != "conv":
                native = native and top <= kh // 2 and left <= kw // 2
            if not native:
                value = float("-inf") if kind == "maxpool" else 0.0
                pad = nn.ConstantPad2d((left, right, top, bottom), value)
                top = left = 0
            if kind == "conv":
                body = nn.Conv2d(shape[0], int(row["filters"]), (kh, kw), stride=(sh, sw), padding=(top, left),
                                 dilation=(dh, dw), groups=int(row.get("groups", 1)), bias=bool(row.get("bias", True)))
            elif kind == "maxpool":
                body = nn.MaxPool2d((kh, kw), stride=(sh, sw), padding=(top, left), dilation=(dh, dw), ceil_mode=bool(row.get("ceil", False)))
            else:
                body = nn.AvgPool2d((kh, kw), stride=(sh, sw), padding=(top, left), ceil_mode=bool(row.get("ceil", False)),
                                    count_include_pad=padding != "same")
        elif kind == "adaptive_avgpool":
            body = nn.AdaptiveAvgPool2d(size_pair(row["size"]))
        elif kind == "resize":
            body = nn.Upsample(size=size_pair(row["size"]), mode="bilinear", align_corners=False)
        elif kind == "lrn":
            if "depth_radius" in row:
                size = 2 * int(row["depth_radius"]) + 1
                body = nn.LocalResponseNorm(size, float(row.get("alpha", 1.0)) * size, float(row.get("beta", 0.5)), float(row.get("k", 1.0)))
            else:
                body = nn.LocalResponseNorm(int(row["size"]), float(row.get("alpha", 1e-4)), float(row.get("beta", 0.75)), float(row.get("k", 1.0)))
        elif kind == "batchnorm":
            cls = nn.BatchNorm1d if len(shape) == 1 else nn.BatchNorm2d
            body = cls(shape[0], eps=float(row.get("eps", 1e-5)), momentum=float(row.get("momentum", 0.1)))
        elif kind == "dropout":
            body = nn.Dropout(float(row["rate"]))
        elif kind == "flatten":
            body = nn.Flatten()
        elif kind == "dense":
            body = nn.Linear(shape[0], int(row["units"]), bias=bool(row.get("bias", True)))
        elif kind == "zeropad":
            padding = row["padding"]
            if isinstance(padding, int):
                sides = (padding,) * 4
            elif len(padding) == 2:
                sides = (int(padding[1]), int(padding[1]), int(padding[0]), int(padding[0]))
            else:
                top, bottom, left, right = (int(v) for v in padding)
                sides = (left, right, top, bottom)
            body = nn.ZeroPad2d(sides)
        elif kind == "activation":
            body = nn.Identity()
        else:
            raise ValueError(f"row {index}: unknown type {kind}")

        if kind in ("conv", "dense"):
            init_kind, mean, std = parse_init(row.get("weight_init", "default"))
            with torch.no_grad():
                if init_kind == "normal":
                    nn.init.normal_(body.weight, mean, std)
                elif init_kind == "truncated_normal":
                    nn.init.trunc_normal_(body.weight, mean, std, mean - 2 * std, mean + 2 * std)
                elif init_kind == "he":
                    nn.init.kaiming_normal_(body.weight, 0, "fan_in", "relu")
                elif init_kind == "glorot":
                    nn.init.xavier_uniform_(body.weight)
                elif init_kind == "zeros":
                    nn.init.zeros_(body.weight)
                if body.bias is not None:
                    if "bias_init" in row:
                        nn.init.constant_(body.bias, float(row["bias_init"]))
                    elif init_kind != "default":
                        nn.init.zeros_(body.bias)

        module = Row(pad, body, act)
        with torch.no_grad():
            module.eval()
            out = module(torch.zeros((1,) + shape))
        got = tuple(out.shape[1:])
        want = parse_shape(row["output"])
        if got != want:
            raise ValueError(f"row {row.get('name', index)}: PyTorch gives {got}, the table says {want}")
        shape = got
        layers.append(module)
    return nn.Sequential(*layers), parse_shape(spec["input"]), shape[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: cores)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--modes", default="forward,backward,train")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="only build the network and check every row's output shape")
    args = parser.parse_args()

    try:
        import torch
        from torch import nn
    except ImportError as e:
        unavailable(f"PyTorch is not installed for {sys.executable} ({e}); on Debian: apt-get install python3-torchvision", args.json)
    try:
        import yaml
    except ImportError as e:
        unavailable(f"PyYAML is not installed for {sys.executable} ({e}); on Debian: apt-get install python3-yaml", args.json)

    import os
    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with open(args.spec, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    model, input_shape, classes = build(spec, torch, nn)
    if args.check:
        params = sum(p.numel() for p in model.parameters())
        print(f"{spec['model']}: every row's output matches the table; {params:,} trainable parameters")
        return
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    x = torch.randn((args.batch,) + input_shape).contiguous(memory_format=memory_format)
    images = [torch.randint(0, 256, (args.batch,) + input_shape, dtype=torch.uint8) for _ in range(4)]
    labels = [torch.randint(0, classes, (args.batch,)) for _ in range(4)]
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    counter = [0]

    def batch():
        # The same conversion the bench verb's loader does (here inline, on the main thread).
        i = counter[0] % 4
        counter[0] += 1
        data = images[i].to(torch.float32).div_(255).sub_(0.5).div_(0.25).contiguous(memory_format=memory_format)
        return data, labels[i]

    def step(mode, count):
        start = time.perf_counter()
        if mode == "forward":
            model.eval()
            with torch.inference_mode():
                for _ in range(count):
                    model(x)
            return time.perf_counter() - start
        model.train()
        for _ in range(count):
            data, target = batch()
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(data), target)
            loss.backward()
            if mode == "train":
                optimizer.step()
        return time.perf_counter() - start

    # The 2048^3 fp32 matmul rate, timed at the start of every run as the bench verb does, so
    # that each side's images/s can also be read as a share of its own run's peak.
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)

    def matmul_gflops():
        start = time.perf_counter()
        for _ in range(3):
            torch.mm(a, b)
        return 2.0 * n ** 3 * 3 / (time.perf_counter() - start) / 1e9

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    torch.mm(a, b)
    for mode in modes:
        step(mode, args.warmup)
    rates = {m: [] for m in modes}
    peaks = []
    for _ in range(args.runs):
        peaks.append(matmul_gflops())
        for mode in modes:
            rates[mode].append(args.batch * args.iterations / step(mode, args.iterations))

    config = torch.__config__.show()
    blas = "BLAS " + next((part.split("=", 1)[1] for part in config.replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown")
    if torch.backends.mkldnn.is_available():
        blas += ", oneDNN"
    result = {
        "available": True,
        "torch": torch.__version__,
        "blas": blas,
        "model": spec["model"],
        "batch": args.batch,
        "threads": threads,
        "matmul_gflops_runs": peaks,
        "modes": {m: {"images_per_second_runs": r, "images_per_second": statistics.median(r), "min": min(r), "max": max(r),
                      "images_per_second_per_peak_gflops": statistics.median([x / p for x, p in zip(r, peaks)])} for m, r in rates.items()},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{spec['model']}: PyTorch {torch.__version__} ({blas}), batch {args.batch}, {threads} threads; "
              f"matmul {statistics.median(peaks):.1f} GFLOP/s")
        for m, r in rates.items():
            print(f"  {m:10} {statistics.median(r):8.1f} images/s  ({min(r):.1f}-{max(r):.1f})")


if __name__ == "__main__":
    main()
