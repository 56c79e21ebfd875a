#!/usr/bin/env python3
"""Check the model zoo: load each models/*.json (fuseplan-model v1, docs/formats.md), infer shapes, count
parameters and MACs (formats.md conventions) and compare them with the published figures below.

Usage: python3 tools/check_zoo.py [MODELS_DIR]     exit 0 when every model is within TOLERANCE, else 1.
Standard library only.
"""

import json
import os
import sys

TOLERANCE = 0.01  # relative

# name: (published params, published MACs, citation). MACs = multiply-accumulates (mult-adds), classifier included.
PUBLISHED = {
    "mobilenet_v1": (
        4.2e6, 569e6,
        "Howard et al. 2017, arXiv:1704.04861, Table 8 (1.0 MobileNet-224: 569 M mult-adds, 4.2 M params)"),
    "mobilenet_v2": (
        3.504872e6, 300e6,
        "params: torchvision mobilenet_v2 IMAGENET1K_V1 num_params 3,504,872 "
        "(https://pytorch.org/vision/stable/models/generated/torchvision.models.mobilenet_v2.html); "
        "MACs: Sandler et al. 2018, arXiv:1801.04381, Table 4 (300 M MAdds; the same table gives 3.4 M params)"),
    "xception": (
        22.910480e6, 8.4e9,
        "params: keras.applications.Xception, 22,910,480 incl. BN (https://keras.io/api/applications/ lists 22.9 M); "
        "MACs: Tan & Le, EfficientNet, ICML 2019 (arXiv:1905.11946), Table 2 (Xception: 23M params, 8.4B FLOPS, "
        "where EfficientNet's FLOPS are multiply-adds: its B0 is 0.39B)"),
    "mnasnet_b1": (
        4.383312e6, 317e6,
        "params: torchvision mnasnet1_0 IMAGENET1K_V1 num_params 4,383,312 "
        "(https://pytorch.org/vision/stable/models/generated/torchvision.models.mnasnet1_0.html; that page's "
        "'GFLOPS 0.31' is rounded too coarsely to test against); MACs: Cai et al., Once-for-All, ICLR 2020 "
        "(arXiv:1908.09791), Table 1 (MnasNet, 74.0% top-1, i.e. the B1 model of MnasNet arXiv:1807.11626v1: "
        "317M MACs)"),
    "proxylessnas_gpu": (
        7.12e6, 465.3e6,
        "mit-han-lab/proxylessnas logs/imagenet_gpu_log.txt: 'Total training params: 7.12M', "
        "'Total FLOPs: 465.3M' (their FLOPs are mult-adds)"),
}

KNOWN_OPS = {"conv2d", "add", "max_pool", "avg_pool", "global_avg_pool", "dense", "activation"}
COMMON = {"name", "op", "inputs", "output"}
OP_MEMBERS = {
    "conv2d": {"filters", "kernel", "stride", "padding", "groups", "activation", "bias"},
    "add": {"activation"},
    "max_pool": {"kernel", "stride", "padding"},
    "avg_pool": {"kernel", "stride", "padding"},
    "global_avg_pool": set(),
    "dense": {"units", "activation", "bias"},
    "activation": {"activation"},
}
TOP = {"format", "version", "name", "description", "source", "input", "outputs", "weights", "layers"}


