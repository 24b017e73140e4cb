#!/usr/bin/python3
"""PyTorch training throughput on the same models as bench/train_throughput.cpp: images per second of
full training steps (forward in train mode, cross-entropy, backward, SGD momentum 0.9, weight decay 5e-4)
on random data after a short warm-up. The two reference architectures are defined here, matching
tinyopt's built-in definitions (src/arch/fashion_mnist_models.cpp) layer for layer.

  /usr/bin/python3 bench/train_throughput_torch.py [--arch fmnist-cnn] [--batch 128] [--threads 2] [--seconds 5]

Prints one JSON object like train_throughput.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn


def conv_bn_relu(cin, cout, k=3, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


def fmnist_cnn():
    # conv3x3 32 -> 32 -> maxpool -> 64 -> 64 -> maxpool -> 128 -> GAP -> FC10, BN+ReLU after each conv
    layers = conv_bn_relu(1, 32) + conv_bn_relu(32, 32) + [nn.MaxPool2d(2)]
    layers += conv_bn_relu(32, 64) + conv_bn_relu(64, 64) + [nn.MaxPool2d(2)]
    layers += conv_bn_relu(64, 128) + [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def ds_block(cin, cout, stride):
    return conv_bn_relu(cin, cin, 3, stride, groups=cin) + conv_bn_relu(cin, cout, 1)


def fmnist_ds():
    # stem conv3x3 16, then depthwise-separable blocks 32 (s2), 64 (s2), 128 (s1), GAP, FC10
    layers = conv_bn_relu(1, 16)
    layers += ds_block(16, 32, 2) + ds_block(32, 64, 2) + ds_block(64, 128, 1)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


MODELS = {"fmnist-cnn": (fmnist_cnn, (1, 28, 28)), "fmnist-ds": (fmnist_ds, (1, 28, 28))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="fmnist-cnn", choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    build, shape = MODELS[a.arch]
    model = build().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(a.batch, *shape)
    y = torch.arange(a.batch) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    steps, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < a.seconds:
        step()
        steps += 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "arch": a.arch, "batch": a.batch,
                      "threads": a.threads, "steps": steps, "images_per_s": round(steps * a.batch / elapsed, 1),
                      "images_per_cpu_s": round(steps * a.batch / cpu, 1)}))


if __name__ == "__main__":
    sys.exit(main())
