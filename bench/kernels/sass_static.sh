#!/bin/sh
# sass_static.sh - the SASS of one generated kernel family, and a static count of its instructions
# per region, on a machine without a GPU (no device time).
#
#   sh bench/kernels/sass_static.sh BUILD_DIR FAMILY [KERNEL_REGEX] [OUT_DIR]
#   e.g. sh bench/kernels/sass_static.sh build pwdwpw_f16_tc '8ELi8ELi32ELi32'
#
# BUILD_DIR is a configured CUDA build (its fcm_kernels/fk_FAMILY.cu is the generated translation
# unit; `ninja -C BUILD_DIR fcm_kernels/fk_kernel_tus` writes it). The TU is compiled to a cubin for
# sm_90 with the build's flags (-O3 -std=c++17), disassembled, and each kernel's instructions are
# counted by class (tensor-core, shared-memory, global, barrier, the integer-division idiom) for the
# whole kernel and for each stretch between two block barriers (sass_regions.py).
#
# Why the detour: the CUDA 13 toolkit here has ptxas but neither nvdisasm nor cuobjdump. Debian's
# non-free nvidia-cuda-toolkit 11.8 has both; its nvdisasm knows sm_90 but refuses the ELF header of
# a CUDA 13 cubin (ABI version 8, a new e_flags layout). With the header rewritten it decodes the
# PWDWPW family of nvcc 13.0 with no unknown opcode (checked 2026-12-07: the opcodes and operand
# forms are those of the ncu source tables of earlier builds on the H100). The script downloads
# that package once (no install: its nvdisasm is unpacked into $SASS_TOOLS, default
# build-sass/tools) and rewrites a copy of the cubin's header to the old form
# (ABI version 7, e_flags = sm | 64-bit | virtual sm << 16). The counts are static: a loop's body
# is counted once, a branch's both sides; they show which stretch of a kernel holds its
# instructions, not how often each runs (Nsight Compute's source table, ncu_units.sh
# NCU_SOURCE=1, counts executions on a GPU).
set -eu
B=${1:?usage: sass_static.sh BUILD_DIR FAMILY [KERNEL_REGEX] [OUT_DIR]}
FAM=${2:?family, e.g. pwdwpw_f16_tc}
RE=${3:-.}
OUTD=${4:-build-sass}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TOOLS=${SASS_TOOLS:-$ROOT/build-sass/tools}
NVCC=${NVCC:-nvcc}
command -v "$NVCC" >/dev/null 2>&1 || NVCC=/usr/local/cuda/bin/nvcc
TU=$B/fcm_kernels/fk_$FAM.cu
[ -f "$TU" ] || { echo "sass_static.sh: $TU: no such generated unit (ninja -C $B fcm_kernels/fk_kernel_tus)" >&2; exit 2; }
mkdir -p "$OUTD" "$TOOLS"
if [ ! -x "$TOOLS/usr/bin/nvdisasm" ]; then
    L=$TOOLS/apt; mkdir -p "$L/lists/partial"
    echo "deb http://deb.debian.org/debian bookworm non-free" >"$L/sources.list"
    o="-o Dir::Etc::sourcelist=$L/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$L/lists"
    # shellcheck disable=SC2086
    apt-get $o update >"$L/update.log" 2>&1 || { echo "sass_static.sh: apt-get update (non-free) failed: $L/update.log" >&2; exit 1; }
    # shellcheck disable=SC2086
    (cd "$L" && apt-get $o download nvidia-cuda-toolkit >download.log 2>&1) ||
        { echo "sass_static.sh: apt-get download nvidia-cuda-toolkit failed: $L/download.log" >&2; exit 1; }
    dpkg -x "$L"/nvidia-cuda-toolkit_*.deb "$L/x"
    mkdir -p "$TOOLS/usr/bin" && cp "$L/x/usr/bin/nvdisasm" "$TOOLS/usr/bin/"
    rm -rf "$L"/nvidia-cuda-toolkit_*.deb "$L/x"
fi
CUBIN=$OUTD/fk_$FAM.cubin
"$NVCC" -O3 -std=c++17 -gencode=arch=compute_90,code=sm_90 -I"$ROOT/fcm_kernels" -I"$ROOT/costmodel" \
    -I"$B" -I"$B/fcm_kernels" -cubin -o "$CUBIN" "$TU"
/usr/bin/python3 - "$CUBIN" "$OUTD/fk_${FAM}_old_header.cubin" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
if b[:4] != b'\x7fELF' or b[4] != 2:
    sys.exit('sass_static.sh: %s: not a 64-bit ELF cubin' % sys.argv[1])
sm = (struct.unpack_from('<I', b, 48)[0] >> 8) & 0xff   # CUDA 13 layout: the sm in bits 8-15
if sm != 90:
    sys.exit('sass_static.sh: %s: sm %d in e_flags, expected 90' % (sys.argv[1], sm))
b[8] = 7                                                  # ELF ABI version of CUDA <= 12
struct.pack_into('<I', b, 48, sm | 0x400 | sm << 16)      # sm, 64-bit addresses, virtual sm
open(sys.argv[2], 'wb').write(b)
EOF
"$TOOLS/usr/bin/nvdisasm" -c "$OUTD/fk_${FAM}_old_header.cubin" >"$OUTD/fk_$FAM.sass"
/usr/bin/python3 "$HERE/sass_regions.py" "$OUTD/fk_$FAM.sass" "$RE"
