#!/usr/bin/python3
"""PyTorch's structured pruning on the same model as `tinyopt prune`, for bench/results/pruning_vs_torch.json.

The teacher ONNX file becomes a torch.fx module of standard layers (onnx_to_torch.to_fx_module: the very
weights tinyopt prunes). For every Conv that tinyopt's prune JSON (`--ours`, the `layers` list with
`channels_before` / `channels_after`) shrank, `torch.nn.utils.prune.ln_structured(conv, "weight",
amount=removed, n=1, dim=0)` masks the same number of output filters (lowest L1 norm), so the masked model
has the same nominal MACs as ours. Then a plain fine-tune (cross-entropy on the labels, no distillation)
for the same epochs on the same training images, with the same recipe as ours: SGD momentum 0.9, the
same lr, batch and weight decay, cosine schedule per step, random crop (zero padding 2) + horizontal flip.
Test accuracy is measured in eval mode on the 10,000 Fashion-MNIST test images.

It is not a re-implementation of tinyopt's pruning: PyTorch's masks leave BN, biases and consumers alone
(a masked filter's channel still carries its BN beta), which is what a PyTorch user gets from
`ln_structured`; nothing is physically removed.

  /usr/bin/python3 bench/peers/torch_prune.py --teacher models/fmnist-cnn.onnx --ours ours.json \
      --epochs 2 --limit 10000 --lr 0.01 --batch 128 --seed 1 --threads 1 --out torch.json
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch.nn.utils import prune as torch_prune

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import write_json  # noqa: E402
from onnx_to_torch import to_fx_module  # noqa: E402

FMNIST = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(f"{FMNIST}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{FMNIST}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x[:, None]), torch.from_numpy(y)


def augment(x, gen, pad=2):
    """Random crop of the zero-padded batch and a horizontal flip with probability 1/2, per image."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    rows = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    cols = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    flips = torch.rand(n, generator=gen) < 0.5
    ys = rows[:, None] + torch.arange(h)  # (n, h) source rows of each image's crop
    xs = cols[:, None] + torch.arange(w)  # (n, w)
    out = padded[torch.arange(n)[:, None, None, None], torch.arange(x.shape[1])[None, :, None, None],
                 ys[:, None, :, None], xs[:, None, None, :]]
    return torch.where(flips[:, None, None, None], out.flip(3), out)


def conv_modules_by_onnx_name(model, path):
    """ONNX Conv node name -> the nn.Conv2d that to_fx_module made for it (named n<index>_conv)."""
    modules = dict(model.named_modules())
    return {n.name: modules[f"n{i}_conv"] for i, n in enumerate(onnx.load(path).graph.node)
            if n.op_type == "Conv" and f"n{i}_conv" in modules}


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--ours", required=True, help="tinyopt prune --json output (per-layer channels)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only (0 = all)")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-each-epoch", action="store_true",
                    help="also measure test accuracy after every epoch and of the masked model before fine-tuning")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    with open(args.ours) as f:
        ours = json.load(f)
    model = to_fx_module(args.teacher)
    convs = conv_modules_by_onnx_name(model, args.teacher)
    masked = []
    for layer in ours["layers"]:
        removed = layer["channels_before"] - layer["channels_after"]
        if removed <= 0:
            continue
        if layer["name"] not in convs:
            raise SystemExit(f"torch_prune: layer '{layer['name']}' of {args.ours} is not a Conv of {args.teacher}")
        torch_prune.ln_structured(convs[layer["name"]], "weight", amount=removed, n=1, dim=0)
        masked.append({"name": layer["name"], "filters": layer["channels_before"], "masked": removed})

    x_train, y_train = fashion_mnist("train")
    x_test, y_test = fashion_mnist("test")
    if 0 < args.limit < len(x_train):
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    acc_masked = evaluate(model, x_test, y_test) if args.eval_each_epoch else None

    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(x_train) / args.batch)
    total = steps_per_epoch * args.epochs
    step = 0
    start = time.perf_counter()
    per_epoch = []
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(x_train), args.batch):
            idx = order[i:i + args.batch]
            for group in opt.param_groups:  # cosine over all steps, like tinyopt's --schedule cosine
                group["lr"] = 0.5 * args.lr * (1 + math.cos(math.pi * step / total))
            loss = F.cross_entropy(model(augment(x_train[idx], gen)), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        if args.eval_each_epoch or epoch == args.epochs - 1:
            per_epoch.append(evaluate(model, x_test, y_test))
    seconds = time.perf_counter() - start  # includes the test evaluations

    write_json(args.out, {
        "tool": "pytorch", "torch_version": torch.__version__,
        "method": "torch.nn.utils.prune.ln_structured(n=1, dim=0) masks + plain fine-tune (cross-entropy)",
        "teacher": args.teacher, "ours": args.ours, "macs_after_nominal": ours["macs_after"],
        "masked_layers": masked, "accuracy_masked_before_fine_tune": acc_masked,
        "accuracy": per_epoch[-1] if per_epoch else evaluate(model, x_test, y_test), "accuracy_per_epoch": per_epoch,
        "epochs": args.epochs, "train_images": len(x_train), "lr": args.lr, "batch": args.batch,
        "momentum": args.momentum, "weight_decay": args.weight_decay, "seed": args.seed, "threads": args.threads,
        "fine_tune_seconds": seconds,
    })


if __name__ == "__main__":
    main()
