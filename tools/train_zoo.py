#!/usr/bin/python3
"""Train torchvision's classifiers briefly on Fashion-MNIST at 3x32x32 and
export them to ONNX at opsets 13 and 17, with ONNX Runtime's and PyTorch's
reference predictions.

The model classes are torchvision 0.14's, used unchanged with
num_classes=10 (some with smaller widths or block settings through their
own constructor arguments).  Input: the Fashion-MNIST images padded with
two zero pixels on every side to 32x32 and repeated to 3 channels, then
normalized as the demo models are (the whittle.input.* metadata).  See
tools/README.md for the list of models and files.

  /usr/bin/python3 tools/train_zoo.py [--small | --large | MODEL...]
  /usr/bin/python3 tools/train_zoo.py --bench224 DIR

With no argument every model is built.  Small models go to
tests/fixtures/models/zoo/ (committed), large ones to the build folder
($WHITTLE_ZOO_DIR, default tests/zoo/, made by 'make zoo').  Each model's
state_dict goes to the build folder as NAME.pt (bench/torch-eval.py reads
it), its references to tests/fixtures/ref/zoo/:

  NAME.json              accuracy, sizes, operators, sha256 of each file
  NAME.torch.pred        PyTorch's predicted class per test image
  NAME-opK.ort.pred      ONNX Runtime's predicted class per test image
  NAME-opK.ort.close     "index margin" of the images whose two best
                         outputs are within 1e-4 in ONNX Runtime
  NAME-opK.ort.logits.npy  ONNX Runtime's outputs for the first 8 images

ONNX Runtime is onnxruntime-node, run through bench/ort-eval.js with its
default optimization level; node and onnxruntime-node are looked up as the
tests do ($NODE, $ORT_NODE_DIR, bench/node_modules, tests/ort/node_modules).

--bench224 DIR writes resnet18 and mobilenet_v2 with random (seeded)
weights at 3x224x224, and 256 synthetic images with labels as IDX files,
for bench/eval-throughput.sh --224.
"""

import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import models as tvm
from torchvision.models.convnext import CNBlockConfig

sys.dont_write_bytecode = True   # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_demo as td  # noqa: E402

ROOT = td.ROOT
SMALL_DIR = os.path.join(ROOT, "tests", "fixtures", "models", "zoo")
BUILD_DIR = os.environ.get("WHITTLE_ZOO_DIR", os.path.join(ROOT, "tests", "zoo"))
REF_DIR = os.path.join(ROOT, "tests", "fixtures", "ref", "zoo")
OPSETS = (13, 17)
SIZE = 32            # 28x28 padded by 2 on every side
TRAIN_IMAGES = 20000  # the first 20,000 training images
LOGIT_ROWS = 8
CLOSE = 1e-4
# torch threads; on a busy machine two runs of one thread each (disjoint
# model lists) finish sooner than one of two
THREADS = int(os.environ.get("WHITTLE_TRAIN_THREADS", "2"))


# --------------------------------------------------------------------------
# the models: name -> (builder, committed, steps, lr, test images)
# --------------------------------------------------------------------------

def small_convnext():
    # three stages of two blocks (torchvision's convnext_tiny has 3-3-9-3
    # blocks of 96 to 768 channels); layer_scale 0.1 instead of 1e-6 so a
    # few hundred steps move the residual branches
    return tvm.ConvNeXt([CNBlockConfig(32, 64, 2), CNBlockConfig(64, 128, 2),
                         CNBlockConfig(128, None, 2)], layer_scale=0.1, num_classes=10)


def small_vit():
    return tvm.VisionTransformer(image_size=32, patch_size=4, num_layers=4, num_heads=4,
                                 hidden_dim=128, mlp_dim=256, num_classes=10)


def small_densenet():
    # densenet121 is growth 32, blocks 6-12-24-16 from 64 features
    return tvm.DenseNet(growth_rate=12, block_config=(4, 8, 6), num_init_features=24,
                        num_classes=10)


