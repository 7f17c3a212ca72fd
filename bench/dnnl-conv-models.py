#!/usr/bin/python3
"""dnnl-conv-models.py - writes one-Conv ONNX models for bench/dnnl-conv.sh.

    dnnl-conv-models.py OUTDIR

Each model is a single Conv (seeded random weights and bias) on a
(N, C, H, W) input with a symbolic batch: the shapes of the demo CNN and
of typical layers of resnet18, mobilenet_v2 and regnet at 3x32x32.
Prints one line per model: its file name and a description.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name, (c, h, w), oc, kernel, stride, pad, group
SHAPES = [
    ("demo-conv1", (1, 28, 28), 16, 3, 1, 1, 1),
    ("demo-conv2", (16, 14, 14), 32, 3, 1, 1, 1),
    ("resnet18-stem", (3, 32, 32), 64, 7, 2, 3, 1),
    ("resnet18-3x3-64", (64, 8, 8), 64, 3, 1, 1, 1),
    ("resnet18-3x3-256", (256, 2, 2), 256, 3, 1, 1, 1),
    ("mobilenet-dw-96", (96, 16, 16), 96, 3, 2, 1, 96),
    ("mobilenet-pw-96-24", (96, 8, 8), 24, 1, 1, 0, 1),
    ("regnet-g8-3x3-64", (64, 8, 8), 64, 3, 1, 1, 8),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, (c, h, w), oc, k, s, p, g in SHAPES:
        wt = rng.standard_normal((oc, c // g, k, k)).astype(np.float32) * 0.1
        b = rng.standard_normal(oc).astype(np.float32) * 0.1
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c, h, w])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                                kernel_shape=[k, k], strides=[s, s],
                                pads=[p, p, p, p], group=g)
        graph = helper.make_graph([node], name, [x], [y],
                                  [numpy_helper.from_array(wt, "w"),
                                   numpy_helper.from_array(b, "b")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 7
        onnx.save(model, os.path.join(out, name + ".onnx"))
        print("%s.onnx %dx%dx%d -> %d, %dx%d stride %d group %d" %
              (name, c, h, w, oc, k, k, s, g))


if __name__ == "__main__":
    main()
