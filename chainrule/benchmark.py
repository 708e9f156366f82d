"""Benchmark chainrule against PyTorch on the same CPU, side by side in one run.

    python bench/run.py                 # every workload (or: chainrule bench)
    python bench/run.py mlp-sgd chain   # some of them
    python bench/run.py --quick         # fewer repeats

Each workload is built in both frameworks with the same architecture, the same initial
weights (chainrule's, copied by state_dict key) and the same data; both are warmed up, then
timed interleaved, in alternating short blocks of steps, so that the machine's noise hits
both alike (see ``time_interleaved`` for why blocks and not single steps). The table
gives the median step time of each, the ratio chainrule/PyTorch, the peak memory a training
step adds (measured in a fresh process per framework) and, for GEMM-bound workloads, the
achieved FLOP/s as a fraction of NumPy's float32 matrix-multiply peak on this machine.

Runs without PyTorch too (chainrule's figures only) and always exits 0: targets are for
people to read, not timed tests.

Threads: NumPy's BLAS and PyTorch use every core unless told otherwise. On a machine shared
with other work, many threads per process make timings erratic for both; pin both to one
thread with

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python bench/run.py

(PyTorch takes its thread count from OMP_NUM_THREADS). The header says what was used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = None  # PyTorch, imported by _load_torch when it is installed


def _load_torch():
    """Import PyTorch if it is installed (and wanted); the benchmark runs without it."""
    global torch
    if os.environ.get("CHAINRULE_BENCH_NO_TORCH"):  # a memory child measuring chainrule
        return None
    try:
        import torch as _torch
    except ImportError:
        return None
    _torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1)
    torch = _torch
    return torch


# -- workloads -----------------------------------------------------------------------------
# Each builder returns (step, flops) for one framework: step() runs one training step (or
# one inference call); flops is the arithmetic of one step (None if not GEMM-bound).


def _copy_to_torch(model, tmodel):
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in model.state_dict().items()}
    tmodel.load_state_dict(state)


def _mlp_cr():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def _mlp_torch():
    tn = torch.nn
    return tn.Sequential(tn.Linear(784, 256), tn.ReLU(), tn.Linear(256, 256), tn.ReLU(),
                         tn.Linear(256, 10))


MLP_FLOPS = 6 * 128 * (784 * 256 + 256 * 256 + 256 * 10)  # forward 2BK N, backward twice that


def _classifier(framework, make_cr, make_torch, opt_name, x, y, device="cpu"):
    """A training step of a classifier with cross-entropy, in either framework, on
    ``device`` ("cpu", or "cuda": CuPy for chainrule)."""
    model = make_cr()
    if framework == "chainrule":
        model.to(device)
        opt = (cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if opt_name == "sgd"
               else cr.optim.Adam(model.parameters(), lr=1e-3))
        xb, yb = cr.tensor(x).to(device), cr.tensor(y).to(device)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        return step
    tmodel = make_torch()
    _copy_to_torch(model, tmodel)
    tmodel.to(device)
    opt = (torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9) if opt_name == "sgd"
           else torch.optim.Adam(tmodel.parameters(), lr=1e-3))
    xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    def tstep():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return tstep


def _data(shape, classes, seed=0):
    g = np.random.default_rng(seed)
    return g.standard_normal(shape).astype(np.float32), g.integers(0, classes, shape[0])


def mlp(framework, opt_name):
    x, y = _data((128, 784), 10)
    return _classifier(framework, _mlp_cr, _mlp_torch, opt_name, x, y), MLP_FLOPS


def _cnn_cr():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def _cnn_torch():
    tn = torch.nn
    return tn.Sequential(
        tn.Conv2d(1, 32, 3), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(32, 64, 3), tn.ReLU(), tn.MaxPool2d(2),
        tn.Flatten(), tn.Linear(1600, 128), tn.ReLU(), tn.Linear(128, 10),
    )


# conv1: 26x26 outputs x 32 x 9; conv2: 11x11 x 64 x 32*9; linears; x3 for fwd+bwd
CNN_FLOPS = 3 * 2 * 64 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 128 + 128 * 10)


def cnn(framework):
    x, y = _data((64, 1, 28, 28), 10)
    return _classifier(framework, _cnn_cr, _cnn_torch, "adam", x, y), CNN_FLOPS


class _CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(65, 64)
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.head = nn.Linear(256, 65)

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.head(h)


def _torch_char_lstm():
    tn = torch.nn

    class TCharLSTM(tn.Module):
        def __init__(self):
            super().__init__()
            self.embed = tn.Embedding(65, 64)
            self.lstm = tn.LSTM(64, 256, batch_first=True)
            self.head = tn.Linear(256, 65)

        def forward(self, x):
            h, _ = self.lstm(self.embed(x))
            return self.head(h)

    return TCharLSTM()


LSTM_FLOPS = 3 * 2 * 32 * 64 * (64 * 1024 + 256 * 1024 + 256 * 65)


def lstm(framework, batch: int = 32, seq: int = 64, device: str = "cpu"):
    """The character LSTM's training step (``batch`` x ``seq`` characters) on ``device``."""
    g = np.random.default_rng(0)
    x = g.integers(0, 65, (batch, seq))
    y = g.integers(0, 65, (batch, seq))
    flops = LSTM_FLOPS * batch * seq // (32 * 64)
    model = _CharLSTM()
    if framework == "chainrule":
        model.to(device)
        opt = cr.optim.Adam(model.parameters(), lr=1e-3)
        xb, yb = cr.tensor(x).to(device), cr.tensor(y.reshape(-1)).to(device)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(xb).reshape(-1, 65), yb)
            loss.backward()
            opt.step()

        return step, flops
    tmodel = _torch_char_lstm()
    _copy_to_torch(model, tmodel)
    tmodel.to(device)
    opt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y.reshape(-1)).to(device)

    def tstep():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(xb).reshape(-1, 65), yb)
        loss.backward()
        opt.step()

    return tstep, flops


