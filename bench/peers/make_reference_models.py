"""Exports a PyTorch-built fmnist-cnn to ONNX, for developing the peer scripts before tinyopt's own
architecture builders and ONNX export exist. Not used by `make bench` (which benchmarks models written by
tinyopt itself); kept to cross-check onnx_to_torch.py against a model that PyTorch, not tinyopt, wrote.

Usage: /usr/bin/python3 bench/peers/make_reference_models.py OUT.onnx
"""
import sys

import torch
from torch import nn


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]


def fmnist_cnn():
    torch.manual_seed(0)
    m = nn.Sequential(*conv_bn_relu(1, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                      *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
                      *conv_bn_relu(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    for mod in m.modules():  # non-trivial BN statistics, so the BN path is really exercised
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m.eval()


def main():
    out = sys.argv[1]
    torch.onnx.export(fmnist_cnn(), torch.randn(1, 1, 28, 28), out, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      opset_version=17, do_constant_folding=False, training=torch.onnx.TrainingMode.EVAL)


if __name__ == "__main__":
    main()
