#!/usr/bin/env python3
"""Generate the model zoo (models/*.json, format fuseplan-model v1, see docs/formats.md).

Usage: python3 tools/gen_models.py [OUTDIR]   (default: models/ next to this tools/ folder)

Standard library only; the output is deterministic (same bytes on every run). Each layer is written on one line so
that diffs stay readable. Batch normalisation is folded into the conv bias (one bias per output channel), so a
model's parameter count here is the framework's trainable count minus one parameter per BN channel.

Padding conventions: models that come from TensorFlow/Keras (MobileNetV1, MobileNetV2, Xception) use "same";
models that come from PyTorch (MnasNet-B1, ProxylessNAS-GPU) use explicit symmetric [p, p, p, p] with p = k // 2 for
every stride-2 conv (what PyTorch does; the output shape equals TF "same" for even inputs) and "same" for stride-1
convs (identical to symmetric k // 2 padding for odd k).
"""

import json
import os
import sys


class Net:
    """Builds a layer list in topological order and tracks tensor shapes [H, W, C]."""

    def __init__(self, name, description, source, input_name, input_shape):
        self.name = name
        self.description = description
        self.source = source
        self.input_name = input_name
        self.input_shape = list(input_shape)
        self.layers = []
        self.shapes = {input_name: list(input_shape)}

    def _add(self, layer, shape):
        names = {l["name"] for l in self.layers}
        assert layer["name"] not in names, layer["name"]
        assert layer["output"] not in self.shapes, layer["output"]
        for t in layer["inputs"]:
            assert t in self.shapes, (layer["name"], t)
        self.layers.append(layer)
        self.shapes[layer["output"]] = shape
        return layer["output"]

    @staticmethod
    def _out_dim(n, k, s, padding):
        if padding == "same":
            return -(-n // s)
        if padding == "valid":
            return (n - k) // s + 1
        raise ValueError(padding)

    def conv(self, name, x, filters, kernel, stride=1, padding="same", groups=1, activation="none", bias=True):
        h, w, c = self.shapes[x]
        assert c % groups == 0 and filters % groups == 0, name
        if isinstance(padding, list):
            top, bottom, left, right = padding
            ho = (h + top + bottom - kernel) // stride + 1
            wo = (w + left + right - kernel) // stride + 1
        else:
            ho = self._out_dim(h, kernel, stride, padding)
            wo = self._out_dim(w, kernel, stride, padding)
        layer = {"name": name, "op": "conv2d", "inputs": [x], "output": name, "filters": filters,
                 "kernel": kernel, "stride": stride, "padding": padding, "groups": groups,
                 "activation": activation}
        if not bias:
            layer["bias"] = False
        return self._add(layer, [ho, wo, filters])

    def dw(self, name, x, kernel, stride=1, padding="same", activation="none", bias=True):
        c = self.shapes[x][2]
        return self.conv(name, x, c, kernel, stride, padding, c, activation, bias)

    def pw(self, name, x, filters, activation="none"):
        return self.conv(name, x, filters, 1, 1, "same", 1, activation)

    def add(self, name, a, b, activation="none"):
        assert self.shapes[a] == self.shapes[b], (name, self.shapes[a], self.shapes[b])
        layer = {"name": name, "op": "add", "inputs": [a, b], "output": name}
        if activation != "none":
            layer["activation"] = activation
        return self._add(layer, list(self.shapes[a]))

    def act(self, name, x, activation):
        layer = {"name": name, "op": "activation", "inputs": [x], "output": name, "activation": activation}
        return self._add(layer, list(self.shapes[x]))

    def max_pool(self, name, x, kernel, stride, padding):
        h, w, c = self.shapes[x]
        layer = {"name": name, "op": "max_pool", "inputs": [x], "output": name, "kernel": kernel,
                 "stride": stride, "padding": padding}
        return self._add(layer, [self._out_dim(h, kernel, stride, padding),
                                 self._out_dim(w, kernel, stride, padding), c])

    def gap(self, name, x):
        layer = {"name": name, "op": "global_avg_pool", "inputs": [x], "output": name}
        return self._add(layer, [1, 1, self.shapes[x][2]])

    def dense(self, name, x, units, activation="none"):
        assert self.shapes[x][:2] == [1, 1], name
        layer = {"name": name, "op": "dense", "inputs": [x], "output": name, "units": units}
        if activation != "none":
            layer["activation"] = activation
        return self._add(layer, [1, 1, units])

    def dumps(self, outputs):
        head = [
            ("format", "fuseplan-model"),
            ("version", 1),
            ("name", self.name),
            ("description", self.description),
            ("source", self.source),
            ("input", {"name": self.input_name, "shape": self.input_shape}),
            ("outputs", outputs),
        ]
        lines = ["{"]
        for key, value in head:
            lines.append("  %s: %s," % (json.dumps(key), json.dumps(value)))
        lines.append('  "layers": [')
        for i, layer in enumerate(self.layers):
            sep = "," if i + 1 < len(self.layers) else ""
            lines.append("    " + json.dumps(layer) + sep)
        lines.append("  ]")
        lines.append("}")
        return "\n".join(lines) + "\n"


def pt_pad(kernel, stride):
    """PyTorch-style padding k // 2 on every side for stride 2; "same" (identical for odd k) for stride 1."""
    if stride == 1:
        return "same"
    p = kernel // 2
    return [p, p, p, p]


def mobilenet_v1():
    n = Net("mobilenet_v1", "MobileNetV1 1.0/224 (alpha 1.0, 224x224), BN folded into conv bias",
            "Howard et al., MobileNets, arXiv:1704.04861, Table 1 (body) and Table 8 (1.0 MobileNet-224: 569 M "
            "mult-adds, 4.2 M params); last DW is stride 1 as in the reference TF/Keras code (Table 1's "
            "'Conv dw / s2' at 7x7 is a typo)",
            "image", [224, 224, 3])
    x = n.conv("conv1", "image", 32, 3, 2, "same", activation="relu6")
    # (pointwise filters, depthwise stride) per depthwise-separable block, Table 1
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    for i, (f, s) in enumerate(blocks, start=1):
        x = n.dw("b%d_dw" % i, x, 3, s, "same", activation="relu6")
        x = n.pw("b%d_pw" % i, x, f, activation="relu6")
    x = n.gap("pool", x)
    n.dense("logits", x, 1000)
    return n, ["logits"]


def mobilenet_v2():
    n = Net("mobilenet_v2", "MobileNetV2 1.0/224, BN folded into conv bias",
            "Sandler et al., MobileNetV2, CVPR 2018 (arXiv:1801.04381), Table 2 (body); counts as Keras/torchvision "
            "mobilenet_v2 1.0 (3,504,872 torchvision params incl. BN affine)",
            "image", [224, 224, 3])
    x = n.conv("conv1", "image", 32, 3, 2, "same", activation="relu6")
    # block 0 (t = 1): no expansion PW
    x = n.dw("b0_dw", x, 3, 1, "same", activation="relu6")
    x = n.pw("b0_project", x, 16)
    # (t, c, n, s), Table 2
    settings = [(6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    b = 1
    for t, c, reps, s in settings:
        for r in range(reps):
            stride = s if r == 0 else 1
            cin = n.shapes[x][2]
            inp = x
            y = n.pw("b%d_expand" % b, x, cin * t, activation="relu6")
            y = n.dw("b%d_dw" % b, y, 3, stride, "same", activation="relu6")
            y = n.pw("b%d_project" % b, y, c)
            if stride == 1 and cin == c:
                y = n.add("b%d_add" % b, y, inp)
            x = y
            b += 1
    x = n.pw("conv_last", x, 1280, activation="relu6")
    x = n.gap("pool", x)
    n.dense("logits", x, 1000)
    return n, ["logits"]


def xception():
    n = Net("xception", "Xception at 299x299 (Keras applications layout), BN folded into the bias of the conv it "
            "follows; separable convs are DW (no bias, no activation) then PW",
            "Chollet, Xception, CVPR 2017 (arXiv:1610.02357), Figure 5; layer details as "
            "keras.applications.Xception (22,910,480 params incl. BN)",
            "image", [299, 299, 3])

    def sep(prefix, x, filters, activation="none"):
        y = n.dw(prefix + "_dw", x, 3, 1, "same", activation="none", bias=False)
        return n.pw(prefix + "_pw", y, filters, activation=activation)

    # entry flow
    x = n.conv("b1_conv1", "image", 32, 3, 2, "valid", activation="relu")
    x = n.conv("b1_conv2", x, 64, 3, 1, "valid", activation="relu")
    # block 2: input already relu'd (b1_conv2), shortcut takes the same tensor
    res = n.conv("b2_res", x, 128, 1, 2, "same")
    y = sep("b2_sep1", x, 128, activation="relu")
    y = sep("b2_sep2", y, 128)
    y = n.max_pool("b2_pool", y, 3, 2, "same")
    x = n.add("b2_add", y, res)
    # blocks 3, 4: shortcut conv takes the pre-activation sum, main branch relu(sum)
    for b, f in ((3, 256), (4, 728)):
        res = n.conv("b%d_res" % b, x, f, 1, 2, "same")
        y = n.act("b%d_relu" % b, x, "relu")
        y = sep("b%d_sep1" % b, y, f, activation="relu")
        y = sep("b%d_sep2" % b, y, f)
        y = n.max_pool("b%d_pool" % b, y, 3, 2, "same")
        x = n.add("b%d_add" % b, y, res)
    # middle flow: 8 blocks, identity shortcut on the pre-activation sum
    for b in range(5, 13):
        y = n.act("b%d_relu" % b, x, "relu")
        y = sep("b%d_sep1" % b, y, 728, activation="relu")
        y = sep("b%d_sep2" % b, y, 728, activation="relu")
        y = sep("b%d_sep3" % b, y, 728)
        x = n.add("b%d_add" % b, y, x)
    # exit flow
    res = n.conv("b13_res", x, 1024, 1, 2, "same")
    y = n.act("b13_relu", x, "relu")
    y = sep("b13_sep1", y, 728, activation="relu")
    y = sep("b13_sep2", y, 1024)
    y = n.max_pool("b13_pool", y, 3, 2, "same")
    x = n.add("b13_add", y, res)
    x = sep("b14_sep1", x, 1536, activation="relu")
    x = sep("b14_sep2", x, 2048, activation="relu")
    x = n.gap("pool", x)
    n.dense("logits", x, 1000)
    return n, ["logits"]


def mnasnet_b1():
    n = Net("mnasnet_b1", "MnasNet-B1 1.0 at 224x224 (torchvision mnasnet1_0), BN folded into conv bias",
            "Tan et al., MnasNet, CVPR 2019 (arXiv:1807.11626); layer list as torchvision.models.mnasnet1_0 "
            "(4,383,312 params incl. BN affine, 0.31 GFLOPS (MACs) per the torchvision weights table)",
            "image", [224, 224, 3])
    x = n.conv("conv1", "image", 32, 3, 2, pt_pad(3, 2), activation="relu")
    x = n.dw("sep_dw", x, 3, 1, "same", activation="relu")
    x = n.pw("sep_pw", x, 16)
    # (expansion, kernel, stride, out channels, repeats)
    stacks = [(3, 3, 2, 24, 3), (3, 5, 2, 40, 3), (6, 5, 2, 80, 3), (6, 3, 1, 96, 2), (6, 5, 2, 192, 4),
              (6, 3, 1, 320, 1)]
    b = 1
    for t, k, s, c, reps in stacks:
        for r in range(reps):
            stride = s if r == 0 else 1
            cin = n.shapes[x][2]
            inp = x
            y = n.pw("b%d_expand" % b, x, cin * t, activation="relu")
            y = n.dw("b%d_dw" % b, y, k, stride, pt_pad(k, stride), activation="relu")
            y = n.pw("b%d_project" % b, y, c)
            if stride == 1 and cin == c:
                y = n.add("b%d_add" % b, y, inp)
            x = y
            b += 1
    x = n.pw("conv_last", x, 1280, activation="relu")
    x = n.gap("pool", x)
    n.dense("logits", x, 1000)
    return n, ["logits"]


def proxylessnas_gpu():
    n = Net("proxylessnas_gpu", "ProxylessNAS-GPU at 224x224 (released proxyless_gpu.config), BN folded into conv "
            "bias; blocks searched as 'Zero' (identity) are omitted",
            "Cai et al., ProxylessNAS, ICLR 2019 (arXiv:1812.00332), Figure 4 (GPU model); block list from "
            "mit-han-lab/proxylessnas proxyless_gpu.config (as transcribed in osmr/imgclsmob "
            "pytorchcv/models/proxylessnas.py); 7.12 M params and 465.3 M FLOPs (mult-adds) from "
            "mit-han-lab/proxylessnas logs/imagenet_gpu_log.txt",
            "image", [224, 224, 3])
    x = n.conv("conv1", "image", 40, 3, 2, pt_pad(3, 2), activation="relu6")
    # first block: MBConv1 3x3, no expansion, no shortcut
    x = n.dw("b0_dw", x, 3, 1, "same", activation="relu6")
    x = n.pw("b0_project", x, 24)
    # non-zero blocks of the released config: (out channels, kernel, expansion, stride, identity shortcut)
    blocks = [
        (32, 5, 3, 2, False),
        (56, 7, 3, 2, False), (56, 3, 3, 1, True),
        (112, 7, 6, 2, False), (112, 5, 3, 1, True),
        (128, 5, 6, 1, False), (128, 3, 3, 1, True), (128, 5, 3, 1, True),
        (256, 7, 6, 2, False), (256, 7, 6, 1, True), (256, 7, 6, 1, True), (256, 5, 6, 1, True),
        (432, 7, 6, 1, False),
    ]
    for b, (c, k, t, s, shortcut) in enumerate(blocks, start=1):
        cin = n.shapes[x][2]
        inp = x
        y = n.pw("b%d_expand" % b, x, cin * t, activation="relu6")
        y = n.dw("b%d_dw" % b, y, k, s, pt_pad(k, s), activation="relu6")
        y = n.pw("b%d_project" % b, y, c)
        if shortcut:
            assert s == 1 and cin == c
            y = n.add("b%d_add" % b, y, inp)
        x = y
    x = n.pw("conv_last", x, 1728, activation="relu6")
    x = n.gap("pool", x)
    n.dense("logits", x, 1000)
    return n, ["logits"]


MODELS = [mobilenet_v1, mobilenet_v2, xception, mnasnet_b1, proxylessnas_gpu]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "models")
    os.makedirs(outdir, exist_ok=True)
    for build in MODELS:
        net, outputs = build()
        path = os.path.join(outdir, net.name + ".json")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(net.dumps(outputs))
        print("wrote %s (%d layers)" % (os.path.normpath(path), len(net.layers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