def chain(framework, device: str = "cpu"):
    """100 elementwise ops on a 16x16 tensor, forward and backward: per-op overhead."""
    a = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    x = cr.tensor(a).to(device).requires_grad_() if framework == "chainrule" else \
        torch.tensor(a, device=device, requires_grad=True)

    def step():
        y = x
        for _ in range(25):
            y = ((y * 1.01) + 0.1).tanh() - 0.05
        y.sum().backward()

    return step, None


def infer(framework):
    """Batch-1 inference latency of the MLP."""
    model = _mlp_cr().eval()
    a = np.random.default_rng(0).standard_normal((1, 784)).astype(np.float32)
    if framework == "chainrule":
        xb = cr.tensor(a)

        def step():
            with cr.no_grad():
                return model(xb)

        return step, None
    tmodel = _mlp_torch().eval()
    _copy_to_torch(model, tmodel)
    xb = torch.from_numpy(a)

    def tstep():
        with torch.no_grad():
            return tmodel(xb)

    return tstep, None


WORKLOADS = {
    "mlp-sgd": (lambda fw: mlp(fw, "sgd"), "MLP 784-256-256-10, batch 128, SGD"),
    "mlp-adam": (lambda fw: mlp(fw, "adam"), "MLP 784-256-256-10, batch 128, Adam"),
    "cnn": (cnn, "CNN 2 conv + 2 linear, batch 64, 28x28, Adam"),
    "lstm": (lstm, "LSTM emb 65->64, LSTM 64->256, linear, batch 32 x seq 64, Adam"),
    "chain": (chain, "100 elementwise ops, 16x16, forward + backward"),
    "infer": (infer, "MLP batch-1 inference"),
}


# -- measurement -----------------------------------------------------------------------------


def gemm_peak(warmup: float = 0.3) -> float:
    """NumPy's float32 matrix-multiply rate on this machine, in FLOP/s.

    The GEMMs run for ``warmup`` seconds before the timed ones: a cold start (BLAS threads
    asleep, the core's clock low) measured half the real rate, and a workload then showed
    more than 100 % of it. ``main`` also measures it again after each workload and keeps the
    best, so the share printed is never of a peak measured on a cold machine.
    """
    a = np.ones((1024, 1024), np.float32)
    t_end = time.perf_counter() + warmup
    a @ a
    while time.perf_counter() < t_end:
        a @ a
    ts = []
    for _ in range(5):
        t = time.perf_counter()
        a @ a
        ts.append(time.perf_counter() - t)
    return 2 * 1024**3 / min(ts)


def time_interleaved(steps: dict, repeats: int, warmup: int = 3, block: int = 5,
                     settle: float = 0.15) -> dict:
    """Median step time of each framework, timed in alternating blocks of ``block`` steps.

    Before each block, its framework runs untimed for ``settle`` seconds: the other
    library's worker threads keep spinning for a while after its last call (OpenBLAS's and
    OpenMP's idle wait), and on a machine with few cores they would otherwise steal the
    cores of whichever framework runs next. Alternating still spreads the machine's noise
    over both alike.
    """
    for s in steps.values():
        for _ in range(warmup):
            s()
    times = {k: [] for k in steps}
    while min(len(v) for v in times.values()) < repeats:
        for k, s in steps.items():
            t_end = time.perf_counter() + settle
            s()
            while time.perf_counter() < t_end:
                s()
            for _ in range(block):
                t = time.perf_counter()
                s()
                times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(framework: str, name: str) -> None:
    """In a fresh process: the peak memory that training steps add (bytes), printed as JSON.

    The peak is the kernel's high-water mark of this process's memory (VmHWM), not
    getrusage's ru_maxrss, which Linux carries over from the parent across exec."""
    step, _ = WORKLOADS[name][0](framework)
    base = _rss_bytes()
    for _ in range(5):
        step()
    print(json.dumps({"peak_extra": max(_peak_rss_bytes() - base, 0)}))


