#!/usr/bin/python3
"""Load a safetensors file (for example one written by Torus's Checkpoint or TrainingCheckpoint)
into PyTorch tensors without the `safetensors` package, which Debian does not ship.

    scripts/torch-load-safetensors.py FILE [--quiet]

The format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian header
length N, N bytes of UTF-8 JSON {"__metadata__": {str: str}, NAME: {"dtype", "shape",
"data_offsets": [BEGIN, END]}, ...}, then the data section, each tensor C-order little-endian at
[BEGIN, END). This script parses the header with `json`, checks that the ranges tile the data
section, builds each tensor with `torch.frombuffer`, and prints the metadata and, per tensor, its
name, dtype, shape, the sum of its elements (float64) and the CRC-32 of its bytes. When the
metadata holds Torus's `torus.data_crc32` (zlib.crc32 of the data section) it is verified.

Exit status: 0 when the file is valid, 1 when it is corrupt, 2 on usage errors.
Needs Debian's python3-torch (run with /usr/bin/python3).
"""
import json
import struct
import sys
import zlib

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def fail(path, what):
    print(f"{path}: corrupt: {what}", file=sys.stderr)
    sys.exit(1)


def load(path):
    """Returns (metadata dict, list of (name, tensor, crc32)) in header order."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail(path, f"{len(blob)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        fail(path, f"header length {n} does not fit in {len(blob)} bytes (truncated?)")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = bytearray(blob[8 + n:])  # writable, so torch.frombuffer does not warn

    end = 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = e["data_offsets"]
        if begin != end:
            fail(path, f"tensor {name!r} starts at data byte {begin}, previous tensor ends at {end}")
        end = stop
    if end != len(data):
        fail(path, f"tensors end at data byte {end} but the data section has {len(data)} bytes")

    tensors = []
    for name, e in header.items():
        dtype = DTYPES.get(e["dtype"])
        if dtype is None:
            fail(path, f"tensor {name!r} has unknown dtype {e['dtype']}")
        begin, stop = e["data_offsets"]
        shape = e["shape"]
        count = 1
        for d in shape:
            count *= d
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape)
        if t.numel() * t.element_size() != stop - begin:
            fail(path, f"tensor {name!r} spans {stop - begin} bytes, {e['dtype']} {shape} needs "
                       f"{t.numel() * t.element_size()}")
        tensors.append((name, t, zlib.crc32(data[begin:stop])))
    return metadata, tensors, n, data


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    if sys.byteorder != "little":
        print("this script assumes a little-endian machine", file=sys.stderr)
        return 2
    path = argv[1]
    metadata, tensors, n, data = load(path)
    print(f"file: {path}")
    print(f"torch {torch.__version__}; header {n} bytes, data {len(data)} bytes, {len(tensors)} tensors")
    if metadata:
        print("metadata:")
        for k, v in metadata.items():
            print(f"  {k} = {v}")
    crc = f"{zlib.crc32(data):08x}"
    recorded = metadata.get("torus.data_crc32")
    if recorded is None:
        print(f"data crc32: {crc} (no torus.data_crc32 to compare with)")
    elif recorded != crc:
        fail(path, f"data section crc32 is {crc} but torus.data_crc32 records {recorded}")
    else:
        print(f"data crc32: {crc} (matches torus.data_crc32)")
    width = max([len(name) for name, _, _ in tensors] + [4])
    print(f"{'name':<{width}}  {'dtype':<14} {'shape':<14} {'sum':>24}  crc32")
    for name, t, c in tensors:
        total = t.to(torch.float64).sum().item()
        shape = "[" + ", ".join(str(d) for d in t.shape) + "]"
        print(f"{name:<{width}}  {str(t.dtype):<14} {shape:<14} {total:>24.17g}  {c:08x}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
