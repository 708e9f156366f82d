"""Run the examples at full size and write the README's table of their results.

    python tools/readme_figures.py                 # every row (about an hour on 2 cores)
    python tools/readme_figures.py --only xor autoencoder
    python tools/readme_figures.py --check xor     # rerun rows, compare with the README

Each row runs its example's ``main`` in this process with the arguments its command shows,
records the returned results and the wall-clock in ``docs/figures/examples.json``, and the
README's table (between the ``examples-table`` markers) is rendered from that file. The
runs are seeded and bit-reproducible, so a rerun gives the same result column; wall-clock
depends on the machine and its load (the load average is recorded beside it). Every row
runs in a fresh process with one BLAS thread: the bits of a result depend on how many
threads split its matrix products, so a fixed count is what makes a rerun on another
machine give the same digits.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "docs" / "figures" / "examples.json"
DATA = os.environ.get("CHAINRULE_DATA") or str(ROOT.parent / "shared" / "datasets")
BEGIN, END = "<!-- examples-table:begin -->", "<!-- examples-table:end -->"


def _pct(v: float) -> str:
    return f"{100 * v:.2f} %"


# name: (description, example, argv, how the result reads)
ROWS: dict[str, tuple] = {
    "xor": ("XOR, 2-2-1 sigmoid net, SGD with momentum (Rumelhart, Hinton & Williams 1986)",
            "xor", [],
            lambda r: f"{r['solved']} of {r['seeds']} seeds solved, median "
                      f"{r['median_epochs']:g} epochs"),
    "mnist1d-mlp": ("MNIST-1D MLP (published 68 %)", "mnist1d",
                    ["--model", "mlp", "--verbose", "0"], lambda r: _pct(r["mlp"])),
    "mnist1d-cnn": ("MNIST-1D CNN (published 94 %)", "mnist1d",
                    ["--model", "cnn", "--verbose", "0"], lambda r: _pct(r["cnn"])),
    "mnist1d-gru": ("MNIST-1D GRU (published 91 %)", "mnist1d",
                    ["--model", "gru", "--verbose", "0"], lambda r: _pct(r["gru"])),
    "mnist-mlp": ("MNIST MLP, 8,000/2,000 split of the official test images", "mnist",
                  ["--model", "mlp", "--data-dir", "DATA", "--verbose", "0"],
                  lambda r: _pct(r["mlp"])),
    "mnist-cnn": ("MNIST CNN, same split", "mnist",
                  ["--model", "cnn", "--data-dir", "DATA", "--verbose", "0"],
                  lambda r: _pct(r["cnn"])),
    "evolve-mnist-pgpe": ("MNIST ConvNet (11,274 parameters) trained by PGPE, no backprop, "
                          "same split (EvoJAX, population 64-100 for 2,000+ iterations: "
                          "97.4 %)", "evolve_mnist", ["--data-dir", "DATA", "--verbose", "0"],
                          lambda r: f"{_pct(r['accuracy'])} after {r['generations']} "
                                    f"generations of {r['popsize']}"),
    "evolve-mnist-openai-es": ("the same by OpenAI-ES with Adam (EvoJAX: 96.7 %)",
                               "evolve_mnist",
                               ["--method", "openai-es", "--data-dir", "DATA", "--verbose",
                                "0"],
                               lambda r: f"{_pct(r['accuracy'])} after {r['generations']} "
                                         f"generations of {r['popsize']}"),
    "char-lstm": ("character LSTM on Tiny Shakespeare", "char_lstm",
                  ["--data-dir", "DATA", "--steps", "4000", "--verbose", "0"],
                  lambda r: f"{r['val_loss']:.3f} nats/char validation loss after "
                            f"{r['steps']} steps (uniform: 4.17)"),
    "autoencoder": ("autoencoder on digits (8-number code)", "autoencoder",
                    ["--verbose", "0", "--out", "OUT/autoencoder.png"],
                    lambda r: f"test MSE {r['mse']:.4f} (PCA with 8 components: "
                              f"{r['pca_mse']:.4f})"),
    "forecast-gru": ("forecasting a synthetic series 6 steps ahead, GRU", "forecast",
                     ["--verbose", "0"],
                     lambda r: f"MAE {r['GRU']['mae']:.3f} (naive last value "
                               f"{r['naive last value']['mae']:.3f})"),
    "forecast-lstm": ("the same with an LSTM", "forecast", ["--cell", "lstm", "--verbose", "0"],
                      lambda r: f"MAE {r['LSTM']['mae']:.3f}"),
    "transfer": ("transfer: CNN on digits 0-4, frozen features, 5 labels per class of 5-9",
                 "transfer", ["--verbose", "0"],
                 lambda r: f"frozen features {100 * r['transfer']:.1f} ± "
                           f"{100 * r['transfer_std']:.1f} % vs from scratch "
                           f"{100 * r['scratch']:.1f} ± {100 * r['scratch_std']:.1f} %"),
}


def _command(example: str, argv: list[str]) -> str:
    shown = [a.replace("DATA", "../shared/datasets") for a in argv
             if a not in ("--verbose", "0") and not a.startswith("OUT/")]
    if "--out" in shown:
        shown.remove("--out")
    return " ".join(["python", f"examples/{example}.py", *shown])


_CHILD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("example", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = module.main(json.loads(sys.argv[2]))
with open(sys.argv[3], "w") as f:
    json.dump(result, f)
"""


