#!/usr/bin/env python3
"""compare_rows.py - per PW tile row, the time ratio of two `fuseplan validate` runs.

    compare_rows.py OLD_DIR NEW_DIR [MODEL...]

Reads OLD_DIR/val-<model>-fp16-tc.json.gz and NEW_DIR/... (the reports bench/validate_h100.sh
writes), pairs every PW candidate measured in both (same model, batch, unit and variant) and
prints, per (variant row, batch), the number of pairs and the median, min and max of
new time / old time. Rows whose kernels did not change between the two runs show how far two
device calls agree. Standard library only.
"""
import gzip
import json
import statistics
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    old_dir, new_dir = argv[1], argv[2]
    models = argv[3:] or ["mobilenet_v2", "mnasnet_b1", "proxylessnas_gpu", "mobilenet_v1"]
    ratios = {}
    for m in models:
        try:
            old = json.load(gzip.open(f"{old_dir}/val-{m}-fp16-tc.json.gz"))
            new = json.load(gzip.open(f"{new_dir}/val-{m}-fp16-tc.json.gz"))
        except (OSError, ValueError) as e:
            print(f"compare_rows.py: {m}: {e}", file=sys.stderr)
            return 2
        for co, cn in zip(old["cases"], new["cases"]):
            if co["batch"] != cn["batch"]:
                print(f"compare_rows.py: {m}: cases in another order", file=sys.stderr)
                return 2
            before = {u["name"]: u for u in co["units"] if u["kind"] == "pw"}
            for u in cn["units"]:
                if u["kind"] != "pw" or u["name"] not in before:
                    continue
                t_old = {c["variant"]: c["time_us"] for c in before[u["name"]]["candidates"]}
                for c in u["candidates"]:
                    if c["variant"] in t_old and t_old[c["variant"]] > 0:
                        ratios.setdefault((c["variant"], co["batch"]), []).append(
                            c["time_us"] / t_old[c["variant"]])
    print(f"{'variant':34s} {'batch':>5s} {'pairs':>5s} {'median':>7s} {'min':>6s} {'max':>6s}")
    for (v, b), r in sorted(ratios.items()):
        print(f"{v:34s} {b:5d} {len(r):5d} {statistics.median(r):7.3f} {min(r):6.3f} {max(r):6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
