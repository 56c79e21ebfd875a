"""A PyTorch module built from a fuseplan model file (models/*.json, format
"fuseplan-model", docs/formats.md), so that the models fuseplan ships without
a torchvision twin (mobilenet_v1, proxylessnas_gpu, xception) still get a
PyTorch peer with exactly fuseplan's layers: the same convolutions (groups,
strides, TensorFlow "same" padding with its smaller half on top/left), the
same activations, adds, pools and dense head. BatchNorm is already folded into
the conv biases in these files, so there is nothing to fold. Weights are
random (torch.manual_seed by the caller): the peer is a timing, not an oracle.

Layout: NCHW tensors in PyTorch's convention (use channels_last memory format
for NHWC kernels); fuseplan's [H, W, C] shapes map to (C, H, W)."""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _pads(padding, in_hw, k, s):
    """(top, bottom, left, right) as fuseplan's loader computes them."""
    if isinstance(padding, list):
        return tuple(int(p) for p in padding)
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding != "same":
        raise ValueError(f"padding {padding!r}: expected \"same\", \"valid\" or [t, b, l, r]")
    out = []
    for i in range(2):
        o = math.ceil(in_hw[i] / s[i])
        total = max((o - 1) * s[i] + k[i] - in_hw[i], 0)
        out += [total // 2, total - total // 2]  # the smaller half on top/left
    return tuple(out)


def _act(name):
    if name in (None, "none"):
        return None
    if name == "relu":
        return F.relu
    if name == "relu6":
        return F.relu6
    raise ValueError(f"activation {name!r}: expected none, relu or relu6")


class _Conv(nn.Module):
    def __init__(self, c_in, layer, in_hw):
        super().__init__()
        k = _pair(layer["kernel"])
        s = _pair(layer.get("stride", 1))
        t, b, l, r = _pads(layer.get("padding", "same"), in_hw, k, s)
        # symmetric padding goes into the conv (cuDNN pads for free); otherwise an explicit pad
        self.sym = (t == b and l == r)
        self.pad = (l, r, t, b)
        self.conv = nn.Conv2d(c_in, layer["filters"], k, s, (t, l) if self.sym else 0,
                              groups=layer.get("groups", 1), bias=layer.get("bias", True))
        self.act = _act(layer.get("activation", "none"))
        self.out_hw = ((in_hw[0] + t + b - k[0]) // s[0] + 1, (in_hw[1] + l + r - k[1]) // s[1] + 1)

    def forward(self, x):
        if not self.sym:
            x = F.pad(x, self.pad)
        y = self.conv(x)
        return self.act(y) if self.act else y


class _Pool(nn.Module):
    def __init__(self, layer, in_hw):
        super().__init__()
        k = _pair(layer["kernel"])
        s = _pair(layer.get("stride", layer["kernel"]))
        self.k, self.s = k, s
        self.max = layer["op"] == "max_pool"
        t, b, l, r = _pads(layer.get("padding", "valid"), in_hw, k, s)
        self.pad = (l, r, t, b)
        self.out_hw = ((in_hw[0] + t + b - k[0]) // s[0] + 1, (in_hw[1] + l + r - k[1]) // s[1] + 1)

    def forward(self, x):
        if any(self.pad):
            if self.max:
                x = F.pad(x, self.pad, value=float("-inf"))
            else:  # TensorFlow's average excludes the padding: divide by the count of real pixels
                ones = F.pad(torch.ones_like(x[:, :1]), self.pad)
                x = F.pad(x, self.pad)
                return F.avg_pool2d(x, self.k, self.s) / F.avg_pool2d(ones, self.k, self.s)
        return F.max_pool2d(x, self.k, self.s) if self.max else F.avg_pool2d(x, self.k, self.s)


class JsonModel(nn.Module):
    """Runs a fuseplan model's layers in file order (the loader requires a
    topological order) on a dict of named tensors; returns the first output."""

    def __init__(self, path):
        super().__init__()
        with open(path) as f:
            m = json.load(f)
        if m.get("format") != "fuseplan-model":
            raise ValueError(f"{path}: format {m.get('format')!r} is not fuseplan-model")
        h, w, c = m["input"]["shape"]
        self.input_name = m["input"]["name"]
        self.input_shape = (c, h, w)
        self.output_name = m["outputs"][0]
        shapes = {self.input_name: (h, w, c)}
        self.steps = []  # (op, inputs, output, module index or activation)
        self.mods = nn.ModuleList()
        for layer in m["layers"]:
            op, ins, out = layer["op"], layer["inputs"], layer["output"]
            ih, iw, ic = shapes[ins[0]]
            if op == "conv2d":
                mod = _Conv(ic, layer, (ih, iw))
                shapes[out] = (*mod.out_hw, layer["filters"])
            elif op in ("max_pool", "avg_pool"):
                mod = _Pool(layer, (ih, iw))
                shapes[out] = (*mod.out_hw, ic)
            elif op == "global_avg_pool":
                mod = None
                shapes[out] = (1, 1, ic)
            elif op == "dense":
                mod = nn.Linear(ic, layer["units"], bias=layer.get("bias", True))
                shapes[out] = (1, 1, layer["units"])
            elif op in ("add", "activation"):
                mod = None
                shapes[out] = (ih, iw, ic)
            else:
                raise ValueError(f"{path}: layer {layer['name']}: op {op!r} has no PyTorch twin here")
            idx = None
            if mod is not None:
                idx = len(self.mods)
                self.mods.append(mod)
            self.steps.append((op, ins, out, idx, _act(layer.get("activation", "none"))))

    def forward(self, x):
        t = {self.input_name: x}
        for op, ins, out, idx, act in self.steps:
            a = t[ins[0]]
            if op in ("conv2d", "max_pool", "avg_pool"):
                y = self.mods[idx](a)
            elif op == "global_avg_pool":
                y = a.mean((2, 3), keepdim=True)
            elif op == "dense":
                y = self.mods[idx](a.flatten(1))
                y = act(y) if act else y
                y = y[:, :, None, None]
            elif op == "add":
                y = a + t[ins[1]]
                y = act(y) if act else y
            else:  # activation
                y = act(a)
            t[out] = y
        return t[self.output_name]
