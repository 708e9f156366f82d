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
