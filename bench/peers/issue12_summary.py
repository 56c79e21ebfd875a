#!/usr/bin/env python3
"""Merges issue 12's benchmark (bench/run_issue12.sh) into OUTDIR/summary.json
and OUTDIR/summary.md.

Reads OUTDIR/runs/<model>_b<batch>_<dtype>_<math>.json (`fuseplan run
--report`) and OUTDIR/torch_peer.json (bench/peers/torch_peer.py). One row per
fuseplan report, keys: model, batch, dtype, math (fuseplan's: simt | tc;
fp32 simt is strict FP32, fp32 tc is TF32), precision, fused_us, unfused_us,
cudnn_us (all-cuDNN in the same dtype and math, each conv in its faster
layout), torch_graph_us, torch_compile_us (null without a torchvision twin or
when not measured), body_floor_us (the DW/PW units' byte floors summed),
device, commit; beside them tune (`run --tune N`'s N: the fastest measured of
the model's N best tiles per unit; 0: the planned tiles), checks_passed, whole_rel_l2 (against the
all-cuDNN execution in the same type), rel_l2_vs_fp32, kernel_units,
cudnn_units. All times whole models in CUDA graphs, medians, microseconds.
COMMIT (optional): the commit of the tree measured, for every row, where the
reports carry another label (a device copy's stale .git); the reports' own
label is kept as report_commit.
usage: issue12_summary.py OUTDIR [COMMIT]"""
import glob
import json
import os
import sys

PRECISION = {("fp32", "simt"): "fp32 strict", ("fp32", "tc"): "fp32 tf32", ("fp16", "tc"): "fp16",
             ("fp16", "simt"): "fp16 (simt)", ("bf16", "tc"): "bf16", ("bf16", "simt"): "bf16 (simt)"}
ORDER = {"fp16": 0, "bf16": 1, "fp32 strict": 2, "fp32 tf32": 3}


def load_peers(outdir):
    peers = {}
    for path in sorted(glob.glob(os.path.join(outdir, "torch_peer*.json"))):
        with open(path) as f:
            doc = json.load(f)
        for r in doc.get("rows", []):
            peers[(r["model"], r["batch"], r["dtype"], r["math"])] = r
    return peers


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: issue12_summary.py OUTDIR [COMMIT]")
    outdir = sys.argv[1]
    commit = sys.argv[2] if len(sys.argv) == 3 else None
    peers = load_peers(outdir)
    rows = []
    for path in sorted(glob.glob(os.path.join(outdir, "runs", "*.json"))):
        with open(path) as f:
            rep = json.load(f)
        t = rep.get("totals", {})
        dt, math = rep.get("dtype", "fp32"), rep.get("math", "simt")
        units = rep.get("units", [])
        # a 16-bit peer is the same numerics whichever math our plan used
        p = peers.get((rep["model"], rep["batch"], dt, math)) or (
            peers.get((rep["model"], rep["batch"], dt, "tc"), {}) if dt != "fp32" else {})
        rows.append(dict(
            model=rep["model"], batch=rep["batch"], dtype=dt, math=math,
            precision=PRECISION.get((dt, math), f"{dt} {math}"),
            fused_us=t.get("graph_fused_us"), unfused_us=t.get("graph_unfused_us"),
            cudnn_us=t.get("graph_cudnn_us"),
            torch_graph_us=p.get("torch_graph_us"), torch_compile_us=p.get("torch_compile_us"),
            body_floor_us=t.get("body_floor_us"), tune=rep.get("tune", 0),
            device=rep.get("device"), commit=commit or rep.get("commit"),
            report_commit=rep.get("commit"),
            checks_passed=rep.get("checks_passed"), whole_rel_l2=rep.get("whole_model_rel_l2"),
            rel_l2_vs_fp32=rep.get("whole_model_rel_l2_vs_fp32"),
            kernel_units=sum(1 for u in units if u.get("by") == "fuseplan" and "variant" in u),
            cudnn_units=sum(1 for u in units if u.get("by") == "cudnn"),
            peer_note=p.get("note") or None))
    rows.sort(key=lambda r: (r["model"], r["batch"], ORDER.get(r["precision"], 9)))
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump(rows, f, indent=1)
    dev = sorted({r["device"] for r in rows if r["device"]})
    com = sorted({r["commit"] for r in rows if r["commit"]})
    lines = [f"# Issue 12: whole models by element type ({', '.join(dev) or '?'}; commit {', '.join(com) or '?'})",
             "",
             "Whole models in CUDA graphs, medians, microseconds per batch. cuDNN: all-cuDNN in the same dtype and "
             "math (each conv in its faster layout). PyTorch: bench/peers/torch_peer.py in the same device call "
             "(torchvision, BN folded, channels-last). Floor: the DW/PW body's byte floor.",
             "",
             "| model | batch | precision | fused | unfused | cuDNN | torch graph | torch.compile | floor (body) "
             "| unfused/fused | torch.compile/fused | checks | rel L2 vs fp32 | units ours/cuDNN |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in rows:
        f, u, c = r["fused_us"], r["unfused_us"], r["torch_compile_us"]
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} |".format(
            r["model"], r["batch"], r["precision"] + (f", --tune {r['tune']}" if r["tune"] else ""), fmt(f), fmt(u),
            fmt(r["cudnn_us"]),
            fmt(r["torch_graph_us"]), fmt(c), fmt(r["body_floor_us"]),
            fmt(u / f if f and u else None, 2) + ("x" if f and u else ""),
            fmt(c / f if f and c else None, 2) + ("x" if f and c else ""),
            "pass" if r["checks_passed"] else "FAIL",
            "-" if r["rel_l2_vs_fp32"] is None else f"{r['rel_l2_vs_fp32']:.2g}",
            r["kernel_units"], r["cudnn_units"]))
    missing = [k for k, p in peers.items() if not any(
        (r["model"], r["batch"], r["dtype"], r["math"]) == k for r in rows)]
    if missing:
        lines += ["", "Peer rows without a fuseplan report: " + ", ".join(
            f"{m} b{b} {d} {mm}" for m, b, d, mm in sorted(missing))]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
