#!/usr/bin/env python3
"""unit_ab.py - per-unit A/B of `fuseplan run` reports: the same units timed by two builds or two plans.

    unit_ab.py [--min-change F] BASE.json[,BASE2.json...] NEW.json[,NEW2.json...]

Each side may list several reports (repetitions, comma-separated); a unit's time is the mean of its `ours_us`
over them (units timed one at a time, as the report's table). Units are matched by their layers. Prints, in
the new plan's order, every unit whose variant differs between the sides or whose time moved by more than
--min-change (a fraction, default 0.05), with both variants and times, then the sums over the units both
sides ran and the whole-model graph times. Exit 2 on bad arguments or unreadable reports. Standard library
only (bench/results/2026-12-07-NVIDIA_H100-s13 used it inline for calls a and c).
"""
import json
import sys


def load(paths):
    units, order, graph = {}, [], []
    for p in paths.split(","):
        with open(p) as f:
            r = json.load(f)
        graph.append(r["totals"]["graph_fused_us"])
        for u in r["units"]:
            k = "+".join(u["layers"])
            if k not in units:
                units[k] = [u.get("variant") or u["kind"], []]
                order.append(k)
            units[k][1].append(u["ours_us"])
    return {k: (v, sum(t) / len(t)) for k, (v, t) in units.items()}, order, sum(graph) / len(graph)


def main(argv):
    min_change = 0.05
    if len(argv) >= 2 and argv[0] == "--min-change":
        try:
            min_change = float(argv[1])
        except ValueError:
            sys.stderr.write("unit_ab.py: --min-change %r: not a number\n" % argv[1])
            return 2
        argv = argv[2:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        base, _, gb = load(argv[0])
        new, order, gn = load(argv[1])
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("unit_ab.py: %s\n" % e)
        return 2
    print("| unit | base variant | base us | new variant | new us | new/base |")
    print("|---|---|---:|---|---:|---:|")
    for k in order + [k for k in base if k not in new]:
        b, n = base.get(k), new.get(k)
        if b and n and b[0] == n[0] and abs(n[1] / b[1] - 1) <= min_change:
            continue
        cell = lambda x: ("%s | %.1f" % (x[0], x[1])) if x else "- | -"
        ratio = "%.3f" % (n[1] / b[1]) if b and n else "-"
        print("| %s | %s | %s | %s |" % (k, cell(b), cell(n), ratio))
    both = [k for k in new if k in base]
    sb, sn = sum(base[k][1] for k in both), sum(new[k][1] for k in both)
    print("\nunits in both: %d, base %.1f us, new %.1f us (%.3f); whole model in CUDA graphs: base %.1f us, "
          "new %.1f us (%.3f)" % (len(both), sb, sn, sn / sb if sb else 0, gb, gn, gn / gb if gb else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
