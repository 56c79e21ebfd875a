#!/usr/bin/env python3
"""Writes the bad plans of tests/bad_inputs/plans from good.json (a plan of
tiny.json on gpu.json written by `fuseplan plan tiny.json --gpu gpu.json -o
good.json` from this folder) and prints their manifest lines for
tests/bad_inputs/expected.txt. Each file changes one thing a hostile or
careless edit could; the reader must refuse it naming the field and value.
Re-run after regenerating good.json: python3 make_bad_plans.py"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = json.load(open(os.path.join(HERE, "good.json")))


def unit(p, i):
    return p["units"][i]


CASES = []


def case(name, frag, edit=None, raw=None):
    CASES.append((name, frag, edit, raw))


# variant: any string used to be accepted
case("plan_variant_path", 'units[1].variant: "/etc/passwd" is not a variant name',
     lambda p: unit(p, 1).update(variant="/etc/passwd"))
case("plan_variant_empty", 'units[1].variant: "" is not a variant name',
     lambda p: unit(p, 1).update(variant=""))
case("plan_variant_not_compiled", 'units[1].variant: "pwdwpw_f32_simt_t9x9_c32_k32_n128" is not a compiled variant',
     lambda p: unit(p, 1).update(variant="pwdwpw_f32_simt_t9x9_c32_k32_n128"))
case("plan_variant_other_kind", 'is a dwpw variant but these layers form a pwdwpw unit',
     lambda p: unit(p, 1).update(variant=unit(p, 2)["variant"]))
case("plan_variant_dtype", 'is a fp16 variant but the plan\'s dtype is fp32',
     lambda p: unit(p, 1).update(variant=unit(p, 1)["variant"].replace("_f32_", "_f16_")))
case("plan_variant_number", "units[1].variant: 7 is not a variant name",
     lambda p: unit(p, 1).update(variant=7))
case("plan_variant_missing", "units[1].variant: required member is missing",
     lambda p: unit(p, 1).pop("variant"))
# launch: written, now read back and compared with the derived geometry
case("plan_launch_grid", "units[1].launch.grid[0]: 2147483647 differs from 32",
     lambda p: unit(p, 1)["launch"].update(grid=[2147483647, 65535]))
case("plan_launch_smem", "units[1].launch.smem_bytes: 1000000000 differs from 23808",
     lambda p: unit(p, 1)["launch"].update(smem_bytes=1000000000))
case("plan_launch_block", "units[1].launch.block: 1024 differs from 128",
     lambda p: unit(p, 1)["launch"].update(block=1024))
case("plan_launch_ctas", "units[1].launch.ctas_per_sm: \"9\" differs from 9",
     lambda p: unit(p, 1)["launch"].update(ctas_per_sm="9"))
case("plan_launch_missing", "units[1].launch: required member is missing",
     lambda p: unit(p, 1).pop("launch"))
case("plan_launch_unknown", "units[1].launch.threads: unknown member",
     lambda p: unit(p, 1)["launch"].update(threads=128))
case("plan_launch_grid_arity", "units[1].launch.grid: an array is not [x, y]",
     lambda p: unit(p, 1)["launch"].update(grid=[32]))
# the rest of a unit
case("plan_kind_wrong", 'units[1].kind: "dwpw": expected "pwdwpw"',
     lambda p: unit(p, 1).update(kind="dwpw"))
case("plan_backend_wrong", 'units[1].backend: "cudnn": this unit runs on fuseplan',
     lambda p: unit(p, 1).update(backend="cudnn"))
case("plan_layer_unknown", 'units[2].layers: no layer "nope" in',
     lambda p: unit(p, 2).update(layers=["nope", "pw2"]))
case("plan_layer_twice", "units[2].layers: expand is already in units[1]",
     lambda p: unit(p, 2).update(layers=["expand", "pw2"]))
case("plan_layer_missing", "units: layer pool of",
     lambda p: p["units"].pop(3))
case("plan_layers_empty", "units[2].layers: expected 1 to 3 layer names, got an array",
     lambda p: unit(p, 2).update(layers=[]))
case("plan_residual_unknown", 'units[1].residual: no layer "sum" in',
     lambda p: unit(p, 1).update(residual="sum"))
case("plan_order", "units[1].layers: dw2 reads e before units[2] produces it",
     lambda p: p["units"].insert(1, p["units"].pop(2)))
case("plan_unit_member", "units[0].tile: unknown member",
     lambda p: unit(p, 0).update(tile="4x8"))
case("plan_units_empty", "units: expected a non-empty array, got []",
     lambda p: p.update(units=[]))
# header
case("plan_version_1", "version: 1 is an older plan format", lambda p: p.update(version=1))
case("plan_version_newer", "version: 3 is newer than this fuseplan reads (2)",
     lambda p: p.update(version=3))
case("plan_batch_zero", "batch: 0 is out of range [1, 4096]", lambda p: p.update(batch=0))
case("plan_batch_huge", "batch: 65536 is out of range [1, 4096]", lambda p: p.update(batch=65536))
case("plan_dtype_bad", 'dtype: "fp64" is not fp32, fp16, bf16 or int8', lambda p: p.update(dtype="fp64"))
case("plan_math_bad", 'math: "fast" is not simt or tc', lambda p: p.update(math="fast"))
case("plan_objective_bad", 'objective: "speed" is not time or traffic', lambda p: p.update(objective="speed"))
case("plan_allowed_bad", 'allowed[1]: "conv" is not a fused kind', lambda p: p.update(allowed=["dwpw", "conv"]))
case("plan_allowed_single", 'allowed[0]: "dw" is not a fused kind', lambda p: p.update(allowed=["dw"]))
case("plan_allowed_not_array", 'allowed: expected an array of kinds, got "all"', lambda p: p.update(allowed="all"))
case("plan_forced_not_compiled", 'forced_variants[0]: "pw_f32_simt_t1x1_c1_k1_n1" is not a compiled variant',
     lambda p: p.update(forced_variants=["pw_f32_simt_t1x1_c1_k1_n1"]))
case("plan_forced_twice", "forced_variants[1]: \"dwpw_f32_simt_t2x4_c32_k32_n128\": a second forced dwpw variant",
     lambda p: p.update(forced_variants=["dwpw_f32_simt_t2x4_c32_k32_n128"] * 2))
case("plan_unknown_member", "tiles: unknown member", lambda p: p.update(tiles=[]))
case("plan_model_hash", "model.hash: fnv1a64:0000000000000000 does not match",
     lambda p: p["model"].update(hash="fnv1a64:0000000000000000"))
case("plan_gpu_hash", "gpu.hash: fnv1a64:0000000000000000 does not match",
     lambda p: p["gpu"].update(hash="fnv1a64:0000000000000000"))
case("plan_model_file_missing", "model.file: nope/none.json: no such file",
     lambda p: p["model"].update(file="nope/none.json"))
case("plan_model_file_empty", "model.file: must not be empty", lambda p: p["model"].update(file=""))
case("plan_model_file_dir", "/.: cannot read: is a directory", lambda p: p["model"].update(file="."))
case("plan_gpu_file_is_model", 'tiny.json: format: "fuseplan-model" is not "fuseplan-gpu": this file is a model',
     lambda p: p["gpu"].update(file="tiny.json"))
case("plan_model_not_object", 'model: expected an object, got "tiny.json"', lambda p: p.update(model="tiny.json"))
# text-level: names with NUL, bytes that are not UTF-8, control characters
case("plan_name_nul", "\\u0000 (a NUL character) inside a string",
     raw=lambda t: t.replace(b'"pw2"', b'"pw2\\u0000x"', 1))
case("plan_invalid_utf8", "a byte that is not UTF-8", raw=lambda t: t.replace(b'"pw2"', b'"pw2\xff"', 1))
case("plan_raw_control", "a raw control character inside a string",
     raw=lambda t: t.replace(b'"pw2"', b'"pw2\x1b"', 1))
case("plan_bidi_layer", 'no layer "pw2\\u202E" in', lambda p: unit(p, 2).update(layers=["dw2", "pw2\u202e"]))


def main():
    good_bytes = open(os.path.join(HERE, "good.json"), "rb").read()
    for name, frag, edit, raw in CASES:
        path = os.path.join(HERE, name + ".json")
        if raw:
            data = raw(good_bytes)
            assert data != good_bytes, name
        else:
            p = copy.deepcopy(GOOD)
            edit(p)
            data = (json.dumps(p, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        open(path, "wb").write(data)
        print("plans/%s.json\t%s" % (name, frag))


main()
