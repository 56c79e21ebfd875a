#!/usr/bin/python3
"""Exports torchvision models to ONNX for fuseplan's importer and oracle
(docs/onnx.md). Random initialisation (fixed seed), BatchNorm statistics
randomised too so that folding is exercised, eval mode, opset 13, batch
dimension symbolic ("N").

usage: export_onnx.py OUT_DIR [mobilenet_v2|mnasnet1_0 ...] [--ref]
  --ref  also writes, per model, MODEL.input.bin (float32 NCHW, batch 2,
         fixed seed) and MODEL.output.bin (PyTorch's fp32 CPU output on it).

Needs Debian's python3-torch and python3-torchvision: run it with /usr/bin/python3.
"""
import os
import sys

import torch
import torchvision


def build(name):
    torch.manual_seed(0)
    m = getattr(torchvision.models, name)()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            c = mod.num_features
            with torch.no_grad():
                mod.weight.copy_(0.5 + torch.rand(c, generator=g))
                mod.bias.copy_(0.2 * torch.randn(c, generator=g))
                mod.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(c, generator=g))
    return m.eval()


def export(m, x, path):
    """The TorchScript exporter (opset 13, batch dimension "N"); PyTorch 2.9+
    defaults to the dynamo exporter, which needs onnxscript: ask for the old one."""
    kw = dict(opset_version=13, input_names=["image"], output_names=["logits"],
              dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    try:
        torch.onnx.export(m, x, path, dynamo=False, **kw)
    except TypeError:  # PyTorch before 2.5 has no dynamo argument
        torch.onnx.export(m, x, path, **kw)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    ref = "--ref" in sys.argv
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    out = args[0]
    names = args[1:] or ["mobilenet_v2", "mnasnet1_0"]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    for name in names:
        m = build(name)
        x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
        path = os.path.join(out, name + ".onnx")
        export(m, x, path)
        if ref:
            with torch.no_grad():
                y = m(x)
            x.numpy().astype("float32").tofile(os.path.join(out, name + ".input.bin"))
            y.numpy().astype("float32").tofile(os.path.join(out, name + ".output.bin"))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
