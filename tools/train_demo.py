#!/usr/bin/python3
"""Train the two demo models bundled with whittle and export them to ONNX.

Writes:
  share/models/fashion-mlp.onnx   MLP 784-256-128-10
  share/models/fashion-cnn.onnx   small CNN (2 conv blocks + 2 linear layers)
  tests/fixtures/ref/<model>.logits64.npy, <model>.pred.npy, <model>.ref.json

Both models are trained on the Fashion-MNIST training split (60,000 images)
and take the normalized input described in preprocess() below; the
normalization is not part of the model graph, it is recorded in the ONNX
metadata_props instead.

Run from anywhere:  /usr/bin/python3 tools/train_demo.py
The Fashion-MNIST directory can be overridden with WHITTLE_DATA_DIR.

This module also provides the helpers (data loading, preprocessing, training,
export, reference outputs) used by tools/export_test_models.py.
"""

import gzip
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
MODELS_DIR = os.path.join(ROOT, "share", "models")
REF_DIR = os.path.join(ROOT, "tests", "fixtures", "ref")

MEAN = 0.2860
STD = 0.3530
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

METADATA = [
    ("whittle.input.scale", "0.00392156862745098"),
    ("whittle.input.mean", "0.2860"),
    ("whittle.input.std", "0.3530"),
    ("whittle.labels", ",".join(LABELS)),
    ("whittle.dataset", "fashion-mnist"),
]

# ONNX operators the C runtime implements; exported graphs must stay inside it.
ALLOWED_OPS = {
    "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Conv", "MaxPool",
    "AveragePool", "GlobalAveragePool", "Relu", "LeakyRelu", "Sigmoid",
    "Tanh", "Erf", "Softmax", "LogSoftmax", "Flatten", "Reshape",
    "Transpose", "BatchNormalization", "Identity", "Dropout", "Constant",
    "Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast",
}


# --------------------------------------------------------------------------
# setup / data
# --------------------------------------------------------------------------

