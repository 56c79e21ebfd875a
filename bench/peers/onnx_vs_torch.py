#!/usr/bin/env python3
"""fuseplan on an ONNX export of torchvision's MobileNetV2 against PyTorch's
output on the same input and weights (issue 14; docs/onnx.md, "On the GPU").

Two steps, which may run on two machines:

  /usr/bin/python3 bench/peers/onnx_vs_torch.py --prepare bench/peers/onnx_mv2 \\
      [--fuseplan build/fuseplan] [--model mobilenet_v2]          # needs fuseplan with ONNX
  python3 bench/peers/onnx_vs_torch.py --from bench/peers/onnx_mv2 \\
      [--fuseplan build/fuseplan] [--batch 1,8] [--dtype fp32,fp16,bf16] [--out DIR]

--prepare exports the model (random init with randomised BatchNorm
statistics, eval mode, tools/export_onnx.py), imports it with `fuseplan
import` and keeps, in DIR: model.json + model.weights.bin (the import, BN
folded), state_dict.pt (the same weights for torchvision's model), x.bin (a
fixed-seed float32 NCHW input of batch 8), y_cpu_ref.bin (PyTorch's fp32 CPU
output on it, [8][1000], from the preparing machine's PyTorch) and
prepare.json (versions, shapes). About 33 MB; the ONNX file is not kept.

--from (the GPU machine; fuseplan there needs no ONNX support) per batch B
(images 0..B-1 of x.bin) and dtype T runs

  fuseplan run DIR/model.json --batch B --dtype T --input x_bB.bin --output y.bin --report r.json

(fp32 is strict: FFMA on CUDA cores; fp16/bf16 use tensor cores) and compares
fuseplan's output (the fused plan's, float32 [B][1000]) with PyTorch on the GPU
in the same dtype (TF32 off), with PyTorch's fp32 CPU output here and with the
prepared reference: relative L2, max abs error, top-1 agreement. PyTorch's own
error of each dtype against fp32 is recorded beside it (what the precision
costs PyTorch). Writes summary.json and summary.md to --out.

Without --from or --prepare it does both here (fuseplan with ONNX support and
a GPU on one machine), preparing into OUT/prepared.

Exit status: 0 when every run passed its checks and every comparison is
within bounds (fp32: rel L2 <= 1e-4 against PyTorch fp32 on CPU; fp16/bf16:
rel L2 against PyTorch fp32 at most 3x PyTorch's own error in that dtype on
the GPU, or 1e-2 (fp16) / 5e-2 (bf16), whichever is larger), 1 otherwise, 2 on
bad arguments.
"""
import argparse
import copy
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

PREP_BATCH = 8           # images stored in x.bin; --batch may not exceed it
INPUT_SEED = 2           # torch.Generator seed of x.bin
FP32_BOUND = 1e-4        # fuseplan fp32 vs PyTorch fp32 CPU, rel L2
LOW_FACTOR = 3.0        # fp16/bf16: times PyTorch's own error in that dtype (GPU) ...
LOW_FLOOR = {"fp16": 1e-2, "bf16": 5e-2}  # ... or these, whichever is larger
TORCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def rel_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def compare(y, ref):
    return {"rel_l2": rel_l2(y, ref), "max_abs": float(np.abs(y - ref).max()),
            "top1_agree": float(np.mean(y.argmax(1) == ref.argmax(1)))}


