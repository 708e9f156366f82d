"""``chainrule evolve`` and the evolve examples, at tiny settings."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "datasets"


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "chainrule", "evolve", *args],
                          capture_output=True, text=True, timeout=timeout)


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_cartpole_with_output_and_resume(tmp_path):
    pytest.importorskip("gymnasium")
    pytest.importorskip("cma")
    r = cli("--method", "ga", "--popsize", "4", "--generations", "3", "--out", str(tmp_path),
            "--quiet")
    assert r.returncode == 0, r.stderr
    assert "mean return over 10 fresh episodes" in r.stdout
    assert {p.name for p in tmp_path.iterdir()} >= {"checkpoint.safetensors",
                                                    "model.safetensors", "history.csv"}
    assert len((tmp_path / "history.csv").read_text().splitlines()) == 4
    r = cli("--method", "ga", "--popsize", "4", "--generations", "5", "--resume",
            str(tmp_path / "checkpoint.safetensors"), "--out", str(tmp_path), "--quiet")
    assert r.returncode == 0, r.stderr
    assert len((tmp_path / "history.csv").read_text().splitlines()) == 6


def test_cli_digits_openai_es():
    pytest.importorskip("sklearn")
    r = cli("--task", "digits", "--generations", "2", "--popsize", "20")
    assert r.returncode == 0, r.stderr
    assert "openai-es on digits 64-32-10 MLP, 2,410 parameters, population 20" in r.stdout
    assert "test accuracy" in r.stdout


@pytest.mark.parametrize("args,message", [
    (["--env", "CartPol-v1"], "no gymnasium environment 'CartPol-v1'; did you mean "
                              "CartPole-v1"),
    (["--popsize", "1", "--method", "snes"], "SNES: popsize must be at least 2, got 1"),
    (["--sigma", "0"], "--sigma must be a positive number, got 0.0"),
    (["--env", "Pendulum-v1"], "only Discrete action spaces"),
    (["--resume", "nope.safetensors"], "--resume: no such checkpoint: nope.safetensors"),
])
def test_cli_bad_input_is_one_line(args, message):
    pytest.importorskip("gymnasium")
    r = cli(*args, "--generations", "1")
    assert r.returncode == 2
    assert r.stderr.startswith("chainrule evolve: ") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cartpole_example_runs():
    pytest.importorskip("gymnasium")
    pytest.importorskip("cma")
    table = load("evolve_cartpole").main(methods=("random", "ga"), seeds=1, budget=40)
    assert set(table) == {"random", "ga"} and len(table["ga"]) == 1


def test_digits_example_runs():
    pytest.importorskip("sklearn")
    es_acc, adam_acc = load("evolve_digits").main(generations=3, epochs=1)
    assert 0 <= es_acc <= 1 and adam_acc > 0.5


def test_hybrid_example_lamarckian_wins():
    rows = load("evolve_hybrid").main(dim=4, seeds=2, generations=20)
    assert np.median(rows["Lamarckian GA + descent"]) < min(np.median(rows["GA"]),
                                                             np.median(rows["gradient descent"]))


@pytest.mark.slow
def test_mnist_convnet_example_runs():
    if not (DATA / "mnist").is_dir():
        pytest.skip("no MNIST files in ../shared/datasets")
    for method in ("pgpe", "openai-es"):
        r = load("evolve_mnist").main(["--method", method, "--generations", "2", "--popsize",
                                       "4", "--batch-size", "64", "--data-dir", str(DATA),
                                       "--verbose", "0"])
        assert 0 <= r["accuracy"] <= 1 and r["generations"] == 2


def test_evolve_benchmark_runs(capsys):
    # every row runs and reports a rate; EvoTorch's row is there or says why it is not
    pytest.importorskip("cma")
    spec = importlib.util.spec_from_file_location("bench_evolve", ROOT / "bench" / "evolve.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--generations", "1", "--repeats", "1"])
    out = capsys.readouterr().out
    rates = [line for line in out.splitlines() if line.endswith("generations/s")]
    assert len(rates) >= 5 and all(float(r.split()[-2]) > 0 for r in rates)
    assert "EvoTorch PGPE" in out or "EvoTorch row left out" in out
