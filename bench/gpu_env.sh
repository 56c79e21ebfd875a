# Sourced at the start of every device command: unpacks the carried cJSON
# (the GPU machine has none) and puts nvcc on PATH. See DEVELOPERS.md.
mkdir -p /tmp/cj && for f in .carry/*.deb; do dpkg -x "$f" /tmp/cj; done
export PKG_CONFIG_PATH=/tmp/cj/usr/lib/x86_64-linux-gnu/pkgconfig PKG_CONFIG_SYSROOT_DIR=/tmp/cj
export LD_LIBRARY_PATH=/tmp/cj/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=/usr/local/cuda/bin:$PATH
