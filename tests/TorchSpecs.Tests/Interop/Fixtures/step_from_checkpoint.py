#!/usr/bin/env python3
"""One SGD step in PyTorch from tiny_fashion_ddp.pth, for PyTorchResumeTests (run by
make_ddp_checkpoint.sh; writes beside itself):

    tiny_fashion_step_input.npy   a seeded batch of 8 [8, 1, 28, 28] float32
    tiny_fashion_step_labels.npy  its labels (float32: the .NET .npy reader reads float32 only)
    tiny_fashion_ddp_step.pth     the state_dict after one step: the checkpoint's weights and
                                  optimizer state (momentum buffers), Nesterov SGD as the script's,
                                  learning rate 0.01, train mode (batch-norm statistics updated too)

.NET takes the same step after PyTorchCheckpoint.LoadInto and must end with the same weights.
"""
import importlib.util
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
LR = 0.01


def main():
    spec = importlib.util.spec_from_file_location("tiny_fashion", os.path.join(HERE, "tiny_fashion.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.TinyFashion()
    checkpoint = torch.load(os.path.join(HERE, "tiny_fashion_ddp.pth"))
    model.load_state_dict(checkpoint["state_dict"], strict=True)
    group = checkpoint["optimizer"]["param_groups"][0]
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=group["momentum"], weight_decay=group["weight_decay"], nesterov=group["nesterov"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    for g in optimizer.param_groups:
        g["lr"] = LR
    torch.manual_seed(7)
    x = torch.randn(8, 1, 28, 28)
    y = torch.randint(0, 10, (8,))
    model.train()
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    np.save(os.path.join(HERE, "tiny_fashion_step_input.npy"), x.numpy())
    np.save(os.path.join(HERE, "tiny_fashion_step_labels.npy"), y.float().numpy())
    torch.save(model.state_dict(), os.path.join(HERE, "tiny_fashion_ddp_step.pth"))
    print(f"tiny_fashion_ddp_step.pth: one step at lr {LR}, loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
