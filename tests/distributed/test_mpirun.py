"""Short mpirun checks from the default (single-process) test run: a DDP step, the abort of
a job whose rank raises, and ``chainrule train`` on 2 ranks resumed on 1."""

import csv
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("mpi4py")
MPIRUN = shutil.which("mpirun") or shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="could not import mpirun (the mpich "
                                                       "wheel of chainrule[mpi] provides it)")


def _env():
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTEST_XDIST_WORKER", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


def _mpirun(n, args, cwd, timeout=120):
    return subprocess.run([MPIRUN, "-n", str(n), *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True,
                          start_new_session=True, timeout=timeout)


STEP = textwrap.dedent("""
    import numpy as np, chainrule as cr, chainrule.nn as nn, chainrule.nn.functional as F
    import chainrule.distributed as dist
    rank, size, _ = dist.init()
    cr.manual_seed(rank)                       # different weights: the broadcast repairs them
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2))
    ddp = dist.DistributedDataParallel(model)
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    g = np.random.default_rng(0)
    X = g.standard_normal((4, 8, 5)).astype(np.float32); y = g.integers(0, 2, (4, 8))
    for s in range(4):
        opt.zero_grad()
        F.cross_entropy(ddp(cr.tensor(X[s, rank::size])), cr.tensor(y[s, rank::size])).backward()
        opt.step()
    flat = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    # one file per rank: the ranks' stdout lines can interleave in mpirun's forwarding
    with open(f"rank{rank}.txt", "w") as f:
        f.write(f"{rank} {size} {flat.tobytes().hex()}")
""")


def test_two_ranks_end_with_identical_weights(tmp_path):
    r = _mpirun(2, [sys.executable, "-c", STEP], tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [(tmp_path / f"rank{k}.txt").read_text().split() for k in range(2)]
    assert [row[:2] for row in rows] == [["0", "2"], ["1", "2"]]
    assert rows[0][2] == rows[1][2]  # bit-identical replicas


RAISES = textwrap.dedent("""
    import chainrule.distributed as dist
    rank, size, _ = dist.init()
    if rank == 1:
        raise ValueError("rank one cannot go on")
    dist.barrier()                             # rank 0 would wait here forever
    print("unreachable")
""")


def test_a_rank_that_raises_ends_the_job_with_its_error(tmp_path):
    start = time.perf_counter()
    r = _mpirun(2, [sys.executable, "-c", RAISES], tmp_path, timeout=60)
    elapsed = time.perf_counter() - start
    assert r.returncode != 0
    assert "ValueError: rank one cannot go on" in r.stderr
    assert "rank 1 of 2" in r.stderr
    assert "unreachable" not in r.stdout
    assert elapsed < 30, f"the job took {elapsed:.1f}s to end"


def _history(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_chainrule_train_on_two_ranks_then_resume_on_one(tmp_path):
    out = tmp_path / "run"
    r = _mpirun(2, [sys.executable, "-m", "chainrule", "train", "--epochs", "1", "--out",
                    str(out)], tmp_path, timeout=180)
    assert r.returncode == 0, r.stderr
    # one process prints: one header, one epoch line, one result
    assert r.stdout.count("chainrule train: digits") == 1, r.stdout
    assert r.stdout.count("epoch 1/1") == 1, r.stdout
    assert r.stdout.count("test accuracy") == 1, r.stdout
    for name in ("model.safetensors", "checkpoint.safetensors", "history.csv", "loss.png"):
        assert (out / name).is_file(), name
    first = _history(out / "history.csv")
    assert len(first) == 1

    env = _env()
    r = subprocess.run([sys.executable, "-m", "chainrule", "train", "--resume",
                        str(out / "checkpoint.safetensors"), "--epochs", "2", "--quiet"],
                       cwd=tmp_path, env=env, capture_output=True, text=True,
                       start_new_session=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout
    rows = _history(out / "history.csv")
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert rows[0] == first[0]  # the 2-rank epoch is kept as it was
    assert float(rows[1]["loss"]) < float(rows[0]["loss"])
