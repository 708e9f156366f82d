"""The ``chainrule`` command refuses bad checkpoints and bad data before allocating or
training: configs checked against their weights, labels and values checked at load time,
predict inputs matched by column name."""

import json
import subprocess
import sys

import numpy as np
import pytest

from chainrule import models, random
from chainrule.cli import main
from chainrule.train import save_checkpoint

from ._rss import HWM


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


def _checkpoint(path, **config):
    random.manual_seed(0)
    model = models.build_model("mlp", [4], 3)
    full = {"model": "mlp", "input_shape": [4], "num_classes": 3, "task": "classification",
            "dataset": "csv", "seed": 0, "divide": None}
    full.update(config)
    save_checkpoint(path, model, config=full, weights_only=True)
    return path


def _peak_mib(argv) -> tuple[int, str, float]:
    """Run the command in a fresh process; its exit status, stderr and peak RSS (MiB)."""
    code = (HWM + "import sys\nfrom chainrule.cli import main\nrc = main(sys.argv[1:])\n"
            "print(hwm(), file=sys.stderr)\n"
            "sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                       timeout=120)
    *lines, peak = r.stderr.strip().splitlines()
    return r.returncode, "\n".join(lines), int(peak) / 1024


@pytest.mark.parametrize("field, value, command", [("input_shape", [1000000], "evaluate"),
                                                   ("num_classes", 1000000, "predict"),
                                                   ("num_classes", 1000000, "train")])
def test_a_config_asking_for_huge_layers_never_allocates(tmp_path, field, value, command):
    ckpt = _checkpoint(tmp_path / "m.safetensors", **{field: value})
    np.savetxt(tmp_path / "x.csv", np.ones((2, 4)), delimiter=",")
    argv = {"evaluate": ["evaluate", str(ckpt)],
            "predict": ["predict", str(ckpt), str(tmp_path / "x.csv")],
            "train": ["train", "--resume", str(ckpt)]}[command]
    rc, err, peak = _peak_mib(argv)
    assert rc == 2 and f"config '{field}'" in err, err
    assert peak < 400, f"{command} peaked at {peak:.0f} MiB"  # the layer needs 1 GiB


def test_a_config_that_disagrees_with_its_weights_is_named(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path / "m.safetensors", num_classes=5)
    assert "config 'num_classes' is 5 but the weights' last layer 5.bias has shape (3,)" in \
        _error(["evaluate", str(ckpt)], capsys)
    ckpt = _checkpoint(tmp_path / "n.safetensors", input_shape=[6])
    assert "first layer takes 4" in _error(["evaluate", str(ckpt)], capsys)
    ckpt = _checkpoint(tmp_path / "o.safetensors", model="transformer")
    assert "config 'model' must be one of" in _error(["evaluate", str(ckpt)], capsys)


def test_resume_with_a_broken_config_names_model(tmp_path, capsys):
    ckpt = tmp_path / "c.safetensors"
    random.manual_seed(0)
    save_checkpoint(ckpt, models.build_model("mlp", [4], 3), config={"seed": 0}, epoch=1)
    err = _error(["train", "--resume", str(ckpt)], capsys)
    assert "config 'model' must be one of" in err and str(ckpt) in err


def _csv(path, rows, header="a,b,label"):
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def _blobs(n=40):
    g = np.random.default_rng(0)
    y = g.integers(0, 2, n)
    X = g.normal(size=(n, 2)) + 3 * y[:, None]
    return [[f"{a:.3f}", f"{b:.3f}", int(c)] for (a, b), c in zip(X, y)]


def test_a_huge_csv_label_is_a_data_error_not_a_class_count(tmp_path, capsys):
    rows = _blobs()
    rows[7][2] = 2000000000
    path = _csv(tmp_path / "d.csv", rows)
    rc, err, peak = _peak_mib(["train", "--dataset", f"csv:{path}", "--target", "label",
                               "--epochs", "1", "--out", str(tmp_path / "run")])
    assert rc == 2 and "class label 2000000000 at row 8" in err and str(path) in err, err
    assert peak < 400


@pytest.mark.parametrize("bad, column", [("nan", "a"), ("inf", "b"), ("-inf", "a"),
                                         ("nan", "label"), ("1e39", "b")])
def test_nonfinite_training_data_names_file_row_and_column(tmp_path, capsys, bad, column):
    rows = _blobs()
    rows[4][["a", "b", "label"].index(column)] = bad
    path = _csv(tmp_path / "d.csv", rows)
    err = _error(["train", "--dataset", f"csv:{path}", "--target", "label", "--epochs", "1",
                  "--out", str(tmp_path / "run"), "--quiet"], capsys)
    assert str(path) in err and f"column {column!r}" in err and ("line 6" in err or
                                                                  "row 5" in err), err
    assert not (tmp_path / "run" / "model.safetensors").exists()


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("csvrun")
    path = _csv(out / "d.csv", _blobs(60))
    assert main(["train", "--dataset", f"csv:{path}", "--target", "label", "--epochs", "3",
                 "--out", str(out / "run"), "--quiet", "--seed", "0"]) == 0
    return out / "run" / "model.safetensors"


def _predict(model, path, capsys):
    assert main(["predict", str(model), str(path), "--probabilities"]) == 0
    return capsys.readouterr().out


def test_predict_matches_csv_columns_by_header_name(csv_run, tmp_path, capsys):
    capsys.readouterr()
    rows = [[1.5, -0.5], [-2.0, 4.0], [3.0, 3.5], [0.1, 0.2]]
    ordered = _predict(csv_run, _csv(tmp_path / "x.csv", rows, "a,b"), capsys)
    swapped = _predict(csv_run, _csv(tmp_path / "y.csv", [r[::-1] for r in rows], "b,a"),
                       capsys)
    with_label = _predict(csv_run, _csv(tmp_path / "z.csv", [[9, *r] for r in rows],
                                        "label,a,b"), capsys)
    assert ordered == swapped == with_label
    by_position = _predict(csv_run, _csv(tmp_path / "w.csv", [r[::-1] for r in rows], "a,b"),
                           capsys)
    assert by_position != ordered  # the test can tell the two apart
    err = _error(["predict", str(csv_run), str(_csv(tmp_path / "m.csv", rows, "a,c"))], capsys)
    assert "missing columns ['b']" in err and "unknown columns ['c']" in err


@pytest.mark.parametrize("cell", ["nan", "inf"])
def test_predict_refuses_nonfinite_inputs(csv_run, tmp_path, capsys, cell):
    path = _csv(tmp_path / "x.csv", [[1.0, 2.0], [cell, 1.0]], "b,a")
    err = _error(["predict", str(csv_run), str(path)], capsys)
    assert str(path) in err and "row 2" in err and "column 'b'" in err, err
    np.save(tmp_path / "x.npy", np.array([[1.0, 2.0], [3.0, float(cell)]]))
    err = _error(["predict", str(csv_run), str(tmp_path / "x.npy")], capsys)
    assert "x.npy" in err and "row 1, column 1" in err, err


def test_the_trained_config_records_its_columns(csv_run):
    from chainrule.train import read_config

    assert read_config(csv_run)["columns"] == ["a", "b"]
    assert json.dumps(read_config(csv_run))


def test_a_diverging_run_stops_with_the_cause_not_a_nan_model(tmp_path, capsys):
    path = _csv(tmp_path / "d.csv", _blobs())
    err = _error(["train", "--dataset", f"csv:{path}", "--target", "label", "--epochs", "3",
                  "--optimizer", "sgd", "--lr", "1e30", "--out", str(tmp_path / "run"),
                  "--quiet"], capsys)
    assert "the loss became" in err and "learning rate" in err, err
    assert not (tmp_path / "run" / "model.safetensors").exists()


@pytest.mark.parametrize("name, shape, classes", [
    ("mlp", [4], 3), ("mlp", [1, 8, 8], 10), ("cnn", [1, 8, 8], 10), ("cnn", [3, 3, 5], 2),
    ("cnn", [40], 10), ("cnn", [2, 17], 4), ("gru", [1, 8, 8], 10), ("gru", [40], 3),
    ("gru", [3, 12], 5)])
def test_parameter_count_matches_the_built_model(name, shape, classes):
    model = models.build_model(name, shape, classes)
    assert models.parameter_count(name, shape, classes) == sum(p.numel() for p in
                                                               model.parameters())


def test_a_cnn_config_with_a_larger_image_than_its_weights_is_refused(tmp_path, capsys):
    random.manual_seed(0)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, models.build_model("cnn", [1, 8, 8], 10), weights_only=True,
                    config={"model": "cnn", "input_shape": [1, 200, 200], "num_classes": 10,
                            "task": "classification", "dataset": "digits", "seed": 0})
    assert "describes" in _error(["evaluate", str(path)], capsys)
