#!/bin/sh
# `fuseplan validate --from`: measured reports re-analysed without a GPU.
# The fixture val_from/two_models.json holds 12 units (3 candidates each) of
# MobileNetV1/V2 at batch 1 and 64 from the committed H100 validation, named
# the way reports did before variant names carried dtype and math.
#   - plain and gzipped reports give the same figures; old names are mapped
#     and counted; --calibrate -o writes a spec that loads, --summary the
#     headline JSON with every key; the held-out table has its rows;
#   - a variant no longer compiled is skipped with a counted note (exit 0);
#   - fp32 and fp16 cases fit together (per-(kind, math) efficiencies): a
#     group without kernels keeps its prior and is named;
#   - bad reports exit 2 naming the file and the JSON path: wrong format or
#     version, an unknown layer, a bad variant name, a missing time, a unit
#     that is no chain segment; a time, byte count or header number no
#     measurement gives; a run report; --from with --batch, --tiles or
#     --iters; a missing file.
# Skipped (77) where the build's `fuseplan` has no validate command.
# usage: test_val_from.sh FUSEPLAN SRCDIR
FP=$1
SRC=$2
FIX="$SRC/tests/runtime/val_from/two_models.json"
T=$(mktemp -d "${TMPDIR:-/tmp}/fp_val_from.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_rc() { # want_rc description command...
    want=$1; desc=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$desc: exit $rc, want $want"; cat "$T/err" >&2; fi
}
expect_in() { # file text description
    grep -qF -- "$2" "$1" && ok || { bad "$3: \"$2\" not in $(basename "$1")"; head -c 600 "$1" >&2; }
}
if ! "$FP" validate --help >/dev/null 2>&1; then
    echo "this fuseplan has no validate command: skipped"
    exit 77
fi

# a copy of the fixture with one edit: edit NAME PYTHON-STATEMENT (on d)
edit() {
    python3 - "$FIX" "$T/$1.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(d))
EOF
}

expect_rc 0 "plain report" "$FP" validate --from "$FIX" --gpu h100_sxm
cp "$T/out" "$T/plain.txt"
expect_in "$T/plain.txt" "candidates named before dtype and math" "old names mapped"
expect_in "$T/plain.txt" "mobilenet_v1, batch 64, fp32 (spec h100_sxm): 12 candidate units, 36 kernels" "case header"
expect_in "$T/plain.txt" "all cases: 144 kernels" "every kernel re-read"
expect_in "$T/plain.txt" "never fuse" "decisions beside the trivial deciders"
expect_in "$T/plain.txt" "kappa" "decisions with kappa"
# (a fuseplan built without zlib says to gunzip first: nothing to compare)
if gzip -c "$FIX" >"$T/fix.json.gz" 2>/dev/null &&
    ! "$FP" validate --from "$T/fix.json.gz" --gpu h100_sxm 2>&1 | grep -q "gunzip the file first"; then
    expect_rc 0 "gzipped report" "$FP" validate --from "$T/fix.json.gz" --gpu h100_sxm
    # the same figures (the header names the file)
    grep -v "^fuseplan validate --from" "$T/out" >"$T/gz.txt"
    grep -v "^fuseplan validate --from" "$T/plain.txt" >"$T/plain2.txt"
    cmp -s "$T/gz.txt" "$T/plain2.txt" && ok || bad "gzipped and plain reports differ"
fi

expect_rc 0 "--calibrate --summary --report" "$FP" validate --from "$FIX" --gpu h100_sxm --calibrate \
    -o "$T/cal.json" --summary "$T/sum.json" --report "$T/rep.json"
for row in "in-sample (fit on every case)" "leave one model out (2 folds)" "HELD OUT: the two above pooled" \
    "cross batch: fit b1, judge b64" "cross batch: fit b64, judge b1" "2-parameter baseline, held out"; do
    expect_in "$T/out" "$row" "held-out table"
done
expect_in "$T/out" "after the fit (IN-SAMPLE" "in-sample figures labelled"
expect_in "$T/out" "by kind (within / kernels, median signed error):" "L2 traffic by kind"
expect_rc 0 "the calibrated spec plans" "$FP" plan mobilenet_v2 --gpu "$T/cal.json"
for k in heldout_median_time_error worst_regret fusion_agreement kappa best_trivial_agreement l2_within_10pct \
    dram_within_20pct_b64 device commit dtypes uniform_baseline_heldout_median_time_error; do
    expect_in "$T/sum.json" "\"$k\"" "summary key"
