#!/usr/bin/env python3
"""PyTorch peer of `fuseplan run` for issue 12: whole-model latency of the
torchvision models that fuseplan ships, in the precisions fuseplan runs.

Method (the one of ../../../shared/tools/peer_whole.py, so that the numbers
compare with docs/results taken by it): torchvision model with random
weights (torch.manual_seed), eval mode, BatchNorm folded into the preceding
convolutions (torch.fx's fuse), channels-last, input randn of (B, 3, 224, 224)
in the element type, torch.backends.cudnn.benchmark on; times are triton's
do_bench medians (CUDA events) of a replayed CUDA graph of the model (warm-up
on a side stream, then captured); torch.compile (default mode unless
PEER_COMPILE_MODE) compiled once per (model, batch, precision) and replayed
in a CUDA graph the same way.

Precisions (PEER_PRECISIONS, default all four):
  fp32_strict  float32, cudnn.allow_tf32 = matmul.allow_tf32 = False
  fp32_tf32    float32, TF32 allowed in cuDNN and matmul
  fp16         float16 (cuDNN tensor ops, FP32 accumulation)
  bf16         bfloat16
Environment: PEER_MODELS (fuseplan model names, default mobilenet_v2,mnasnet_b1),
PEER_BATCHES (1,64), PEER_PRECISIONS, PEER_COMPILE (precisions to compile,
default fp16,bf16; "none" for none), PEER_COMPILE_MODE, PEER_BUDGET_S (skip the
compiles that would start after this many seconds, default 420: torch.compile
takes tens of seconds per configuration), PEER_REP_MS (do_bench rep, 400),
PEER_FP32_LAYOUT (channels_last, or contiguous as peer_whole.py's fp32 rows).
Models fuseplan ships without a torchvision twin (mobilenet_v1,
proxylessnas_gpu, xception) are built from fuseplan's own model file
(models/<name>.json, bench/peers/json_model.py: the same layers, BN already
folded there, random weights); their rows say "source": "fuseplan-json".

Output: one JSON object per line on stdout as each row finishes, and
$OUT/$PEER_FILE (default torch_peer.json; OUT defaults to ., rewritten after every row): {"device", "torch", "cudnn",
"rows": [{model, batch, dtype, math, precision, torch_eager_us,
torch_graph_us, torch_compile_us, compile_s, note}]} with dtype fp32|fp16|bf16
and math the fuseplan name of the same numerics (simt: strict fp32; tc: TF32
or 16-bit tensor ops)."""
import json
import os
import sys
import time

import torch
import torchvision
from torch.fx.experimental.optimization import fuse as fold_bn
from triton.testing import do_bench

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from json_model import JsonModel  # noqa: E402  (beside this script)

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

TORCHVISION = {  # fuseplan model name -> torchvision constructor
    "mobilenet_v2": "mobilenet_v2",
    "mnasnet_b1": "mnasnet1_0",
}
PRECISIONS = {  # name -> (torch dtype, TF32 allowed, fuseplan dtype, fuseplan math)
    "fp32_strict": (torch.float32, False, "fp32", "simt"),
    "fp32_tf32": (torch.float32, True, "fp32", "tc"),
    "fp16": (torch.float16, False, "fp16", "tc"),
    "bf16": (torch.bfloat16, False, "bf16", "tc"),
}


def env_list(name, default):
    v = os.environ.get(name, default)
    return [s for s in v.split(",") if s and s != "none"]


def set_tf32(on):
    torch.backends.cudnn.allow_tf32 = on
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.set_float32_matmul_precision("high" if on else "highest")


