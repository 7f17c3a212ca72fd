#!/usr/bin/python3
"""Time PyTorch on the demo CNN, with the weights of an ONNX export of it,
or on a model of tools/train_zoo.py with its state_dict.

  /usr/bin/python3 torch-eval.py MODEL IMAGES LABELS THREADS BATCH REPEATS [SCALE MEAN STD]
  /usr/bin/python3 torch-eval.py --arch NAME STATE.pt IMAGES LABELS THREADS BATCH REPEATS [...]

Same arguments and the same JSON output line as ort-eval.js.  The network is
rebuilt from its definition in tools/train_demo.py (make_cnn()); its weights
are read from MODEL's initializers, whose names are the state_dict keys.
Images are preprocessed in float32 as ((u8 * SCALE) - MEAN) / STD (defaults:
1/255, 0, 1) and evaluated in batches of BATCH under torch.no_grad() with
torch.set_num_threads(THREADS).  REPEATS timed passes over the whole set are
run in one process; "seconds" is their median (model construction and data
loading excluded).  TORCH_PREDICTIONS=FILE writes the predicted class of every
sample, one per line; TORCH_LIMIT=N evaluates only the first N samples.

With --arch, the network is torchvision's model NAME as tools/train_zoo.py
builds it, with the weights of STATE.pt (written by that script).
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True   # keep tools/ free of __pycache__
sys.path.insert(0, os.path.join(ROOT, "tools"))
import train_demo as td  # noqa: E402


def load_model(path):
    model = td.make_cnn()
    onnx_model = onnx.load(path)
    weights = {init.name: torch.from_numpy(onnx.numpy_helper.to_array(init).copy())
               for init in onnx_model.graph.initializer}
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    if missing:
        raise RuntimeError("%s: no initializer for %s" % (path, ", ".join(missing)))
    for key, value in expected.items():
        if tuple(weights[key].shape) != tuple(value.shape):
            raise RuntimeError("%s: %s has shape %s, expected %s"
                               % (path, key, tuple(weights[key].shape), tuple(value.shape)))
    model.load_state_dict({k: weights[k] for k in expected}, strict=True)
    return model.float().eval()


def load_zoo_model(name, path):
    import train_zoo
    if name not in train_zoo.MODELS:
        raise RuntimeError("unknown zoo model '%s'" % name)
    model = train_zoo.build(name)
    model.load_state_dict(torch.load(path), strict=True)
    return model.float().eval()


def main(argv):
    arch = None
    if argv[:1] == ["--arch"] and len(argv) > 1:
        arch, argv = argv[1], argv[2:]
    if len(argv) < 6:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    model_path, images, labels = argv[0], argv[1], argv[2]
    threads, batch, repeats = int(argv[3]), int(argv[4]), max(1, int(argv[5]))
    scale = float(argv[6]) if len(argv) > 6 else 1.0 / 255.0
    mean = float(argv[7]) if len(argv) > 7 else 0.0
    std = float(argv[8]) if len(argv) > 8 else 1.0

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)

    u8 = td.read_idx(images)
    y = td.read_idx(labels).astype(np.int64)
    n = u8.shape[0]
    if y.shape[0] != n:
        raise RuntimeError("image/label count mismatch")
    if os.environ.get("TORCH_LIMIT"):
        n = min(n, int(os.environ["TORCH_LIMIT"]))
        u8, y = u8[:n], y[:n]
    x = (u8.astype(np.float32) * np.float32(scale) - np.float32(mean)) / np.float32(std)
    assert x.dtype == np.float32
    x = torch.from_numpy(np.ascontiguousarray(x.reshape(n, 1, *u8.shape[1:]) if u8.ndim == 3 else x))
    y = torch.from_numpy(y)

    model = load_zoo_model(arch, model_path) if arch else load_model(model_path)
    times = []
    correct = -1
    preds = torch.empty(n, dtype=torch.int64)
    with torch.no_grad():
        for _ in range(repeats):
            c = 0
            t0 = time.perf_counter()
            for s in range(0, n, batch):
                p = model(x[s:s + batch]).argmax(dim=1)
                preds[s:s + batch] = p
                c += int((p == y[s:s + batch]).sum())
            times.append(time.perf_counter() - t0)
            if correct >= 0 and c != correct:
                raise RuntimeError("passes disagree: %d vs %d correct" % (correct, c))
            correct = c

    if os.environ.get("TORCH_PREDICTIONS"):
        with open(os.environ["TORCH_PREDICTIONS"], "w") as f:
            f.write("\n".join(str(int(v)) for v in preds) + "\n")
    med = statistics.median(times)
    print(json.dumps({"runtime": "pytorch", "version": torch.__version__,
                      "threads": torch.get_num_threads(), "batch": batch, "repeats": repeats,
                      "samples": n, "correct": correct, "accuracy": correct / n,
                      "seconds": med, "images_per_second": n / med, "times": times},
                     separators=(",", ":")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, RuntimeError, ValueError) as e:
        print("torch-eval: %s" % e, file=sys.stderr)
        sys.exit(1)
