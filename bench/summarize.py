#!/usr/bin/env python3
"""Turns the run reports of bench/run_models.sh into one Markdown table."""
import glob
import json
import os
import sys

out = sys.argv[1]
reports = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "*.json")))]
if not reports:
    print("no reports in %s" % out)
    sys.exit(0)
r0 = reports[0]
print("# fuseplan run: every shipped model, batch 1 and 64\n")
print("Device: %s; driver %s, CUDA runtime %s, cuDNN %s; %s; commit %s; plans for `%s`; "
      "strict FP32; medians of %d runs; copy bandwidth %.0f GB/s.\n"
      % (r0["device"], r0["driver"], r0["cuda_runtime"], r0["cudnn"], r0["date"], r0["commit"],
         r0["plan_gpu"], r0["iters"], r0["copy_gbps"]))
print("Command: `FP_TUNE=%d bench/run_models.sh build %s`%s\n"
      % (r0.get("tune", 0), r0["plan_gpu"],
         " (tiles tuned on the GPU among the cost model's %d best per unit, both plans)" % r0["tune"]
         if r0.get("tune") else ""))
print("| model | batch | checks | fused graph us | our unfused graph us | all-cuDNN graph us | "
      "vs cuDNN | vs unfused | DW/PW body ours us | body cuDNN us | body vs cuDNN | body floor us | "
      "fusions faster / chosen |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in reports:
    t = r["totals"]
    print("| %s | %d | %s | %.1f | %.1f | %.1f | %.2fx | %.2fx | %.1f | %.1f | %.2fx | %.1f | %d / %d |"
          % (r["model"], r["batch"], "pass" if r["checks_passed"] else "FAIL", t["graph_fused_us"],
             t["graph_unfused_us"], t["graph_cudnn_us"], t["graph_cudnn_us"] / t["graph_fused_us"],
             t["graph_unfused_us"] / t["graph_fused_us"], t["body_ours_us"], t["body_cudnn_us"],
             t["body_cudnn_us"] / t["body_ours_us"], t["body_floor_us"], t["fusions_faster"],
             t["fusions"]))
for r in reports:
    print("\n## %s, batch %d\n" % (r["model"], r["batch"]))
    print("| unit | kind | layers | ours us | cuDNN LBL us | speedup | our LBL us | floor us | % of floor | est us |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for i, u in enumerate(r["units"]):
        lbl = "%.2f" % u["ours_lbl_us"] if "ours_lbl_us" in u else "-"
        print("| %d | %s | %s%s | %.2f | %.2f | %.2fx | %s | %.2f | %.0f%% | %.2f |"
              % (i, u["kind"], "+".join(u["layers"]), " +add" if "residual" in u else "",
                 u["ours_us"], u["cudnn_lbl_us"], u["cudnn_lbl_us"] / u["ours_us"], lbl,
                 u["floor_us"], 100 * u["floor_us"] / u["ours_us"], u["estimate_us"]))
