#!/bin/sh
# The held-out fusion decisions that disagree with measurement, one line each (no GPU): each fitted model left
# out in turn (fit on the other two of MobileNetV2, MnasNet-B1, MobileNetV1 with `validate --from --calibrate`, then
# judge the left-out model's reports with that spec) and ProxylessNAS-GPU judged by the fit on all three: the
# leave-one-model-out and never-fitted splits of the held-out table, decision by decision.
# usage (repository root): bench/results/2026-12-07-NVIDIA_H100-s12/dominance/disagreements.sh BUILD/fuseplan > OUT
set -eu
FP=${1:?usage: disagreements.sh FUSEPLAN}
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
V=bench/results/2026-12-07-NVIDIA_H100-s12/val16
T=$(mktemp -d "${TMPDIR:-/tmp}/fp_dis.XXXXXX")
trap 'rm -rf "$T"' EXIT
reports() { echo "$G/val-$1-fp32-simt.json.gz $V/val-$1-fp16-tc.json.gz"; }
for out in mobilenet_v2 mnasnet_b1 mobilenet_v1 proxylessnas_gpu; do
    tr=""
    for m in mobilenet_v2 mnasnet_b1 mobilenet_v1; do [ $m = $out ] || tr="$tr $(reports $m)"; done
    "$FP" validate --from $tr --gpu h100_sxm --calibrate -o "$T/fit.json" >/dev/null
    "$FP" validate --from $(reports $out) --gpu "$T/fit.json" --report "$T/$out.json" >/dev/null
done
python3 - "$T" <<'PY'
import json, sys
n = 0
print("%-16s %-4s %-5s %-6s %-36s %-5s %17s %17s" % ("model", "b", "dtype", "kind", "segment", "model",
                                                     "est fused/layers", "meas fused/layers"))
for m in ("mobilenet_v2", "mnasnet_b1", "mobilenet_v1", "proxylessnas_gpu"):
    for c in json.load(open("%s/%s.json" % (sys.argv[1], m)))["cases"]:
        for x in c.get("fusion_decisions", []):
            if x["model_fuses"] == x["measured_fuses"]:
                continue
            n += 1
            print("%-16s %-4d %-5s %-6s %-36s %-5s %8.1f/%8.1f %8.1f/%8.1f" % (
                m, c["batch"], c["dtype"], x["kind"], x["name"][:36], "fuse" if x["model_fuses"] else "no",
                x["est_fused_us"], x["est_layers_us"], x["meas_fused_us"], x["meas_layers_us"]))
print("%d held-out decisions disagree" % n)
PY
