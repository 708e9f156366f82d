"""``chainrule train/evaluate/predict`` on CSV files with text labels and text features:
class names and one-hot categories kept in the checkpoint's config."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli_checks import ConfigError, check_config
from chainrule.train import read_config

SPECIES = ["setosa", "versicolor", "virginica"]
SOILS = ["clay", "loam", "sand"]
HEADER = "sepal,petal,soil,species"


def _rows(n, seed):
    """Three well separated species; the soil shifts the petal width, so it matters."""
    g = np.random.default_rng(seed)
    k = g.integers(0, 3, n)
    soil = g.integers(0, 3, n)
    sepal = 2.0 * k + g.normal(0, 0.3, n)
    petal = -1.5 * k + 0.5 * soil + g.normal(0, 0.3, n)
    return [(f"{a:.3f}", f"{b:.3f}", SOILS[s], SPECIES[c])
            for a, b, s, c in zip(sepal, petal, soil, k)]


def _write(path, rows, header=HEADER):
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    return path


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("iris")
    path = _write(out / "iris.csv", _rows(150, 0))
    r = subprocess.run([sys.executable, "-m", "chainrule", "train", "--dataset", f"csv:{path}",
                        "--target", "species", "--epochs", "20", "--out", str(out / "run"),
                        "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    accuracy = float(r.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.9, r.stdout
    return out / "run" / "model.safetensors"


def test_the_checkpoint_keeps_class_names_and_categories(iris_run):
    config = read_config(iris_run)
    assert config["classes"] == SPECIES and config["num_classes"] == 3
    assert config["categories"] == {"soil": SOILS}
    assert config["columns"] == ["sepal", "petal", "soil"] and config["input_shape"] == [5]
    check_config(config, None, "test")


def test_evaluate_works_from_the_stored_encoding(iris_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(iris_run), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["accuracy"] >= 0.9


def test_predict_prints_class_names_and_named_probabilities(iris_run, tmp_path, capsys):
    from chainrule.cli import _load_model, _prepare
    from chainrule.train import predict

    rows = _rows(12, 1)
    # columns in another order, the label column present: matched by name, label dropped
    path = _write(tmp_path / "x.csv", [(r[3], r[2], r[1], r[0]) for r in rows],
                  "species,soil,petal,sepal")
    capsys.readouterr()
    assert main(["predict", str(iris_run), str(path), "--probabilities"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction,p_setosa,p_versicolor,p_virginica"
    names = [line.split(",")[0] for line in lines[1:]]
    assert set(names) <= set(SPECIES) and len(names) == 12
    assert np.mean([n == r[3] for n, r in zip(names, rows)]) >= 0.75
    # the same numbers from the model on inputs one-hot encoded by hand
    model, config = _load_model(str(iris_run))
    X = np.array([[float(r[0]), float(r[1]), *(float(r[2] == s) for s in SOILS)] for r in rows])
    z = predict(model, _prepare(config, X))
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    printed = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(printed, p, atol=6e-5)
    assert names == [SPECIES[i] for i in p.argmax(1)]
    # the soil changes the inputs: another soil, other probabilities
    other = [(r[0], r[1], SOILS[(SOILS.index(r[2]) + 1) % 3]) for r in rows]
    _write(tmp_path / "o.csv", other, "sepal,petal,soil")
    assert main(["predict", str(iris_run), str(tmp_path / "o.csv"), "--probabilities"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] != lines[1:]
    # without a header: the training columns in their order
    path = tmp_path / "n.csv"
    path.write_text("\n".join(",".join(r[:3]) for r in rows) + "\n")
    assert main(["predict", str(iris_run), str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["prediction", *names]


def test_predict_names_an_unseen_category(iris_run, tmp_path, capsys):
    path = _write(tmp_path / "x.csv", [("1.0", "2.0", "clay"), ("1.0", "2.0", "rock")],
                  "sepal,petal,soil")
    err = _error(["predict", str(iris_run), str(path)], capsys)
    assert str(path) in err and "line 3, column 'soil': 'rock' is not one of" in err, err
    path = tmp_path / "n.csv"
    path.write_text("1.0,2.0,rock\n1.0,2.0,clay\n")  # no header
    err = _error(["predict", str(iris_run), str(path)], capsys)
    assert "line 1, column 'soil': 'rock' is not one of" in err, err
    path = _write(tmp_path / "y.csv", [("1.0", "two", "clay")], "sepal,petal,soil")
    err = _error(["predict", str(iris_run), str(path)], capsys)
    assert "line 2, column 'petal': 'two' is not a number" in err, err
    path = _write(tmp_path / "z.csv", [("nan", "2", "clay")], "sepal,petal,soil")
    err = _error(["predict", str(iris_run), str(path)], capsys)
    assert "NaN" in err and "row 1, column 'sepal'" in err, err


def test_train_names_bad_text_columns(tmp_path, capsys):
    rows = _rows(40, 2)
    rows[5] = (rows[5][0], "wide", rows[5][2], rows[5][3])
    path = _write(tmp_path / "d.csv", rows)
    err = _error(["train", "--dataset", f"csv:{path}", "--target", "species", "--out",
                  str(tmp_path / "run"), "--quiet"], capsys)
    assert str(path) in err and "line 7, column 'petal': 'wide' is not a number" in err, err
    rows = _rows(40, 2)
    rows[3] = (rows[3][0], rows[3][1], rows[3][2], "")
    err = _error(["train", "--dataset", f"csv:{_write(tmp_path / 'e.csv', rows)}", "--target",
                  "species", "--out", str(tmp_path / "run"), "--quiet"], capsys)
    assert "line 5, column 'species': '' is not a number or a category" in err, err
    assert not (tmp_path / "run").exists()


def test_evaluate_refuses_a_file_with_a_new_category(iris_run, tmp_path, capsys):
    config = read_config(iris_run)
    rows = _rows(30, 3)
    rows[4] = (*rows[4][:2], "rock", rows[4][3])
    _write(tmp_path / "iris.csv", rows)
    # a copy of the run whose config points at the changed file
    from chainrule.cli import _load_model
    from chainrule.io import load
    from chainrule.train import save_checkpoint

    model, _ = _load_model(str(iris_run))
    config["csv"] = str(tmp_path / "iris.csv")
    save_checkpoint(tmp_path / "model.safetensors", model, config=config, weights_only=True)
    assert load(tmp_path / "model.safetensors")
    err = _error(["evaluate", str(tmp_path / "model.safetensors")], capsys)
    assert "line 6, column 'soil': 'rock' is not one of the column's 3 categories" in err, err


BASE = {"model": "mlp", "input_shape": [5], "num_classes": 3, "task": "classification",
        "columns": ["sepal", "petal", "soil"], "categories": {"soil": SOILS},
        "classes": SPECIES}


@pytest.mark.parametrize("change, message", [
    ({"classes": ["a", "b"]}, "'classes' names 2 classes but the model is a classification "
                              "model with num_classes 3"),
    ({"classes": ["a", "a", "b"]}, "'classes' repeats a name"),
    ({"classes": ["x" * 5000, "b", "c"]}, "'classes' must be a list of 1 to 3 strings of at "
                                          "most 1000 characters"),
    ({"classes": "abc"}, "'classes' must be a list"),
    ({"task": "regression"}, "'classes' names 3 classes but the model is a regression model"),
    ({"categories": {"soil": SOILS + ["rock"]}}, "'columns' and 'categories' encode 6 inputs "
                                                 "but 'input_shape' [5] has 5"),
    ({"categories": {"soil": [str(i) for i in range(10**6)]}},
     "'categories'['soil'] must be a list of 1 to 5 strings"),
    ({"categories": {"depth": ["a"]}}, "'categories' names 'depth', which is not one of"),
    ({"categories": ["soil"]}, "'categories' must be a dict"),
    ({"columns": None}, "'categories' must be a dict of column -> values, beside 'columns'"),
    ({"columns": ["a"] * 6}, "'columns' must be a list of 1 to 5 strings"),
])
def test_check_config_checks_the_csv_fields(change, message):
    with pytest.raises(ConfigError, match="^ckpt: config " + re.escape(message)):
        check_config({**BASE, **change}, None, "ckpt")


def test_resume_keeps_the_encoding(iris_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(iris_run.parent, run)
    assert main(["train", "--resume", str(run / "checkpoint.safetensors"), "--epochs", "22",
                 "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    config = read_config(run / "model.safetensors")
    assert config["classes"] == SPECIES and config["categories"] == {"soil": SOILS}
    assert config["epochs"] == 22


def test_a_crafted_checkpoint_with_bad_csv_fields_is_refused(iris_run, tmp_path, capsys):
    from chainrule.cli import _load_model
    from chainrule.train import save_checkpoint

    model, config = _load_model(str(iris_run))
    rows = tmp_path / "x.csv"
    _write(rows, [("1.0", "2.0", "clay")], "sepal,petal,soil")
    for change, message in [({"classes": SPECIES[:2]}, "'classes' names 2 classes"),
                            ({"categories": {"soil": [*SOILS, *map(str, range(10**5))]}},
                             "'categories'['soil'] must be a list of 1 to 5 strings")]:
        path = tmp_path / "model.safetensors"
        save_checkpoint(path, model, config={**config, **change}, weights_only=True)
        for argv in (["predict", str(path), str(rows)], ["evaluate", str(path)]):
            err = _error(argv, capsys)
            assert str(path) in err and message in err, err
