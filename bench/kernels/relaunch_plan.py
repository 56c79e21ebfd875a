#!/usr/bin/env python3
"""relaunch_plan.py - a plan's launch fields re-derived by this build, its units and variants unchanged.

    relaunch_plan.py FUSEPLAN PLAN_IN PLAN_OUT

For an A/B of a kernel change that moves a launch field (shared memory bytes, CTAs per SM) on the
same plan: `fuseplan run` refuses a plan whose launch fields differ from what its variants derive in
the running build. This asks `fuseplan check` (one message per mismatch: "units[i].launch.F: A
differs from B, ...") and writes B into field F of unit i until the plan checks clean; nothing else
in the plan changes (variants, fusions, estimates). Exit 2 when check reports anything else.
Standard library only.
"""
import json
import re
import subprocess
import sys

MISMATCH = re.compile(r"units\[(\d+)\]\.launch\.(\w+): (\d+) differs from (\d+)")


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    fuseplan, src, dst = sys.argv[1:]
    with open(src) as f:
        plan = json.load(f)
    for _ in range(4 * len(plan["units"]) + 1):
        with open(dst, "w") as f:
            json.dump(plan, f, indent=1)
        r = subprocess.run([fuseplan, "check", dst], capture_output=True, text=True)
        if r.returncode == 0:
            return 0
        m = MISMATCH.search(r.stdout + r.stderr)
        if not m:
            sys.stderr.write("relaunch_plan.py: %s: %s" % (dst, r.stdout + r.stderr))
            return 2
        i, field, _, want = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        plan["units"][i]["launch"][field] = want
    sys.stderr.write("relaunch_plan.py: %s: launch fields did not converge\n" % dst)
    return 2


if __name__ == "__main__":
    sys.exit(main())
