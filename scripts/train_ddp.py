#!/usr/bin/env python3
"""Trains a TorchSpecs model exported to PyTorch (`torchspecs export MODEL --format pytorch --out DIR`)
with DistributedDataParallel under torchrun, on the data sets the .NET trainer reads.

    torchrun --nproc_per_node 2 scripts/train_ddp.py --module DIR/fashion_vgg.py --model FashionVgg \\
        --dataset fashion-mnist --epochs 1 --out runs/ddp/FashionVgg.pth

One process per GPU (NCCL) or, without CUDA, per CPU process (gloo); each rank reads its share of
the data through a DistributedSampler; gradients are averaged by DDP. Rank 0 evaluates on the
test set and writes the checkpoint, atomically (a temporary file renamed over the target): a dict
that TorchSpecs' `predict`, `evaluate` and `convert` read (ModelWeights/WeightsFile), and that
`train --resume --from` continues in .NET (TorchSpecs.Training.PyTorchCheckpoint):

    {"format": "torchspecs-train-ddp", "format_version": 1,
     "state_dict": the module's state_dict (the .NET row names), "classes": [...],
     "mean": [...], "std": [...] (per-channel input normalization), "epoch": epochs completed,
     "steps": optimizer steps per rank, "steps_per_epoch": n, "world_size": ranks,
     "model": "FashionVgg", "dataset": "fashion-mnist",
     "optimizer": the SGD state_dict (momentum buffers keyed by index in parameters() order),
     "param_names": [the names of parameters(), in that order], "args": json of the options,
     "history": [{"epoch", "lr", "train_loss", "train_accuracy", "seconds", "images_per_second"}, ...],
     "test_accuracy": ...}

The learning rate follows the .NET trainer's one-cycle schedule per step (linear warm-up from
lr/25 to lr over the first 30% of --epochs, then cosine down to lr/1e4; LearningRateSchedule.At),
and SGD has a fixed Nesterov momentum, as in .NET: a run resumed in .NET continues the same curve.
--max-steps stops early; the schedule still spans --epochs, as a .NET run stopped early would.
"epoch" counts completed epochs only: an epoch cut short by --max-steps is trained again on resume.

Data: fashion-mnist and mnist (the four IDX files, .gz or not; default folder Debian's
/usr/share/datasets/fashion-mnist), cifar10 (the binary version: data_batch_1..5.bin, test_batch.bin),
folder (one subfolder per class, train/ and test/ inside, resized bilinearly to the model's input).
Images are scaled to [0, 1], fitted to the model's input (resize, or 1 -> 3 channels) and
normalized with the training set's per-channel mean and standard deviation, as the .NET trainer does.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from exported_model import load_class  # beside this script

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def read_idx(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            magic, = struct.unpack(">I", data[:4])
            dims = magic & 0xFF
            shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit(f"{os.path.join(directory, stem)}(.gz) not found")


def load_mnist_like(directory, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(directory, f"{prefix}-images-idx3-ubyte")
    labels = read_idx(directory, f"{prefix}-labels-idx1-ubyte")
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def load_cifar10(directory, split):
    files = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    rows = [np.fromfile(os.path.join(directory, f), dtype=np.uint8).reshape(-1, 3073) for f in files]
    data = np.concatenate(rows)
    return torch.from_numpy(data[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(data[:, 0].astype(np.int64))


def load_folder(directory, split, size):
    import torchvision
    folder = torchvision.datasets.ImageFolder(os.path.join(directory, split))
    images, labels = [], []
    for path, label in folder.samples:
        image = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB).unsqueeze(0).float()
        images.append(F.interpolate(image, size=size, mode="bilinear", align_corners=False).round().clamp(0, 255).to(torch.uint8))
        labels.append(label)
    return torch.cat(images), torch.tensor(labels), folder.classes


def load(args, split, input_shape):
    c, h, w = input_shape
    if args.dataset in ("fashion-mnist", "mnist"):
        images, labels = load_mnist_like(args.data or "/usr/share/datasets/fashion-mnist", split)
        classes = FASHION if args.dataset == "fashion-mnist" else [str(i) for i in range(10)]
    elif args.dataset == "cifar10":
        images, labels = load_cifar10(args.data, split)
        classes = CIFAR
    else:
        images, labels, classes = load_folder(args.data, split, (h, w))
    if args.limit and split == "train":
        images, labels = images[:args.limit], labels[:args.limit]
    x = images.float().div_(255)
    if x.shape[2:] != (h, w):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    if x.shape[1] == 1 and c == 3:
        x = x.expand(-1, 3, -1, -1).contiguous()
    elif x.shape[1] == 3 and c == 1:
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    return x, labels, classes


def one_cycle(lr, t):
    """The .NET trainer's ScheduleKind.OneCycle at the share t of the run (LearningRateSchedule.At)."""
    t = min(max(t, 0.0), 1.0)
    warm, start_div, end_div = 0.3, 25.0, 1e4
    if t < warm:
        return lr / start_div + (lr - lr / start_div) * t / warm
    u = (t - warm) / (1 - warm)
    return lr / end_div + (lr - lr / end_div) * 0.5 * (1 + math.cos(math.pi * u))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--module", required=True, help="the exported .py file")
    parser.add_argument("--model", required=True, help="its class name (the TorchSpecs model name)")
    parser.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist", "cifar10", "folder"])
    parser.add_argument("--data", default=None, help="the data set's folder")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps per rank (0: all epochs)")
    parser.add_argument("--batch-size", type=int, default=64, help="per rank")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backend", default="auto", choices=["auto", "gloo", "nccl"])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per rank")
    parser.add_argument("--out", required=True, help="the checkpoint to write (.pth)")
    parser.add_argument("--resume", default=None, help="a checkpoint of this script to continue from")
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    backend = args.backend if args.backend != "auto" else ("nccl" if cuda else "gloo")
    owned = not dist.is_initialized()  # a launcher such as Ray's TorchTrainer may have made it
    if owned:
        dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local_rank) if cuda and backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)

    Model = load_class(args.module, args.model)
    model = Model().to(device)
    x, y, classes = load(args, "train", Model.input_shape)
    mean = x.mean(dim=(0, 2, 3))
    std = x.std(dim=(0, 2, 3)).clamp_min(1e-3)
    x = (x - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
    sampler = DistributedSampler(TensorDataset(x, y), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, sampler=sampler, drop_last=True)

    ddp = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, nesterov=True)
    start_epoch, history, steps_before = 0, [], 0
    if args.resume:
        checkpoint = torch.load(args.resume, map_location=device)
        model.load_state_dict(checkpoint["state_dict"], strict=True)
        optimizer.load_state_dict(checkpoint["optimizer"])
        start_epoch = checkpoint["epoch"]
        history = list(checkpoint.get("history", []))
        steps_before = checkpoint.get("steps", 0)
    per_epoch = len(loader)
    total_steps = min(args.max_steps, (args.epochs - start_epoch) * per_epoch) if args.max_steps else (args.epochs - start_epoch) * per_epoch

    step, clock = 0, time.time()
    epoch = start_epoch
    while epoch < args.epochs and (not args.max_steps or step < args.max_steps):
        sampler.set_epoch(epoch)
        ddp.train()
        # loss sum, correct, images of this rank's share of the epoch; summed over the ranks at its end
        totals, epoch_clock, taken = torch.zeros(3, dtype=torch.float64), time.time(), 0
        for i, (xb, yb) in enumerate(loader):
            lr = one_cycle(args.lr, (epoch + i / per_epoch) / args.epochs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            xb, yb = xb.to(device), yb.to(device)
            logits = ddp(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals += torch.tensor([loss.item() * len(yb), (logits.argmax(1) == yb).sum().item(), len(yb)], dtype=torch.float64)
            step += 1
            taken += 1
            if rank == 0 and step % 50 == 0:
                print(f"step {step}/{total_steps}: loss {loss.item():.4f} ({world} ranks, {backend}, {time.time() - clock:.1f} s)", flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        dist.all_reduce(totals)
        if taken < per_epoch:
            if rank == 0:
                print(f"epoch {epoch + 1} stopped after {taken} of {per_epoch} steps (--max-steps): not counted as completed", flush=True)
            break
        seconds = time.time() - epoch_clock
        history.append({"epoch": epoch + 1, "lr": lr, "train_loss": totals[0].item() / totals[2].item(),
                        "train_accuracy": totals[1].item() / totals[2].item(), "seconds": seconds,
                        "images_per_second": totals[2].item() / seconds})
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}: loss {history[-1]['train_loss']:.4f}, accuracy {history[-1]['train_accuracy']:.4f}, lr {lr:.4g}", flush=True)
        epoch += 1

    if rank == 0:
        model.eval()
        tx, ty, _ = load(args, "test", Model.input_shape)
        tx = (tx - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
        with torch.no_grad():
            correct = sum((model(tx[i:i + 500].to(device)).argmax(1).cpu() == ty[i:i + 500]).sum().item() for i in range(0, len(ty), 500))
        accuracy = correct / len(ty)
        print(f"test accuracy (PyTorch, rank 0): {accuracy:.4f} after {step} steps per rank on {world} ranks", flush=True)
        optimizer_state = optimizer.state_dict()
        for state in optimizer_state["state"].values():
            for key, value in state.items():
                if torch.is_tensor(value):
                    state[key] = value.detach().cpu()
        checkpoint = {
            "format": "torchspecs-train-ddp", "format_version": 1,
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "classes": list(classes), "mean": [float(v) for v in mean], "std": [float(v) for v in std],
            "epoch": epoch, "steps": steps_before + step, "steps_per_epoch": per_epoch, "world_size": world,
            "model": args.model, "dataset": args.dataset, "optimizer": optimizer_state,
            "param_names": [name for name, _ in model.named_parameters()],
            "args": json.dumps(vars(args)), "history": history, "test_accuracy": accuracy,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        temp = args.out + ".tmp"
        torch.save(checkpoint, temp)
        os.replace(temp, args.out)
        print(f"checkpoint: {args.out}", flush=True)
    dist.barrier()
    if owned:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
