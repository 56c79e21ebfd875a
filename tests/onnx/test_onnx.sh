#!/bin/sh
# ONNX import tests (docs/onnx.md). usage: test_onnx.sh PART FUSEPLAN ORACLE SRCDIR WORKDIR
#   corpus: tests/onnx/good/*.onnx import; every tests/onnx/bad/ file is refused
#           with exit 2 and its one-line message (bad/expected.txt)
#   node:   ONNX's node test cases (Debian's libonnx-testdata) through the CPU reference
#   torch:  torchvision MobileNetV2 and MnasNet exported by Debian's python3-torch
#           (/usr/bin/python3): CPU reference vs PyTorch (rel L2 <= 1e-5), and
#           `fuseplan plan` identical to the shipped models' plans at batch 1 and 64
# Exit 77 (skipped) only when the Debian packages a part needs are not installed.
PART=$1
FP=$2
ORACLE=$3
SRC=$4
WORK=$5/onnx_$PART
mkdir -p "$WORK"
TMPDIR=$WORK  # the weights of .onnx MODEL arguments go here (planner/fp_data.c)
export TMPDIR
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

case "$PART" in
corpus)
    for f in "$SRC"/tests/onnx/good/*.onnx; do
        "$FP" show "$f" >/dev/null 2>"$WORK/err" && ok || bad "$f: $(cat "$WORK/err")"
        "$FP" check "$f" >"$WORK/out" 2>"$WORK/err" && grep -q ": ok: ONNX model" "$WORK/out" && ok \
            || bad "check $f: $(cat "$WORK/err")"
    done
    "$FP" import "$SRC/tests/onnx/good/tiny.onnx" -o "$WORK/tiny.json" >/dev/null 2>"$WORK/err" \
        && ok || bad "import tiny.onnx: $(cat "$WORK/err")"
    [ -s "$WORK/tiny.weights.bin" ] && "$FP" show "$WORK/tiny.json" >/dev/null && ok \
        || bad "the imported tiny.json and its weights load"
    "$FP" import "$SRC/tests/onnx/good/tiny.onnx" -o "$SRC/tests/onnx/good/tiny.onnx" >/dev/null 2>&1
    [ $? -eq 2 ] && ok || bad "import -o INPUT is refused with exit 2"
    "$FP" import "$SRC/models/mobilenet_v2.json" >/dev/null 2>&1
    [ $? -eq 2 ] && ok || bad "import of a non-.onnx file is a usage error"
    tab=$(printf '\t')
    while IFS="$tab" read -r file frag; do
        case "$file" in ''|'#'*) continue ;; esac
        "$FP" show "$SRC/tests/onnx/bad/$file" >/dev/null 2>"$WORK/err"
        rc=$?
        lines=$(grep -c . "$WORK/err")
        if [ "$rc" -ne 2 ]; then bad "$file: exit $rc, want 2: $(cat "$WORK/err")"
        elif ! grep -qF -- "$frag" "$WORK/err"; then bad "$file: message lacks \"$frag\": $(cat "$WORK/err")"
        elif [ "$lines" -ne 1 ]; then bad "$file: $lines lines of error, want 1"
        elif ! grep -qF "tests/onnx/bad/$file" "$WORK/err"; then bad "$file: message does not name the file"
        else ok; fi
        # the same through check, and through import
        "$FP" check "$SRC/tests/onnx/bad/$file" >/dev/null 2>&1
        [ $? -eq 2 ] && ok || bad "check $file: want exit 2"
        "$FP" import "$SRC/tests/onnx/bad/$file" -o "$WORK/x.json" >/dev/null 2>&1
        [ $? -eq 2 ] && ok || bad "import $file: want exit 2"
    done <"$SRC/tests/onnx/bad/expected.txt"
    ;;
node)
    D=/usr/share/libonnx-testdata/data/node
    if [ ! -d "$D" ]; then
        echo "SKIP: $D missing (Debian's libonnx-testdata; tools/setup.sh installs it)"
        exit 77
    fi
    "$ORACLE" node "$D" "$WORK" && ok || bad "ONNX node cases"
    ;;
torch)
    if ! /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
        echo "SKIP: /usr/bin/python3 has no torch/torchvision (Debian's python3-torch, python3-torchvision; tools/setup.sh installs them)"
        exit 77
    fi
    /usr/bin/python3 "$SRC/tools/export_onnx.py" "$WORK" mobilenet_v2 mnasnet1_0 --ref >/dev/null \
        && ok || { bad "export_onnx.py"; finish; }
    for pair in mobilenet_v2:mobilenet_v2 mnasnet1_0:mnasnet_b1; do
        onnx=${pair%%:*}
        shipped=${pair#*:}
        "$ORACLE" model "$WORK/$onnx.onnx" "$WORK/$onnx.input.bin" "$WORK/$onnx.output.bin" 2 1e-5 \
            && ok || bad "$onnx: CPU reference vs PyTorch"
        for b in 1 64; do
            "$FP" plan "$WORK/$onnx.onnx" --batch $b -o "$WORK/$onnx.b$b.plan.json" >/dev/null &&
            "$FP" plan "$shipped" --batch $b -o "$WORK/shipped_$shipped.b$b.plan.json" >/dev/null &&
            python3 - "$WORK/$onnx.b$b.plan.json" "$WORK/shipped_$shipped.b$b.plan.json" <<'PY' && ok || bad "$onnx batch $b: plan differs from $shipped's"
import json, sys
def units(p):
    return [(u["kind"], u["backend"], u.get("variant"), len(u["layers"]), u["residual"] is not None)
            for u in json.load(open(p))["units"]]
a, b = units(sys.argv[1]), units(sys.argv[2])
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("unit %d: %s vs %s" % (i, x, y))
print("%s: %d units, %s: %d units%s" % (sys.argv[1], len(a), sys.argv[2], len(b), "" if a == b else " DIFFER"))
sys.exit(0 if a == b else 1)
PY
        done
    done
    ;;
*) echo "unknown part $PART" >&2; exit 2 ;;
esac
finish
