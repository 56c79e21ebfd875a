#!/usr/bin/env python3
"""Writes the small ONNX files of tests/onnx/: good/ (models the importer must
accept: float16 weights, external data, BatchNormalization, Clip with constant
inputs, MaxPool/AveragePool, MatMul + Add) and bad/ (one defect each, with the
fragment of the one-line error in bad/expected.txt).

Plain Python: a minimal protobuf writer for the few ONNX messages needed (field
numbers from onnx.proto), so no onnx package is required.
usage: make_cases.py [DIR]   (default: this script's folder)
"""
import os
import struct
import sys

F32, I64, F16 = 1, 7, 10


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    return varint(num << 3 | wire) + payload


def f_int(num, v):
    return field(num, 0, varint(v))


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return field(num, 2, varint(len(b)) + b)


def f_float(num, v):
    return field(num, 5, struct.pack("<f", v))


def tensor(name, dims, dtype=F32, values=None, external=None):
    t = b"".join(f_int(1, d) for d in dims) + f_int(2, dtype) + f_bytes(8, name)
    if external is not None:
        for k, v in external.items():
            t += f_bytes(13, f_bytes(1, k) + f_bytes(2, str(v)))
        return t + f_int(14, 1)
    n = 1
    for d in dims:
        n *= d
    if values is None:
        values = [((i * 37) % 11 - 5) / 10.0 for i in range(n)]
    if dtype == F32:
        raw = struct.pack("<%df" % n, *values)
    elif dtype == F16:
        raw = struct.pack("<%de" % n, *values)
    else:
        raw = struct.pack("<%dq" % n, *[int(v) for v in values])
    return t + f_bytes(9, raw)


def attr_i(name, v):
    return f_bytes(1, name) + f_int(3, v) + f_int(20, 2)


def attr_f(name, v):
    return f_bytes(1, name) + f_float(2, v) + f_int(20, 1)


def attr_ints(name, vs):
    return f_bytes(1, name) + b"".join(f_int(8, v) for v in vs) + f_int(20, 7)


def node(op, inputs, outputs, name, attrs=()):
    n = b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs)
    n += f_bytes(3, name) + f_bytes(4, op)
    return n + b"".join(f_bytes(5, a) for a in attrs)


def value_info(name, dims, dtype=F32):
    dd = b""
    for d in dims:
        dd += f_bytes(1, f_bytes(2, d) if isinstance(d, str) else f_int(1, d))
    ttype = f_int(1, dtype) + f_bytes(2, dd)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, ttype))


def model(nodes, inits, inputs, outputs, opset=13):
    g = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "g")
    g += b"".join(f_bytes(5, t) for t in inits)
    g += b"".join(f_bytes(11, v) for v in inputs) + b"".join(f_bytes(12, v) for v in outputs)
    return f_int(1, 8) + f_bytes(2, "make_cases.py") + f_bytes(7, g) + f_bytes(8, f_bytes(1, "") + f_int(2, opset))


X = value_info("x", ["N", 4, 8, 8])


def conv_model(w=None, conv_attrs=(), w_dims=(8, 4, 3, 3), extra_inits=()):
    attrs = [attr_ints("pads", [1, 1, 1, 1])] + list(conv_attrs)
    inits = [] if w is False else [w if w is not None else tensor("W", list(w_dims))]
    nodes = [node("Conv", ["x", "W"], ["y"], "conv0", attrs)]
    return model(nodes, inits + list(extra_inits), [X], [value_info("y", ["N", w_dims[0], 8, 8])])


