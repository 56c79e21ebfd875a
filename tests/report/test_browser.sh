#!/bin/sh
# The report as a browser shows it: headless Chromium renders a page made from
# committed run and validate reports to a PNG, which must have the window's
# size, not be blank and show our bars. Exit 77 (skipped) where no Chromium is
# installed (tools/setup.sh installs Debian's `chromium` where apt can).
# usage: test_browser.sh FUSEPLAN SRCDIR WORKDIR
FP=$1
SRC=$2
WORK=$3
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
    echo "no chromium on PATH: skipped (tools/setup.sh installs it on Debian)"
    exit 77
fi
mkdir -p "$WORK"
R=$SRC/bench/results
"$FP" report "$R/2026-12-06-NVIDIA_H100-restructure-ab/new/mobilenet_v2_b1.json" \
    "$R/2026-11-22-NVIDIA_H100-validation/validation-h100_sxm_calibrated.json.gz" -o "$WORK/page.html" || exit 1
rm -f "$WORK/page.png"
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start;
# the page is our own file with no script. --disable-dev-shm-usage: containers
# often have a 64 MB /dev/shm, too small for the renderer.
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run \
    --user-data-dir="$WORK/profile" --window-size=1200,1600 --screenshot="$WORK/page.png" \
    "file://$WORK/page.html" >"$WORK/chromium.log" 2>&1
if [ ! -s "$WORK/page.png" ]; then
    echo "FAIL: chromium wrote no screenshot"
    cat "$WORK/chromium.log"
    exit 1
fi
exec python3 "$(dirname "$0")/check_png.py" "$WORK/page.png" 1200 1600
