"""Every example runs end to end with tiny settings (the full sizes are in their --help)."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_on_digits(capsys):
    pytest.importorskip("sklearn")
    acc = load("quickstart").main(epochs=2)
    assert acc > 0.8
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"test accuracy: {acc:.3f}"


def test_quickstart_help():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--epochs" in r.stdout


def test_quickstart_falls_back_to_two_spirals(monkeypatch, capsys):
    import chainrule.data

    def no_sklearn(*args, **kwargs):
        raise ImportError("load_digits: needs scikit-learn")

    monkeypatch.setattr(chainrule.data, "load_digits", no_sklearn)
    quickstart = load("quickstart")
    X, y = quickstart.two_spirals(200)
    assert X.shape == (200, 2) and X.dtype == np.float32 and set(y.tolist()) == {0, 1}
    acc = quickstart.main(epochs=2)
    assert 0.0 <= acc <= 1.0
    assert "training on a synthetic two-spirals set instead" in capsys.readouterr().err


def test_xor():
    result = load("xor").main(["--seeds", "2", "--max-epochs", "600"])
    assert result["solved"] == 2 and result["median_epochs"] < 600


def test_mnist():
    if not (DATA / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("MNIST test files not found")
    results = load("mnist").main(["--data-dir", str(DATA), "--epochs", "1",
                                  "--train-size", "400", "--test-size", "200", "--verbose", "0"])
    assert set(results) == {"mlp", "cnn"}
    assert results["mlp"] > 0.3, results  # far above chance after one epoch
    assert 0.0 <= results["cnn"] <= 1.0


def test_mnist1d():
    pytest.importorskip("mnist1d")
    results = load("mnist1d").main(["--epochs", "1", "--train-size", "200", "--test-size",
                                    "100", "--verbose", "0"])
    assert set(results) == {"mlp", "cnn", "gru"}
    assert all(0.0 <= acc <= 1.0 for acc in results.values())


def test_char_lstm(capsys):
    if not (DATA / "text" / "tinyshakespeare.txt").is_file():
        pytest.skip("tinyshakespeare.txt not found")
    result = load("char_lstm").main([
        "--data-dir", str(DATA), "--minutes", "0.02", "--hidden-size", "32", "--seq-len", "16",
        "--batch-size", "8", "--steps-per-epoch", "5", "--val-batches", "1",
        "--sample-length", "20", "--verbose", "0"])
    assert result["val_loss"] < math.log(65)  # better than uniform over the 65 symbols
    assert result["sample"].startswith("ROMEO:\n") and len(result["sample"]) == 27
    assert "nats/char" in capsys.readouterr().out


def test_autoencoder(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "rec.png"
    result = load("autoencoder").main(["--epochs", "3", "--out", str(out), "--verbose", "0"])
    assert 0 < result["mse"] < 0.2 and 0 < result["pca_mse"] < result["mse"] * 10
    pytest.importorskip("matplotlib")
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_forecast():
    result = load("forecast").main(["--length", "600", "--window", "16", "--horizon", "2",
                                    "--epochs", "2", "--hidden-size", "8", "--verbose", "0"])
    assert set(result) == {"GRU", "naive last value"}
    assert all(np.isfinite(v["mae"]) and v["rmse"] >= v["mae"] for v in result.values())


def test_transfer():
    pytest.importorskip("sklearn")
    result = load("transfer").main(["--labels-per-class", "2", "--repeats", "1",
                                    "--pretrain-epochs", "2", "--finetune-epochs", "3"])
    assert 0.0 <= result["transfer"] <= 1.0 and 0.0 <= result["scratch"] <= 1.0


@pytest.mark.slow
def test_xor_full_size_solves_most_seeds():
    result = load("xor").main([])
    assert result["solved"] >= 15 and result["median_epochs"] < 500


# Full-size runs that reproduce the results stated in the README (minutes each).
@pytest.mark.slow
@pytest.mark.parametrize("model, published", [("mlp", 0.68), ("cnn", 0.94), ("gru", 0.91)])
def test_mnist1d_full_size_reaches_published_accuracy(model, published):
    pytest.importorskip("mnist1d")
    results = load("mnist1d").main(["--model", model, "--verbose", "0"])
    assert results[model] >= published, results


@pytest.mark.slow
@pytest.mark.parametrize("model, target", [("mlp", 0.97), ("cnn", 0.985)])
def test_mnist_full_size_reaches_target(model, target):
    if not (DATA / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("MNIST test files not found")
    results = load("mnist").main(["--model", model, "--data-dir", str(DATA), "--verbose", "0"])
    assert results[model] >= target, results


def test_char_transformer_tiny():
    if not (DATA / "text" / "tinyshakespeare.txt").is_file():
        pytest.skip("tinyshakespeare.txt not found")
    result = load("char_transformer").main([
        "--data-dir", str(DATA), "--preset", "tiny", "--steps", "30", "--eval-interval", "30",
        "--eval-iters", "2", "--layers", "1", "--width", "32", "--block", "16", "--verbose",
        "0"])
    first, last = result["history"][0], result["history"][-1]
    assert last["step"] == 30 and last["val"] < first["val"] < math.log(65) + 0.1


def test_char_transformer_is_causal():
    import chainrule as cr

    module = load("char_transformer")
    cr.manual_seed(0)
    model = module.CharTransformer(10, block=8, width=16, layers=1, heads=2, dropout=0.0)
    model.eval()
    x = cr.tensor(np.array([[1, 2, 3, 4, 5, 6]]))
    y = x.numpy().copy()
    y[0, 4:] = 9  # change the last two characters
    a, b = model(x).numpy(), model(cr.tensor(y)).numpy()
    np.testing.assert_allclose(a[0, :4], b[0, :4], rtol=1e-5, atol=1e-6)  # earlier outputs
    assert not np.allclose(a[0, 4:], b[0, 4:])
    assert model.head.weight is model.tok.weight
