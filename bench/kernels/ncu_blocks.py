#!/usr/bin/python3
"""ncu_blocks.py SOURCE_CSV[.gz] [KERNEL_REGEX] [TOP]: where a kernel's executed instructions go.

SOURCE_CSV is Nsight Compute's per-instruction table (`ncu -i REP --page source --csv
--print-source sass`, what ncu_units.sh NCU_SOURCE=1 keeps as source.csv.gz). For each profiled
kernel whose name matches KERNEL_REGEX: the instructions a warp executed on average, by opcode,
and its TOP (default 15) hottest basic blocks. A block here is a run of consecutive instructions
with the same executed count (a basic block's instructions all run equally often; two adjacent
blocks that happen to run equally often read as one), reported with its first line in the
kernel's table, how often it ran per warp, its length and its opcodes. A table that repeats
the one before it (same kernel, same counts) is skipped."""
import collections
import csv
import gzip
import re
import sys

PRED = re.compile(r'^@!?U?P\w+\s+')
GRID = re.compile(r'\((\d+), (\d+), (\d+)\)x\((\d+), (\d+), (\d+)\)')


def opcode(src):
    src = PRED.sub('', src.strip())
    return src.split()[0] if src else ''


def kernels(path):
    """(name, header, rows) per kernel section of the table."""
    f = gzip.open(path, 'rt') if path.endswith('.gz') else open(path)
    name, header, rows = None, None, []
    for r in csv.reader(f):
        if r and r[0] == 'Kernel Name':
            if name is not None:
                yield name, header, rows
            name, header, rows = r[1], None, []
        elif r and r[0] == 'Address':
            header = r
        elif name is not None and header is not None and len(r) == len(header):
            rows.append(r)
    if name is not None:
        yield name, header, rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    regex = re.compile(sys.argv[2] if len(sys.argv) > 2 else '.')
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    seen = 0
    previous = None
    for name, header, rows in kernels(sys.argv[1]):
        if not regex.search(name):
            continue
        ie = header.index('Instructions Executed')
        counts = [int(r[ie] or 0) for r in rows]
        # the export of the H100 machine's ncu (CUDA 13) lists each kernel's table twice in a row
        if (name, counts) == previous:
            continue
        previous = (name, counts)
        seen += 1
        # CTAs: the table has no grid; the first instruction runs once per warp
        warps = counts[0] if counts else 0
        total = sum(counts)
        print('%s\n  %d warp instructions, %d warps launched (the first instruction\'s count)'
              % (name, total, warps))
        if not warps:
            continue
        by_op = collections.Counter()
        for r, n in zip(rows, counts):
            by_op[opcode(r[1]).split('.')[0]] += n
        print('  per warp: %.0f; by opcode per warp: %s' % (
            total / warps, ', '.join('%s %.0f' % (k, v / warps) for k, v in by_op.most_common(14))))
        blocks = []
        for i, n in enumerate(counts):
            if blocks and blocks[-1][1] == n and blocks[-1][0] + len(blocks[-1][2]) == i:
                blocks[-1][2].append(rows[i][1])
            else:
                blocks.append([i, n, [rows[i][1]]])
        blocks.sort(key=lambda b: -b[1] * len(b[2]))
        print('  %-6s %9s %5s %9s  %s' % ('line', 'runs/warp', 'instr', 'instr/warp', 'opcodes'))
        for first, n, srcs in blocks[:top]:
            if n == 0:
                break
            ops = collections.Counter(opcode(s).split('.')[0] for s in srcs)
            print('  %-6d %9.2f %5d %9.0f  %s' % (first, n / warps, len(srcs), n * len(srcs) / warps,
                                                ' '.join('%s:%d' % kv for kv in ops.most_common(8))))
    if not seen:
        sys.exit('ncu_blocks.py: no kernel in %s matches %s' % (sys.argv[1], regex.pattern))


if __name__ == '__main__':
    main()
