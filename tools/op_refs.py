#!/usr/bin/python3
"""Write numpy references for the operator unit tests.

Each operator test in tests/unit builds a one-node model in memory, runs
it through whittle's evaluator and compares the outputs with the arrays
written here, which numpy computes from the operator's ONNX definition:

  tests/fixtures/ref/op-pad-x.npy          the input, (2, 2, 3, 4) float32
  tests/fixtures/ref/op-pad-<case>.npy     Pad of it, for each case below
  tests/fixtures/ref/op-<name>.npy         an elementwise operator of it
                                           (HardSigmoid with alpha 0.3 and
                                           beta 0.4; Pow to [2, 3, -2, 1]
                                           along the last axis)
  tests/fixtures/ref/op-reducemean-<case>.npy  ReduceMean of it, below,
                                           computed in double
  tests/fixtures/ref/op-reduce<kind>-<case>.npy  ReduceSum, Max, Min,
                                           Prod, L2 and LogSumExp of it
                                           over the cases "hw" and "c"
                                           below, in double
  tests/fixtures/ref/op-matmul-<case>.npy  MatMul not a layer, in double:
                                           "self" x . x^T over the last
                                           two axes (attention's scores),
                                           "bconst" x . w with w (2, 4, 5)
                                           = cos(i), "aconst" v . x with
                                           v (3, 3) = sin(i)
  tests/fixtures/ref/op-split-<case>-<k>.npy  output k of Split of it:
                                           "w" along axis 3 into [1, 3],
                                           "c" along axis 1 in halves
  tests/fixtures/ref/op-tile-x.npy         x[:, :, :1, :], (2, 2, 1, 4)
  tests/fixtures/ref/op-expand.npy         it expanded to shape [2, 3, 4]
  tests/fixtures/ref/op-tile.npy           it tiled by [1, 2, 2, 3]
  tests/fixtures/ref/op-globalmaxpool.npy  GlobalMaxPool of it
  tests/fixtures/ref/op-instancenorm.npy   InstanceNormalization of it,
                                           scale [0.5, 2], bias [0.1, -0.3]
  tests/fixtures/ref/op-groupnorm-<opset>.npy  GroupNormalization of it
                                           read as (2, 4, 3, 2), 2 groups;
                                           at 18 scale [0.5, 2] and bias
                                           [0.1, -0.3] per group, at 21
                                           scale [0.5, 1, 1.5, 2] and bias
                                           [0.1, 0.2, -0.3, -0.4] per
                                           channel
  tests/fixtures/ref/op-einsum-<case>.npy  Einsum, in double: "av"
                                           bhij,bhjd->bhid of the "self"
                                           scores and x, "lin" bid,jd->bij
                                           of x read as (2, 6, 4) and
                                           w (5, 4) = cos(i)
  tests/fixtures/ref/op-argmax-<axis>.npy  ArgMax of it along axis 1
                                           (keepdims 0) or 3 (keepdims 1),
                                           as float32
  tests/fixtures/ref/op-softmax-<case>.npy  Softmax of it, in double:
                                           "13" along axis 2 (opset 13),
                                           "11" over axes 2 and 3 together
                                           (axis 2 before opset 13);
                                           op-logsoftmax-13 the log of "13"
  tests/fixtures/ref/op-layernorm-<axis>.npy  LayerNormalization of it
                                           from that axis, scale
                                           0.5 + i / 8, bias -1/4 + i / 16
                                           over the normalized values
  tests/fixtures/ref/op-slice-<case>.npy   Slice of it, below
  tests/fixtures/ref/op-gather-<case>.npy  Gather of it, below
  tests/fixtures/ref/op-ew-<case>.npy      the elementwise, comparison,
                                           logic, Where and variadic
                                           cases of ew_refs in float32,
                                           on it and on the constants of
                                           ew_consts (the fold- cases fold
                                           on constants first); booleans
                                           as 0 and 1

Run:  /usr/bin/python3 tools/op_refs.py [elementwise]
(with a group name, only that group's files are written)
"""
import os
import sys

import numpy as np

REF = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "ref")

# name: (ONNX pads, begins then ends over (n, c, h, w); mode; value)
# name: (axes, or None for every axis but the batch; keepdims)
REDUCE_CASES = {
    "hw": ((2, 3), 1),
    "c": ((1,), 0),
    "last": ((-1,), 1),
    "all": (None, 0),
}

