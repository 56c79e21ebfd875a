#!/usr/bin/env python3
"""Compares fuseplan's CUPTI counters with Nsight Compute on the same kernels.

usage: ncu_compare.py COUNTERS.log NCU.csv NCU_ORDER.log

COUNTERS.log: the output of tests/kernels/test_counters (lines "COUNTERS
<label> l2_read l2_write dram_read dram_write hit% duration_us", cold:
L2 flushed before the kernel). NCU.csv: `ncu --csv --print-units base
--cache-control all --profile-from-start off --metrics ...` of the same
program with RT_CTR_NCU=1, which profiles exactly the labelled kernels in
the order of the "NCU-ORDER <label>" lines of NCU_ORDER.log (its stdout).
Prints one row per kernel and metric with the relative difference, and the
worst difference per metric. Exit 1 when a kernel is missing."""
import csv
import io
import sys

METRICS = [  # (column in COUNTERS line, ncu metric, scale from ncu to ours)
    (0, "lts__t_sectors_srcunit_tex_op_read.sum", 32.0),
    (1, "lts__t_sectors_srcunit_tex_op_write.sum", 32.0),
    (2, "dram__bytes_read.sum", 1.0),
    (3, "dram__bytes_write.sum", 1.0),
    (4, "lts__t_sector_hit_rate.pct", 1.0),
    (5, "gpu__time_duration.sum", 1e-3),
]
NAMES = ["L2 read B", "L2 write B", "DRAM read B", "DRAM write B", "L2 hit %", "duration us"]

ours = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "COUNTERS":
        ours[f[1]] = [float(x) for x in f[2:8]]
order = [l.split()[1] for l in open(sys.argv[3]) if l.startswith("NCU-ORDER ")]

text = open(sys.argv[2]).read()
start = text.find('"ID"')
if start < 0:
    sys.exit("no ncu CSV table in %s" % sys.argv[2])
kernels = {}
for row in csv.DictReader(io.StringIO(text[start:])):
    kid = int(row["ID"])
    val = row["Metric Value"].replace(",", "")
    try:
        kernels.setdefault(kid, {"name": row["Kernel Name"]})[row["Metric Name"]] = float(val)
    except ValueError:
        pass
ids = sorted(kernels)
if len(ids) != len(order):
    print("ncu profiled %d kernels, the program labelled %d" % (len(ids), len(order)))
worst = [0.0] * len(METRICS)
missing = 0
print("%-28s %-13s %14s %14s %8s" % ("kernel", "metric", "fuseplan", "ncu", "diff"))
for kid, label in zip(ids, order):
    mine = ours.get(label)
    if mine is None:
        print("%s: no CUPTI line" % label)
        missing += 1
        continue
    for i, (col, metric, scale) in enumerate(METRICS):
        ref = kernels[kid].get(metric)
        if ref is None:
            print("%s: ncu has no %s" % (label, metric))
            missing += 1
            continue
        ref *= scale
        a = mine[col]
        if i == 4:  # a percentage: absolute difference in points
            d = a - ref
            shown = "%+.1f pt" % d
        else:
            d = (a - ref) / ref if ref else (0.0 if a == 0 else float("inf"))
            shown = "%+.1f%%" % (100 * d)
        worst[i] = max(worst[i], abs(d))
        print("%-28s %-13s %14.1f %14.1f %8s" % (label[:28], NAMES[i], a, ref, shown))
print("worst difference: " + ", ".join(
    "%s %s" % (NAMES[i], ("%.1f pt" % worst[i]) if i == 4 else ("%.1f%%" % (100 * worst[i])))
    for i in range(len(METRICS))))
sys.exit(1 if missing else 0)
