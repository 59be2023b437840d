#!/usr/bin/env python3
"""The same network in PyTorch, timed the way `torchspecs bench` times it.

    torchspecs export AlexNetTorchLrn --format pytorch --out /tmp/export
    /usr/bin/python3 bench/pytorch_bench.py /tmp/export/alex_net_torch_lrn.py --model AlexNetTorchLrn --batch 16 --threads 2 [--json]

The network is the module `export --format pytorch` writes from the generated model's layer table
(the same layers, padding, LRN convention and activations as the TorchSharp module; no Python
file reads a spec), with PyTorch's default initializers. The script measures images/s forward
(eval, inference mode) and forward+backward (cross-entropy, backward; 'train' adds an SGD
momentum step), with warm-up and several runs, like the bench verb. PyTorch is optional:
without it, --json prints {"available": false, "reason": ...} and the script exits 0, so
`bench --compare-pytorch` can say so. Debian's python3-torch is enough.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from exported_model import load_class  # noqa: E402


def unavailable(reason, as_json):
    if as_json:
        print(json.dumps({"available": False, "reason": reason}))
    else:
        print("PyTorch benchmark not run: " + reason)
    sys.exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="the .py file `torchspecs export MODEL --format pytorch` wrote")
    parser.add_argument("--model", required=True, help="the class in it (the model's name)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: cores)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--modes", default="forward,backward,train")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="only build the network and check its output shape")
    args = parser.parse_args()

    try:
        import torch
        from torch import nn
    except ImportError as e:
        unavailable(f"PyTorch is not installed for {sys.executable} ({e}); on Debian: apt-get install python3-torchvision", args.json)

    import os
    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    Model = load_class(args.module, args.model)
    model = Model()
    input_shape, classes = tuple(Model.input_shape), Model.num_classes
    if args.check:
        with torch.no_grad():
            out = model.eval()(torch.zeros((1,) + input_shape))
        params = sum(p.numel() for p in model.parameters())
        print(f"{args.model}: output {tuple(out.shape[1:])}, {params:,} trainable parameters")
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
        "model": args.model,
        "batch": args.batch,
        "threads": threads,
        "matmul_gflops_runs": peaks,
        "modes": {m: {"images_per_second_runs": r, "images_per_second": statistics.median(r), "min": min(r), "max": max(r),
                      "images_per_second_per_peak_gflops": statistics.median([x / p for x, p in zip(r, peaks)])} for m, r in rates.items()},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.model}: PyTorch {torch.__version__} ({blas}), batch {args.batch}, {threads} threads; "
              f"matmul {statistics.median(peaks):.1f} GFLOP/s")
        for m, r in rates.items():
            print(f"  {m:10} {statistics.median(r):8.1f} images/s  ({min(r):.1f}-{max(r):.1f})")


if __name__ == "__main__":
    main()