MODELS = {
    # committed to tests/fixtures/models/zoo/
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(num_classes=10), True, 300, 3e-4, 10000),
    "shufflenet_v2_x0_5": (lambda: tvm.shufflenet_v2_x0_5(num_classes=10), True, 300, 2e-3, 10000),
    "mobilenet_v3_small_w0_5": (lambda: tvm.mobilenet_v3_small(num_classes=10, width_mult=0.5),
                                True, 300, 2e-3, 10000),
    "mnasnet0_35": (lambda: tvm.MNASNet(0.35, num_classes=10), True, 300, 3e-3, 10000),
    "densenet_small": (small_densenet, True, 300, 2e-3, 10000),
    "convnext_small": (small_convnext, True, 300, 1e-3, 10000),
    "vit_4x128": (small_vit, True, 300, 5e-4, 10000),
    # built by 'make zoo' into the build folder
    "resnet18": (lambda: tvm.resnet18(num_classes=10), False, 100, 1e-3, 2000),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(num_classes=10), False, 100, 2e-3, 2000),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(num_classes=10), False, 100, 2e-3, 2000),
    "regnet_x_400mf": (lambda: tvm.regnet_x_400mf(num_classes=10), False, 100, 2e-3, 2000),
    "googlenet": (lambda: tvm.googlenet(num_classes=10, aux_logits=False, init_weights=True),
                  False, 100, 1e-3, 2000),
}


def build(name):
    """The untrained model NAME, in eval mode (for bench/torch-eval.py)."""
    return MODELS[name][0]().eval()


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------

def pad32(u8):
    """uint8 (N,28,28) -> uint8 (N,3,32,32): zero border of 2, 3 channels."""
    p = np.pad(u8, ((0, 0), (2, 2), (2, 2)))
    return np.ascontiguousarray(np.repeat(p[:, None], 3, axis=1))


def normalize(u8):
    """uint8 -> float32 with the models' preprocessing, as whittle does it."""
    return (u8.astype(np.float32) * np.float32(1.0 / 255.0) - np.float32(td.MEAN)) \
        / np.float32(td.STD)


