#!/usr/bin/env python3
"""Compares two sets of `fuseplan run` reports (bench/ab_commits.sh): per model and batch, whether
the plans are the same (unit kinds, layers and tiles; variant names compared after dropping the
dtype/math tags that plan format 2 added) and the ratio new/base of the whole-model graph times.
usage: compare_runs.py BASE_DIR NEW_DIR SUMMARY_JSON  (Markdown on stdout)
Exit status 1 when a report is missing, a check failed, or (unless FP_AB_SAME_PLAN=0, for A/Bs of a
kernel or model change, which may move the plan) the plans differ."""
import glob
import json
import os
import re
import sys

base_dir, new_dir, summary_path = sys.argv[1:4]


def tile_of(variant):
    """'pwdw_t8x8_c32_k32_n256' or 'pwdw_f32_simt_t8x8_c32_k32_n256' -> 'pwdw_t8x8_c32_k32_n256'"""
    return re.sub(r"_(f32|f16|bf16|i8)_(simt|tc)_", "_", variant or "")


def plan_of(r):
    return [(u["kind"], tuple(u["layers"]), tile_of(u.get("variant")), "residual" in u)
            for u in r["units"]]


rows = []
ok = True
require_same_plan = os.environ.get("FP_AB_SAME_PLAN", "1") != "0"
print("| model | batch | same plan | base fused us | new fused us | new/base | base unfused us | "
      "new unfused us | new/base | base cuDNN us | new cuDNN us | checks base/new |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for bp in sorted(glob.glob(os.path.join(base_dir, "*.json"))):
    name = os.path.basename(bp)
    np_ = os.path.join(new_dir, name)
    if not os.path.exists(np_):
        print("| %s | | new report missing | | | | | | | | | |" % name)
        ok = False
        continue
    b, n = json.load(open(bp)), json.load(open(np_))
    tb, tn = b["totals"], n["totals"]
    same = plan_of(b) == plan_of(n)
    row = {
        "model": b["model"], "batch": b["batch"], "dtype": n.get("dtype", "fp32"),
        "same_plan": same,
        "base_commit": b["commit"], "new_commit": n["commit"], "device": n["device"],
        "base_fused_us": tb["graph_fused_us"], "new_fused_us": tn["graph_fused_us"],
        "base_unfused_us": tb["graph_unfused_us"], "new_unfused_us": tn["graph_unfused_us"],
        "base_cudnn_us": tb["graph_cudnn_us"], "new_cudnn_us": tn["graph_cudnn_us"],
        "checks_base": b["checks_passed"], "checks_new": n["checks_passed"],
    }
    row["fused_ratio"] = row["new_fused_us"] / row["base_fused_us"]
    row["unfused_ratio"] = row["new_unfused_us"] / row["base_unfused_us"]
    rows.append(row)
    ok = ok and (same or not require_same_plan) and n["checks_passed"]
    print("| %s | %d | %s | %.1f | %.1f | %.3f | %.1f | %.1f | %.3f | %.1f | %.1f | %s/%s |"
          % (row["model"], row["batch"], "yes" if same else "NO", row["base_fused_us"],
             row["new_fused_us"], row["fused_ratio"], row["base_unfused_us"],
             row["new_unfused_us"], row["unfused_ratio"], row["base_cudnn_us"],
             row["new_cudnn_us"], "pass" if row["checks_base"] else "FAIL",
             "pass" if row["checks_new"] else "FAIL"))
json.dump(rows, open(summary_path, "w"), indent=1)
if rows:
    worst = max(abs(r["fused_ratio"] - 1) for r in rows)
    print("\nlargest fused-plan time change: %.1f%%; plans identical: %s"
          % (100 * worst, all(r["same_plan"] for r in rows)))
sys.exit(0 if ok else 1)
