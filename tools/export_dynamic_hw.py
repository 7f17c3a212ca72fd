#!/usr/bin/python3
"""Export a small classifier whose input height and width are symbolic.

dynamic-hw.onnx takes x: [batch, 3, height, width] (opset 13) as text
recognizers such as PaddleOCR's direction classifier do: Conv, Relu,
GlobalAveragePool, Flatten, Gemm.  The weights are seeded, not trained; the
file tests binding symbolic dims from the data, not accuracy.  Written to
tests/fixtures/models/, with an input batch (2 x 3 x 12 x 20) and PyTorch's
outputs for it in tests/fixtures/ref/dynamic-hw.{x,y}.npy.

Run:  /usr/bin/python3 tools/export_dynamic_hw.py
"""
import os

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    torch.manual_seed(8)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(4, 5)).eval()
    x = torch.randn(2, 3, 12, 20)
    path = os.path.join(ROOT, "tests", "fixtures", "models", "dynamic-hw.onnx")
    torch.onnx.export(net, x, path, opset_version=13, input_names=["x"],
                      output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 2: "height",
                                          3: "width"},
                                    "y": {0: "batch"}})
    with torch.no_grad():
        y = net(x)
    ref = os.path.join(ROOT, "tests", "fixtures", "ref")
    np.save(os.path.join(ref, "dynamic-hw.x.npy"), x.numpy())
    np.save(os.path.join(ref, "dynamic-hw.y.npy"), y.numpy())


if __name__ == "__main__":
    main()
