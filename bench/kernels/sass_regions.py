#!/usr/bin/python3
"""sass_regions.py SASS_FILE [KERNEL_REGEX]: static instruction counts of nvdisasm output.

For each kernel whose mangled name matches KERNEL_REGEX: its instructions by class, for the
whole kernel and for each stretch between two block barriers (BAR.SYNC), in program order.
Static counts (sass_static.sh says what they do and do not show)."""
import re
import sys

INSN = re.compile(r'^\s+/\*([0-9a-f]{4,})\*/\s+(@!?U?P[T0-9]\s+)?([A-Z][A-Z0-9_.]*)')
KERNEL = re.compile(r'^\s+\.global\s+(\S+)')

# class -> opcode prefixes (first match wins; the order puts the specific ones first)
CLASSES = [
    ('mma', ('HMMA', 'HGMMA', 'IMMA')),
    ('ldsm', ('LDSM',)),
    ('stsm', ('STSM',)),
    ('lds', ('LDS',)),
    ('sts', ('STS',)),
    ('cp.async', ('LDGSTS', 'LDGDEPBAR', 'DEPBAR')),
    ('ldg', ('LDG', 'LDC', 'ULDC')),
    ('stg', ('STG',)),
    ('bar', ('BAR',)),
    ('branch', ('BRA', 'BSSY', 'BSYNC', 'EXIT', 'RET', 'CALL', 'WARPSYNC')),
    ('float', ('FADD', 'FMUL', 'FFMA', 'FMNMX', 'HADD2', 'HMUL2', 'HFMA2', 'HMNMX2', 'F2F', 'F2FP',
               'FSETP', 'FSEL', 'F2I', 'I2F', 'MUFU')),
    ('shfl', ('SHFL',)),
]
COLS = [c for c, _ in CLASSES] + ['int/other']


def classify(op):
    for name, prefixes in CLASSES:
        if op.startswith(prefixes):
            return name
    return 'int/other'


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    regex = re.compile(sys.argv[2] if len(sys.argv) > 2 else '.')
    kernels = []  # (name, [regions: list of opcodes])
    for line in open(sys.argv[1]):
        m = KERNEL.match(line)
        if m:
            kernels.append((m.group(1), [[]]))
            continue
        m = INSN.match(line)
        if m and kernels:
            op = m.group(3)
            if op == 'NOP':
                continue
            regions = kernels[-1][1]
            regions[-1].append(op)
            if op.startswith('BAR.SYNC'):
                regions.append([])
    shown = 0
    for name, regions in kernels:
        if not regex.search(name):
            continue
        shown += 1
        print(name)
        print('  %-14s %6s ' % ('region', 'total') + ' '.join('%8s' % c for c in COLS) +
              '  int.div')
        rows = [('whole', [op for r in regions for op in r])] + \
               [('after bar %d' % i if i else 'before bar 1', r) for i, r in enumerate(regions)]
        for label, ops in rows:
            counts = {c: 0 for c in COLS}
            for op in ops:
                counts[classify(op)] += 1
            # an integer division by a runtime divisor compiles to I2F.RP + MUFU.RCP + F2I
            divs = sum(1 for op in ops if op.startswith('I2F.RP'))
            print('  %-14s %6d ' % (label, len(ops)) + ' '.join('%8d' % counts[c] for c in COLS) +
                  '  %7d' % divs)
    if not shown:
        sys.exit('sass_regions.py: no kernel matches %s' % regex.pattern)


if __name__ == '__main__':
    main()
