#!/bin/sh
# Runs one libFuzzer harness of tests/fuzz from seeds made of the shipped
# files (docs/fuzzing.md).
# usage: run_fuzz.sh TARGET EXE SRCDIR FUSEPLAN MODE [libFuzzer options...]
#   MODE smoke: FUZZ_RUNS (default 20000) executions, the cpu suite's check
#   MODE long:  the options given (e.g. -runs=1000000 -max_total_time=300)
#   MODE skip:  exit 77 (no clang with libFuzzer: the test is skipped)
set -u
target=$1 exe=$2 src=$3 fp=$4 mode=$5
shift 5
if [ "$mode" = skip ]; then
    echo "$target: skipped: no clang with libFuzzer (-fsanitize=fuzzer) on this machine"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuseplan_fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
seeds=$work/seeds
corpus=$work/corpus
mkdir -p "$seeds" "$corpus"
case "$target" in
fuzz_model)
    cp "$src"/models/*.json "$src"/tests/bad_inputs/*.json "$src"/tests/bad_inputs/plans/tiny.json "$seeds/" ;;
fuzz_gpu)
    cp "$src"/gpu_specs/*.json "$src"/gpu_specs/measured/*.json "$src"/tests/bad_inputs/gpu_*.json "$seeds/" ;;
fuzz_plan)
    # plans written now by this build, so they reach the unit checks
    i=0
    for m in mobilenet_v1 mobilenet_v2 mnasnet_b1; do
        for b in 1 64; do
            "$fp" plan "$m" --batch "$b" -o "$seeds/$m-$b.json" >/dev/null || exit 1
            i=$((i + 1))
        done
    done
    "$fp" plan mobilenet_v2 --tile pwdw=8x8x32x32x256 -o "$seeds/forced.json" >/dev/null || exit 1
    "$fp" plan mobilenet_v2 --no-fuse -o "$seeds/nofuse.json" >/dev/null || exit 1
    cp "$src"/tests/bad_inputs/plans/plan_*.json "$seeds/" ;;
fuzz_roundtrip)
    # byte strings: model, spec, batch, dtype/math, objective/allowed, forced picks
    i=0
    for s in 000000000000 010203040506 0203011e0101 030401fe0303 0401050a0507 01020b001f0f; do
        printf "$(echo "$s" | sed 's/../\\x&/g')" > "$seeds/s$i"
        i=$((i + 1))
    done ;;
*) echo "unknown target $target" >&2; exit 1 ;;
esac
# inputs that once broke a property (docs/fuzzing.md) seed every target
cp "$src"/tests/fuzz/regressions/* "$seeds/" 2>/dev/null
if [ "$mode" = smoke ]; then
    set -- -runs="${FUZZ_RUNS:-20000}" -max_total_time="${FUZZ_SECONDS:-5}"
fi
# -max_len: plans of the largest shipped models are ~300 kB
cd "$work" && "$exe" "$corpus" "$seeds" -max_len=400000 -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 "$@" 2>"$work/log"
rc=$?
# with -jobs=N the fuzzing runs in child processes that log to fuzz-J.log
cat "$work"/fuzz-*.log >>"$work/log" 2>/dev/null
grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)" "$work/log"
if [ "$rc" -ne 0 ]; then
    tail -n 60 "$work/log"
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
        [ -f "$f" ] && cp "$f" "${FUZZ_ARTIFACTS:-/tmp}/" && echo "kept ${FUZZ_ARTIFACTS:-/tmp}/$(basename "$f")"
    done
fi
exit "$rc"