def run_row(name: str, out_dir: Path) -> dict:
    """Run one row's example in a fresh process with one BLAS thread (so that no state of
    an earlier row, and no thread count, can change its result); its results, wall-clock
    and the load average around it."""
    _, example, argv, _ = ROWS[name]
    argv = [a.replace("DATA", DATA).replace("OUT", str(out_dir)) for a in argv]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    out = out_dir / f"{name}.json"
    load = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CHILD, str(ROOT / "examples" / f"{example}.py"),
                    json.dumps(argv), str(out)], env=env, check=True, cwd=out_dir,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return {"result": json.loads(out.read_text()), "seconds": round(seconds, 1),
            "load": round(max(load, os.getloadavg()[0]), 2)}


def render(results: dict) -> str:
    """The README table from recorded results (rows without results are left out)."""
    lines = ["| example | command | result | time (load average) |",
             "| --- | --- | --- | --- |"]
    for name, (what, example, argv, fmt) in ROWS.items():
        if name not in results:
            continue
        r = results[name]
        minutes = r["seconds"] / 60
        took = f"{minutes:.1f} min" if minutes >= 1 else f"{r['seconds']:.0f} s"
        lines.append(f"| {what} | `{_command(example, argv)}` | {fmt(r['result'])} | "
                     f"{took} ({r['load']:.1f}) |")
    return "\n".join(lines)


def write_readme(results: dict) -> None:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    README.write_text(f"{head}{BEGIN}\n{render(results)}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(ROWS), help="run only these rows")
    parser.add_argument("--check", nargs="+", choices=list(ROWS),
                        help="rerun these rows and compare their results with the record")
    args = parser.parse_args(argv)
    import tempfile

    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.check:
            bad = []
            for name in args.check:
                got = run_row(name, Path(tmp))["result"]
                want = results.get(name, {}).get("result")
                same = ROWS[name][3](got) == ROWS[name][3](want) if want else False
                print(f"{name}: {'same' if same else 'DIFFERENT'}: {ROWS[name][3](got)}")
                bad += [] if same else [name]
            return 1 if bad else 0
        for name in args.only or list(ROWS):
            print(f"running {name} ...", flush=True)
            results[name] = run_row(name, Path(tmp))
            print(f"  {ROWS[name][3](results[name]['result'])} "
                  f"({results[name]['seconds']:.0f} s)", flush=True)
            results["_machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
                                   f"{platform.python_version()}")
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
            write_readme({k: v for k, v in results.items() if not k.startswith("_")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