def prepare(a, d):
    os.makedirs(d, exist_ok=True)
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    m = export_onnx.build(a.model)
    onnx_path = os.path.join(d, a.model + ".onnx")
    export_onnx.export(m, torch.zeros(1, 3, 224, 224), onnx_path)
    subprocess.run([a.fuseplan, "import", onnx_path, "-o", os.path.join(d, "model.json")], check=True)
    os.remove(onnx_path)  # the import is what runs; keep the folder small
    torch.save(m.state_dict(), os.path.join(d, "state_dict.pt"))
    x = torch.randn(PREP_BATCH, 3, 224, 224, generator=torch.Generator().manual_seed(INPUT_SEED))
    with torch.no_grad():
        y = m(x)
    x.numpy().astype("<f4").tofile(os.path.join(d, "x.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(d, "y_cpu_ref.bin"))
    info = {"model": a.model, "batch": PREP_BATCH, "input_shape": list(x.shape), "output_shape": list(y.shape),
            "input_seed": INPUT_SEED, "layout": "float32 little-endian, NCHW", "torch": torch.__version__,
            "date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z", "commit": commit()}
    with open(os.path.join(d, "prepare.json"), "w") as f:
        json.dump(info, f, indent=2)
    print("prepared %s: %s" % (d, ", ".join(sorted(os.listdir(d)))))
    return 0


def commit():
    return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip() or os.environ.get("FUSEPLAN_COMMIT", "unknown")


def torch_out(m, x, dev, dt):
    """m (fp32, CPU, left as it is) on x in dtype dt on dev, as float32 numpy."""
    with torch.no_grad():
        return copy.deepcopy(m).to(dev, dt)(x.to(dev, dt)).float().cpu().numpy()


def run_from(a, d):
    info = json.load(open(os.path.join(d, "prepare.json")))
    name = info["model"]
    n_img = info["batch"]
    batches = [int(s) for s in a.batch.split(",")]
    dtypes = a.dtype.split(",")
    if any(b < 1 or b > n_img for b in batches) or any(t not in TORCH_DTYPES for t in dtypes):
        print("--batch: each in 1..%d (images in %s/x.bin); --dtype: of fp32, fp16, bf16" % (n_img, d),
              file=sys.stderr)
        return 2
    help_text = subprocess.run([a.fuseplan, "run", "--help"], capture_output=True, text=True).stdout
    if "--input" not in help_text or "--output" not in help_text:
        print("%s run has no --input/--output: rebuild fuseplan" % a.fuseplan, file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    m = export_onnx.build(name)
    m.load_state_dict(torch.load(os.path.join(d, "state_dict.pt"), map_location="cpu"))
    m.eval()
    c, h, w = info["input_shape"][1:]
    x_all = torch.from_numpy(np.fromfile(os.path.join(d, "x.bin"), dtype="<f4").reshape(n_img, c, h, w))
    y_ref_all = np.fromfile(os.path.join(d, "y_cpu_ref.bin"), dtype="<f4").reshape(n_img, -1)
    gpu = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if gpu else "cpu (no CUDA device seen by PyTorch)"
    rows = []
    for b in batches:
        x = x_all[:b].contiguous()
        xin = os.path.join(a.out, "x_b%d.bin" % b)
        x.numpy().astype("<f4").tofile(xin)
        y_cpu = torch_out(m, x, "cpu", torch.float32)
        y_ref = y_ref_all[:b]
        base = {"batch": b, "torch_cpu_vs_prepared_ref": compare(y_cpu, y_ref)}
        torch_gpu = {}
        if gpu:
            for t in dtypes:
                torch_gpu[t] = torch_out(m, x, "cuda", TORCH_DTYPES[t])
        for t in dtypes:
            yout = os.path.join(a.out, "y_b%d_%s.bin" % (b, t))
            rep = os.path.join(a.out, "report_b%d_%s.json" % (b, t))
            cmd = [a.fuseplan, "run", os.path.join(d, "model.json"), "--batch", str(b), "--dtype", t,
                   "--input", xin, "--output", yout, "--report", rep, "--iters", str(a.iters), "--quiet"]
            print("$ " + " ".join(cmd), flush=True)
            r = subprocess.run(cmd, capture_output=True, text=True)
            row = dict(base, dtype=t, command=" ".join(cmd), rc=r.returncode)
            if r.returncode != 0:
                row["stderr"] = r.stderr.strip()[-2000:]
                print(r.stdout[-3000:] + r.stderr[-2000:], file=sys.stderr)
            if t in torch_gpu:
                row["torch_gpu_vs_torch_cpu_fp32"] = compare(torch_gpu[t], y_cpu)
            if os.path.exists(yout) and r.returncode in (0, 1):
                y = np.fromfile(yout, dtype="<f4")
                if y.size != y_cpu.size:
                    row["error"] = "output has %d floats, expected %d" % (y.size, y_cpu.size)
                else:
                    y = y.reshape(y_cpu.shape)
                    row["fuseplan_vs_torch_cpu_fp32"] = compare(y, y_cpu)
                    row["fuseplan_vs_prepared_ref"] = compare(y, y_ref)
                    if t in torch_gpu:
                        row["fuseplan_vs_torch_gpu_same_dtype"] = compare(y, torch_gpu[t])
            if os.path.exists(rep):
                rj = json.load(open(rep))
                row["fuseplan_checks_passed"] = rj.get("checks_passed")
                row["fuseplan_whole_model_rel_l2_vs_cudnn"] = rj.get("whole_model_rel_l2")
                row["fuseplan_graph_fused_us"] = rj.get("totals", {}).get("graph_fused_us")
                row["fuseplan_input"] = rj.get("input")
                row["fuseplan_weights"] = rj.get("weights")
            row["bound"], row["ok"] = judge(row)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k not in ("command", "stderr")}), flush=True)
    summary = {"what": "fuseplan run (fused plan) on an ONNX import vs PyTorch, same weights and input",
               "model": name, "device": device, "date": datetime.datetime.utcnow().isoformat(timespec="seconds")
               + "Z", "commit": commit(), "torch": torch.__version__, "prepared": info,
               "command": " ".join(sys.argv),
               "bounds": {"fp32": "rel L2 vs PyTorch fp32 CPU <= %g" % FP32_BOUND,
                          "fp16/bf16": "rel L2 vs PyTorch fp32 CPU <= max(%g x PyTorch GPU's own in "
                          "that dtype, %s)" % (LOW_FACTOR, LOW_FLOOR)},
               "rows": rows, "all_ok": all(r["ok"] for r in rows)}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(markdown(summary))
    print(markdown(summary))
    return 0 if summary["all_ok"] else 1


