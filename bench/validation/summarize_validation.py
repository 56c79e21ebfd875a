#!/usr/bin/env python3
"""Markdown tables of `fuseplan validate` reports (docs/validation.md).

usage: summarize_validation.py BEFORE.json[.gz] [AFTER.json[.gz]]

One row per case (model, batch) and one for all cases: kernels, global (L2)
traffic within 10%, cold DRAM bytes within 20%, median |time error|, median
Kendall tau, median and worst regret, fusion decisions agreeing, and the
measured time of the planned chains against the measured best segmentation.
With two reports (before and after calibration) the rows alternate."""
import gzip
import json
import sys


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def row(label, spec, s):
    pct = lambda a, b: "%d/%d (%.0f%%)" % (a, b, 100.0 * a / b) if b else "-"
    plan, best = s["chains_plan_measured_us"], s["chains_best_measured_us"]
    return "| %s | %s | %d | %s | %s | %.1f%% | %.2f | %.1f%% / %.0f%% | %s | %+.1f%% |" % (
        label, spec, s["kernels"], pct(s["traffic_within_10pct"], s["traffic_compared"]),
        pct(s["dram_cold_within_20pct"], s["dram_compared"]), 100 * s["time_median_abs_error"],
        s["kendall_tau_median"], 100 * s["regret_median"], 100 * s["regret_worst"],
        pct(s["fusion_decisions_agree"], s["fusion_decisions"]),
        100 * (plan / best - 1) if best else 0.0)


reports = [load(p) for p in sys.argv[1:]]
r0 = reports[0]
print("Device %s, commit %s, %s; %s tiles per unit, %s launches per time; counters: %s (%s pass(es))\n"
      % (r0["device"], r0["commit"], r0["date"], r0["tiles_per_unit"], r0["iters"],
         r0.get("cupti_chip", "none"), r0.get("replay_passes", "-")))
print("| case | spec | kernels | L2 traffic within 10% | cold DRAM within 20% | time median abs error "
      "| tau median | regret median / worst | fusion decisions agree | planned chains vs best |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for i, c in enumerate(r0["cases"]):
    for r in reports:
        c2 = r["cases"][i]
        print(row("%s b%d" % (c2["model"], c2["batch"]), r["gpu_spec"], c2["summary"]))
for r in reports:
    print(row("**all**", r["gpu_spec"], r["summary"]))
for r in reports:
    cal = r.get("calibration")
    if cal:
        kinds = ", ".join("%s bw %.3f c %.3f" % (k, v["bw_efficiency"], v["compute_efficiency"])
                          for k, v in cal["kinds"].items())
        print("\nFit (%s): launch %.2f us, L2 budget %s, rms log error %.3f; %s; in-sample after the fit: %s"
              % (r["gpu_spec"], cal["launch_overhead_us"], cal.get("l2_budget_fraction", "-"),
                 cal["rms_log_error"], kinds, json.dumps(r["summary"].get("after_fit_in_sample"))))
