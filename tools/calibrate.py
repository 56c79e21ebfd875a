#!/usr/bin/env python3
"""Fits the per-kind efficiencies of the time model to measured run reports
and writes them into a GPU spec's "calibration" member.

usage: calibrate.py SPEC.json OUT.json REPORT.json [REPORT.json ...]

Model: a kernel unit's estimate is launch + roofline / (wave x warp
efficiency), where the roofline's bandwidth and compute terms are divided by
the kind's bw_efficiency and compute_efficiency. Scaling both efficiencies of
a kind by 1/r scales the roofline part by r, so for each kind r is fitted as
the median over its units of (measured - launch) / (estimate - launch); the
new efficiencies are the ones used divided by r, kept within [0.01, 1] (the
format's range: a kind measured faster than the datasheet allows stays at 1).
The median keeps one odd unit from moving a kind. Kinds without units keep
the efficiencies used."""
import datetime
import json
import statistics
import sys

KINDS = ["dw", "pw", "dwpw", "pwdw", "pwpw", "pwdwpw"]

spec_path, out_path, reports = sys.argv[1], sys.argv[2], sys.argv[3:]
spec = json.load(open(spec_path))
ratios = {k: [] for k in KINDS}
used = None
devices = set()
commits = set()
for path in reports:
    r = json.load(open(path))
    devices.add(r["device"])
    commits.add(r["commit"])
    used = used or r["calibration_used"]
    for u in r["units"]:
        if u["kind"] not in ratios:
            continue
        launch = u.get("estimate_launch_us", 0.0)
        est, meas = u["estimate_us"] - launch, u["ours_us"] - launch
        if est > 0 and meas > 0:
            ratios[u["kind"]].append(meas / est)
if used is None:
    sys.exit("calibrate.py: no reports")
cal = {"bw_efficiency": {}, "compute_efficiency": {}}
print("%-7s %5s %8s %8s %8s" % ("kind", "units", "r", "bw eff", "comp eff"))
for k in KINDS:
    bw, ce = used["bw_efficiency"][k], used["compute_efficiency"][k]
    if ratios[k]:
        r = statistics.median(ratios[k])
        bw = min(1.0, max(0.01, bw / r))
        ce = min(1.0, max(0.01, ce / r))
    cal["bw_efficiency"][k] = round(bw, 4)
    cal["compute_efficiency"][k] = round(ce, 4)
    print("%-7s %5d %8s %8.4f %8.4f" % (k, len(ratios[k]),
          "%.3f" % statistics.median(ratios[k]) if ratios[k] else "-", bw, ce))
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
cal = {"source": "measured %s tools/calibrate.py: median measured/estimated time per kind over %d "
                 "fuseplan run reports on %s, commit %s"
                 % (date, len(reports), ", ".join(sorted(devices)), ", ".join(sorted(commits))),
       **cal}
spec["calibration"] = cal
with open(out_path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