def _peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource  # no /proc/self/status: fall back to getrusage

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_memory(framework: str, name: str) -> float | None:
    env = dict(os.environ)
    if framework == "chainrule":
        env["CHAINRULE_BENCH_NO_TORCH"] = "1"
    try:
        out = subprocess.run(
            [sys.executable, "-m", "chainrule.benchmark", "--memory-child", framework, name],
            capture_output=True, text=True, timeout=600, check=True, env=env,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])["peak_extra"]
    except (subprocess.SubprocessError, ValueError, IndexError, KeyError):
        return None


def import_time(module: str, repeats: int = 5) -> float | None:
    """Median seconds to import ``module`` in a fresh process, from compiled bytecode (as
    after installing a wheel): one untimed import first writes the bytecode to a cache."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        ts = []
        for i in range(repeats + 1):
            r = subprocess.run(
                [sys.executable, "-c",
                 f"import time; t = time.perf_counter(); import {module}; "
                 f"print(time.perf_counter() - t)"],
                capture_output=True, text=True, env=env,
            )
            if r.returncode != 0:
                return None
            if i:
                ts.append(float(r.stdout.strip()))
    return statistics.median(ts)


def _threads() -> str:
    """The thread counts in use, as far as they can be told."""
    blas = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()
                         if i.get("user_api") == "blas") or blas
    except ImportError:
        pass
    out = f"NumPy BLAS threads: {blas or 'default (all cores)'}"
    if torch is not None:
        out += f"; PyTorch threads: {torch.get_num_threads()}"
    return out


def _fmt_time(s):
    return "-" if s is None else (f"{s * 1e3:8.2f} ms" if s >= 1e-3 else f"{s * 1e6:8.1f} us")


def _fmt_mem(b):
    return "-" if b is None else f"{b / 2**20:7.1f} MiB"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="chainrule bench", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*", help=f"some of: {', '.join(WORKLOADS)}, import")
    p.add_argument("--repeats", type=int, default=30, help="timed steps per framework")
    p.add_argument("--quick", action="store_true", help="10 repeats, no memory measurement")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    p.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    _load_torch()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    names = args.workloads or [*WORKLOADS, "import"]
    unknown = [n for n in names if n not in WORKLOADS and n != "import"]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {[*WORKLOADS, 'import']}")
    repeats = 10 if args.quick else args.repeats
    memory = not (args.quick or args.no_memory)
    have_torch = torch is not None

    peak = gemm_peak()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; "
          f"Python {platform.python_version()}, NumPy {np.__version__}, chainrule "
          f"{cr.__version__}" + (f", PyTorch {torch.__version__}" if have_torch else
                                 " (PyTorch not installed: chainrule only)"))
    print(_threads())
    try:
        load = os.getloadavg()[0]
        print(f"load average at start: {load:.2f}")
    except OSError:
        pass
    print(f"NumPy float32 GEMM peak: {peak / 1e9:.0f} GFLOP/s\n")
    header = (f"{'workload':<10} {'chainrule':>11} {'PyTorch':>11} {'ratio':>6} "
              f"{'cr GEMM%':>8} {'cr mem':>11} {'torch mem':>11}")
    print(header)
    print("-" * len(header))
    for name in names:
        if name == "import":
            tc = import_time("chainrule")
            tt = import_time("torch") if have_torch else None
            ratio = f"{tc / tt:6.2f}" if tc and tt else "     -"
            print(f"{'import':<10} {_fmt_time(tc):>11} {_fmt_time(tt):>11} {ratio} "
                  f"{'':>8} {'':>11} {'':>11}")
            continue
        build, _ = WORKLOADS[name]
        step_cr, flops = build("chainrule")
        steps = {"chainrule": step_cr}
        if have_torch:
            steps["torch"] = build("torch")[0]
        t = time_interleaved(steps, repeats)
        tc, tt = t["chainrule"], t.get("torch")
        ratio = f"{tc / tt:6.2f}" if tt else "     -"
        if flops:
            peak = max(peak, gemm_peak(warmup=0.05))
        gemm = f"{flops / tc / peak * 100:7.0f}%" if flops else f"{'':>8}"
        mc = peak_memory("chainrule", name) if memory else None
        mt = peak_memory("torch", name) if memory and have_torch else None
        print(f"{name:<10} {_fmt_time(tc):>11} {_fmt_time(tt):>11} {ratio} {gemm} "
              f"{_fmt_mem(mc):>11} {_fmt_mem(mt):>11}", flush=True)
    print("\nratio = chainrule time / PyTorch time (lower is better); mem = peak memory added "
          "by 5 training steps in a fresh process.")
    for name in names:
        if name in WORKLOADS:
            print(f"  {name:<9} {WORKLOADS[name][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
