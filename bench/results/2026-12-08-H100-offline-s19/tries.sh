#!/bin/sh
# The nineteenth session's offline tries (no GPU was lent): three cost-model changes, each behind an environment
# variable (tries.patch), judged held out on the committed H100 validate reports (fp32 graph replay of 2026-12-06,
# fp16 of s14a) exactly as `fuseplan validate --calibrate --summary` judges the shipped model.
# usage (repository root): sh bench/results/2026-12-08-H100-offline-s19/tries.sh > OUT.txt
# Builds the patched tree in a temporary worktree without CUDA (about a minute on 2 cores): commit d97b1d1, the cost
# model the patch was written against and tries.txt judged (later commits may not take the patch).
set -eu
D=bench/results/2026-12-08-H100-offline-s19
W=$(mktemp -d "${TMPDIR:-/tmp}/fp_s19.XXXXXX")
trap 'git worktree remove --force "$W/src" >/dev/null 2>&1; rm -rf "$W"' EXIT
git worktree add -q --detach "$W/src" d97b1d1
git -C "$W/src" apply "$PWD/$D/tries.patch"
meson setup "$W/build" "$W/src" -Dcuda=disabled -Dcudnn=disabled >/dev/null
ninja -C "$W/build" fuseplan >/dev/null
G=bench/results/2026-12-06-NVIDIA_H100-validation-graph
V=bench/results/2026-12-07-NVIDIA_H100-s14/s14a/val16
# one held-out judgement: the summary's figures and the in-sample cold-DRAM share per model (batch 64)
judge() {
    "$W/build/fuseplan" validate --from $G/val-*-fp32-simt.json.gz $V/val-*-fp16-tc.json.gz --gpu h100_sxm \
        --calibrate -o "$W/fit.json" --summary "$W/sum.json" >"$W/out.txt" 2>&1
    python3 - "$W/sum.json" "$W/out.txt" "$*" <<'PY'
import json, re, sys, collections
s = json.load(open(sys.argv[1]))
per, model = collections.defaultdict(lambda: [0, 0]), None
for line in open(sys.argv[2]):
    m = re.match(r'^(\S+) batch (\d+) ', line)
    if m: model = m.group(1)
    m = re.search(r'at the fitted L2 budget: \d+/\d+ \(batch 64: (\d+)/(\d+)\)', line)
    if m and model and model != 'all':
        per[model][0] += int(m.group(1)); per[model][1] += int(m.group(2))
pm = ' '.join('%s %.1f' % (k, 100.0 * a / b) for k, (a, b) in sorted(per.items()) if b)
print('%-24s held out: DRAM b64 %.1f %%, time %.2f %%, decisions %.1f %% kappa %.3f, worst regret %.0f %% | in-sample DRAM b64 per model: %s'
      % (sys.argv[3], 100 * s['dram_within_20pct_b64'], 100 * s['heldout_median_time_error'],
         100 * s['fusion_agreement'], s['kappa'], 100 * s['worst_regret'], pm))
PY
}
judge "shipped model"
for m in 1 2; do for w in 1 1.5 2 3; do FP_WMODE=$m FP_WW=$w judge "write-back mode $m w $w"; done; done
for lh in "0.9 2" "0.8 2" "0.7 2" "0.9 1.8" "0.8 1.6"; do
    set -- $lh
    FP_RLO=$1 FP_RHI=$2 judge "miss ramp $1..$2"
done
for c in 3960 1980 990 0; do for b in 3.03 8; do FP_PC=$c FP_PB=$b judge "PWPW tc chain c $c b $b"; done; done
