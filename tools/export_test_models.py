#!/usr/bin/python3
"""Train and export the ONNX models used by the test-suite.

The models are deliberately different from the demo models so that the
runtime's operator coverage is exercised.  Each one is trained briefly on the
Fashion-MNIST training split (accuracy well above 70%), uses the same input
preprocessing and metadata as the demo models, and is written to
tests/fixtures/models/:

  resnet-bn.onnx      opset 13: stride-2 convs, a residual Add, depthwise and
                      dilated convs, LeakyRelu, AveragePool, GlobalAveragePool,
                      a BatchNormalization that is not folded into a Conv
                      (it follows a Relu), and x.view(x.size(0), -1), which
                      exports as Shape/Gather/Unsqueeze/Concat/Reshape.
  mlp-matmul.onnx     opset 13: explicit parameters (x @ W + b, i.e. MatMul +
                      Add instead of Gemm), Sub of a constant, a learnable
                      per-feature Mul, Tanh, Dropout (inference), GELU (Erf
                      form), a Sigmoid gate, a feature shuffle that keeps
                      the batch axis first (Reshape (N,128) -> (N,16,8),
                      Transpose perm (0,2,1), Flatten back to (N,128)), and a
                      final Softmax: its output is class probabilities, not
                      logits.
  lenet-op17.onnx     opset 17: 5x5 Conv with 'same' padding, Sigmoid, MaxPool with
                      stride 1, Tanh, Gemm and a final LogSoftmax.

Reference outputs for each model go to tests/fixtures/ref/ (see
tools/train_demo.py, write_reference()).

Run:  /usr/bin/python3 tools/export_test_models.py [MODEL...]

With MODEL names (e.g. mlp-matmul) only those models are trained, exported
and given new reference outputs; each model is seeded on its own, so the
result is the same as from a full run.
"""

import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_demo as td  # noqa: E402

FIXTURE_MODELS_DIR = os.path.join(td.ROOT, "tests", "fixtures", "models")


# --------------------------------------------------------------------------
# resnet-bn
# --------------------------------------------------------------------------

class ResNetBN(nn.Module):
    def __init__(self):
        super().__init__()
        # 28x28 -> 14x14; the BatchNorm follows the ReLU, so the exporter
        # cannot fold it into the convolution.
        self.stem = nn.Conv2d(1, 16, 3, stride=2, padding=1)
        self.stem_bn = nn.BatchNorm2d(16)
        # residual block: depthwise 3x3 -> LeakyReLU -> pointwise 1x1, + skip
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = nn.Conv2d(16, 16, 1)
        # dilated conv, 14x14 -> 14x14
        self.dil = nn.Conv2d(16, 32, 3, padding=2, dilation=2)
        # count_include_pad=False: otherwise torch exports an explicit Pad
        # (of zero width) in front of the AveragePool.
        self.pool = nn.AvgPool2d(2, count_include_pad=False)  # 14x14 -> 7x7
        self.down = nn.Conv2d(32, 32, 3, stride=2, padding=1)  # 7x7 -> 4x4
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(32, 64)
        self.bn1 = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem_bn(F.relu(self.stem(x)))
        y = self.pw(F.leaky_relu(self.dw(x), 0.1))
        x = F.relu(x + y)
        x = F.leaky_relu(self.dil(x), 0.05)
        x = self.pool(x)
        x = F.relu(self.down(x))
        x = self.gap(x)
        x = x.view(x.size(0), -1)
        x = self.bn1(F.relu(self.fc1(x)))
        return self.fc2(x)


# --------------------------------------------------------------------------
# mlp-matmul
# --------------------------------------------------------------------------

class _InferenceDropout(torch.autograd.Function):
    """Identity at inference time, exported as an ONNX Dropout node.

    torch drops nn.Dropout from graphs exported in eval mode; the test-suite
    wants the node present (with training_mode left at its default, false),
    so it is emitted explicitly here.
    """

    @staticmethod
    def forward(ctx, x, ratio):
        return x.clone()

    @staticmethod
    def symbolic(g, x, ratio):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            r = g.op("Constant", value_t=torch.tensor(ratio, dtype=torch.float32))
            return g.op("Dropout", x, r)


class ExportableDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return F.dropout(x, self.p, True)
        return _InferenceDropout.apply(x, self.p)


class MLPMatMul(nn.Module):
    output_kind = "probs"

    def __init__(self, pixel_mean):
        super().__init__()
        self.flatten = nn.Flatten()
        # per-pixel centring (constant) and learnable per-feature scale
        self.register_buffer("shift", torch.as_tensor(pixel_mean, dtype=torch.float32).reshape(784))
        self.scale = nn.Parameter(torch.ones(784))

        def p(*shape, fan_in):
            return nn.Parameter(torch.randn(*shape) / np.sqrt(fan_in))

        self.W1 = p(784, 128, fan_in=784)
        self.b1 = nn.Parameter(torch.zeros(128))
        self.drop = ExportableDropout(0.1)
        self.W2 = p(128, 64, fan_in=128)
        self.b2 = nn.Parameter(torch.zeros(64))
        self.Wg = p(128, 64, fan_in=128)
        self.bg = nn.Parameter(torch.zeros(64))
        self.Wo = p(64, 10, fan_in=64)
        self.bo = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        x = self.flatten(x)
        x = (x - self.shift) * self.scale
        h = torch.tanh(x @ self.W1 + self.b1)
        h = self.drop(h)
        # shuffle the 128 features as a 16x8 -> 8x16 transpose; the batch
        # axis stays first: Reshape [-1,16,8], Transpose perm (0,2,1), Flatten
        h = self.flatten(h.reshape(-1, 16, 8).transpose(1, 2))
        h = F.gelu(h @ self.W2 + self.b2) * torch.sigmoid(h @ self.Wg + self.bg)
        logits = h @ self.Wo + self.bo
        return F.softmax(logits, dim=1)


