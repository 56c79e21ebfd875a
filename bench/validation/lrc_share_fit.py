#!/usr/bin/env python3
"""lrc_share_fit.py - the L2 request coalescer's share of the PW tensor-core weight reads, refitted.

    lrc_share_fit.py REPORT.json

REPORT.json: `fuseplan validate --from REPORTS... --report REPORT.json` written by a build of this
tree (the estimates are this tree's). For every PW kernel on tensor cores in it, the script splits
the model's L2 reads into X (everything but the weights) and W (the weight rows every pixel tile's
CTA reads: pixel tiles x C rounded up to a 32-byte sector x F x element size, as cm_traffic counts
them; X = the estimate less (1 - s(CTAs)) W with the shipped rule; a W larger than the kernel's
loads or a negative X means the split is not the model's, and the script stops), and counts the kernels whose L2 traffic (reads + stores against the read and write
counters) falls within 10 % under
  - one share for every grid (the fourteenth session's rule, 0.45),
  - s(N) = S (1 - N0 / N) for N CTAs (costmodel.c lrc_weight_share: S = 0.5, N0 = 2),
each fitted on all kernels, then leaving each model out and each batch out in turn (fitted on the
rest, counted on the one left out). Standard library only; docs/costmodel.md 2.5 quotes the output.
"""
import json
import math
import re
import sys

SHIPPED = (0.5, 2.0)  # costmodel.c: CM_LRC_SHARE_MAX, CM_LRC_CTAS_HALF


def share(ctas, s_max, n_half):
    return s_max * (1.0 - n_half / ctas) if ctas > n_half else 0.0


def layer_shapes(model):
    m = json.load(open(f"models/{model}.json"))
    shape = {m["input"]["name"]: tuple(m["input"]["shape"])}
    convs = {}
    for layer in m["layers"]:
        inp = shape[layer["inputs"][0]]
        out = inp
        if layer["op"] == "conv2d":
            s = layer["stride"]
            out = (math.ceil(inp[0] / s), math.ceil(inp[1] / s), layer["filters"])
            convs[layer["name"]] = (inp, out)
        shape[layer["output"]] = out
    return convs


def pw_tc_kernels(report):
    rows = []
    for case in report["cases"]:
        if case["math"] != "tc":
            continue
        esz = {"fp16": 2, "bf16": 2, "fp32": 4}[case["dtype"]]
        convs = layer_shapes(case["model"])
        for unit in case["units"]:
            if unit["kind"] != "pw":
                continue
            (_, _, c), (oh, ow, f) = convs[unit["layers"][0]]
            for cand in unit["candidates"]:
                if "counters_steady" not in cand:
                    continue
                th, tw, tc = map(int, re.search(r"_t(\d+)x(\d+)_c(\d+)_", cand["variant"]).groups())
                pixel_tiles = math.ceil(case["batch"] * oh * ow / (th * tw))
                ctas = pixel_tiles * math.ceil(f / tc)
                per_sector = 32 // esz
                w = pixel_tiles * (math.ceil(c / per_sector) * per_sector) * f * esz
                est, meas = cand["estimate"], cand["counters_steady"]
                x = est["l2_read_bytes"] - (1.0 - share(ctas, *SHIPPED)) * w
                rows.append(dict(model=case["model"], batch=case["batch"], ctas=ctas, x=x, w=w,
                                 loads=est["load_bytes"], store=est["store_bytes"],
                                 meas=meas["l2_read_bytes"] + meas["l2_write_bytes"]))
    return rows


def within(rows, share_of):
    return sum(abs((r["x"] + (1.0 - share_of(r)) * r["w"] + r["store"]) / r["meas"] - 1.0) <= 0.10
               for r in rows)


def fit(rows, grid, rule):
    return max(grid, key=lambda p: within(rows, lambda r: rule(r, p)))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    rows = pw_tc_kernels(json.load(open(argv[1])))
    off = [r for r in rows if r["w"] > r["loads"] or r["x"] < 0]
    if off:
        print(f"lrc_share_fit.py: {len(off)} of {len(rows)} kernels: weight reads beyond the loads or a "
              "negative rest (is the report from this tree's build?)", file=sys.stderr)
        return 1
    const = lambda r, p: p
    grid_rule = lambda r, p: share(r["ctas"], *p)
    consts = [s / 100 for s in range(30, 71, 5)]
    grids = [(s / 100, n) for s in range(30, 71, 5) for n in (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)]
    print(f"PW tensor-core kernels: {len(rows)}; L2 traffic within 10 % of the counters:")
    print(f"  no merged share: {within(rows, lambda r: 0.0)}")
    c = fit(rows, consts, const)
    print(f"  one share, fitted on all: {c:.2f} -> {within(rows, lambda r: const(r, c))}")
    g = fit(rows, grids, grid_rule)
    print(f"  s(N) = S (1 - N0 / N), fitted on all: S {g[0]:.2f} N0 {g[1]:g} -> "
          f"{within(rows, lambda r: grid_rule(r, g))}; shipped S {SHIPPED[0]} N0 {SHIPPED[1]:g} -> "
          f"{within(rows, lambda r: grid_rule(r, SHIPPED))}")
    splits = [(m, lambda r, m=m: r["model"] == m) for m in sorted({r["model"] for r in rows})]
    splits += [(f"batch {b}", lambda r, b=b: r["batch"] == b) for b in sorted({r["batch"] for r in rows})]
    print("held out (fitted on the rest, counted on the part left out): part, kernels, one share, s(N)")
    tot_c = tot_g = 0
    for name, held in splits:
        train = [r for r in rows if not held(r)]
        test = [r for r in rows if held(r)]
        c = fit(train, consts, const)
        g = fit(train, grids, grid_rule)
        nc, ng = within(test, lambda r: const(r, c)), within(test, lambda r: grid_rule(r, g))
        if not name.startswith("batch"):
            tot_c, tot_g = tot_c + nc, tot_g + ng
        print(f"  {name:18s} {len(test):4d}  {c:.2f} -> {nc:4d}   S {g[0]:.2f} N0 {g[1]:g} -> {ng:4d}")
    print(f"  leaving each model out, summed: one share {tot_c}, s(N) {tot_g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