def good_tiny(external=None, fp16=False):
    """Conv(fp16 or external W) + BN + Clip(0, 6 as inputs) + DW conv + Relu + Add
    + MaxPool + AveragePool + GlobalAveragePool + Flatten + MatMul + Add."""
    dt = F16 if fp16 else F32
    w0 = tensor("W0", [4, 4, 1, 1], dt, external=external)
    inits = [w0, tensor("B0", [4]),
             tensor("g", [4], values=[1.0, 0.5, 2.0, 1.5]), tensor("b", [4], values=[0.1, -0.1, 0, 0.2]),
             tensor("mu", [4], values=[0, 0.1, -0.2, 0.3]), tensor("var", [4], values=[1, 2, 0.5, 1.5]),
             tensor("lo", [], values=[0.0]), tensor("hi", [], values=[6.0]),
             tensor("Wd", [4, 1, 3, 3]), tensor("M", [4, 3]), tensor("Mb", [3])]
    nodes = [
        node("Conv", ["x", "W0", "B0"], ["c0"], "pw0"),
        node("BatchNormalization", ["c0", "g", "b", "mu", "var"], ["bn0"], "bn0", [attr_f("epsilon", 1e-3)]),
        node("Clip", ["bn0", "lo", "hi"], ["a0"], "clip0"),
        node("Conv", ["a0", "Wd"], ["c1"], "dw1", [attr_i("group", 4), attr_ints("pads", [1, 1, 1, 1])]),
        node("Relu", ["c1"], ["a1"], "relu1"),
        node("Add", ["a1", "a0"], ["s"], "add"),
        node("MaxPool", ["s"], ["p0"], "maxpool", [attr_ints("kernel_shape", [2, 2]), attr_ints("strides", [2, 2])]),
        node("AveragePool", ["p0"], ["p1"], "avgpool",
             [attr_ints("kernel_shape", [3, 3]), attr_ints("pads", [1, 1, 1, 1])]),
        node("GlobalAveragePool", ["p1"], ["gp"], "gap"),
        node("Flatten", ["gp"], ["f"], "flatten"),
        node("Identity", ["f"], ["f2"], "identity"),
        node("MatMul", ["f2", "M"], ["mm"], "matmul"),
        node("Add", ["mm", "Mb"], ["out"], "bias"),
    ]
    return model(nodes, inits, [X], [value_info("out", ["N", 3])])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    good, bad = os.path.join(root, "good"), os.path.join(root, "bad")
    os.makedirs(good, exist_ok=True)
    os.makedirs(bad, exist_ok=True)

    def write(d, name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    write(good, "tiny.onnx", good_tiny())
    write(good, "tiny_fp16.onnx", good_tiny(fp16=True))
    write(good, "tiny_external.onnx", good_tiny(external={"location": "tiny_external.data", "offset": 0, "length": 64}))
    write(good, "tiny_external.data", struct.pack("<16f", *[((i * 7) % 5 - 2) / 4.0 for i in range(16)]))

    cases = []

    def case(name, data, fragment):
        write(bad, name, data)
        cases.append((name, fragment))

    whole = good_tiny()
    case("truncated.onnx", whole[: len(whole) // 2], "not an ONNX model")
    case("not_onnx.onnx", b"name,value\nthis is a CSV file, not ONNX\n", "not an ONNX model")
    case("unsupported_op.onnx",
         model([node("Sigmoid", ["x"], ["y"], "sig0")], [], [X], [value_info("y", ["N", 4, 8, 8])]),
         'node "sig0" (Sigmoid): unsupported op')
    case("grouped_conv.onnx", conv_model(conv_attrs=[attr_i("group", 2)], w_dims=(8, 2, 3, 3)),
         'node "conv0" (Conv): unsupported attribute group = 2')
    case("dilation2.onnx", conv_model(conv_attrs=[attr_ints("dilations", [2, 2])]),
         'node "conv0" (Conv): unsupported attribute dilations = 2')
    case("missing_initializer.onnx", conv_model(w=False),
         'node "conv0" (Conv): dangling input "W"')
    case("int64_weight.onnx", conv_model(w=tensor("W", [8, 4, 3, 3], I64)),
         'node "conv0" (Conv): weight "W" has dtype int64')
    case("external_missing.onnx",
         conv_model(w=tensor("W", [8, 4, 3, 3], external={"location": "no_such_file.bin"})),
         'initializer "W": external data file')
    case("cycle.onnx",
         model([node("Relu", ["x2"], ["x1"], "r1"), node("Add", ["x", "x1"], ["x2"], "a2")], [], [X],
               [value_info("x2", ["N", 4, 8, 8])]),
         "cycle")
    case("dangling_input.onnx",
         model([node("Add", ["x", "ghost"], ["y"], "add0")], [], [X], [value_info("y", ["N", 4, 8, 8])]),
         'node "add0" (Add): dangling input "ghost"')
    case("dynamic_height.onnx",
         model([node("Relu", ["x"], ["y"], "r")], [], [value_info("x", ["N", 4, "H", 8])],
               [value_info("y", ["N", 4, "H", 8])]),
         'dimension 2 is dynamic ("H"): only the batch dimension')
    case("clip_bounds.onnx",
         model([node("Clip", ["x", "lo", "hi"], ["y"], "clip")], [tensor("lo", [], values=[-1.0]),
               tensor("hi", [], values=[1.0])], [X], [value_info("y", ["N", 4, 8, 8])]),
         'node "clip" (Clip): unsupported attribute: Clip(-1, 1)')
    with open(os.path.join(bad, "expected.txt"), "w") as f:
        f.write("# Bad ONNX corpus (written by tests/onnx/make_cases.py): FILE<TAB>fragment of the one-line\n"
                "# error. `fuseplan show FILE` must exit 2 with one line naming the file.\n")
        for name, frag in cases:
            f.write("%s\t%s\n" % (name, frag))


if __name__ == "__main__":
    main()
