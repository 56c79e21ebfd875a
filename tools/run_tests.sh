#!/bin/sh
# Second README command: the whole test suite. Builds and tests twice: the
# normal build (cpu suite, plus the gpu suite, which skips without a device)
# and an AddressSanitizer + UBSan build of the host code (cpu suite). Ends with
# "N passed, N failed" (CI reads that line); exit status 1 when anything failed.
set -u
cd "$(dirname "$0")/.."
if [ -x /usr/local/cuda/bin/nvcc ]; then
    PATH="/usr/local/cuda/bin:$PATH"
    export PATH
fi
JOBS=$(nproc 2>/dev/null || echo 2)
status=0
[ -f build/build.ninja ] || meson setup build ${FUSEPLAN_WERROR:+-Dwerror=true} || status=1
[ -f build-sanitize/build.ninja ] || meson setup build-sanitize ${FUSEPLAN_WERROR:+-Dwerror=true} -Db_sanitize=address,undefined \
    -Db_lundef=false -Dcuda=disabled -Dcudnn=disabled || status=1
ninja -C build || status=1
ninja -C build-sanitize || status=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
meson test -C build --no-rebuild --num-processes "$JOBS" --print-errorlogs || status=1
meson test -C build-sanitize --no-rebuild --num-processes "$JOBS" --suite cpu --print-errorlogs || status=1
python3 - "$status" <<'PY'
import json, sys
passed = failed = skipped = 0
for log in ("build/meson-logs/testlog.json", "build-sanitize/meson-logs/testlog.json"):
    try:
        lines = open(log).read().splitlines()
    except OSError:
        failed += 1
        print("missing %s: a build failed" % log)
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
if sys.argv[1] != "0" and failed == 0:
    failed = 1  # a build step failed before any test could
print("%d skipped (no GPU)" % skipped if skipped else "0 skipped")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
