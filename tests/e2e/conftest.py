"""Shared fixtures for the CLI end-to-end tests: the dsinfer binary (env DSINFER, set by
CTest), a runner that fails on crashes, and a minimal safetensors reader/writer used to
damage checkpoints on purpose."""
import json
import os
import pathlib
import struct
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = REPO / "tests" / "data" / "configs"
TINY_CONFIGS = ["llama", "qwen2", "deepseek_v2_lite", "deepseek_v2", "deepseek_v3", "deepseek_v3_fp8"]


@pytest.fixture(scope="session")
def dsinfer():
    path = os.environ.get("DSINFER")
    if not path:
        pytest.skip("DSINFER is not set (ctest sets it to the built binary)")
    assert os.access(path, os.X_OK), f"DSINFER={path} is not an executable"
    return path


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.all = proc.stdout + proc.stderr

    def json(self):
        return json.loads(self.out)


@pytest.fixture(scope="session")
def run(dsinfer):
    def _run(*args, timeout=120):
        proc = subprocess.run([dsinfer, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout)
        # A negative return code is a signal: never acceptable, whatever the input.
        assert proc.returncode >= 0, f"dsinfer {args} died by signal {-proc.returncode}\n{proc.stderr}"
        return Run(proc)
    return _run


@pytest.fixture(scope="session")
def checkpoints(run, tmp_path_factory):
    """Random checkpoints of every tiny config, written once: name -> directory."""
    root = tmp_path_factory.mktemp("checkpoints")
    made = {}
    for name in TINY_CONFIGS:
        out = root / name
        r = run("random-checkpoint", CONFIGS / f"{name}.json", out, "--seed", 1)
        assert r.rc == 0, r.all
        made[name] = out
    return made


def read_safetensors(path):
    """-> (header dict without __metadata__, metadata, {name: bytes})"""
    raw = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    blobs = {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in header.items()}
    return header, metadata, blobs


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: (dtype, shape, bytes)}; lays them out contiguously."""
    header, offset, parts = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        parts.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(parts))


def edit_checkpoint(src, dst, edit):
    """Copies single-file checkpoint `src` to `dst`, passing its tensors through `edit`."""
    import shutil
    shutil.copytree(src, dst)
    header, metadata, blobs = read_safetensors(dst / "model.safetensors")
    tensors = {k: (v["dtype"], v["shape"], blobs[k]) for k, v in header.items()}
    edit(tensors)
    write_safetensors(dst / "model.safetensors", tensors, metadata)
    return dst
