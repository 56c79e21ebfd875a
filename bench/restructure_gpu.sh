#!/bin/sh
# One device call for the restructure check (issue 11): builds this tree and a
# base tree (an older commit's files, e.g. .carry/base from `git archive`),
# runs the gpu suite and the kernels under compute-sanitizer (memcheck,
# racecheck), then bench/ab_commits.sh (base and new alternating per model and
# batch). Logs and a tarball go to $OUT. STAGE=check runs the builds, the
# suite and the sanitizers only; STAGE=ab the builds (kept from an earlier
# call on the same machine) and the A/B only; unset, both.
# usage (repository root, on the GPU machine):
#   . bench/gpu_env.sh; FUSEPLAN_COMMIT=<new> BASE_COMMIT=<base> bench/restructure_gpu.sh BASE_SRC [SPEC] [MODELS...]
set -u
BASE_SRC=${1:?usage: restructure_gpu.sh BASE_SRC [SPEC] [MODELS...]}
shift
SPEC=${1:-h100_sxm_calibrated}
[ $# -gt 0 ] && shift
OUT=${OUT:-gpu-logs}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$OUT/device.txt"
t0=$(date +%s)
# (the base build lives beside this tree's builds, outside BASE_SRC, which a
# carried path replaces on every call)
[ -f build-base/build.ninja ] || FUSEPLAN_COMMIT=${BASE_COMMIT:-base} meson setup build-base "$BASE_SRC" \
    -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUT/build_base.log" 2>&1
# (vcs_tag reads FUSEPLAN_COMMIT when ninja runs, not at setup)
FUSEPLAN_COMMIT=${BASE_COMMIT:-base} ninja -C build-base >>"$OUT/build_base.log" 2>&1 ||
    { tail -20 "$OUT/build_base.log"; exit 1; }
BASE_EXE=$(ls build-base/fuseplan build-base/tool/fuseplan 2>/dev/null | head -1)
[ -f build-gpu/build.ninja ] || meson setup build-gpu -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$OUT/setup.log" 2>&1
ninja -C build-gpu >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
echo "builds: $(( $(date +%s) - t0 )) s; base exe: ${BASE_EXE:-MISSING}"
if [ "${STAGE:-all}" != ab ]; then
meson test -C build-gpu --no-rebuild --suite gpu --print-errorlogs >"$OUT/gpu_tests.log" 2>&1
echo "gpu suite: $(grep -E '^(Ok|Fail|Skipped):' "$OUT/gpu_tests.log" | tr -s ' ' | tr '\n' ' ')"
grep -E "^ *[0-9]+/[0-9]+ " "$OUT/gpu_tests.log"
for tool in memcheck racecheck; do
    FK_TEST_QUICK=1 compute-sanitizer --tool $tool --error-exitcode 9 \
        build-gpu/tests/kernels/test_kernels >"$OUT/sanitize_$tool.log" 2>&1
    echo "compute-sanitizer $tool: exit $? ($(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitize_$tool.log" | head -2 | tr '\n' ' '))"
done
echo "checks done: $(( $(date +%s) - t0 )) s"
fi
[ "${STAGE:-all}" = check ] && exit 0
timeout "${FP_BENCH_TIMEOUT:-400}" bench/ab_commits.sh "$BASE_EXE" build-gpu/fuseplan "$OUT/ab" "$SPEC" "$@" >"$OUT/ab.log" 2>&1
echo "A/B exit $? after $(( $(date +%s) - t0 )) s"
tail -12 "$OUT/ab.log"
tar czf "$OUT/ab.tgz" -C "$OUT" ab