def graph_us(fn, x, rep_ms):
    """Median of replays of a CUDA graph of fn(x), in microseconds."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):  # warm-up outside the capture (cuDNN benchmark, autotuning)
            fn(x)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn(x)
    torch.cuda.synchronize()
    return do_bench(g.replay, warmup=50, rep=rep_ms, return_mode="median") * 1e3


def main():
    t_start = time.time()
    dev = "cuda"
    torch.backends.cudnn.benchmark = True
    models = env_list("PEER_MODELS", "mobilenet_v2,mnasnet_b1")
    batches = [int(b) for b in env_list("PEER_BATCHES", "1,64")]
    precisions = env_list("PEER_PRECISIONS", ",".join(PRECISIONS))
    compile_for = set(env_list("PEER_COMPILE", "fp16,bf16"))
    compile_mode = os.environ.get("PEER_COMPILE_MODE", "default")
    budget_s = float(os.environ.get("PEER_BUDGET_S", "420"))
    rep_ms = int(os.environ.get("PEER_REP_MS", "400"))
    fp32_layout = os.environ.get("PEER_FP32_LAYOUT", "channels_last")
    for p in precisions:
        if p not in PRECISIONS:
            sys.exit(f"torch_peer.py: unknown precision {p} (one of {', '.join(PRECISIONS)})")
    out = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cudnn": torch.backends.cudnn.version(),
        "method": "torchvision (or the fuseplan model file, json_model.py), random weights, BN folded (fx fuse), eval, channels-last, "
        "do_bench median of a replayed CUDA graph; torch.compile mode " + compile_mode,
        "rows": [],
    }

    path = os.path.join(os.environ.get("OUT", "."), os.environ.get("PEER_FILE", "torch_peer.json"))

    def save():
        out["elapsed_s"] = time.time() - t_start
        with open(path + ".tmp", "w") as f:
            json.dump(out, f, indent=1)
        os.replace(path + ".tmp", path)

    def emit(row):  # the file is rewritten after every row: a timeout keeps what was measured
        out["rows"].append(row)
        print(json.dumps(row), flush=True)
        save()

    for name in models:
        torch.manual_seed(0)
        if name in TORCHVISION:
            source, chw = "torchvision", (3, 224, 224)
            base = getattr(torchvision.models, TORCHVISION[name])(weights=None).eval()
            base = fold_bn(base)  # BatchNorm folded into the convolutions
        else:
            model_file = os.path.join(REPO, "models", name + ".json")
            if not os.path.exists(model_file):
                sys.exit(f"torch_peer.py: model {name}: no torchvision twin and no {model_file}")
            source = "fuseplan-json"
            base = JsonModel(model_file).eval()
            chw = base.input_shape
        for p in precisions:
            tdt, tf32, dt, math = PRECISIONS[p]
            set_tf32(tf32)
            fmt = torch.channels_last
            if tdt == torch.float32 and fp32_layout == "contiguous":
                fmt = torch.contiguous_format
            m = base.to(dev, tdt).to(memory_format=fmt)
            for b in batches:
                torch.manual_seed(1)
                x = torch.randn(b, *chw, device=dev, dtype=tdt).to(memory_format=fmt)
                row = dict(model=name, batch=b, dtype=dt, math=math, precision=p, source=source,
                           torch_eager_us=None, torch_graph_us=None, torch_compile_us=None,
                           compile_s=None, note="")
                with torch.inference_mode():
                    row["torch_eager_us"] = do_bench(lambda: m(x), warmup=20, rep=rep_ms // 2,
                                                     return_mode="median") * 1e3
                    row["torch_graph_us"] = graph_us(m, x, rep_ms)
                if p in compile_for:
                    if time.time() - t_start > budget_s:
                        row["note"] = f"torch.compile skipped: past PEER_BUDGET_S={budget_s:.0f}"
                    else:
                        torch._dynamo.reset()
                        t0 = time.time()
                        try:
                            cm = torch.compile(m, mode=compile_mode)
                            with torch.inference_mode():
                                cm(x)
                                torch.cuda.synchronize()
                                row["compile_s"] = time.time() - t0
                                row["torch_compile_us"] = graph_us(cm, x, rep_ms)
                        except Exception as e:  # report it in the row, keep measuring
                            row["note"] = f"torch.compile failed: {type(e).__name__}: {e}"[:300]
                emit(row)
            del m
            torch.cuda.empty_cache()
    save()
    print(f"torch_peer.py: {len(out['rows'])} rows in {out['elapsed_s']:.0f} s -> {path}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
