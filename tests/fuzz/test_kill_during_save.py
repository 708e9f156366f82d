"""SIGKILL a process at random points while it saves over and over: the file on disk is
always a complete earlier save, and the next save leaves no temporary file behind."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr

SAVER = """
import sys
import numpy as np
import chainrule as cr
from chainrule.train import save_checkpoint
from chainrule import nn

path, kind = sys.argv[1], sys.argv[2]
model = nn.Linear(512, 512)
i = 0
while True:
    i += 1
    if kind == "save":
        cr.save({"w": np.full(1 << 20, i, np.float32), "i": np.array([i])}, path)
    else:
        with cr.no_grad():
            model.weight.fill_(i)
        save_checkpoint(path, model, epoch=i)
    print(i, flush=True)
"""


def _kill_runs(tmp_path, kind: str, kills: int, seed: int) -> int:
    """Kill ``kills`` saving processes; how many left a temporary file behind."""
    g = np.random.default_rng(seed)
    path = tmp_path / "state.safetensors"
    left_behind = 0
    for k in range(kills):
        p = subprocess.Popen([sys.executable, "-c", SAVER, str(path), kind],
                             stdout=subprocess.PIPE, text=True)
        first = p.stdout.readline()  # one complete save before the kill
        assert first.strip() == "1", first
        time.sleep(float(g.uniform(0, 0.25)))
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        rest = p.stdout.read().split()
        last = int(rest[-1]) if rest else 1
        if kind == "save":
            obj = cr.load(path)
            i = int(obj["i"].numpy()[0])
            assert np.all(obj["w"].numpy() == i)  # complete, not a mix of two saves
        else:
            from chainrule.train import load_checkpoint

            info = load_checkpoint(path)
            i = info["epoch"]
            assert np.all(info["model"]["weight"].numpy() == i)
        # the last reported save, or the one whose rename landed just before the kill
        assert last <= i <= last + 1, (k, last, i)
        left_behind += any(f.endswith(".tmp") for f in os.listdir(tmp_path))
        cr.save({"w": cr.ones(1)}, tmp_path / "other.safetensors")  # another target
        cr.save({"after": cr.ones(1)}, path)  # the next save cleans up after the dead one
        stray = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
        assert not stray, (k, stray)
    return left_behind


@pytest.mark.parametrize("kind, kills", [("save", 2), ("checkpoint", 1)])
def test_killed_saves_leave_the_previous_file_and_no_temporary_files(tmp_path, kind, kills):
    _kill_runs(tmp_path, kind, kills=kills, seed=0)


@pytest.mark.slow
def test_sixty_killed_saves(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    left = _kill_runs(tmp_path / "a", "save", kills=40, seed=1)
    left += _kill_runs(tmp_path / "b", "checkpoint", kills=20, seed=2)
    assert left > 0  # some kills did land mid-write, so the clean-up was exercised
