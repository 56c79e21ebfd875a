# The prologue every device call script shares (sourced, POSIX sh, repository root on the GPU machine):
#   . bench/kernels/call_lib.sh TAG      then   cl_build_head; cl_build build-gpu NAME TARGETS...; ...; cl_pack
# (or cl_build_both TARGETS... for both builds at once, and cl_ab for a plan run by each, alternating)
# TAG names the output folder $OUT/TAG and the tarball $OUT/TAG.tgz (the one file that comes back).
# Before the call, on this machine (both folders are git-ignored, build-calls/ by the build* pattern):
#   mkdir -p .carry && (cd .carry && apt-get download libcjson1 libcjson-dev)      # cJSON for bench/gpu_env.sh
#   git rev-parse --short HEAD > build-calls/MAIN_COMMIT                           # the label of this tree's build
# and for a call that compares two builds, the base commit's tree with its id:
#   mkdir -p build-calls/head-src && git archive BASE | tar x -C build-calls/head-src && echo BASE > build-calls/head-src/COMMIT
#   rm -rf build-calls/head-src/bench/results      # the carried tree must stay under 64 MiB (results alone are ~33 MB)
# and run the base commit's plans with cl_run_head (below), not cl_run, where the two trees' GPU specs differ.
# then run the call script with carry [".carry", "build-calls"]; cl_build_head builds head-src into build-head.
. bench/gpu_env.sh
TAG=${1:?usage: . bench/kernels/call_lib.sh TAG}
: "${OUT:?OUT is set by the device tool}"
R=$OUT/$TAG
mkdir -p "$R/logs" "$R/runs" "$R/plans"
T0=$(date +%s)
# el MESSAGE: the message with the seconds since the call began (the device tool returns the last 12 000 characters).
el() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
# cl_pack: the results so far into $OUT/TAG.tgz (called after each stage, so a call cut off still returns them).
cl_pack() { (cd "$OUT" && tar czf "$TAG.tgz" "$TAG"); }
# cl_left: seconds left before DEADLINE_S (default 560) since the call began.
cl_left() { echo $(( ${DEADLINE_S:-560} - ($(date +%s) - T0) )); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$R/device.txt"
# cl_build BUILD COMMIT_NAME TARGETS...: configure (release, CUDA and cuDNN) and build this tree's targets.
cl_build() {
    _b=$1 _c=$2; shift 2
    [ -f "$_b/build.ninja" ] || meson setup "$_b" -Dcuda=enabled -Dcudnn=enabled --buildtype=release >"$R/logs/setup-$_b.log" 2>&1
    FUSEPLAN_COMMIT=$_c ninja -C "$_b" "$@" >"$R/logs/build-$_b.log" 2>&1 || { tail -30 "$R/logs/build-$_b.log"; cl_pack; return 1; }
}
# cl_build_head: build-calls/head-src's fuseplan into build-head (run it in the background beside cl_build).
cl_build_head() {
    (cd build-calls/head-src && meson setup ../../build-head -Dcuda=enabled -Dcudnn=enabled --buildtype=release \
        >"$R/logs/setup-head.log" 2>&1)
    FUSEPLAN_COMMIT=$(cat build-calls/head-src/COMMIT) ninja -C build-head fuseplan >"$R/logs/build-head.log" 2>&1 \
        || { tail -30 "$R/logs/build-head.log"; return 1; }
}
# cl_run_head NAME PLAN [OPTIONS]: cl_run with build-head's fuseplan, started inside build-calls/head-src: `run` checks a
# plan's spec hash against the spec file it finds under the working directory, so a plan made with the base commit's
# spec must run there when the two trees' specs differ (fifteenth session, call e: from the repository root it was
# refused). PLAN is a path from the repository root.
cl_run_head() {
    case $2 in /*) _p=$2 ;; *) _p=$(pwd)/$2 ;; esac
    (cd build-calls/head-src && cl_run "$OLDPWD/build-head/fuseplan" "$1" "$_p" "${3:-}")
}
# cl_run EXE NAME PLAN_OR_MODEL [OPTIONS]: one `fuseplan run` (50 iterations, report in runs/NAME.json).
cl_run() {
    timeout 90 "$1" run "$3" ${4:-} --iters 50 --no-energy --report "$R/runs/$2.json" >"$R/runs/$2.txt" 2>"$R/runs/$2.err"
    el "$2 $?: $(grep -E 'whole model in CUDA graphs' "$R/runs/$2.txt" | head -1 | cut -c1-100)"
}
# cl_case CASE: MODEL:BATCH:DTYPE into _m, _b, _d and the name _n = MODEL_bBATCH_DTYPE.
cl_case() { _m=${1%%:*}; _r=${1#*:}; _b=${_r%%:*}; _d=${_r#*:}; _n=${_m}_b${_b}_$_d; }
# cl_plan_cases CASES: build-head's plan of each case (tensor-core math, h100_sxm_calibrated) into $R/plans/NAME.json.
cl_plan_cases() {
    for _c in $1; do
        cl_case "$_c"
        build-head/fuseplan plan "$_m" --gpu h100_sxm_calibrated --batch "$_b" --dtype "$_d" --math tc \
            -o "$R/plans/$_n.json" >/dev/null 2>"$R/plans/$_n.err" || el "plan $_n failed"
    done
}
# cl_ab_cases CASES REP MARGIN: cl_ab of each case's plan (cl_plan_cases) while more than MARGIN seconds are left.
cl_ab_cases() {
    for _c in $1; do
        cl_case "$_c"
        [ "$(cl_left)" -gt "$3" ] || { el "out of time before $_n r$2"; return; }
        cl_ab "$_n" "$R/plans/$_n.json" "$2"
    done
}
# cl_build_both TARGETS...: build-calls/head-src into build-head (fuseplan) beside this tree's TARGETS into build-gpu,
# labelled by build-calls/MAIN_COMMIT; stops the call (after packing) when either build fails.
cl_build_both() {
    cl_build_head &
    cl_build build-gpu "$(cat build-calls/MAIN_COMMIT)" "$@" || exit 1
    wait
    [ -x build-head/fuseplan ] || { el "head build failed"; cl_pack; exit 1; }
    el built
}
# cl_ab NAME PLAN REP: the same plan run by main's build (build-head, NAME_mainREP) and this tree's (build-gpu,
# NAME_newREP), main first on odd repetitions and second on even ones (a drift in the machine then falls on both).
# For plans whose spec is the same in both trees (else cl_run_head for main's).
cl_ab() {
    if [ $(($3 % 2)) = 1 ]; then
        cl_run build-head/fuseplan "$1_main$3" "$2"; cl_run build-gpu/fuseplan "$1_new$3" "$2"
    else
        cl_run build-gpu/fuseplan "$1_new$3" "$2"; cl_run build-head/fuseplan "$1_main$3" "$2"
    fi
}
