"""Saved files: permissions as a plain open() would give, no temporary files left behind
by killed saves, and loading that reads the data once, after checking the header."""

import os
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.io import LoadError
from chainrule.train import save_checkpoint

from .._rss import HWM


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    cr.save({"w": cr.ones(2)}, tmp_path / "a.safetensors")
    assert _mode(tmp_path / "a.safetensors") == 0o666 & ~mask
    save_checkpoint(tmp_path / "c.safetensors", nn.Linear(2, 1), epoch=1)
    assert _mode(tmp_path / "c.safetensors") == 0o666 & ~mask


def test_an_existing_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "a.safetensors"
    cr.save({"w": cr.ones(2)}, path)
    os.chmod(path, 0o640)
    umask(0o077)
    cr.save({"w": cr.zeros(2)}, path)
    assert _mode(path) == 0o640
    np.testing.assert_array_equal(cr.load(path)["w"].numpy(), [0, 0])


def test_cli_outputs_follow_the_umask(tmp_path, umask):
    from chainrule.cli import main

    g = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{int(a > 0)}" for a, b in g.normal(size=(20, 2))]
    (tmp_path / "d.csv").write_text("a,b,y\n" + "\n".join(rows) + "\n")
    umask(0o027)
    out = tmp_path / "run"
    assert main(["train", "--dataset", f"csv:{tmp_path / 'd.csv'}", "--target", "y",
                 "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    np.save(tmp_path / "x.npy", np.zeros((2, 2)))
    assert main(["predict", str(out / "model.safetensors"), str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "p.csv")]) == 0
    for name in ("run/model.safetensors", "run/checkpoint.safetensors", "run/history.csv",
                 "p.csv"):
        assert _mode(tmp_path / name) == 0o640, name


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_next_save_removes_temporary_files_of_killed_saves(tmp_path):
    path = tmp_path / "m.safetensors"
    dead = _dead_pid()
    stale = tmp_path / f".m.safetensors.{dead}-0a1b2c3d.tmp"
    stale.write_bytes(b"\0" * 1000)
    live = tmp_path / f".m.safetensors.{os.getppid()}-0a1b2c3d.tmp"  # a running process
    live.write_bytes(b"\0")
    other = tmp_path / f".n.safetensors.{dead}-0a1b2c3d.tmp"  # another target's
    other.write_bytes(b"\0")
    cr.save({"w": cr.ones(2)}, path)
    assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, live.name, other.name])


def test_load_checks_the_header_before_reading_data(tmp_path):
    path = tmp_path / "big.safetensors"
    cr.save({"w": cr.ones(2)}, path)  # a header for 8 bytes of data ...
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) + (1 << 30))  # ... in a 1 GiB (sparse) file
    start = time.perf_counter()
    with pytest.raises(LoadError, match="load: .*big.safetensors is longer than its header"):
        cr.load(path)
    assert time.perf_counter() - start < 0.1


def test_load_peaks_at_about_the_file_size(tmp_path):
    path = tmp_path / "m.safetensors"
    cr.save({"a": np.ones((4096, 2048), np.float32), "b": np.ones(1 << 20, np.int64)}, path)
    size = os.path.getsize(path)
    code = HWM + (
        "import sys\nimport numpy as np\nimport chainrule as cr\n"
        "base = hwm()\n"
        "obj = cr.load(sys.argv[1])\n"
        "assert float(obj['a'].numpy().sum()) == 4096 * 2048\n"
        "print((hwm() - base) * 1024)")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    grown = int(r.stdout)
    assert grown < 1.25 * size, f"load grew by {grown / size:.2f}x the file size"
