#!/usr/bin/env python3
"""forced_summary.py - the forced-tile PWDWPW runs of this folder as one JSON (stdout): per tile, per
PWDWPW unit, the measured time (median of 50, event timing), its p10/p90, the byte floor and the model's
estimate. usage (repository root): python3 bench/results/2026-12-07-NVIDIA_H100-dw16-pwdwpw-k64/forced_summary.py"""
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
rows = []
for path in sorted(glob.glob(os.path.join(HERE, "forced", "run_*.json"))):
    run = json.load(open(path))
    for u in run["units"]:
        if u["kind"] != "pwdwpw":
            continue
        rows.append({"tile": os.path.basename(path)[4:-5], "variant": u["variant"],
                     "unit": "+".join(u["layers"]), "us": round(u["ours_us"], 2),
                     "p10_us": round(u["ours_p10_us"], 2), "p90_us": round(u["ours_p90_us"], 2),
                     "floor_us": round(u["floor_us"], 2), "estimate_us": round(u["estimate_us"], 2)})
print(json.dumps({"device": "NVIDIA H100 80GB HBM3", "date": "2026-12-07", "commit": "a8018f8 (branch pwdwpw-k64)",
                  "model": "mobilenet_v2", "batch": 64, "dtype": "fp16", "math": "tc", "units": rows}, indent=1))