done
expect_in "$T/sum.json" '"NVIDIA H100 80GB HBM3"' "summary names the device"
# the L2 groups by (kind, math) hold every kernel once and add up to the headline
python3 - "$T/sum.json" <<'EOF' && ok || bad "l2_within_10pct_by_kind does not add up to l2_within_10pct"
import json, sys
d = json.load(open(sys.argv[1]))
g = d["l2_within_10pct_by_kind"]
n = sum(v["kernels"] for v in g.values())
w = sum(v["within"] * v["kernels"] for v in g.values())
assert n == 144 and g and all(k.split()[1] in ("simt", "tc") for k in g), (n, list(g))
assert abs(w / n - d["l2_within_10pct"]) < 1e-3, (w / n, d["l2_within_10pct"])
EOF
# the re-analysed report reads back (and its variant names are today's)
expect_rc 0 "re-analysed report reads back" "$FP" validate --from "$T/rep.json" --gpu h100_sxm
expect_in "$T/rep.json" "dw_f32_simt_" "today's variant names"
grep -q "candidates named before" "$T/out" && bad "today's names counted as old" || ok
# --holdout-models: never fitted, judged with a fit on the other model
expect_rc 0 "--holdout-models" "$FP" validate --from "$FIX" --gpu h100_sxm --summary "$T/sum2.json" \
    --holdout-models mobilenet_v1
expect_in "$T/out" "never fitted (mobilenet_v1)" "never-fitted row"
python3 -c "
import json,sys; d=json.load(open('$T/sum2.json'))
sys.exit(0 if d['never_fitted_median_time_error'] is not None and d['lomo_median_time_error'] is None else 1)" \
    && ok || bad "one fitted model: no leave-one-out fold, a never-fitted figure"
expect_rc 2 "every model held out" "$FP" validate --from "$FIX" --gpu h100_sxm --summary "$T/sum3.json" \
    --holdout-models mobilenet_v1,mobilenet_v2
expect_in "$T/err" "nothing left to fit on" "all held out"

# a variant no longer compiled: skipped, counted
edit gone "d['cases'][0]['units'][0]['candidates'][1]['variant'] = 'dw_t4x8_c64_k64_n992'"
expect_rc 0 "variant no longer compiled" "$FP" validate --from "$T/gone.json" --gpu h100_sxm
expect_in "$T/out" "skipped 1 candidates no longer compiled" "counted note"

# bad reports: exit 2, file and JSON path named
edit fmt "d['format'] = 'fuseplan-run-report'"
expect_rc 2 "wrong format" "$FP" validate --from "$T/fmt.json" --gpu h100_sxm
expect_in "$T/err" "fmt.json: format:" "format named"
edit ver "d['version'] = 2"
expect_rc 2 "newer version" "$FP" validate --from "$T/ver.json" --gpu h100_sxm
expect_in "$T/err" "version: 2 is not 1" "version named"
edit layer "d['cases'][1]['units'][3]['layers'][0] = 'no_such_layer'"
expect_rc 2 "unknown layer" "$FP" validate --from "$T/layer.json" --gpu h100_sxm
expect_in "$T/err" "cases[1].units[3].layers[0]: \"no_such_layer\" is no layer of mobilenet_v2" "layer named"
edit variant "d['cases'][2]['units'][1]['candidates'][2]['variant'] = 'dwpw-t4x8'"
expect_rc 2 "bad variant name" "$FP" validate --from "$T/variant.json" --gpu h100_sxm
expect_in "$T/err" "cases[2].units[1].candidates[2].variant: \"dwpw-t4x8\" is no variant name" "variant named"
edit time "del d['cases'][3]['units'][5]['candidates'][0]['time_us']"
expect_rc 2 "missing time" "$FP" validate --from "$T/time.json" --gpu h100_sxm
expect_in "$T/err" "cases[3].units[5].candidates[0].time_us" "time named"
edit seg "d['cases'][0]['units'][2]['layers'] = ['b0_dw', 'b1_dw']"
expect_rc 2 "no chain segment" "$FP" validate --from "$T/seg.json" --gpu h100_sxm
expect_in "$T/err" "no segment of a fusion chain" "segment refused"
edit dtype "d['cases'][0]['dtype'] = 'fp64'"
expect_rc 2 "bad dtype" "$FP" validate --from "$T/dtype.json" --gpu h100_sxm
expect_in "$T/err" "cases[0].dtype: \"fp64\"" "dtype named"
# measured values that no measurement gives: refused, not turned into nan figures
edit negtime "d['cases'][0]['units'][1]['candidates'][0]['time_us'] = -1"
expect_rc 2 "negative time" "$FP" validate --from "$T/negtime.json" --gpu h100_sxm
expect_in "$T/err" "cases[0].units[1].candidates[0].time_us: -1 is not a measured time in 0.001..1e9 us" "time range"
edit zerotime "d['cases'][1]['units'][0]['candidates'][2]['time_us'] = 0"
expect_rc 2 "zero time" "$FP" validate --from "$T/zerotime.json" --gpu h100_sxm
expect_in "$T/err" "candidates[2].time_us: 0 is not a measured time" "zero time named"
edit hugetime "d['cases'][0]['units'][0]['candidates'][0]['time_cold_us'] = 1e308"
expect_rc 2 "huge cold time" "$FP" validate --from "$T/hugetime.json" --gpu h100_sxm
expect_in "$T/err" "time_cold_us: 1e+308 is not a measured time" "cold time named"
edit bytes "d['cases'][0]['units'][0]['candidates'][1]['counters_cold']['dram_read_bytes'] = 0.5"
expect_rc 2 "fractional bytes" "$FP" validate --from "$T/bytes.json" --gpu h100_sxm
expect_in "$T/err" "counters_cold.dram_read_bytes: 0.5 is not a byte count" "bytes named"
edit negbytes "d['cases'][0]['units'][0]['candidates'][1]['counters_steady']['l2_read_bytes'] = -4096"
expect_rc 2 "negative bytes" "$FP" validate --from "$T/negbytes.json" --gpu h100_sxm
expect_in "$T/err" "counters_steady.l2_read_bytes: -4096 is not a byte count" "negative bytes named"
edit nocand "d['cases'][2]['units'][4]['candidates'] = []"
expect_rc 2 "a unit without candidates" "$FP" validate --from "$T/nocand.json" --gpu h100_sxm
expect_in "$T/err" "cases[2].units[4].candidates: empty" "empty candidates named"
edit tiles "d['tiles_per_unit'] = 1e308"
expect_rc 2 "tiles_per_unit out of range" "$FP" validate --from "$T/tiles.json" --gpu h100_sxm
expect_in "$T/err" "tiles_per_unit: 1e+308 is not a whole number in 1..32" "tiles_per_unit named"
# a run report: its format is named, not a member it lacks
edit runrep "d.clear(); d.update({'format': 'fuseplan-run-report', 'version': 1, 'units': []})"
expect_rc 2 "a run report" "$FP" validate --from "$T/runrep.json" --gpu h100_sxm
expect_in "$T/err" "runrep.json: format: \"fuseplan-run-report\" is not fuseplan-validation" "format first"
# measuring options do nothing with --from: refused, not ignored
expect_rc 2 "--from with --tiles" "$FP" validate --from "$FIX" --tiles 3
expect_in "$T/err" "--iters and --tiles are for measuring" "--tiles refused"
expect_rc 2 "--from with --iters" "$FP" validate --from "$FIX" --iters 50