def write_idx(path, a):
    """Writes a uint8 array as an uncompressed IDX file, atomically."""
    head = bytes([0, 0, 0x08, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(head)
        f.write(np.ascontiguousarray(a, dtype=np.uint8).tobytes())
    os.replace(tmp, path)


def test_images_path():
    """The 10,000 test images at 3x32x32 as IDX in the build folder (the
    file tests/ort/zoo-data writes for the tests, byte for byte)."""
    return os.path.join(BUILD_DIR, "t10k-images-3x32x32.idx")


# --------------------------------------------------------------------------
# training, export, references
# --------------------------------------------------------------------------

class Channels3(torch.nn.Module):
    """Feeds the single-channel padded images to the model as 3 channels."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.expand(-1, 3, -1, -1))


def train(name, model, x1, y, steps, lr, seed):
    """Adam on batches of 64 from x1 (N,1,32,32); BatchNorm statistics are
    the running ones at the end."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    wrapped = Channels3(model)
    model.train()
    t0 = time.time()
    running, seen, step = 0.0, 0, 0
    while step < steps:
        perm = torch.randperm(x1.shape[0], generator=gen)
        for i in range(0, x1.shape[0] - 63, 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(wrapped(x1[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item()
            seen += 1
            step += 1
            if step % 50 == 0:
                print("  [%s] step %d loss %.4f (%.0fs)" % (name, step, running / seen,
                                                          time.time() - t0), flush=True)
                running, seen = 0.0, 0
            if step >= steps:
                break
    model.eval()
    return model


@torch.no_grad()
def recalibrate_bn(model, x1, batches=100):
    """Sets every BatchNorm's running statistics to the plain average over
    the first BATCHES training batches, the rest of the model in eval mode.
    Some classes use momenta as small as 0.0003 (MNASNet) or 0.01
    (MobileNetV3), whose running statistics a few hundred steps leave far
    from the data's."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    model.eval()
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    wrapped = Channels3(model)
    for i in range(min(batches, x1.shape[0] // 64)):
        wrapped(x1[i * 64:(i + 1) * 64])
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    model.eval()
    return model


@torch.no_grad()
def predict(model, x3, batch=250):
    model.eval()
    return torch.cat([model(x3[i:i + batch]) for i in range(0, x3.shape[0], batch)]).numpy()


def export(model, path, opset, size=SIZE):
    import onnx
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())
    torch.onnx.export(model, torch.zeros(1, 3, size, size), tmp, export_params=True,
                      opset_version=opset, do_constant_folding=True,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(tmp)
    for key, value in td.METADATA:
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, tmp)
    os.replace(tmp, path)
    ops = sorted({n.op_type for n in m.graph.node})
    print("  %s: opset %d, %d nodes, %d bytes\n    ops: %s"
          % (os.path.relpath(path, ROOT), opset, len(m.graph.node), os.path.getsize(path),
             ", ".join(ops)), flush=True)
    return ops


def find_ort():
    """(node, ORT_NODE_DIR) when onnxruntime-node loads, else None."""
    node = os.environ.get("NODE", "node")
    dirs = [os.environ.get("ORT_NODE_DIR"), os.path.join(ROOT, "bench", "node_modules"),
            os.path.join(ROOT, "tests", "ort", "node_modules")]
    for d in [d for d in dirs if d]:
        env = dict(os.environ, ORT_NODE_DIR=d)
        try:
            r = subprocess.run([node, os.path.join(ROOT, "bench", "ort-eval.js"), "--check"],
                               env=env, capture_output=True, text=True)
        except OSError:
            return None
        if r.returncode == 0:
            return node, d
    return None


def ort_reference(ort, path, stem, limit):
    """Runs ONNX Runtime on the first LIMIT test images; writes the
    .ort.pred, .ort.close and .ort.logits.npy files and returns its JSON."""
    node, d = ort
    pred, margin, logits = stem + ".ort.pred", stem + ".ort.margin.tmp", stem + ".ort.logits.tmp"
    env = dict(os.environ, ORT_NODE_DIR=d, ORT_LIMIT=str(limit), ORT_PREDICTIONS=pred,
               ORT_MARGINS=margin, ORT_LOGITS=logits, ORT_LOGITS_ROWS=str(LOGIT_ROWS))
    labels = os.path.join(td.data_dir(), "t10k-labels-idx1-ubyte.gz")
    r = subprocess.run([node, os.path.join(ROOT, "bench", "ort-eval.js"), path,
                        test_images_path(), labels, "2", "250", "1",
                        "0.00392156862745098", "%.4f" % td.MEAN, "%.4f" % td.STD],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: onnxruntime-node failed: %s" % (path, r.stderr.strip()))
    m = np.loadtxt(margin, dtype=np.float64)
    with open(stem + ".ort.close", "w") as f:
        for i in np.nonzero(m <= CLOSE)[0]:
            f.write("%d %.3g\n" % (i, m[i]))
    np.save(stem + ".ort.logits.npy", np.loadtxt(logits, dtype=np.float32).reshape(LOGIT_ROWS, -1))
    os.remove(margin)
    os.remove(logits)
    out = json.loads(r.stdout)
    out["min_margin"] = float(m.min())
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make(name, x1, y, xt, yt, ort, seed):
    builder, small, steps, lr, limit = MODELS[name]
    td.setup(seed)
    torch.set_num_threads(THREADS)
    t0 = time.time()
    model = recalibrate_bn(train(name, builder(), x1, y, steps, lr, seed), x1)
    os.makedirs(BUILD_DIR, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(BUILD_DIR, name + ".pt"))
    out = predict(model, xt[:limit])
    pred = out.argmax(axis=1)
    correct = int((pred == yt[:limit]).sum())
    print("  %s: PyTorch %d of %d correct (%.2f%%), trained in %.0fs"
          % (name, correct, limit, 100.0 * correct / limit, time.time() - t0), flush=True)
    os.makedirs(REF_DIR, exist_ok=True)
    with open(os.path.join(REF_DIR, name + ".torch.pred"), "w") as f:
        f.write("".join("%d\n" % p for p in pred))
    info = {"model": name, "committed": small, "train_steps": steps, "batch": 64,
            "train_images": TRAIN_IMAGES, "lr": lr, "seed": seed, "samples": limit,
            "torch_correct": correct, "torch_accuracy": correct / limit,
            "parameters": int(sum(p.numel() for p in model.parameters())), "files": {}}
    for opset in OPSETS:
        fname = "%s-op%d.onnx" % (name, opset)
        path = os.path.join(SMALL_DIR if small else BUILD_DIR, fname)
        ops = export(model, path, opset)
        entry = {"bytes": os.path.getsize(path), "sha256": sha256(path), "ops": ops}
        if ort is not None:
            r = ort_reference(ort, path, os.path.join(REF_DIR, fname[:-5]), limit)
            entry.update(ort_version=r["version"], ort_correct=r["correct"],
                         ort_min_margin=r["min_margin"])
            diff = int((np.loadtxt(os.path.join(REF_DIR, fname[:-5] + ".ort.pred"),
                                   dtype=np.int64) != pred).sum())
            entry["ort_differs_from_torch"] = diff
            print("    ONNX Runtime %s: %d correct, %d predictions differ from PyTorch, "
                  "smallest top-2 margin %.3g" % (r["version"], r["correct"], diff,
                                                  r["min_margin"]), flush=True)
        info["files"][fname] = entry
    with open(os.path.join(REF_DIR, name + ".json"), "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write("\n")
    return info


def bench224(out_dir):
    """Random-weight resnet18 and mobilenet_v2 at 224x224, and 256 synthetic
    images with labels, as IDX."""
    os.makedirs(out_dir, exist_ok=True)
    for i, name in enumerate(("resnet18", "mobilenet_v2")):
        td.setup(100 + i)
        model = MODELS[name][0]().eval()
        torch.save(model.state_dict(), os.path.join(out_dir, name + "-224.pt"))
        export(model, os.path.join(out_dir, name + "-224.onnx"), 13, size=224)
    rng = np.random.default_rng(224)
    write_idx(os.path.join(out_dir, "synthetic-224-images.idx"),
              rng.integers(0, 256, size=(256, 3, 224, 224), dtype=np.uint8))
    labels = np.arange(256, dtype=np.uint8) % 10
    write_idx(os.path.join(out_dir, "synthetic-224-labels.idx"), labels)
    return 0


def main(argv):
    if argv[:1] == ["--bench224"]:
        if len(argv) != 2:
            print("usage: train_zoo.py --bench224 DIR", file=sys.stderr)
            return 2
        return bench224(argv[1])
    if argv == ["--small"]:
        names = [n for n in MODELS if MODELS[n][1]]
    elif argv == ["--large"]:
        names = [n for n in MODELS if not MODELS[n][1]]
    elif argv:
        names = argv
    else:
        names = list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print("usage: train_zoo.py [--small | --large | MODEL...] | --bench224 DIR\n"
              "unknown model(s): %s (known: %s)" % (", ".join(unknown), ", ".join(MODELS)),
              file=sys.stderr)
        return 2

    td.setup(0)
    t0 = time.time()
    tr_u8, tr_y = td.load_split("train")
    te_u8, te_y = td.load_split("t10k")
    x1 = torch.from_numpy(normalize(pad32(tr_u8[:TRAIN_IMAGES])[:, :1]).copy())
    y = torch.from_numpy(tr_y[:TRAIN_IMAGES])
    te3 = pad32(te_u8)
    os.makedirs(BUILD_DIR, exist_ok=True)
    write_idx(test_images_path(), te3)
    xt = torch.from_numpy(normalize(te3))
    ort = find_ort()
    if ort is None:
        print("warning: onnxruntime-node not found: no ONNX Runtime references written",
              file=sys.stderr)
    for name in names:
        print("%s:" % name, flush=True)
        make(name, x1, y, xt, te_y, ort, seed=1000 + list(MODELS).index(name))
    print("done in %.0fs" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
