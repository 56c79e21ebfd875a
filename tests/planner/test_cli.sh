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
# `validate` (built with the CUDA backend): usage and input errors exit 2
# before any device is needed
if "$FP" validate --help >/dev/null 2>&1; then
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
    expect_rc 2 "validate bad plan" "$FP" validate "$SRC/tests/bad_inputs/plans/plan_variant_path.json" --no-counters
    grep -q "is not a variant name" /tmp/fp_cli_err.$$ && ok || bad "validate checks the plan first"
    expect_rc 2 "validate -o = input" "$FP" validate "$SRC/models/mobilenet_v2.json" --calibrate -o "$SRC/models/mobilenet_v2.json"
fi
rm -f /tmp/fp_cli_out.$$ /tmp/fp_cli_err.$$
echo "cli: $((pass + fail)) checks, $fail failed"
[ "$fail" -eq 0 ]