def setup(seed=0):
    """Seed every generator and make torch deterministic on the CPU."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


def data_dir():
    return os.environ.get("WHITTLE_DATA_DIR", DEFAULT_DATA_DIR)


def read_idx(path):
    """Read an IDX file (optionally gzip-compressed) of unsigned bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError("%s: not an IDX file" % path)
    if raw[2] != 0x08:
        raise ValueError("%s: unsupported IDX element type 0x%02x" % (path, raw[2]))
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count:
        raise ValueError("%s: size mismatch (%d bytes, dims %s)" % (path, len(raw) - offset, dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_split(split):
    """Return (images uint8 (N,28,28), labels int64 (N,)) for 'train' or 't10k'."""
    d = data_dir()
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(d, prefix + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(d, prefix + "-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError("image/label count mismatch in %s split" % split)
    return images, labels.astype(np.int64)


def preprocess(u8):
    """uint8 (N,28,28) -> float32 (N,1,28,28).

    Exactly the arithmetic the C program performs, in float32:
        x = (u8 * float32(1/255) - float32(MEAN)) / float32(STD)
    """
    x = (u8.astype(np.float32) * np.float32(1.0 / 255.0) - np.float32(MEAN)) / np.float32(STD)
    assert x.dtype == np.float32
    return np.ascontiguousarray(x.reshape(-1, 1, 28, 28))


def load_data():
    tr_u8, tr_y = load_split("train")
    te_u8, te_y = load_split("t10k")
    return (torch.from_numpy(preprocess(tr_u8)), torch.from_numpy(tr_y),
            torch.from_numpy(preprocess(te_u8)), torch.from_numpy(te_y))


# --------------------------------------------------------------------------
# training / evaluation
# --------------------------------------------------------------------------

def train(model, x, y, epochs=1, batch_size=128, lr=1e-3, max_steps=None,
          seed=0, log_every=100, name="model", lr_drop=None):
    """Adam + cross-entropy.  The model outputs logits unless it sets
    output_kind to "probs" or "logprobs".  lr_drop=(epoch, factor) multiplies the
    learning rate by factor from that (0-based) epoch on."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    step = 0
    t0 = time.time()
    for epoch in range(epochs):
        if lr_drop is not None and epoch == lr_drop[0]:
            for group in opt.param_groups:
                group["lr"] = lr * lr_drop[1]
        model.train()
        perm = torch.randperm(n, generator=gen)
        running, seen = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            kind = getattr(model, "output_kind", "logits")
            if kind == "probs":
                loss = F.nll_loss(torch.log(out.clamp_min(1e-12)), yb)
            elif kind == "logprobs":
                loss = F.nll_loss(out, yb)
            else:
                loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item() * xb.shape[0]
            seen += xb.shape[0]
            step += 1
            if log_every and step % log_every == 0:
                print("  [%s] epoch %d step %d loss %.4f (%.0fs)"
                      % (name, epoch + 1, step, running / seen, time.time() - t0), flush=True)
            if max_steps is not None and step >= max_steps:
                break
        print("  [%s] epoch %d done, mean loss %.4f (%.0fs)"
              % (name, epoch + 1, running / max(seen, 1), time.time() - t0), flush=True)
        if max_steps is not None and step >= max_steps:
            break
    model.eval()
    return model


@torch.no_grad()
def predict(model, x, batch_size=1000):
    model.eval()
    outs = [model(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    return torch.cat(outs).numpy().astype(np.float32)


# --------------------------------------------------------------------------
# export / checks / reference outputs
# --------------------------------------------------------------------------

def export_onnx(model, path, opset=13, custom=None):
    """Export with a dynamic batch axis and add whittle metadata_props."""
    import onnx
    model.eval()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        model, dummy, path,
        export_params=True,
        opset_version=opset,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        training=torch.onnx.TrainingMode.EVAL,
    )
    m = onnx.load(path)
    existing = {p.key for p in m.metadata_props}
    for key, value in METADATA:
        if key in existing:
            continue
        entry = m.metadata_props.add()
        entry.key = key
        entry.value = value
    onnx.save(m, path)
    return check_onnx(path)


def check_onnx(path):
    """Validate a saved model, report and return its op types and opset."""
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    ops = []
    for node in m.graph.node:
        if node.op_type not in ops:
            ops.append(node.op_type)
    opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0]
    for init in m.graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT and init.data_type != onnx.TensorProto.INT64:
            raise RuntimeError("%s: initializer %s has data type %d"
                               % (path, init.name, init.data_type))
    bad = sorted(set(ops) - ALLOWED_OPS)
    print("  %s: opset %d, %d nodes, %d bytes" % (os.path.relpath(path, ROOT), opset,
                                                  len(m.graph.node), os.path.getsize(path)))
    print("    ops: %s" % ", ".join(sorted(ops)))
    if bad:
        raise RuntimeError("%s uses unsupported ops: %s" % (path, ", ".join(bad)))
    return sorted(ops), opset


def write_reference(name, model, x_test, y_test):
    """Write <name>.logits64.npy, <name>.pred.npy and <name>.ref.json."""
    os.makedirs(REF_DIR, exist_ok=True)
    out = predict(model, x_test)
    pred = np.argmax(out, axis=1).astype(np.int64)
    labels = y_test.numpy()
    correct = int((pred == labels).sum())
    logits64 = np.ascontiguousarray(out[:64].astype(np.float32))
    np.save(os.path.join(REF_DIR, name + ".logits64.npy"), logits64, allow_pickle=False)
    np.save(os.path.join(REF_DIR, name + ".pred.npy"), np.ascontiguousarray(pred), allow_pickle=False)
    ref = {
        "model": name,
        "samples": int(labels.shape[0]),
        "correct": correct,
        "accuracy": correct / float(labels.shape[0]),
        "max_abs_logit": float(np.abs(out).max()),
    }
    with open(os.path.join(REF_DIR, name + ".ref.json"), "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    # Smallest gap between the two best classes: tells how robust the argmax
    # comparison against another runtime is.
    top2 = np.sort(out, axis=1)[:, -2:]
    margin = float((top2[:, 1] - top2[:, 0]).min())
    print("  %s: accuracy %.4f (%d/%d), max |output| %.4f, min top-2 margin %.3g"
          % (name, ref["accuracy"], correct, ref["samples"], ref["max_abs_logit"], margin))
    return ref


# --------------------------------------------------------------------------
# demo models
# --------------------------------------------------------------------------

def make_mlp():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def main():
    setup(0)
    t0 = time.time()
    x_train, y_train, x_test, y_test = load_data()
    print("data: train %s, test %s (from %s)" % (tuple(x_train.shape), tuple(x_test.shape), data_dir()))

    results = []

    setup(1)
    mlp = train(make_mlp(), x_train, y_train, epochs=8, batch_size=128, lr=1e-3,
                seed=1, log_every=0, name="fashion-mlp")
    results.append(("fashion-mlp", mlp))

    setup(2)
    cnn = train(make_cnn(), x_train, y_train, epochs=6, batch_size=128, lr=1e-3,
                seed=2, log_every=0, name="fashion-cnn", lr_drop=(4, 0.3))
    results.append(("fashion-cnn", cnn))

    for name, model in results:
        export_onnx(model, os.path.join(MODELS_DIR, name + ".onnx"), opset=13)
        write_reference(name, model, x_test, y_test)
    print("done in %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
