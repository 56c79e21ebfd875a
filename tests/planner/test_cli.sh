#!/bin/sh
# CLI contract: help/version/usage exit codes, `show` totals, and every file of
# the bad-input corpus rejected by `fuseplan check` with exit 2 and its message.
# usage: test_cli.sh FUSEPLAN SRCDIR
FP=$1
SRC=$2
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_rc() { # want_rc description command...
    want=$1; desc=$2; shift 2
    "$@" >/tmp/fp_cli_out.$$ 2>/tmp/fp_cli_err.$$
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$desc: exit $rc, want $want"; cat /tmp/fp_cli_err.$$ >&2; fi
}
expect_rc 0 "--help" "$FP" --help
expect_rc 0 "--version" "$FP" --version
grep -q "^fuseplan [0-9]" /tmp/fp_cli_out.$$ && ok || bad "--version prints the version"
expect_rc 2 "no command" "$FP"
expect_rc 2 "unknown command" "$FP" frobnicate
expect_rc 2 "show without model" "$FP" show
expect_rc 2 "show bad option" "$FP" show mobilenet_v2 --bogus
expect_rc 2 "show bad batch" "$FP" show mobilenet_v2 --batch 0
expect_rc 2 "show bad dtype" "$FP" show mobilenet_v2 --dtype fp64
expect_rc 2 "show missing file" "$FP" show /nonexistent/model.json
grep -qi "no such file" /tmp/fp_cli_err.$$ && ok || bad "missing file message"
for c in show check models gpus plan estimate; do expect_rc 0 "$c --help" "$FP" $c --help; done
# one parser: the same message shape for every command's integers
expect_rc 2 "plan --batch x" "$FP" plan mobilenet_v2 --batch x
grep -qF 'fuseplan plan: --batch: "x" is not an integer in 1..4096' /tmp/fp_cli_err.$$ && ok || bad "integer error message"
expect_rc 2 "plan --no-fuse=1" "$FP" plan --no-fuse=1
expect_rc 2 "estimate without model" "$FP" estimate
# a failed write is exit 1 with the path and the reason
expect_rc 1 "plan -o unwritable" "$FP" plan mobilenet_v2 -o /nonexistent/dir/plan.json
grep -q "/nonexistent/dir/plan.json: No such file or directory" /tmp/fp_cli_err.$$ && ok || bad "write error names path and reason"
expect_rc 0 "show mobilenet_v2" "$FP" show "$SRC/models/mobilenet_v2.json"
grep -qE "^total: 3\.(4[7-9]|5[0-3]) M parameters" /tmp/fp_cli_out.$$ && ok || bad "mobilenet_v2 shows 3.50 M parameters within 1%"
expect_rc 0 "show by name, batch 64 fp16" "$FP" show mobilenet_v2 --batch 64 --dtype fp16
expect_rc 0 "models" "$FP" models
[ "$(grep -c . /tmp/fp_cli_out.$$)" -ge 6 ] && ok || bad "models lists 5 models"
expect_rc 0 "gpus" "$FP" gpus
[ "$(grep -c . /tmp/fp_cli_out.$$)" -ge 12 ] && ok || bad "gpus lists 11 specs"
expect_rc 0 "check shipped" "$FP" check "$SRC"/models/*.json "$SRC"/gpu_specs/*.json "$SRC"/gpu_specs/measured/*.json

n=0
tab=$(printf '\t')
while IFS="$tab" read -r file frag; do
    case "$file" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    "$FP" check "$SRC/tests/bad_inputs/$file" >/dev/null 2>/tmp/fp_cli_err.$$
    rc=$?
    lines=$(grep -c . /tmp/fp_cli_err.$$)
    if [ "$rc" -ne 2 ]; then
        bad "$file: exit $rc, want 2"
    elif ! grep -qF -- "$frag" /tmp/fp_cli_err.$$; then
        bad "$file: message lacks \"$frag\": $(cat /tmp/fp_cli_err.$$)"
    elif [ "$lines" -ne 1 ]; then
        bad "$file: $lines lines of error, want 1"
    elif ! grep -qF "tests/bad_inputs/$file" /tmp/fp_cli_err.$$; then
        bad "$file: message does not name the file"
    else
        ok
    fi
done < "$SRC/tests/bad_inputs/expected.txt"
[ "$n" -ge 40 ] && ok || bad "corpus has $n bad inputs, want >= 40"

# command-line cases (tests/bad_inputs/cli.txt): exit code, the fragment,
# and a failure's message on one line
T=$(mktemp -d "${TMPDIR:-/tmp}/fp_cli.XXXXXX")
m=0
while IFS="$tab" read -r want frag args; do
    case "$want" in ''|'#'*) continue ;; esac
    m=$((m + 1))
    rm -rf "$T"/* && cp "$SRC/tests/bad_inputs/plans/good.json" "$SRC/tests/bad_inputs/plans/tiny.json" \
        "$SRC/tests/bad_inputs/plans/gpu.json" "$T/"
    FP="$FP" SRC="$SRC" T="$T" sh -c "$args" >/tmp/fp_cli_out.$$ 2>/tmp/fp_cli_err.$$ </dev/null
    rc=$?
    if [ "$want" -eq 0 ]; then where=/tmp/fp_cli_out.$$; else where=/tmp/fp_cli_err.$$; fi
    if [ "$rc" -ne "$want" ]; then
        bad "cli.txt: $args: exit $rc, want $want: $(head -c 400 /tmp/fp_cli_err.$$)"
    elif ! grep -qF -- "$frag" "$where"; then
        bad "cli.txt: $args: lacks \"$frag\": $(head -c 400 "$where")"
    elif [ "$want" -ne 0 ] && [ "$(grep -c . /tmp/fp_cli_err.$$)" -ne 1 ]; then
        bad "cli.txt: $args: $(grep -c . /tmp/fp_cli_err.$$) lines of error, want 1"
    else
        ok
    fi
done < "$SRC/tests/bad_inputs/cli.txt"
rm -rf "$T"
[ "$m" -ge 40 ] && ok || bad "cli.txt has $m cases, want >= 40"
# `validate` measuring (built with the CUDA backend: `run` exists): usage and input errors exit 2
# before any device is needed
if "$FP" run --help >/dev/null 2>&1; then
    expect_rc 2 "validate --calibrate without -o" "$FP" validate --calibrate
    expect_rc 2 "validate -o without --calibrate" "$FP" validate -o /tmp/x.json
    expect_rc 2 "validate --tiles 0" "$FP" validate --tiles 0
    expect_rc 2 "validate --batch 1,x" "$FP" validate --batch 1,x
    expect_rc 2 "validate --batch 1,,2" "$FP" validate --batch 1,,2
    grep -qF -- '--batch: "1,,2" has an empty entry' /tmp/fp_cli_err.$$ && ok || bad "validate names the empty batch entry"
    expect_rc 2 "validate --iters 2" "$FP" validate --iters 2
    expect_rc 2 "validate unknown model" "$FP" validate no_such_model
    grep -q "no_such_model" /tmp/fp_cli_err.$$ && ok || bad "validate names the missing model"
    expect_rc 2 "validate unknown spec" "$FP" validate mobilenet_v2 --gpu no_such_gpu
    expect_rc 2 "validate bad option" "$FP" validate --frobnicate
    # input before the device: bad input is exit 2 on any machine
    expect_rc 2 "run missing input" "$FP" run nope.json
    grep -q "nope.json: no such file" /tmp/fp_cli_err.$$ && ok || bad "run names the missing input"
    expect_rc 2 "run bad plan" "$FP" run "$SRC/tests/bad_inputs/plans/plan_launch_smem.json"
    grep -q "launch.smem_bytes: 1000000000 differs" /tmp/fp_cli_err.$$ && ok || bad "run checks the plan first"
    expect_rc 2 "run --report = input" "$FP" run "$SRC/models/mobilenet_v2.json" --report "$SRC/models/mobilenet_v2.json"
    # run --input / --output: the file's size, readability and values, and the
    # outputs' names, are checked before the device (exit 2 on any machine);
    # tiny.json's input is 16x16x16, so batch 2 is 2*16*16*16 floats = 32768 bytes
    TI=$(mktemp -d "${TMPDIR:-/tmp}/fp_cli_io.XXXXXX")
    cp "$SRC/tests/bad_inputs/plans/tiny.json" "$TI/"
    head -c 32768 /dev/zero >"$TI/x2.bin"
    head -c 32772 /dev/zero >"$TI/long.bin"
    expect_rc 0 "run --help lists --input" "$FP" run --help
    grep -q -- "--input FILE" /tmp/fp_cli_out.$$ && grep -q -- "--output FILE" /tmp/fp_cli_out.$$ && ok || bad "run --help lists --input and --output"
    grep -q -- "--no-energy" /tmp/fp_cli_out.$$ && ok || bad "run --help lists --no-energy"
    expect_rc 2 "run --no-energy takes no value" "$FP" run "$TI/tiny.json" --no-energy=1
    expect_rc 2 "run --input wrong size" "$FP" run "$TI/tiny.json" --input "$TI/x2.bin"
    grep -qF "fuseplan run: --input $TI/x2.bin: 32768 bytes, expected 16384 (float32 NCHW [1][16][16][16]" /tmp/fp_cli_err.$$ && ok || bad "run --input names the file, the found and the expected bytes: $(cat /tmp/fp_cli_err.$$)"
    [ "$(grep -c . /tmp/fp_cli_err.$$)" -eq 1 ] && ok || bad "run --input size error is one line"
    expect_rc 2 "run --input one float too many" "$FP" run "$TI/tiny.json" --batch 2 --input "$TI/long.bin"
    grep -qF "32772 bytes, expected 32768" /tmp/fp_cli_err.$$ && ok || bad "run --input: 4 bytes too many"
    expect_rc 2 "run --input from a pipe, short" sh -c "head -c 100 /dev/zero | \"\$0\" run \"\$1\" --input /dev/stdin" "$FP" "$TI/tiny.json"
    grep -qF "/dev/stdin: 100 bytes, expected 16384" /tmp/fp_cli_err.$$ && ok || bad "run --input counts a pipe's bytes"
    expect_rc 2 "run --input missing" "$FP" run "$TI/tiny.json" --input "$TI/nope.bin"
    grep -qF "$TI/nope.bin: cannot read: No such file or directory" /tmp/fp_cli_err.$$ && ok || bad "run --input names why it cannot read"
    expect_rc 2 "run --input directory" "$FP" run "$TI/tiny.json" --input "$TI"
    grep -qF "cannot read: Is a directory" /tmp/fp_cli_err.$$ && ok || bad "run --input directory message"
    { head -c 20 /dev/zero; printf '\000\000\200\177'; head -c 16360 /dev/zero; } >"$TI/inf.bin" # float 5 is +inf
    expect_rc 2 "run --input non-finite" "$FP" run "$TI/tiny.json" --input "$TI/inf.bin"
    grep -qF "inf.bin: element 5 ([0][0][0][5]) is infinite" /tmp/fp_cli_err.$$ && ok || bad "run --input names a non-finite element"
    expect_rc 2 "run --input empty" "$FP" run "$TI/tiny.json" --input ""
    expect_rc 2 "run --input -" "$FP" run "$TI/tiny.json" --input -
    expect_rc 2 "run --output -" "$FP" run "$TI/tiny.json" --output -
    expect_rc 2 "run --output = --input" "$FP" run "$TI/tiny.json" --batch 2 --input "$TI/x2.bin" --output "$TI/x2.bin"
    grep -qF -- "--output $TI/x2.bin: is the input" /tmp/fp_cli_err.$$ && ok || bad "run refuses --output naming --input"
    expect_rc 2 "run --output = model" "$FP" run "$TI/tiny.json" --output "$TI/tiny.json"
    expect_rc 2 "run --report = --input" "$FP" run "$TI/tiny.json" --batch 2 --input "$TI/x2.bin" --report "$TI/x2.bin"
    expect_rc 2 "run --output = --report" "$FP" run "$TI/tiny.json" --output "$TI/o.bin" --report "$TI/o.bin"
    grep -qF -- "--report and --output name the same file" /tmp/fp_cli_err.$$ && ok || bad "run refuses --report = --output"
    # output folders checked before the GPU: a missing folder, a folder named as the file
    expect_rc 2 "run --report in a missing folder" "$FP" run "$TI/tiny.json" --report "$TI/nope/r.json"
    expect_rc 2 "run --save-plan is a folder" "$FP" run "$TI/tiny.json" --save-plan "$TI"
    expect_rc 2 "run --output in a missing folder" "$FP" run "$TI/tiny.json" --output /nonexistent/y.bin
    expect_rc 2 "validate --report in a missing folder" "$FP" validate "$TI/tiny.json" --report "$TI/nope/v.json"
    # a good input gets past every check: only the device is missing (or, with one, the run passes)
    "$FP" run "$TI/tiny.json" --batch 2 --input "$TI/x2.bin" --output "$TI/y.bin" --iters 50 --quiet \
        --no-energy --report "$TI/r.json" >/dev/null 2>/tmp/fp_cli_err.$$
    rc=$?
    if [ "$rc" -eq 0 ]; then
        [ "$(wc -c <"$TI/y.bin")" -eq 80 ] && ok || bad "run --output writes [2][10] floats"
        grep -qF "not asked for (--no-energy)" "$TI/r.json" && ok || bad "run --no-energy: the report says why there is no energy"
    else
        [ "$rc" -eq 1 ] && grep -q "no CUDA device" /tmp/fp_cli_err.$$ && ok || bad "run with a good --input: exit $rc: $(cat /tmp/fp_cli_err.$$)"
    fi
    rm -rf "$TI"
    expect_rc 2 "validate bad plan" "$FP" validate "$SRC/tests/bad_inputs/plans/plan_variant_path.json" --no-counters
    grep -q "is not a variant name" /tmp/fp_cli_err.$$ && ok || bad "validate checks the plan first"
    expect_rc 2 "validate -o = input" "$FP" validate "$SRC/models/mobilenet_v2.json" --calibrate -o "$SRC/models/mobilenet_v2.json"
fi
# bench/kernels/relaunch_plan.py (the A/B tool: a plan's launch fields re-derived by this build, nothing
# else changed): two units' launch fields spoiled, check refuses the plan, the tool mends it, and the
# units, variants and estimates are the plan's own
TR=$(mktemp -d)
if "$FP" plan mobilenet_v2 --batch 64 --dtype fp16 --math tc -o "$TR/p.json" >/dev/null 2>&1; then
    python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
d['units'][1]['launch']['smem_bytes'] += 16
d['units'][3]['launch']['ctas_per_sm'] += 1
json.dump(d, open(sys.argv[2], 'w'))" "$TR/p.json" "$TR/bad.json"
    expect_rc 2 "check refuses a spoiled launch field" "$FP" check "$TR/bad.json"
    expect_rc 0 "relaunch_plan.py mends it" python3 "$SRC/bench/kernels/relaunch_plan.py" "$FP" "$TR/bad.json" "$TR/fixed.json"
    expect_rc 0 "the mended plan checks" "$FP" check "$TR/fixed.json"
    python3 -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if a['units'] == b['units'] else 1)" "$TR/p.json" "$TR/fixed.json" && ok || bad "relaunch_plan.py changed more than the spoiled fields"
    expect_rc 2 "relaunch_plan.py without arguments" python3 "$SRC/bench/kernels/relaunch_plan.py"
else
    bad "plan for the relaunch test"
fi
rm -rf "$TR"
# bench/kernels/unit_ab.py on a committed A/B (thirteenth session, call c): the three units whose tile changed,
# and exit 2 on a missing report
UA=$SRC/bench/results/2026-12-07-NVIDIA_H100-s13/s13c/runs
expect_rc 0 "unit_ab.py on call c" python3 "$SRC/bench/kernels/unit_ab.py" \
    "$UA/mobilenet_v2_b64_fp16_main1.json,$UA/mobilenet_v2_b64_fp16_main2.json" \
    "$UA/mobilenet_v2_b64_fp16_new1.json,$UA/mobilenet_v2_b64_fp16_new2.json"
[ "$(grep -c '^| b1[345]_project | pw_f16_tc_t1x64_c64_k64_n512 .* pw_f16_tc_t1x32_c160_k64_n320 ' /tmp/fp_cli_out.$$)" -eq 3 ] &&
    ok || bad "unit_ab.py lists the three projections that moved to the 160-channel row"
expect_rc 2 "unit_ab.py with a missing report" python3 "$SRC/bench/kernels/unit_ab.py" /nonexistent.json "$UA/mobilenet_v2_b64_fp16_new1.json"
rm -f /tmp/fp_cli_out.$$ /tmp/fp_cli_err.$$
echo "cli: $((pass + fail)) checks, $fail failed"
[ "$fail" -eq 0 ]
