"""CuPy tensors through MPI on 2 ranks (host staging, and CUDA-aware MPI when asked for
with CHAINRULE_MPI_CUDA_AWARE=1). Runs only where CuPy sees a GPU."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

cupy = pytest.importorskip("cupy")
pytest.importorskip("mpi4py")
if not __import__("chainrule").cupy_available():
    pytest.skip("no CUDA device for cupy", allow_module_level=True)

SCRIPT = textwrap.dedent("""
    import numpy as np, chainrule as cr, chainrule.nn as nn, chainrule.nn.functional as F
    import chainrule.distributed as dist
    rank, size, _ = dist.init()
    t = cr.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) + rank).to("cuda")
    dist.all_reduce(t)
    assert t.device == "cuda"
    np.testing.assert_array_equal(t.numpy(), sum(np.arange(6).reshape(2, 3) + r
                                                 for r in range(size)))
    parts = [cr.zeros(3).to("cuda") for _ in range(size)]
    dist.all_gather(parts, cr.full((3,), float(rank)).to("cuda"))
    assert [float(p.numpy()[0]) for p in parts] == [float(r) for r in range(size)]

    g = np.random.default_rng(0)
    X = g.standard_normal((8, 5)).astype(np.float32); y = g.integers(0, 2, 8)
    results = []
    for device in ("cpu", "cuda"):
        cr.manual_seed(rank)
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).to(device)
        ddp = dist.DistributedDataParallel(model)
        xs = cr.tensor(X[rank::size]).to(device); ys = cr.tensor(y[rank::size]).to(device)
        F.cross_entropy(ddp(xs), ys).backward()
        results.append([p.grad.numpy() for p in model.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    print("ok", rank, flush=True)
""")


@pytest.mark.parametrize("cuda_aware", ["0", "1"])
def test_cupy_tensors_through_mpi(tmp_path, cuda_aware):
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        pytest.skip("could not import mpirun for the GPU check")
    env = dict(os.environ, CHAINRULE_MPI_CUDA_AWARE=cuda_aware)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([mpirun, "-n", "2", sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path,
                       capture_output=True, text=True,
                       start_new_session=True, timeout=300)
    if cuda_aware == "1" and r.returncode != 0 and "ok" not in r.stdout:
        pytest.skip(f"this MPI is not CUDA-aware (gpu): {r.stderr[-300:]}")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == ["0", "1", "ok", "ok"]