class ZooError(Exception):
    pass


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def out_dim(n, k, s, pad_lo_hi, padding):
    if padding == "same":
        return -(-n // s)
    if padding == "valid":
        return (n - k) // s + 1
    lo, hi = pad_lo_hi
    return (n + lo + hi - k) // s + 1


def check_model(path):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    where = os.path.basename(path)

    def fail(jpath, msg):
        raise ZooError("%s: %s: %s" % (where, jpath, msg))

    if list(m)[:2] != ["format", "version"]:
        fail("", "first members must be format, version")
    if m["format"] != "fuseplan-model" or m["version"] != 1:
        fail("format", "not fuseplan-model v1")
    for k in m:
        if k not in TOP:
            fail(k, "unknown member")
    shapes = {m["input"]["name"]: list(m["input"]["shape"])}
    names = set()
    params = macs = 0
    kinds = {"dw": 0, "pw": 0, "std": 0}
    for i, l in enumerate(m["layers"]):
        jp = "layers[%d]" % i
        op = l.get("op")
        if op not in KNOWN_OPS:
            fail(jp + ".op", "unknown op (%r)" % op)
        for k in l:
            if k not in COMMON and k not in OP_MEMBERS[op]:
                fail("%s.%s" % (jp, k), "unknown member")
        if l["name"] in names:
            fail(jp + ".name", "duplicate (%s)" % l["name"])
        names.add(l["name"])
        for t in l["inputs"]:
            if t not in shapes:
                fail(jp + ".inputs", "dangling tensor (%s)" % t)
        if l["output"] in shapes:
            fail(jp + ".output", "tensor already defined (%s)" % l["output"])
        ins = [shapes[t] for t in l["inputs"]]
        nin = 2 if op == "add" else 1
        if len(ins) != nin:
            fail(jp + ".inputs", "needs %d inputs" % nin)
        act = l.get("activation", "none")
        if act not in ("none", "relu", "relu6"):
            fail(jp + ".activation", "bad value (%s)" % act)
        if op == "activation" and "activation" not in l:
            fail(jp + ".activation", "required")
        h, w, c = ins[0]
        if op == "conv2d":
            f = l["filters"]
            kh, kw = pair(l["kernel"])
            sh, sw = pair(l.get("stride", 1))
            g = l.get("groups", 1)
            pad = l.get("padding", "same")
            if c % g or f % g:
                fail(jp + ".groups", "does not divide channels (%d)" % g)
            if isinstance(pad, list):
                t, b, le, r = pad
                for p, k in ((t, kh), (b, kh), (le, kw), (r, kw)):
                    if not 0 <= p <= k - 1:
                        fail(jp + ".padding", "out of range (%r)" % pad)
                ho, wo = out_dim(h, kh, sh, (t, b), pad), out_dim(w, kw, sw, (le, r), pad)
            elif pad in ("same", "valid"):
                ho, wo = out_dim(h, kh, sh, None, pad), out_dim(w, kw, sw, None, pad)
            else:
                fail(jp + ".padding", "bad value (%r)" % pad)
            if g == c == f:
                kinds["dw"] += 1
                if (kh, kw) not in ((3, 3), (5, 5), (7, 7)) or sh != sw or sh not in (1, 2):
                    fail(jp, "DW kernel/stride not run by the backend")
            elif (kh, kw) == (1, 1) and (sh, sw) == (1, 1) and g == 1 and (
                    pad in ("same", "valid") or pad == [0, 0, 0, 0]):
                kinds["pw"] += 1
            else:
                kinds["std"] += 1
            params += kh * kw * (c // g) * f + (f if l.get("bias", True) else 0)
            macs += ho * wo * f * kh * kw * (c // g)
            out = [ho, wo, f]
        elif op == "add":
            if ins[0] != ins[1]:
                fail(jp + ".inputs", "shapes differ (%r vs %r)" % (ins[0], ins[1]))
            out = list(ins[0])
        elif op in ("max_pool", "avg_pool"):
            k = l["kernel"]
            kh, kw = pair(k)
            sh, sw = pair(l.get("stride", k))
            pad = l.get("padding", "valid")
            if isinstance(pad, list):
                out = [out_dim(h, kh, sh, pad[0:2], pad), out_dim(w, kw, sw, pad[2:4], pad), c]
            else:
                out = [out_dim(h, kh, sh, None, pad), out_dim(w, kw, sw, None, pad), c]
        elif op == "global_avg_pool":
            out = [1, 1, c]
        elif op == "dense":
            if (h, w) != (1, 1):
                fail(jp + ".inputs", "dense input must be [1, 1, C] (%r)" % ins[0])
            u = l["units"]
            params += c * u + (u if l.get("bias", True) else 0)
            macs += c * u
            out = [1, 1, u]
        else:  # activation
            out = list(ins[0])
        if min(out) < 1:
            fail(jp, "empty output shape (%r)" % out)
        shapes[l["output"]] = out
    for o in m["outputs"]:
        if o not in shapes:
            fail("outputs", "unknown tensor (%s)" % o)
    return m["name"], params, macs, len(m["layers"]), kinds, shapes[m["outputs"][0]]


def pct(ours, ref):
    return 100.0 * (ours - ref) / ref


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    mdir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "models")
    files = sorted(f for f in os.listdir(mdir) if f.endswith(".json"))
    ok = True
    print("%-17s %6s %4s %4s %4s %12s %12s %7s %14s %14s %7s" % (
        "model", "layers", "DW", "PW", "std", "params", "published", "diff%", "MACs", "published", "diff%"))
    for fname in files:
        try:
            name, params, macs, nl, kinds, _ = check_model(os.path.join(mdir, fname))
        except (ZooError, KeyError, ValueError, TypeError) as e:
            print("FAIL %s: %s" % (fname, e))
            ok = False
            continue
        pub = PUBLISHED.get(name)
        if pub is None:
            print("%-17s no published figures" % name)
            ok = False
            continue
        pp, pm, _ = pub
        dp = pct(params, pp)
        dm = pct(macs, pm) if pm else None
        bad = abs(dp) > 100 * TOLERANCE or (dm is not None and abs(dm) > 100 * TOLERANCE)
        ok = ok and not bad
        print("%-17s %6d %4d %4d %4d %12d %12d %+7.2f %14d %14s %7s%s" % (
            name, nl, kinds["dw"], kinds["pw"], kinds["std"], params, pp, dp, macs,
            "%d" % pm if pm else "-", "%+.2f" % dm if dm is not None else "-", "  FAIL" if bad else ""))
    print()
    for name in sorted(PUBLISHED):
        print("%s: %s" % (name, PUBLISHED[name][2]))
    print("\n%s" % ("all models within %.0f%% of published figures" % (100 * TOLERANCE) if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
