"""The README's example table is what tools/readme_figures.py renders from its record, and
the record reproduces: the rows that take minutes (not the longest) are rerun under `slow`
and must give the same result."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _figures():
    spec = importlib.util.spec_from_file_location("readme_figures",
                                                  ROOT / "tools" / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_rendered_from_the_record():
    figures = _figures()
    results = json.loads(figures.RESULTS.read_text())
    rows = {k: v for k, v in results.items() if not k.startswith("_")}
    assert set(rows) == set(figures.ROWS), "every example has a recorded full-size run"
    readme = figures.README.read_text(encoding="utf-8")
    table = readme.split(figures.BEGIN)[1].split(figures.END)[0].strip()
    assert table == figures.render(rows)


def test_evolution_strategies_reach_90_percent_on_mnist():
    # the bar for the ConvNet trained without backprop; the slow test below reruns
    # both rows and checks that the record reproduces
    recorded = json.loads(_figures().RESULTS.read_text())
    for name in ("evolve-mnist-pgpe", "evolve-mnist-openai-es"):
        assert recorded[name]["result"]["accuracy"] >= 0.90, name


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xor", "autoencoder", "forecast-gru", "forecast-lstm",
                                  "transfer", "mnist1d-mlp", "evolve-mnist-pgpe",
                                  "evolve-mnist-openai-es"])
def test_recorded_results_reproduce(name, tmp_path):
    figures = _figures()
    recorded = json.loads(figures.RESULTS.read_text())[name]["result"]
    fmt = figures.ROWS[name][3]
    assert fmt(figures.run_row(name, tmp_path)["result"]) == fmt(recorded)