PAD_CASES = {
    "constant": ([0, 0, 1, 2, 0, 0, 2, 1], "constant", 0.5),
    "reflect": ([0, 0, 2, 3, 0, 0, 1, 2], "reflect", 0.0),
    "edge": ([0, 0, 3, 1, 0, 0, 0, 2], "edge", 0.0),
    "crop": ([0, 0, -1, 1, 0, 0, 1, -2], "constant", -1.0),
}


def onnx_pad(x, pads, mode, value):
    """ONNX Pad: negative pads crop, then numpy pads the rest."""
    nd = x.ndim
    lo, hi = pads[:nd], pads[nd:]
    crop = tuple(slice(max(-b, 0), x.shape[i] - max(-e, 0))
                 for i, (b, e) in enumerate(zip(lo, hi)))
    x = x[crop]
    width = [(max(b, 0), max(e, 0)) for b, e in zip(lo, hi)]
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=value)
    return np.pad(x, width, mode=mode)


def ew_consts():
    """The initializers of tests/unit/test-ops.c's elementwise cases."""
    f = np.float32
    return {
        "c4": np.array([0.5, -1, 2, 0.25], dtype=f),
        "c31": np.array([[-0.5], [0.75], [0]], dtype=f),
        "s2": np.array([[[0.25]], [[-2]]], dtype=f),
        "lo": f(-0.5),
        "hi": f(1.5),
        "k34": (0.3 * np.cos(np.arange(12))).astype(f).reshape(3, 4),
        "i4": np.array([2, -1, 4, -1], dtype=np.int64),
        "m1": np.int64(-1),
        "one": np.int64(1),
        "b4": np.array([1, 0, 0, 1], dtype=np.int64),
    }


def ew_refs(x):
    """The expected result of each elementwise case, float32."""
    f = np.float32
    k = ew_consts()
    c4, c31, s2, k34 = k["c4"], k["c31"], k["s2"], k["k34"]
    xd = x.astype(np.float64)

    def selu(v):
        a, g = 1.67326319217681884765625, 1.05070102214813232421875
        return g * np.where(v > 0, v, a * np.expm1(v))

    def softsign(v):
        return v / (1 + np.abs(v))

    gt = x > c4
    lt = x < c31
    i4 = k["i4"]
    eq = i4 == -1
    w = np.where(eq, 1, i4)
    s = w + i4 + 1
    o = np.logical_or(np.logical_not(s > 1), eq)
    return {
        "exp": np.exp(xd),
        "log": np.log(np.abs(xd)),
        "sign": np.sign(x),
        "neg": -x,
        "abs": np.abs(x),
        "floor": np.floor(x),
        "ceil": np.ceil(x),
        "round": np.round(x),
        "softplus": np.log1p(np.exp(xd)),
        "softsign": softsign(xd),
        "selu": selu(xd),
        "elu": np.where(xd < 0, 0.5 * np.expm1(xd), xd),
        "leakyrelu": np.where(x < 0, f(0.2) * x, x),
        "clip-min": np.clip(x, f(-0.5), None),
        "clip-crossed": np.minimum(np.maximum(x, f(1.5)), f(-0.5)),
        "prelu": np.where(x < 0, x * s2, x),
        "greater": gt,
        "lessorequal": c31 <= x,
        "equal": np.round(x) == c4,
        "and": np.logical_and(gt, lt),
        "or": np.logical_or(gt, lt),
        "xor": np.logical_xor(gt, lt),
        "not": np.logical_not(gt),
        "where": np.where(gt, x, c31),
        "where-const-cond": np.where(k["b4"] != 0, c31, x),
        "sum": x + c4 + c31,
        "mean": (c4 + x + x) / f(3),
        "max": np.maximum(np.maximum(x, c4), -x),
        "min": np.minimum(c31, x),
        "sum-one": x,
        "fold-unary": x + np.clip(softsign(selu(k34.astype(np.float64)))
                                  .astype(f), f(-0.5), f(1.5)),
        "fold-logic": x * s.astype(f) + o.astype(f),
        "fold-variadic": (x + np.minimum((k34 + c4 + c31) / f(3), k34))
                         * np.maximum(i4 + 1 - 1, 1).astype(f),
    }


