# Sourced at the start of every device command: unpacks the carried cJSON
# (the GPU machine has none) and puts nvcc on PATH. The .deb files come from
# this machine: mkdir -p .carry && (cd .carry && apt-get download libcjson1 libcjson-dev),
# carried with the device call (carry [".carry"]; bench/kernels/call_lib.sh).
mkdir -p /tmp/cj && for f in .carry/*.deb; do dpkg -x "$f" /tmp/cj; done
export PKG_CONFIG_PATH=/tmp/cj/usr/lib/x86_64-linux-gnu/pkgconfig PKG_CONFIG_SYSROOT_DIR=/tmp/cj
export LD_LIBRARY_PATH=/tmp/cj/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=/usr/local/cuda/bin:$PATH
