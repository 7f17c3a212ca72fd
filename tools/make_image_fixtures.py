#!/usr/bin/python3
"""Writes tests/fixtures/images: a small image folder in torchvision's
ImageFolder layout (PNG of every colour type, JPEG colour and gray) and
the tensors torchvision's evaluation transforms make of it, for
tests/unit/test-image.c.

    /usr/bin/python3 tools/make_image_fixtures.py [OUTDIR]

Seeded: the same bytes on every run with the same Pillow and libjpeg.
References (float32 NPY, (n, c, h, w), with the ImageFolder targets):
  rgb.npy   Resize(16), CenterCrop((12, 14)), ToTensor(),
            Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
  gray.npy  convert("L"), Resize(16), CenterCrop((12, 14)), ToTensor(),
            Normalize((0.5,), (0.25,))
  pad.npy   Resize(9), CenterCrop(11), ToTensor(): the crop is larger
            than the image and pads with zeros
  gray16-high.npy  the high bytes of the 16-bit gray PNG's values
"""
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import datasets, transforms

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/images"
rng = np.random.default_rng(20261201)
folder = os.path.join(out, "folder")


def smooth(h, w, c):
    """A smooth picture with some noise, so that resizing has work to do."""
    y, x = np.mgrid[0:h, 0:w]
    chans = []
    for k in range(c):
        v = 128 + 90 * np.sin(x / (3.0 + k) + k) * np.cos(y / (4.0 + k))
        v += rng.normal(0, 12, (h, w))
        chans.append(np.clip(v, 0, 255))
    return np.stack(chans, -1).astype(np.uint8)


def save(cls, name, img, **kw):
    os.makedirs(os.path.join(folder, cls), exist_ok=True)
    img.save(os.path.join(folder, cls, name), **kw)


# "bird" sorts before "cat": class 0 and class 1, as in ImageFolder.
save("cat", "a-rgb.png", Image.fromarray(smooth(30, 40, 3)))
save("cat", "b-gray.png", Image.fromarray(smooth(32, 24, 1)[:, :, 0]))
save("cat", "c-palette.png",
     Image.fromarray(smooth(25, 27, 3)).quantize(colors=16))
rgba = np.concatenate([smooth(20, 22, 3), smooth(20, 22, 1)], -1)
save("cat", "d-rgba.png", Image.fromarray(rgba, "RGBA"))
save("bird", "e-photo.jpg", Image.fromarray(smooth(29, 37, 3)), quality=85)
save("bird", "f-gray.jpeg", Image.fromarray(smooth(21, 19, 1)[:, :, 0]),
     quality=90)
save("bird", "g-rgb.png", Image.fromarray(smooth(17, 23, 3)))
os.makedirs(os.path.join(folder, "bird", "nested"), exist_ok=True)
save("bird", "nested/h-small.png", Image.fromarray(smooth(9, 12, 3)))

# 16-bit gray, outside the folder: PIL reads it as 32-bit integers, so
# the test checks the decoded high byte against the values themselves.
v16 = (rng.integers(0, 65536, (6, 5))).astype(np.uint16)
Image.fromarray(v16.astype(np.int32), "I").convert("I;16").save(
    os.path.join(out, "gray16.png"))
back = np.array(Image.open(os.path.join(out, "gray16.png")), np.int64)
assert (back == v16).all()
np.save(os.path.join(out, "gray16-high.npy"), (v16 >> 8).astype(np.uint8))


def reference(name, tf):
    ds = datasets.ImageFolder(folder, transform=tf)
    xs = torch.stack([ds[i][0] for i in range(len(ds))]).numpy()
    np.save(os.path.join(out, name + ".npy"), xs.astype(np.float32))
    np.save(os.path.join(out, name + "-labels.npy"),
            np.array(ds.targets, np.int64))


reference("rgb", transforms.Compose([
    transforms.Resize(16), transforms.CenterCrop((12, 14)),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]))
reference("gray", transforms.Compose([
    transforms.Grayscale(1), transforms.Resize(16),
    transforms.CenterCrop((12, 14)), transforms.ToTensor(),
    transforms.Normalize((0.5,), (0.25,))]))
reference("pad", transforms.Compose([
    transforms.Resize(9), transforms.CenterCrop(11), transforms.ToTensor()]))