# --------------------------------------------------------------------------
# lenet-op17
# --------------------------------------------------------------------------

class LeNetOp17(nn.Module):
    output_kind = "logprobs"

    def __init__(self):
        super().__init__()
        # 'same' padding written out (torch 1.13 cannot export padding="same")
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.smooth = nn.MaxPool2d(3, stride=1, padding=1)   # 28x28 -> 28x28
        self.pool = nn.MaxPool2d(2)                          # 28x28 -> 14x14
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)  # 14x14 -> 7x7
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(self.smooth(torch.sigmoid(self.conv1(x))))
        x = torch.tanh(self.conv2(x))
        x = torch.sigmoid(self.fc1(self.flatten(x)))
        return F.log_softmax(self.fc2(x), dim=1)


# --------------------------------------------------------------------------

def assert_ops(name, ops, required, forbidden=()):
    missing = sorted(set(required) - set(ops))
    present = sorted(set(forbidden) & set(ops))
    if missing:
        raise RuntimeError("%s: expected ops missing from the export: %s" % (name, ", ".join(missing)))
    if present:
        raise RuntimeError("%s: unwanted ops in the export: %s" % (name, ", ".join(present)))


def assert_batch_first_transposes(name, path):
    """Every Transpose must keep axis 0 (the batch) in place."""
    import onnx
    for node in onnx.load(path).graph.node:
        if node.op_type != "Transpose":
            continue
        perm = [list(a.ints) for a in node.attribute if a.name == "perm"]
        if not perm or perm[0][:1] != [0]:
            raise RuntimeError("%s: Transpose %s moves the batch axis (perm %s)"
                               % (name, node.name, perm[0] if perm else "default"))


MODEL_NAMES = ("resnet-bn", "mlp-matmul", "lenet-op17")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    unknown = sorted(set(argv) - set(MODEL_NAMES))
    if unknown:
        print("usage: export_test_models.py [%s ...]" % " | ".join(MODEL_NAMES), file=sys.stderr)
        print("unknown model(s): %s" % ", ".join(unknown), file=sys.stderr)
        return 2
    wanted = set(argv) if argv else set(MODEL_NAMES)

    td.setup(0)
    t0 = time.time()
    x_train, y_train, x_test, y_test = td.load_data()
    print("data: train %s, test %s (from %s)" % (tuple(x_train.shape), tuple(x_test.shape), td.data_dir()))

    specs = []

    # resnet-bn: one epoch
    if "resnet-bn" in wanted:
        td.setup(10)
        m = td.train(ResNetBN(), x_train, y_train, epochs=1, batch_size=128, lr=2e-3,
                     seed=10, log_every=0, name="resnet-bn")
        for bn in (m.stem_bn, m.bn1):
            if torch.allclose(bn.running_mean, torch.zeros_like(bn.running_mean)) or \
               torch.allclose(bn.running_var, torch.ones_like(bn.running_var)):
                raise RuntimeError("resnet-bn: batch-norm running statistics were not updated")
        specs.append(("resnet-bn", m, 13,
                      ["Conv", "Relu", "BatchNormalization", "Add", "LeakyRelu", "AveragePool",
                       "GlobalAveragePool", "Shape", "Gather", "Unsqueeze", "Concat", "Reshape",
                       "Gemm"],
                      ["Pad"]))

    # mlp-matmul: one epoch
    if "mlp-matmul" in wanted:
        td.setup(20)
        pixel_mean = x_train.mean(dim=0).reshape(784)
        m = td.train(MLPMatMul(pixel_mean), x_train, y_train, epochs=1, batch_size=128, lr=1e-3,
                     seed=20, log_every=0, name="mlp-matmul")
        specs.append(("mlp-matmul", m, 13,
                      ["Flatten", "Sub", "Mul", "MatMul", "Add", "Tanh", "Dropout", "Erf", "Div",
                       "Sigmoid", "Reshape", "Transpose", "Softmax"],
                      ["Gemm"]))

    # lenet-op17: one epoch
    if "lenet-op17" in wanted:
        td.setup(30)
        m = td.train(LeNetOp17(), x_train, y_train, epochs=1, batch_size=64, lr=2e-3,
                     seed=30, log_every=0, name="lenet-op17")
        specs.append(("lenet-op17", m, 17,
                      ["Conv", "Sigmoid", "MaxPool", "Tanh", "Flatten", "Gemm", "LogSoftmax"],
                      ["Pad"]))

    for name, model, opset, required, forbidden in specs:
        path = os.path.join(FIXTURE_MODELS_DIR, name + ".onnx")
        ops, _ = td.export_onnx(model, path, opset=opset)
        assert_ops(name, ops, required, forbidden)
        assert_batch_first_transposes(name, path)
        ref = td.write_reference(name, model, x_test, y_test)
        if ref["accuracy"] < 0.70:
            raise RuntimeError("%s: accuracy %.3f is too low for a test model" % (name, ref["accuracy"]))
    print("done in %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
