"""The benchmark runs with or without PyTorch and always exits 0 (its targets are read, not
asserted: timings on shared machines are no test)."""

import pytest

from chainrule import benchmark


def test_runs_without_torch(monkeypatch, capsys):
    monkeypatch.setenv("CHAINRULE_BENCH_NO_TORCH", "1")
    monkeypatch.setattr(benchmark, "torch", None)
    assert benchmark.main(["chain", "infer", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch not installed" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("chain ", "infer "))]
    assert [r[0] for r in rows] == ["chain", "infer"]
    assert all(r[3] == "-" for r in rows)  # no PyTorch time, no ratio


def test_ratio_against_torch(capsys):
    pytest.importorskip("torch")
    assert benchmark.main(["chain", "--quick"]) == 0
    row = next(line.split() for line in capsys.readouterr().out.splitlines()
               if line.startswith("chain "))
    assert float(row[5]) > 0  # a ratio was computed


def test_unknown_workload_is_a_usage_error():
    with pytest.raises(SystemExit) as e:
        benchmark.main(["resnet"])
    assert e.value.code == 2


def test_cli_hands_bench_its_arguments(capsys):
    from chainrule.cli import main

    with pytest.raises(SystemExit) as e:
        main(["bench", "--help"])
    assert e.value.code == 0
    assert "chainrule bench" in capsys.readouterr().out


def test_gemm_share_is_of_a_warm_peak(monkeypatch, capsys):
    # A peak measured on a cold machine (first call) must not be what a workload's share is
    # taken of: the share printed comes from the best peak seen, measured again after the row.
    peaks = iter([1e6, 1e15])
    monkeypatch.setattr(benchmark, "gemm_peak", lambda warmup=0.3: next(peaks))
    monkeypatch.setattr(benchmark, "torch", None)
    assert benchmark.main(["mlp-sgd", "--quick", "--no-memory"]) == 0
    row = next(line.split() for line in capsys.readouterr().out.splitlines()
               if line.startswith("mlp-sgd "))
    share = next(v for v in row if v.endswith("%"))
    assert float(share[:-1]) <= 100


def _gpu_bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "gpu.py"
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_bench_runs_its_workloads_at_toy_sizes_on_a_cpu(capsys):
    pytest.importorskip("torch")
    results = _gpu_bench().main(["--device", "cpu", "--tiny", "--repeats", "2",
                                 "mlp", "transformer", "chain"])
    assert set(results) == {"mlp", "transformer", "chain"}
    assert all(r["chainrule"] > 0 and r["torch"] > 0 for r in results.values())


def test_gpu_bench_transformer_is_the_same_model_in_both_frameworks():
    torch = pytest.importorskip("torch")
    import numpy as np

    import chainrule as cr
    from chainrule import benchmark, nn

    gpu = _gpu_bench()
    benchmark._load_torch()
    cr.manual_seed(0)
    model = gpu._gpt(nn, 8, 16, 2, 2, 0.0).eval()
    tmodel = gpu._gpt(torch.nn, 8, 16, 2, 2, 0.0).eval()
    benchmark._copy_to_torch(model, tmodel)
    x = np.random.default_rng(1).integers(0, 65, (3, 8))
    mask = np.triu(np.ones((8, 8), dtype=bool), k=1)
    ours = model(cr.tensor(x), cr.arange(8), cr.tensor(mask)).numpy()
    with torch.no_grad():
        theirs = tmodel(torch.from_numpy(x), torch.arange(8), torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