# element types mix in one fit: efficiencies per (kind, math); here the fp16
# case keeps only its DW candidates (its old names read as fp16 tensor-core
# variants of tiles with no such row), so every tensor-core group has no
# kernels, keeps its prior, and the output and the spec's source say so
edit mixed "d['cases'][3]['dtype'] = 'fp16'"
expect_rc 0 "fit across element types" "$FP" validate --from "$T/mixed.json" --gpu h100_sxm --calibrate \
    -o "$T/mixed_cal.json" --summary "$T/s4.json"
expect_in "$T/out" "pw_tc           no kernels: keeps its prior" "an unfitted group is named"
expect_in "$T/out" "dw_simt" "the DW group"
grep -q "^  dw_tc" "$T/out" && bad "a dw_tc group was printed (a DW has no tensor-core form)" || ok
expect_in "$T/s4.json" '"mobilenet_v1 b64 fp16 tc"' "the summary names the case's math"
expect_in "$T/mixed_cal.json" "no kernels, prior kept: pw, dwpw, pwdw, pwpw, pwdwpw tc" "the source names the groups kept"
expect_rc 0 "the mixed spec plans fp16" "$FP" plan mobilenet_v2 --gpu "$T/mixed_cal.json" --dtype fp16
python3 -c "
import json,sys; c=json.load(open('$T/mixed_cal.json'))['calibration']
pw=c['bw_efficiency']['pw']; dw=c['bw_efficiency']['dw']
sys.exit(0 if isinstance(pw, dict) and pw['tc'] == 0.85 and isinstance(dw, (int, float)) else 1)" \
    && ok || bad "spec: pw {simt, tc} with the tc prior 0.85 kept, dw one number"
expect_rc 2 "--holdout-models alone" "$FP" validate --from "$FIX" --holdout-models mobilenet_v1
expect_rc 2 "--from with --batch" "$FP" validate --from "$FIX" --batch 64
expect_rc 2 "missing report" "$FP" validate --from "$T/nope.json"
expect_in "$T/err" "nope.json" "missing file named"
expect_rc 2 "--summary onto the report" "$FP" validate --from "$FIX" --summary "$FIX"

echo "val_from: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
