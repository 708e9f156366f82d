"""examples/sklearn_grid.py runs end to end with tiny settings."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sklearn_grid.py"


def test_sklearn_grid_reports_both_estimators(capsys):
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("example_sklearn_grid", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--epochs", "3", "--folds", "2", "--jobs", "1", "--hidden", "16",
                           "--lr", "0.01"])
    assert set(results) == {"chainrule NNClassifier", "sklearn MLPClassifier"}
    for r in results.values():
        assert r["cv_accuracy"] > 0.7 and r["seconds"] > 0
    assert results["chainrule NNClassifier"]["best_params"] == {"module__hidden": (16,),
                                                                "optimizer__lr": 0.01}
    assert capsys.readouterr().out.count("best CV accuracy") == 2
