#!/usr/bin/env python3
"""Fits the free constants of the time model to measured run reports and
writes them into a GPU spec's "calibration" member (and launch overhead).

usage: calibrate.py FUSEPLAN SPEC.json OUT.json REPORT.json [REPORT.json ...]

For every report, the plan it ran is rebuilt with FUSEPLAN (`fuseplan plan
MODEL --gpu SPEC --batch B -o`, the spec the report names) to get each kernel
unit's time-model parts: memory time t_mem = max(t_dram, t_l2) and compute time
t_c at the efficiencies the spec used, and the wave x warp efficiency w. With
those undone, a unit of kind k is predicted as

    launch + max(t_mem_1 / e_bw[k], t_c_1 / e_c[k]) / w

(t_x_1 = the part at efficiency 1). Reports must come from the spec as it is
now (the rebuilt plan's parts are undone with the efficiencies the report
says it used); units whose measured tile is not the rebuilt plan's (tuned
runs) are skipped. The fit chooses one launch overhead for all
kernels and (e_bw, e_c) per kind minimising the squared log error against the
measured medians (a grid search: the model is a max, not smooth). Kinds with
no units keep the spec's values."""
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

KINDS = ["dw", "pw", "dwpw", "pwdw", "pwpw", "pwdwpw"]
EFF = [0.01 * (1.2 ** i) for i in range(26)]          # 0.01 .. ~1
EFF = [e for e in EFF if e <= 1.0] + [1.0]
LAUNCH = [0.5 * (1.25 ** i) for i in range(14)]      # 0.5 .. ~9 us

fuseplan, spec_path, out_path, reports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
spec = json.load(open(spec_path))
specs_dir = os.path.dirname(os.path.abspath(spec_path))
samples = {k: [] for k in KINDS}   # (t_mem_1, t_c_1, w, measured)
skipped = 0
devices, commits = set(), set()
with tempfile.TemporaryDirectory() as tmp:
    for path in reports:
        r = json.load(open(path))
        devices.add(r["device"])
        commits.add(r["commit"])
        used = r["calibration_used"]
        plan_path = os.path.join(tmp, "plan.json")
        gpu = r["plan_gpu"]
        subprocess.run([fuseplan, "plan", r["model"], "--gpu", gpu, "--batch", str(r["batch"]),
                        "--dtype", r["dtype"], "-o", plan_path], check=True, stdout=subprocess.DEVNULL)
        plan = json.load(open(plan_path))
        by_layers = {tuple(u["layers"]): u for u in plan["units"]}
        for u in r["units"]:
            k = u["kind"]
            p = by_layers.get(tuple(u["layers"]))
            if k not in samples or p is None:
                continue
            # the parts belong to the planned tile: a unit the run tuned to
            # another tile (or a spec that changed since) is skipped
            if u.get("variant") != p.get("tile", {}).get("variant"):
                skipped += 1
                continue
            e = p["estimate"]
            t_mem = max(e["t_dram_us"], e["t_l2_us"]) * used["bw_efficiency"][k]
            t_c = e["t_compute_us"] * used["compute_efficiency"][k]
            w = e["wave_efficiency"] * e["warp_efficiency"]
            if w > 0 and u["ours_us"] > 0:
                samples[k].append((t_mem, t_c, w, u["ours_us"]))

def err(launch, ebw, ec, pts):
    s = 0.0
    for t_mem, t_c, w, meas in pts:
        pred = launch + max(t_mem / ebw, t_c / ec) / w
        s += (math.log(pred) - math.log(meas)) ** 2
    return s

def fit_kind(launch, pts):
    best = (float("inf"), 1.0, 1.0)
    for ebw in EFF:
        for ec in EFF:
            e = err(launch, ebw, ec, pts)
            if e < best[0]:
                best = (e, ebw, ec)
    return best

best = None
for launch in LAUNCH:
    total, fits = 0.0, {}
    for k in KINDS:
        if samples[k]:
            fits[k] = fit_kind(launch, samples[k])
            total += fits[k][0]
    if best is None or total < best[0]:
        best = (total, launch, fits)
total, launch, fits = best
n = sum(len(v) for v in samples.values())
print("launch overhead %.2f us; rms log error %.3f over %d kernels (%d skipped: tile differs from "
      "the plan rebuilt now)" % (launch, math.sqrt(total / n), n, skipped))
cal = {"bw_efficiency": {}, "compute_efficiency": {}}
old = spec.get("calibration", {})
for k in KINDS:
    if k in fits:
        cal["bw_efficiency"][k] = round(fits[k][1], 4)
        cal["compute_efficiency"][k] = round(fits[k][2], 4)
        rms = math.sqrt(fits[k][0] / len(samples[k]))
        print("%-7s %4d kernels  bw %.4f  compute %.4f  rms log error %.3f"
              % (k, len(samples[k]), fits[k][1], fits[k][2], rms))
    elif k in old.get("bw_efficiency", {}):
        cal["bw_efficiency"][k] = old["bw_efficiency"][k]
        cal["compute_efficiency"][k] = old["compute_efficiency"][k]
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
src = ("measured %s tools/calibrate.py: least squares of log time over %d kernels of %d fuseplan run "
       "reports on %s, commit %s" % (date, n, len(reports), ", ".join(sorted(devices)),
                                     ", ".join(sorted(commits))))
spec["calibration"] = {"source": src, **cal}
spec["launch_overhead_us"] = {"value": round(launch, 3), "source": src + " (one overhead for all kernels)"}
with open(out_path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
