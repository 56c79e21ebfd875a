#!/usr/bin/env python3
"""Structure of the pages `fuseplan report` writes, against the JSON they were
made from: every unit present with its numbers, axes labelled, the validate
figures counted, nothing fetched, errors naming file and field, output
deterministic. usage: check_report.py FUSEPLAN SRCDIR WORKDIR"""
import copy
import gzip
import json
import os
import subprocess
import sys
from html.parser import HTMLParser

FP, SRC, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
RUN = os.path.join(SRC, "bench/results/2026-12-06-NVIDIA_H100-restructure-ab/new/mobilenet_v2_b1.json")
RUN64 = os.path.join(SRC, "bench/results/2026-12-06-NVIDIA_H100-restructure-ab/new/mobilenet_v2_b64.json")
VAL = os.path.join(SRC, "bench/results/2026-11-22-NVIDIA_H100-validation/validation-h100_sxm_calibrated.json.gz")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def check(cond, msg):
    if not cond:
        fail(msg)


class Page(HTMLParser):
    """Every element as (tag, attrs, text inside, open-element stack)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elems, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [p["tag"] for p in self.stack]}
        self.elems.append(e)
        if tag not in ("meta", "br", "img", "link", "hr", "input"):  # HTML void elements
            self.stack.append(e)

    def handle_startendtag(self, tag, attrs):
        self.elems.append({"tag": tag, "attrs": dict(attrs), "text": "", "parents": [p["tag"] for p in self.stack]})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for e in self.stack:
            e["text"] += data

    def find(self, tag, cls=None, **attrs):
        out = []
        for e in self.elems:
            if e["tag"] != tag:
                continue
            if cls and cls not in e["attrs"].get("class", "").split():
                continue
            if all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(e)
        return out


def render(*inputs, out="page.html", want=0):
    path = os.path.join(WORK, out)
    r = subprocess.run([FP, "report", *inputs, "-o", path], capture_output=True, text=True)
    check(r.returncode == want, "report %s: exit %d, want %d: %s" % (inputs, r.returncode, want, r.stderr.strip()))
    if want:
        return r
    p = Page()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p.feed(text)
    p.text = text
    return p


def close(a, b, what):
    check(a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b)), "%s: page %r, JSON %r" % (what, a, b))


def common(p, what):
    check("<script" not in p.text.lower(), what + ": a script")
    for e in p.elems:  # nothing fetched: no src, no href but in-page anchors, no CSS url()
        check("src" not in e["attrs"], what + ": src= on <%s>" % e["tag"])
        href = e["attrs"].get("href")
        check(href is None or href.startswith("#"), what + ": href %r" % href)
    check("url(" not in p.text and "@import" not in p.text, what + ": CSS fetches")
    for svg in p.find("svg", "chart"):
        check(svg["attrs"].get("aria-label"), what + ": a chart without a label")
    for lab in p.find("text", "axis-label"):
        check(lab["text"].strip(), what + ": an empty axis label")
    check(len(p.find("text", "x-label")) >= len(p.find("svg", "chart")) - 0, what + ": a chart without an x label")


def check_run(p, doc, what):
    units = doc["units"]
    groups = p.find("g", "unit")
    check(len(groups) == len(units), "%s: %d unit rows, JSON has %d" % (what, len(groups), len(units)))
    for i, u in enumerate(units):
        g = p.find("g", "unit", data_unit=str(i))
        if len(g) != 1:
            fail("%s: unit %d missing" % (what, i))
            continue
        a = g[0]["attrs"]
        close(float(a["data-ours-us"]), u["ours_us"], "%s unit %d ours" % (what, i))
        close(float(a["data-cudnn-us"]), u["cudnn_lbl_us"], "%s unit %d cuDNN" % (what, i))
        close(float(a["data-floor-us"]), u["floor_us"], "%s unit %d floor" % (what, i))
        if "ours_lbl_us" in u:
            close(float(a["data-unfused-us"]), u["ours_lbl_us"], "%s unit %d unfused" % (what, i))
        else:
            check(a["data-unfused-us"] == "-", "%s unit %d: unfused shown for a single layer" % (what, i))
        for l in u["layers"]:
            check(l in g[0]["text"], "%s unit %d: layer %s not named" % (what, i, l))
    t = doc["totals"]
    whole = {b["attrs"]["data-name"]: float(b["attrs"]["data-value"]) for b in p.find("g", "bar", data_kind="whole")}
    close(whole.get("fused plan", -1), t["graph_fused_us"], what + " fused")
    close(whole.get("our unfused plan", -1), t["graph_unfused_us"], what + " unfused")
    close(whole.get("all-cuDNN (faster layout per conv)", -1), t["graph_cudnn_us"], what + " cuDNN")
    check(p.find("text", "x-label") and all(x["text"].strip() for x in p.find("text", "x-label")), what + ": x labels")


def check_val(p, doc, what):
    cands = [c for cs in doc["cases"] for u in cs["units"] for c in u["candidates"]]
    units = [u for cs in doc["cases"] for u in cs["units"]]
    sc = {s["attrs"]["data-what"]: s["attrs"] for s in p.find("div", "scatter")}
    check(set(sc) == {"time", "L2 bytes", "DRAM bytes (cold)"}, "%s: scatter plots %s" % (what, sorted(sc)))
    for k in sc:
        check(int(sc[k]["data-points"]) == len(cands), "%s %s: %s points, %d candidates" % (what, k, sc[k]["data-points"], len(cands)))
    # time within 10%, recomputed here from the JSON
    w10 = sum(1 for c in cands if c["estimate"]["time_us"] > 0 and c["time_us"] > 0
              and abs(c["estimate"]["time_us"] / c["time_us"] - 1) <= 0.10)
    check(int(sc["time"]["data-within10"]) == w10, "%s: time within 10%% %s, JSON %d" % (what, sc["time"]["data-within10"], w10))
    shown = sum(1 for c in cands if c["estimate"]["time_us"] > 0 and c["time_us"] > 0)
    circles = [e for e in p.elems if e["tag"] == "circle" and "pt" in e["attrs"].get("class", "")]
    check(len(circles) >= shown, "%s: %d points drawn, %d expected at least" % (what, len(circles), shown))
    rg = p.find("div", "regret")
    check(rg and int(rg[0]["attrs"]["data-units"]) == len(units), what + ": regret histogram over every unit")
    bins = sum(float(b["attrs"]["data-value"]) for b in p.find("g", "bar", data_kind="regret"))
    check(bins == len(units), "%s: histogram counts %s, units %d" % (what, bins, len(units)))
    for row in p.find("tr", data_key="kernels"):
        close(float(row["attrs"]["data-value"]), doc["summary"]["kernels"], what + " kernels")
    dec = p.find("div", "decisions")
    check(len(dec) == 1, what + ": one confusion table")
    if dec:
        a = dec[0]["attrs"]
        n = sum(int(a[k]) for k in ("data-tp", "data-fp", "data-fn", "data-tn"))
        check(n > 0, what + ": no fusion decisions")
        rows = {r["attrs"]["class"]: r["attrs"] for r in p.find("tr") if "data-agree" in r["attrs"]}
        check(set(rows) == {"model", "never", "always", "majority"}, what + ": baselines " + str(sorted(rows)))
        meas = int(a["data-tp"]) + int(a["data-fn"])
        check(int(rows["always"]["data-agree"]) == meas, what + ": always-fuse baseline")
        check(int(rows["never"]["data-agree"]) == n - meas, what + ": never-fuse baseline")
        # the majority per (kind, batch): at least the global majority, at most every decision
        maj = int(rows["majority"]["data-agree"])
        check(max(meas, n - meas) <= maj <= n, "%s: majority per (kind, batch) %d, global %d" % (what, maj, max(meas, n - meas)))
        # Cohen's kappa from the confusion table
        tp, fp, fn, tn = (int(a[k]) for k in ("data-tp", "data-fp", "data-fn", "data-tn"))
        po, pm, pe_ = (tp + tn) / n, (tp + fp) / n, (tp + fn) / n
        pe = pm * pe_ + (1 - pm) * (1 - pe_)
        if pe < 1:
            k = (po - pe) / (1 - pe)
            check(abs(float(a["data-kappa"]) - k) <= 1e-4, "%s: kappa %s, from the table %.6f" % (what, a["data-kappa"], k))
        # recomputed decisions agree with the summary's count within a few (margin not in old reports)
        agree = int(rows["model"]["data-agree"])
        s = doc["summary"]
        check(n == s["fusion_decisions"], "%s: %d decisions, summary %d" % (what, n, s["fusion_decisions"]))
        check(abs(agree - s["fusion_decisions_agree"]) <= 0.05 * n, "%s: %d agree, summary %d" % (what, agree, s["fusion_decisions_agree"]))


def with_new_fields(doc):
    """A run report as this fuseplan writes it (energy, peaks, FLOPs, math, peers)."""
    d = copy.deepcopy(doc)
    d["math"] = "simt"
    d["gpu_peaks"] = {"spec": "h100_sxm", "dram_gbps": 3350, "l2_gbps": 10000, "fp32_tflops": 66.9,
                      "tc_tf32_tflops": 494.7, "tc_fp16_tflops": 989.4, "tc_bf16_tflops": 989.4, "tc_int8_tops": 1978.9}
    for u in d["units"]:
        u["flops"] = 1e6 * (1 + len(u["layers"]))
        u["min_bytes"] = u["floor_us"] * d["copy_gbps"] * 1e3
    d["energy"] = {"supported": True, "source": "nvmlDeviceGetTotalEnergyConsumption", "counter_period_ms": 25.0,
                   "fused": {"joules_per_inference": 0.0812, "watts": 290.5, "joules": 290.9, "seconds": 1.001, "inferences": 3583},
                   "unfused": {"joules_per_inference": 0.0901, "watts": 291.0, "joules": 291.2, "seconds": 1.0, "inferences": 3231},
                   "cudnn": {"joules_per_inference": 0.2101, "watts": 300.0, "joules": 300.1, "seconds": 1.0, "inferences": 1428}}
    d["peers"] = [{"name": "PyTorch CUDA graph, channels-last", "us": 512.5}]
    return d


def main():
    os.makedirs(WORK, exist_ok=True)
    run = json.load(open(RUN))
    val = json.load(gzip.open(VAL))

    p = render(RUN, out="run.html")
    common(p, "run page")
    check_run(p, run, "run page")
    check(p.find("p", "note") and "No energy" in p.text, "old run report: energy absence said")
    check("No roofline" in p.text, "old run report: roofline absence said")

    new = with_new_fields(run)
    newp = os.path.join(WORK, "new_run.json")
    json.dump(new, open(newp, "w"))
    p = render(newp, out="new_run.html")
    common(p, "new run page")
    check_run(p, new, "new run page")
    energy = {b["attrs"]["data-name"]: float(b["attrs"]["data-value"]) for b in p.find("g", "bar", data_kind="energy")}
    close(energy.get("fused plan", -1), 1e3 * new["energy"]["fused"]["joules_per_inference"], "energy fused (mJ)")
    close(energy.get("all-cuDNN", -1), 1e3 * new["energy"]["cudnn"]["joules_per_inference"], "energy cuDNN (mJ)")
    pts = p.find("g", "roof-point")
    check(len(pts) == len(new["units"]), "roofline: %d points, %d units" % (len(pts), len(new["units"])))
    check(any("GFLOP/s" in t["text"] for t in p.find("text", "y-label")), "roofline y axis labelled")
    whole = {b["attrs"]["data-name"] for b in p.find("g", "bar", data_kind="whole")}
    check("PyTorch CUDA graph, channels-last" in whole, "PyTorch peer shown")

    nov = copy.deepcopy(run)
    nov["energy"] = {"supported": False, "reason": "libnvidia-ml.so.1: cannot open shared object file"}
    np_ = os.path.join(WORK, "no_nvml.json")
    json.dump(nov, open(np_, "w"))
    p = render(np_, out="no_nvml.html")
    check("Energy not measured: libnvidia-ml.so.1: cannot open shared object file" in p.text,
          "energy without NVML: the reason is shown")

    p = render(VAL, out="val.html")
    common(p, "validate page")
    check_val(p, val, "validate page")

    # a report written since the decisions are listed, without counters (validate --no-counters)
    small = copy.deepcopy(val)
    small["cases"] = small["cases"][:1]
    for u in small["cases"][0]["units"]:
        for c in u["candidates"]:
            for k in ("counters_steady", "counters_cold", "time_cold_us"):
                c.pop(k, None)
    flags = [(True, True)] * 5 + [(True, False)] * 2 + [(False, True)] + [(False, False)] * 4
    small["cases"][0]["fusion_decisions"] = [
        {"name": "seg%d" % i, "model_fuses": m, "measured_fuses": x, "est_fused_us": 1, "est_layers_us": 2,
         "meas_fused_us": 1, "meas_layers_us": 2} for i, (m, x) in enumerate(flags)]
    sp = os.path.join(WORK, "small_val.json")
    json.dump(small, open(sp, "w"))
    p = render(sp, out="small_val.html")
    common(p, "listed decisions")
    d = p.find("div", "decisions")
    check(d and [d[0]["attrs"]["data-" + k] for k in ("tp", "fp", "fn", "tn")] == ["5", "2", "1", "4"],
          "listed decisions counted: %s" % (d and d[0]["attrs"]))
    check([x["attrs"]["data-what"] for x in p.find("div", "scatter")] == ["time"], "no counters: the time plot only")
    check("recomputed" not in p.text, "listed decisions are not recomputed")

    p = render(RUN, RUN64, VAL, out="several.html")
    common(p, "several")
    check(len(p.find("table", "compare")) == 1, "several run reports: one comparison table")
    check(len(p.find("div", "col")) == 3, "several: one column per report")

    # the same inputs give the same bytes
    a = open(os.path.join(WORK, "run.html"), "rb").read()
    render(RUN, out="run2.html")
    check(a == open(os.path.join(WORK, "run2.html"), "rb").read(), "output is deterministic")

    # errors: exit 2, one line naming the file and the field
    bad = copy.deepcopy(run)
    del bad["units"][3]["ours_us"]
    bp = os.path.join(WORK, "bad.json")
    json.dump(bad, open(bp, "w"))
    r = render(bp, out="x.html", want=2)
    check(r.stderr.strip() == "fuseplan report: %s: units[3].ours_us: missing or not a number" % bp,
          "missing field message: %r" % r.stderr)
    # a time no measurement gives: refused, not drawn
    bad = copy.deepcopy(run)
    bad["units"][2]["cudnn_lbl_us"] = -1
    json.dump(bad, open(bp, "w"))
    r = render(bp, out="x.html", want=2)
    check(r.stderr.strip() == "fuseplan report: %s: units[2].cudnn_lbl_us: -1 is not a time in (0, 1e9] us" % bp,
          "negative time message: %r" % r.stderr)
    bad = copy.deepcopy(run)
    bad["totals"]["graph_fused_us"] = 0
    json.dump(bad, open(bp, "w"))
    r = render(bp, out="x.html", want=2)
    check("totals.graph_fused_us: 0 is not a time" in r.stderr, "zero total message: %r" % r.stderr)
    # -o may not name an input
    r = render(RUN, bp, out="bad.json", want=2)
    check("is the input" in r.stderr and open(bp).read().startswith("{"), "-o naming an input: %r" % r.stderr)
    bad = copy.deepcopy(run)
    bad["format"] = "something-else"
    json.dump(bad, open(bp, "w"))
    r = render(bp, out="x.html", want=2)
    check("format" in r.stderr and bp in r.stderr, "bad format message: %r" % r.stderr)
    open(bp, "w").write("{not json")
    r = render(bp, out="x.html", want=2)
    check("not JSON" in r.stderr and bp in r.stderr, "not-JSON message: %r" % r.stderr)
    r = render(os.path.join(WORK, "no_such.json"), out="x.html", want=2)
    check("no_such.json" in r.stderr, "missing file message: %r" % r.stderr)
    r = subprocess.run([FP, "report", "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "usage: fuseplan report" in r.stdout, "report --help")
    r = subprocess.run([FP, "report", RUN], capture_output=True, text=True)
    check(r.returncode == 2 and "-o" in r.stderr, "report without -o: exit 2")
    r = subprocess.run([FP, "report", RUN, "-o", "/nonexistent/dir/r.html"], capture_output=True, text=True)
    check(r.returncode == 1 and "/nonexistent/dir/r.html" in r.stderr, "unwritable -o: exit 1 naming the path")

    print("%d failed" % failures)
    return 1 if failures else 0


sys.exit(main())
