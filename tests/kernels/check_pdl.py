#!/usr/bin/env python3
"""Every unit kernel that launch_kernel (fcm_kernels/fk_dispatch.cuh) takes is
launched with programmatic stream serialization, so it may start while the
kernel before it runs: its first statement must be pdl_begin()
(fk_common.cuh), or it could read an input not yet written. This finds every
kernel named in a launch_kernel<...>(NAME<...>, ...) call of fcm_kernels/*.cuh
and *.cu and checks its definition starts with pdl_begin(); exit 1 names the
ones that do not.
usage: check_pdl.py FCM_KERNELS_DIR"""
import glob
import os
import re
import sys


def main():
    src = sys.argv[1]
    files = sorted(glob.glob(os.path.join(src, '*.cuh')) + glob.glob(os.path.join(src, '*.cu')))
    text = {f: open(f, encoding='utf-8').read() for f in files}
    launched = set()
    for t in text.values():
        launched.update(re.findall(r'launch_kernel<\w+>\(\s*(\w+)<', t))
    if not launched:
        print('check_pdl: no launch_kernel calls found under %s' % src)
        return 1
    bad, found = [], set()
    for f, t in text.items():
        for m in re.finditer(r'__global__[^;{]*?\b(\w+)\s*\(ParamsT<\w+> \w+\)\s*\{', t):
            name = m.group(1)
            if name not in launched:
                continue
            found.add(name)
            body = t[m.end():].lstrip()
            if not body.startswith('pdl_begin();'):
                line = t.count('\n', 0, m.start()) + 1
                bad.append('%s:%d: %s does not start with pdl_begin()' % (os.path.basename(f), line, name))
    for name in sorted(launched - found):
        bad.append('%s: launched by launch_kernel, definition not found' % name)
    for b in bad:
        print('check_pdl: ' + b)
    print('check_pdl: %d kernels launched by launch_kernel, %d checks failed' % (len(launched), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
