"""The ``chainrule`` command: train, evaluate, predict, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A short digits MLP run shared by the tests below."""
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("run") / "digits"
    assert main(["train", "--epochs", "3", "--batch-size", "128", "--lr", "0.005", "--out",
                 str(out), "--quiet"]) == 0
    return out


def test_train_writes_checkpoint_history_and_plot(digits_run, capsys):
    files = {p.name for p in digits_run.iterdir()}
    assert {"model.safetensors", "checkpoint.safetensors", "history.csv"} <= files
    pytest.importorskip("matplotlib")
    assert (digits_run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (digits_run / "history.csv").read_text().splitlines()
    assert rows[0].split(",") == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert len(rows) == 4


def test_train_output_and_evaluate_agree(digits_run, capsys):
    assert main(["evaluate", str(digits_run / "model.safetensors"), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["accuracy"] > 0.8  # three epochs
    assert set(results) == {"loss", "accuracy", "f1"}
    assert main(["evaluate", str(digits_run / "model.safetensors")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"test accuracy {results['accuracy']:.4f} (")


def test_predict_csv_and_npy(digits_run, tmp_path, capsys):
    from sklearn.datasets import load_digits
    d = load_digits()
    np.save(tmp_path / "x.npy", d.data[:20].reshape(20, 8, 8))
    np.savetxt(tmp_path / "x.csv", d.data[:20], delimiter=",",
               header=",".join(f"pixel{i}" for i in range(64)), comments="")
    model = str(digits_run / "model.safetensors")
    assert main(["predict", model, str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction" and len(lines) == 21
    preds = np.array([int(v) for v in lines[1:]])
    assert np.mean(preds == d.target[:20]) > 0.7
    out_csv = tmp_path / "pred.csv"
    assert main(["predict", model, str(tmp_path / "x.csv"), "--probabilities",
                 "--output", str(out_csv)]) == 0
    rows = out_csv.read_text().splitlines()
    assert rows[0].split(",")[:3] == ["prediction", "p0", "p1"]
    assert [int(r.split(",")[0]) for r in rows[1:]] == preds.tolist()
    probs = np.array([[float(v) for v in r.split(",")[1:]] for r in rows[1:]])
    np.testing.assert_allclose(probs.sum(1), 1, atol=2e-3)


def test_resume_continues_a_run(digits_run, tmp_path, capsys):
    import shutil
    run = tmp_path / "resumed"
    shutil.copytree(digits_run, run)
    assert main(["train", "--resume", str(run / "checkpoint.safetensors"), "--epochs", "4",
                 "--quiet"]) == 0
    assert len((run / "history.csv").read_text().splitlines()) == 5


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    return lines[0]


def test_errors_are_one_line_and_exit_2(digits_run, tmp_path, capsys):
    msg = _error(["train", "--dataset", "cifar"], capsys)
    assert msg.startswith("chainrule train: --dataset must be one of digits") and "cifar" in msg
    assert "--epochs must be >= 1, got 0" in _error(["train", "--epochs", "0"], capsys)
    assert "--lr must be a positive number" in _error(["train", "--lr", "-1"], capsys)
    assert "no such file" in _error(["train", "--dataset", "csv:/no/such.csv"], capsys)
    (tmp_path / "a.csv").write_text("a,b\n1,2\n")
    assert "needs --target" in _error(["train", "--dataset", f"csv:{tmp_path / 'a.csv'}"], capsys)
    assert _error(["evaluate", str(tmp_path / "none.safetensors")], capsys) == \
        f"chainrule evaluate: no such checkpoint: {tmp_path / 'none.safetensors'}"
    (tmp_path / "junk.safetensors").write_bytes(b"junk")
    assert "is not a safetensors checkpoint" in _error(
        ["evaluate", str(tmp_path / "junk.safetensors")], capsys)
    model = str(digits_run / "model.safetensors")
    np.save(tmp_path / "bad.npy", np.zeros((3, 5)))
    assert "do not fit the model's input (1, 8, 8)" in _error(
        ["predict", model, str(tmp_path / "bad.npy")], capsys)
    assert "INPUT must be a .csv or .npy" in _error(["predict", model, model], capsys)
    (tmp_path / "missing").mkdir()
    msg = _error(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "missing"),
                  "--epochs", "1"], capsys)
    assert msg.startswith("chainrule train: ") and "missing" in msg


def test_checkpoint_that_does_not_fit_its_model(digits_run, tmp_path, capsys):
    from chainrule.io import load, save
    from chainrule.train.checkpoint import CONFIG_KEY
    state, meta = load(digits_run / "model.safetensors", return_metadata=True)
    config = json.loads(meta[CONFIG_KEY])
    config["model"] = "cnn"
    path = tmp_path / "model.safetensors"
    save(state, path, metadata={CONFIG_KEY: json.dumps(config)})
    msg = _error(["evaluate", str(path)], capsys)
    assert msg.startswith(f"chainrule evaluate: checkpoint {path} does not fit model 'cnn': "
                          f"missing keys ")


def test_csv_regression_and_classification(tmp_path, capsys):
    g = np.random.default_rng(0)
    X = g.normal(size=(120, 3))
    y_reg = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * g.normal(size=120)
    y_cls = (X[:, 0] + X[:, 1] > 0).astype(int)
    data = np.column_stack([X, y_reg, y_cls])
    path = tmp_path / "table.csv"
    np.savetxt(path, data, delimiter=",", header="a,b,c,value,label", comments="",
               fmt=["%.6f"] * 4 + ["%d"])
    out = tmp_path / "reg"
    assert main(["train", "--dataset", f"csv:{path}", "--target", "value", "--epochs", "15",
                 "--lr", "0.01", "--batch-size", "16", "--out", str(out), "--quiet"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("test mse ")
    assert float(line.split("r2 ")[1].split()[0]) > 0.8
    # predict reads the same file, dropping the target column
    assert main(["predict", str(out / "model.safetensors"), str(path)]) == 0
    preds = np.array([float(v) for v in capsys.readouterr().out.splitlines()[1:]])
    assert np.corrcoef(preds, y_reg)[0, 1] > 0.9
    assert main(["train", "--dataset", f"csv:{path}", "--target", "label", "--epochs", "5",
                 "--out", str(tmp_path / "cls"), "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_python_dash_m_help_and_error_exit_codes():
    run = [sys.executable, "-m", "chainrule"]
    r = subprocess.run(run + ["train", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "--dataset" in r.stdout and "--optimizer" in r.stdout
    for sub in ("evaluate", "predict"):
        r = subprocess.run(run + [sub, "--help"], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 0 and "checkpoint" in r.stdout
    r = subprocess.run(run + ["evaluate", "nope.safetensors"], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2 and r.stderr.strip() == \
        "chainrule evaluate: no such checkpoint: nope.safetensors"
    r = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "usage: chainrule" in r.stderr


@pytest.mark.slow
def test_default_train_reaches_97_percent(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "--out", str(tmp_path / "run")]) == 0
    line = [s for s in capsys.readouterr().out.splitlines() if s.startswith("test accuracy")][0]
    assert float(line.split()[2]) >= 0.97


def test_version():
    import chainrule

    r = subprocess.run([sys.executable, "-m", "chainrule", "--version"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0
    assert r.stdout.startswith(f"chainrule {chainrule.__version__} (Python ")


def test_train_refuses_to_overwrite_a_run(digits_run, capsys):
    msg = _error(["train", "--epochs", "1", "--out", str(digits_run), "--quiet"], capsys)
    assert "already holds a run" in msg and "--overwrite" in msg and "--resume" in msg


def test_resume_with_more_epochs_keeps_decaying(digits_run, tmp_path):
    import shutil
    run = tmp_path / "longer"
    shutil.copytree(digits_run, run)
    assert main(["train", "--resume", str(run / "checkpoint.safetensors"), "--epochs", "8",
                 "--quiet"]) == 0
    rows = (run / "history.csv").read_text().splitlines()
    lrs = [float(r.split(",")[-1]) for r in rows[1:]]
    assert len(lrs) == 8
    # never back up, and down to lr/100 at the new last epoch
    assert all(b <= a for a, b in zip(lrs, lrs[1:])), lrs
    assert lrs[-1] < lrs[3] and lrs[3] < lrs[0]


def test_evaluate_remembers_the_data_dir(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sklearn")
    mnist = ROOT.parent / "shared" / "datasets" / "mnist"
    if not mnist.is_dir():
        pytest.skip("the shared MNIST test set is not beside the repository")
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cache/chainrule either
    out = tmp_path / "mnist"
    assert main(["train", "--dataset", "mnist", "--epochs", "1", "--batch-size", "256",
                 "--data-dir", str(mnist.parent), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.safetensors"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.5


def test_threads_option(digits_run, capsys):
    pytest.importorskip("threadpoolctl")
    from chainrule import threads

    assert threads.auto_threads(cores=2, load=0.0) == 2
    assert threads.auto_threads(cores=2, load=1.2) == 1
    assert threads.auto_threads(cores=2, load=7.0) == 1
    assert "--threads must be >= 1" in _error(
        ["evaluate", str(digits_run / "model.safetensors"), "--threads", "0"], capsys)
    before = threads.get_num_threads()
    assert main(["evaluate", str(digits_run / "model.safetensors"), "--threads", "1"]) == 0
    assert threads.get_num_threads() == before  # restored after the command
    with pytest.raises(ValueError, match="num_threads must be a positive integer"):
        threads.set_num_threads(0)


def test_missing_mnist_gives_command_line_advice(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    msg = _error(["train", "--dataset", "mnist", "--data-dir", str(tmp_path),
                  "--out", str(tmp_path / "o")], capsys)
    assert "--data-dir" in msg and "--download" in msg and "CHAINRULE_DATA" in msg
    assert "root=" not in msg and "download=True" not in msg
