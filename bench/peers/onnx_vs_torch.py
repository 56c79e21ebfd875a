#!/usr/bin/env python3
"""fuseplan on an ONNX export of torchvision's MobileNetV2 against PyTorch's
output on the same input (issue 14; docs/onnx.md, "On the GPU").

  python3 bench/peers/onnx_vs_torch.py [--fuseplan build/tool/fuseplan] [--batch 1,64]
                                       [--model mobilenet_v2] [--out bench/results/DIR]

Per batch: exports the model (random init with randomised BatchNorm statistics,
eval mode, tools/export_onnx.py), writes a fixed-seed input (float32 NCHW),
computes PyTorch's fp32 output on the CPU and, when there is one, on the GPU
(TF32 off), then runs

  fuseplan run MODEL.onnx --batch B --input x.bin --output y.bin --report r.json

and compares y.bin (fuseplan's fused-plan output, float32 [B][1000]) with
PyTorch's: max abs error and relative L2. Writes summary.json (device, date,
commit, command, numbers) to --out. No network needed.

If this fuseplan's `run` has no --input/--output options (it cannot take an
input tensor or write the output tensor), the script still runs the model
(which checks the fused plan against cuDNN on the file's weights), says what is
missing and exits 3.

Where the GPU machine's fuseplan was built without ONNX support (no protoc-c /
libonnx-dev there), prepare on a machine that has it and carry the folder:

  /usr/bin/python3 bench/peers/onnx_vs_torch.py --prepare bench/peers/onnx_mv2   # CPU machine
  python3 bench/peers/onnx_vs_torch.py --from bench/peers/onnx_mv2                # GPU machine

--prepare exports MODEL.onnx, writes its import (model.json + model.weights.bin) and the
PyTorch weights (state_dict.pt); --from runs fuseplan on model.json and loads
the same weights into torchvision's model.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import export_onnx  # noqa: E402


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuseplan", default=os.path.join(ROOT, "build", "tool", "fuseplan"))
    ap.add_argument("--batch", default="1,64")
    ap.add_argument("--model", default="mobilenet_v2")
    ap.add_argument("--out", default=os.path.join(
        ROOT, "bench", "results", datetime.date.today().isoformat() + "-onnx_vs_torch"))
    ap.add_argument("--prepare", metavar="DIR", help="export, import and save the weights to DIR, then stop")
    ap.add_argument("--from", dest="src", metavar="DIR", help="run DIR/model.json (made by --prepare)")
    a = ap.parse_args()
    fp = a.fuseplan
    if a.prepare:
        os.makedirs(a.prepare, exist_ok=True)
        m = export_onnx.build(a.model)
        onnx_path = os.path.join(a.prepare, a.model + ".onnx")
        export_onnx.export(m, torch.zeros(1, 3, 224, 224), onnx_path)
        torch.save(m.state_dict(), os.path.join(a.prepare, "state_dict.pt"))
        subprocess.run([fp, "import", onnx_path, "-o", os.path.join(a.prepare, "model.json")], check=True)
        os.remove(onnx_path)  # not needed on the GPU machine: keep the folder to ~28 MB
        with open(os.path.join(a.prepare, "model.txt"), "w") as f:
            f.write(a.model + "\n")
        return 0
    os.makedirs(a.out, exist_ok=True)
    help_text = subprocess.run([fp, "run", "--help"], capture_output=True, text=True).stdout
    can_io = "--input" in help_text and "--output" in help_text
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if a.src:
        a.model = open(os.path.join(a.src, "model.txt")).read().strip()
        m = export_onnx.build(a.model)
        m.load_state_dict(torch.load(os.path.join(a.src, "state_dict.pt"), map_location="cpu"))
        m.eval()
        onnx_path = os.path.join(a.src, "model.json")
    else:
        m = export_onnx.build(a.model)
        onnx_path = os.path.join(a.out, a.model + ".onnx")
        export_onnx.export(m, torch.zeros(1, 3, 224, 224), onnx_path)
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or os.environ.get("FUSEPLAN_COMMIT", "unknown")
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    rows = []
    missing = None
    for b in [int(s) for s in a.batch.split(",")]:
        x = torch.randn(b, 3, 224, 224, generator=torch.Generator().manual_seed(2))
        xin = os.path.join(a.out, "x_b%d.bin" % b)
        yout = os.path.join(a.out, "y_b%d.bin" % b)
        rep = os.path.join(a.out, "report_b%d.json" % b)
        x.numpy().astype(np.float32).tofile(xin)
        with torch.no_grad():
            y_cpu = m(x).numpy()
            y_gpu = m.cuda()(x.cuda()).cpu().numpy() if torch.cuda.is_available() else None
            m.cpu()
        cmd = [fp, "run", onnx_path, "--batch", str(b), "--report", rep]
        if can_io:
            cmd += ["--input", xin, "--output", yout]
        print("$ " + " ".join(cmd), flush=True)
        r = subprocess.run(cmd, text=True)
        row = {"batch": b, "command": " ".join(cmd), "rc": r.returncode}
        if y_gpu is not None:
            row["torch_gpu_vs_cpu_rel_l2"] = rel_l2(y_gpu, y_cpu)
        if r.returncode == 0 and can_io:
            y = np.fromfile(yout, dtype=np.float32).reshape(y_cpu.shape)
            row["fuseplan_vs_torch_cpu"] = {"max_abs": float(np.abs(y - y_cpu).max()), "rel_l2": rel_l2(y, y_cpu)}
            if y_gpu is not None:
                row["fuseplan_vs_torch_gpu"] = {"max_abs": float(np.abs(y - y_gpu).max()),
                                                "rel_l2": rel_l2(y, y_gpu)}
        elif not can_io:
            missing = ("`fuseplan run` has no --input FILE / --output FILE: it cannot run the model on a given "
                       "input or write its output tensor, so only the run itself (fused plan vs cuDNN on the "
                       "ONNX file's folded weights) was checked")
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {"what": "fuseplan run on an ONNX export vs PyTorch, fp32", "model": a.model, "device": device,
               "date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z", "commit": commit,
               "torch": torch.__version__, "command": " ".join(sys.argv), "rows": rows}
    if missing:
        summary["missing"] = missing
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if missing:
        print("MISSING: " + missing, file=sys.stderr)
        return 3
    bad = [r for r in rows if r["rc"] != 0 or r.get("fuseplan_vs_torch_cpu", {}).get("rel_l2", 1) > 1e-4]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