def judge(row):
    """(the bound on rel L2 vs PyTorch fp32 CPU, whether the row is within it and its run passed)."""
    got = row.get("fuseplan_vs_torch_cpu_fp32")
    if row["dtype"] == "fp32":
        bound = FP32_BOUND
    else:
        own = row.get("torch_gpu_vs_torch_cpu_fp32", {}).get("rel_l2", 0.0)
        bound = max(LOW_FACTOR * own, LOW_FLOOR[row["dtype"]])
    return bound, bool(row["rc"] == 0 and got is not None and got["rel_l2"] <= bound)


def markdown(s):
    out = ["# fuseplan vs PyTorch: %s, %s" % (s["model"], s["device"]), "",
           "%s; commit %s; PyTorch %s here, reference prepared with PyTorch %s. fuseplan's numbers are the "
           "fused plan's output (`run --output`); relative L2 / max abs / top-1 agreement." % (
               s["date"], s["commit"], s["torch"], s["prepared"].get("torch")), "",
           "| batch | dtype | fuseplan vs PyTorch GPU (same dtype) | fuseplan vs PyTorch CPU fp32 | "
           "PyTorch GPU (dtype) vs CPU fp32 | bound | fuseplan checks | ok |",
           "|---|---|---|---|---|---|---|---|"]

    def cell(c):
        return "%.3g / %.3g / %.0f%%" % (c["rel_l2"], c["max_abs"], 100 * c["top1_agree"]) if c else "-"
    for r in s["rows"]:
        out.append("| %d | %s | %s | %s | %s | %.3g | %s | %s |" % (
            r["batch"], r["dtype"], cell(r.get("fuseplan_vs_torch_gpu_same_dtype")),
            cell(r.get("fuseplan_vs_torch_cpu_fp32")), cell(r.get("torch_gpu_vs_torch_cpu_fp32")), r["bound"],
            {True: "passed", False: "FAILED", None: "-"}[r.get("fuseplan_checks_passed")],
            "yes" if r["ok"] else "**no**" + (" (exit %d)" % r["rc"] if r["rc"] else "")))
    out += ["", "Bounds: " + "; ".join("%s: %s" % kv for kv in s["bounds"].items()), ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fuseplan", default=os.path.join(ROOT, "build", "tool", "fuseplan"))
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--dtype", default="fp32,fp16,bf16")
    ap.add_argument("--iters", type=int, default=50, help="fuseplan run --iters (timing is not the point here)")
    ap.add_argument("--model", default="mobilenet_v2")
    ap.add_argument("--out", default=os.path.join(
        ROOT, "bench", "results", datetime.date.today().isoformat() + "-onnx_vs_torch"))
    ap.add_argument("--prepare", metavar="DIR", help="export, import, write input and reference to DIR, then stop")
    ap.add_argument("--from", dest="src", metavar="DIR", help="run what --prepare wrote to DIR")
    a = ap.parse_args()
    if a.prepare and a.src:
        print("--prepare and --from: give one", file=sys.stderr)
        return 2
    if a.prepare:
        return prepare(a, a.prepare)
    if not a.src:
        a.src = os.path.join(a.out, "prepared")
        rc = prepare(a, a.src)
        if rc:
            return rc
    return run_from(a, a.src)


if __name__ == "__main__":
    sys.exit(main())