def main_elementwise(x):
    for name, y in ew_refs(x).items():
        y = np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape)
        np.save(os.path.join(REF, "op-ew-%s.npy" % name),
                np.ascontiguousarray(y.astype(np.float32)))
        print("ew", name, y.shape)


def main():
    x = (0.1 + 2 * np.cos(np.arange(2 * 2 * 3 * 4))).astype(np.float32)
    x = x.reshape(2, 2, 3, 4)
    if sys.argv[1:] == ["elementwise"]:
        main_elementwise(x)
        return
    np.save(os.path.join(REF, "op-pad-x.npy"), x)
    for name, (pads, mode, value) in PAD_CASES.items():
        y = onnx_pad(x, pads, mode, np.float32(value)).astype(np.float32)
        np.save(os.path.join(REF, "op-pad-%s.npy" % name), y)
        print(name, y.shape)
    f = np.float32
    elementwise = {
        "hardsigmoid": np.clip(f(0.3) * x + f(0.4), f(0), f(1)),
        "hardswish": x * np.clip(x * f(1.0 / 6) + f(0.5), f(0), f(1)),
        "reciprocal": f(1) / x,
        "pow": np.power(x, np.array([2, 3, -2, 1], dtype=np.float32)),
    }
    for name, (axes, keep) in REDUCE_CASES.items():
        ax = axes if axes is not None else (1, 2, 3)
        y = x.astype(np.float64).mean(axis=ax, keepdims=bool(keep))
        np.save(os.path.join(REF, "op-reducemean-%s.npy" % name),
                y.astype(np.float32))
        print("reducemean", name, y.shape)
    kinds = {
        "sum": lambda v, a, k: v.sum(axis=a, keepdims=k),
        "max": lambda v, a, k: v.max(axis=a, keepdims=k),
        "min": lambda v, a, k: v.min(axis=a, keepdims=k),
        "prod": lambda v, a, k: v.prod(axis=a, keepdims=k),
        "l2": lambda v, a, k: np.sqrt((v * v).sum(axis=a, keepdims=k)),
        "logsumexp": lambda v, a, k: np.log(np.exp(v).sum(axis=a,
                                                         keepdims=k)),
    }
    for kind, fn in kinds.items():
        for name in ("hw", "c"):
            axes, keep = REDUCE_CASES[name]
            y = fn(x.astype(np.float64), axes, bool(keep))
            np.save(os.path.join(REF, "op-reduce%s-%s.npy" % (kind, name)),
                    y.astype(np.float32))
            print("reduce" + kind, name, y.shape)
    splits = {
        "w": np.split(x, [1], axis=3),
        "c": np.split(x, 2, axis=1),
    }
    for name, parts in splits.items():
        for k, y in enumerate(parts):
            np.save(os.path.join(REF, "op-split-%s-%d.npy" % (name, k)),
                    np.ascontiguousarray(y))
            print("split", name, k, y.shape)
    xs = np.ascontiguousarray(x[:, :, :1, :])
    np.save(os.path.join(REF, "op-tile-x.npy"), xs)
    np.save(os.path.join(REF, "op-expand.npy"),
            np.ascontiguousarray(xs * np.ones((2, 3, 4), np.float32)))
    np.save(os.path.join(REF, "op-tile.npy"), np.tile(xs, (1, 2, 2, 3)))
    def softmax(v, axes):
        e = np.exp(v - v.max(axis=axes, keepdims=True))
        return e / e.sum(axis=axes, keepdims=True)

    sm13 = softmax(x.astype(np.float64), (2,))
    np.save(os.path.join(REF, "op-softmax-13.npy"), sm13.astype(np.float32))
    np.save(os.path.join(REF, "op-logsoftmax-13.npy"),
            np.log(sm13).astype(np.float32))
    np.save(os.path.join(REF, "op-softmax-11.npy"),
            softmax(x.astype(np.float64), (2, 3)).astype(np.float32))
    np.save(os.path.join(REF, "op-argmax-1.npy"),
            np.argmax(x, axis=1).astype(np.float32))
    np.save(os.path.join(REF, "op-argmax-3.npy"),
            np.argmax(x, axis=3)[..., None].astype(np.float32))
    np.save(os.path.join(REF, "op-globalmaxpool.npy"),
            x.max(axis=(2, 3), keepdims=True))
    def groupnorm(v, groups, scale, bias):
        n, ch = v.shape[:2]
        g = v.astype(np.float64).reshape(n, groups, -1)
        mean = g.mean(axis=2, keepdims=True)
        var = ((g - mean) ** 2).mean(axis=2, keepdims=True)
        xhat = ((g - mean) / np.sqrt(var + np.float32(1e-5))).reshape(v.shape)
        shape = (1, ch) + (1,) * (v.ndim - 2)
        y = xhat * np.float32(scale).reshape(shape) + \
            np.float32(bias).reshape(shape)
        return y.astype(np.float32)

    np.save(os.path.join(REF, "op-instancenorm.npy"),
            groupnorm(x, 2, [0.5, 2], [0.1, -0.3]))
    x4 = x.reshape(2, 4, 3, 2)
    np.save(os.path.join(REF, "op-groupnorm-18.npy"),
            groupnorm(x4, 2, [0.5, 0.5, 2, 2], [0.1, 0.1, -0.3, -0.3]))
    np.save(os.path.join(REF, "op-groupnorm-21.npy"),
            groupnorm(x4, 2, [0.5, 1, 1.5, 2], [0.1, 0.2, -0.3, -0.4]))
    xd = x.astype(np.float64)
    w = np.cos(np.arange(40.0)).astype(np.float32).reshape(2, 4, 5)
    v = np.sin(np.arange(9.0)).astype(np.float32).reshape(3, 3)
    matmuls = {
        "self": xd @ xd.transpose(0, 1, 3, 2),
        "bconst": xd @ w.astype(np.float64),
        "aconst": v.astype(np.float64) @ xd,
    }
    scores = matmuls["self"].astype(np.float32).astype(np.float64)
    w5 = np.cos(np.arange(20.0)).astype(np.float32).reshape(5, 4)
    einsums = {
        "av": np.einsum("bhij,bhjd->bhid", scores, xd),
        "lin": np.einsum("bid,jd->bij", xd.reshape(2, 6, 4),
                         w5.astype(np.float64)),
    }
    for name, y in einsums.items():
        np.save(os.path.join(REF, "op-einsum-%s.npy" % name),
                y.astype(np.float32))
        print("einsum", name, y.shape)
    for name, y in matmuls.items():
        np.save(os.path.join(REF, "op-matmul-%s.npy" % name),
                y.astype(np.float32))
        print("matmul", name, y.shape)
    for axis in (-1, 2):
        xd = x.astype(np.float64)
        ax = tuple(range(axis % 4, 4))
        m = int(np.prod([x.shape[a] for a in ax]))
        scale = (0.5 + np.arange(m) / 8).reshape(x.shape[axis % 4:])
        bias = (-0.25 + np.arange(m) / 16).reshape(x.shape[axis % 4:])
        mean = xd.mean(axis=ax, keepdims=True)
        var = ((xd - mean) ** 2).mean(axis=ax, keepdims=True)
        y = (xd - mean) / np.sqrt(var + np.float32(1e-5)) * scale + bias
        np.save(os.path.join(REF, "op-layernorm-%d.npy" % (axis % 4)),
                y.astype(np.float32))
        print("layernorm", axis, y.shape)
    # the numpy views of the ONNX Slices in tests/unit/test-ops.c
    slices = {
        "steps": (x[:, :, 1:3, ::2]),
        "negative": (x[:, ::-1, :, 3:0:-2]),
    }
    for name, y in slices.items():
        np.save(os.path.join(REF, "op-slice-%s.npy" % name),
                np.ascontiguousarray(y).astype(np.float32))
        print("slice", name, y.shape)
    gathers = {
        "c": np.take(x, [1, 0, 1], axis=1),
        "w2d": np.take(x, np.array([[3, -1], [0, 2]]) % 4, axis=3),
    }
    for name, y in gathers.items():
        np.save(os.path.join(REF, "op-gather-%s.npy" % name), y)
        print("gather", name, y.shape)
    for name, y in elementwise.items():
        np.save(os.path.join(REF, "op-%s.npy" % name), y.astype(np.float32))
        print(name, y.shape)
    main_elementwise(x)


if __name__ == "__main__":
    main()
