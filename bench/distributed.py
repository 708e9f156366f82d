"""Benchmark chainrule.distributed: ``python bench/distributed.py [--quick]``.

Starts its own ``mpirun`` jobs and prints three tables:

1. allreduce: ``dist.all_reduce`` on a float32 Tensor against raw mpi4py ``Allreduce`` on
   a NumPy buffer (MPI's own speed: the peer) on 2 ranks, latency and bus bandwidth;
2. step time of the README's MLP (784-256-256-10, Adam, global batch 128) and CNN (two
   convolutions, Adam, global batch 64) on 1 rank and on 2 ranks, with the global batch
   fixed (strong scaling: each rank takes half) and the local batch fixed (weak scaling);
3. DistributedDataParallel's gradient average after backward against an overlapped
   variant (gradient hooks start an ``Iallreduce`` per bucket as soon as the bucket's
   gradients are all there, and backward goes on).

Each configuration runs in a fresh ``mpirun``; ranks are timed between barriers, so a
step time is the job's, the slowest rank's. BLAS gets one thread per rank (and, for the
1-rank rows, both one and two threads). bench/README.md and docs/distributed.md hold
results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


# -- worker side (runs under mpirun) ------------------------------------------------------------


def _allreduce_worker(sizes: list[int], reps: int) -> dict:
    import numpy as np
    from mpi4py import MPI

    import chainrule as cr
    import chainrule.distributed as dist

    dist.init()
    comm = MPI.COMM_WORLD
    rows = {}
    for nbytes in sizes:
        n = max(1, nbytes // 4)
        a = np.zeros(n, np.float32)  # zeros: repeated sums stay finite
        t = cr.tensor(np.zeros(n, np.float32))
        calls = {"mpi4py": lambda a=a: comm.Allreduce(MPI.IN_PLACE, a),
                 "chainrule": lambda t=t: dist.all_reduce(t)}
        r = reps if nbytes < 2**20 else max(5, reps // 20)
        out = {name: float("inf") for name in calls}
        for _ in range(5):  # alternating blocks, best of five: the machine is shared
            for name, call in calls.items():
                call()
                comm.Barrier()
                t0 = time.perf_counter()
                for _ in range(r):
                    call()
                comm.Barrier()
                out[name] = min(out[name], (time.perf_counter() - t0) / r)
        rows[nbytes] = out
    return rows


def _model(kind: str):
    import chainrule.nn as nn

    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def _overlap_ddp():
    """DDP that starts each bucket's Iallreduce from the gradient hooks, during backward.

    A prototype for the measurement only: it assumes each parameter receives exactly one
    gradient per backward and that ``.grad`` was cleared (true of these two models).
    """
    from mpi4py import MPI

    from chainrule.autograd import queue_callback
    from chainrule.distributed import DistributedDataParallel

    class OverlapDDP(DistributedDataParallel):
        def __init__(self, module, **kw):
            super().__init__(module, **kw)
            self._where = {}
            for bi, b in enumerate(self._buckets):
                for i, p in enumerate(b.params):
                    self._where[id(p)] = (bi, i)
            self._left = [len(b.params) for b in self._buckets]
            self._requests = []

        def _grad_hook(self, grad):
            if not self._expect_sync:
                return None
            if not self._queued:
                self._queued = True
                self._left = [len(b.params) for b in self._buckets]
                self._requests = []
                queue_callback(self._sync_gradients)
            for r in self._requests:  # MPICH progresses a collective only inside MPI calls
                r.Test()
            return None

        def _sync_gradients(self):
            for r in self._requests:
                r.Wait()
            self._expect_sync = self._queued = False
            for b in self._buckets:
                b.write_back(self.world_size)

        def _arrived(self, p, g):
            bi, i = self._where[id(p)]
            b = self._buckets[bi]
            b.grads[b.offsets[i]:b.offsets[i + 1]] = g.array.reshape(-1)
            b.counts[i] = 1
            self._left[bi] -= 1
            if self._left[bi] == 0:
                self._requests.append(MPI.COMM_WORLD.Iallreduce(MPI.IN_PLACE, b.flat))

    return OverlapDDP


def _step_worker(kind: str, local_batch: int, steps: int, mode: str, cap_mb: float) -> dict:
    import numpy as np

    import chainrule as cr
    import chainrule.distributed as dist
    import chainrule.nn.functional as F

    rank, size, _ = dist.init()
    cr.manual_seed(0)
    model = _model(kind)
    if size > 1 and mode == "overlap":
        cls = _overlap_ddp()
        net = cls(model, bucket_cap_mb=cap_mb)
        for p in model.parameters():  # the copy into the bucket happens in the hook
            p.register_hook(lambda g, p=p, net=net: net._arrived(p, g)
                            if net._expect_sync else None)
    elif size > 1:
        net = dist.DistributedDataParallel(model, bucket_cap_mb=cap_mb)
    else:
        net = model
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    g = np.random.default_rng(rank)
    shape = (local_batch, 784) if kind == "mlp" else (local_batch, 1, 28, 28)
    x = cr.tensor(g.standard_normal(shape).astype(np.float32))
    y = cr.tensor(g.integers(0, 10, local_batch))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    blocks = []
    for _ in range(3):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dist.barrier()
        blocks.append((time.perf_counter() - t0) / steps)
    return {"step": min(blocks), "median": sorted(blocks)[1]}


def _worker(argv: list[str]) -> None:
    import chainrule.distributed as dist

    spec = json.loads(argv[0])
    if spec["what"] == "allreduce":
        out = _allreduce_worker(spec["sizes"], spec["reps"])
    else:
        out = _step_worker(spec["kind"], spec["batch"], spec["steps"], spec["mode"],
                           spec.get("cap_mb", 25.0))
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(out), flush=True)


# -- driver ---------------------------------------------------------------------------------------


def _run(n: int, spec: dict, threads: int = 1) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONPATH=ROOT)
    cmd = ["mpirun", "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
           json.dumps(spec)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       start_new_session=True, timeout=900)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{r.stderr[-2000:]}")


def _fmt_time(s: float) -> str:
    return f"{s * 1e6:8.1f} us" if s < 1e-3 else f"{s * 1e3:8.2f} ms"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--only", choices=["allreduce", "scaling", "overlap"], action="append",
                    help="run only these tables (repeatable)")
    args = ap.parse_args(argv)
    only = set(args.only or ["allreduce", "scaling", "overlap"])
    steps = 10 if args.quick else 30
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    if "allreduce" in only:
        sizes = [8, 1024, 2**16, 2**20, 10 * 2**20, 64 * 2**20]
        res = _run(2, {"what": "allreduce", "sizes": sizes, "reps": 200 if args.quick else
                       1000})
        print("\nallreduce, 2 ranks, float32 (bus bandwidth = 2 (n-1)/n bytes / time)")
        print(f"{'bytes':>10} {'mpi4py':>12} {'chainrule':>12} {'ratio':>6} {'mpi4py GB/s':>12}"
              f" {'cr GB/s':>8}")
        for nbytes in sizes:
            m, c = res[str(nbytes)]["mpi4py"], res[str(nbytes)]["chainrule"]
            # bus bandwidth: 2 (n-1)/n = 1 for n = 2
            print(f"{nbytes:>10,} {_fmt_time(m):>12} {_fmt_time(c):>12} {c / m:6.2f} "
                  f"{nbytes / m / 1e9:12.2f} {nbytes / c / 1e9:8.2f}", flush=True)

    if "scaling" in only:
        print("\nstep time (Adam), the job's wall time per step; efficiency against 1 rank "
              "with 1 thread")
        print(f"{'model':6} {'setup':34} {'step':>10} {'samples/s':>10} {'efficiency':>10}")
        rounds = 1 if args.quick else 3
        for kind, B in (("mlp", 128), ("cnn", 64)):
            configs = {  # name: (ranks, local batch, BLAS threads, global batch)
                f"1 rank, batch {B}, 1 thread": (1, B, 1, B),
                f"1 rank, batch {B}, 2 threads": (1, B, 2, B),
                f"2 ranks x {B // 2} (strong)": (2, B // 2, 1, B),
                f"2 ranks x {B} (weak)": (2, B, 1, 2 * B),
            }
            best = {name: float("inf") for name in configs}
            for _ in range(rounds):  # every configuration once a round: the load drifts
                for name, (n, b, threads, _) in configs.items():
                    r = _run(n, {"what": "step", "kind": kind, "batch": b, "steps": steps,
                                 "mode": "sync"}, threads=threads)["step"]
                    best[name] = min(best[name], r)
            one = best[f"1 rank, batch {B}, 1 thread"]
            for name, (n, b, _, total) in configs.items():
                t = best[name]
                # strong: speedup / ranks; weak: time of one rank / time of N at equal work
                eff = None if n == 1 else (one / (n * t) if b < B else one / t)
                e = f"{eff:10.0%}" if eff is not None else " " * 10
                print(f"{kind:6} {name:34} {_fmt_time(t):>10} {total / t:10,.0f} {e}",
                      flush=True)

    if "overlap" in only:
        print("\naverage after backward (sync) vs Iallreduce started from the hooks (overlap), "
              "2 ranks, buckets of 1 MiB")
        print(f"{'model':6} {'sync':>10} {'overlap':>10} {'overlap/sync':>12}")
        for kind, B in (("mlp", 128), ("cnn", 64)):
            t = {}
            for mode in ("sync", "overlap", "sync", "overlap"):  # alternated: shared machine
                r = _run(2, {"what": "step", "kind": kind, "batch": B // 2, "steps": steps,
                             "mode": mode, "cap_mb": 1.0})["step"]
                t[mode] = min(t.get(mode, r), r)
            print(f"{kind:6} {_fmt_time(t['sync']):>10} {_fmt_time(t['overlap']):>10} "
                  f"{t['overlap'] / t['sync']:12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
