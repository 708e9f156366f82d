"""fit / evaluate / predict: learning, data forms, modes, determinism and errors."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import History, evaluate, fit, predict

from .helpers import blobs, small_mlp, weights


def _fit(model=None, data=None, **kw):
    model = model or small_mlp()
    X, y = blobs()
    opt = optim.Adam(model.parameters(), lr=0.02)
    kw.setdefault("verbose", 0)
    return model, fit(model, nn.CrossEntropyLoss(), opt, data if data is not None else (X, y),
                      **kw)


def test_fit_learns_and_returns_history():
    X, y = blobs(seed=1)
    model, h = _fit(epochs=8, batch_size=16, validation_data=(X, y), metrics=["accuracy"],
                    seed=0)
    assert isinstance(h, History)
    assert h.epoch == list(range(8))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in h.history.values())
    assert h.history["loss"][-1] < h.history["loss"][0] / 3
    assert h.history["val_accuracy"][-1] > 0.95
    result = evaluate(model, nn.CrossEntropyLoss(), (X, y), metrics=["accuracy", "f1"])
    assert result["accuracy"] == pytest.approx(h.history["val_accuracy"][-1])
    assert result["loss"] == pytest.approx(h.history["val_loss"][-1], rel=1e-5)
    out = predict(model, X, batch_size=7)
    assert out.shape == (len(X), 3) and isinstance(out, np.ndarray)
    assert np.mean(out.argmax(1) == y) == pytest.approx(result["accuracy"])


@pytest.mark.parametrize("form", ["tuple", "tensors", "dataset", "loader"])
def test_data_forms_give_the_same_run(form):
    X, y = blobs(64)
    data = {"tuple": (X, y), "tensors": (cr.tensor(X), cr.tensor(y)),
            "dataset": TensorDataset(X, y),
            "loader": DataLoader(TensorDataset(X, y), batch_size=32, shuffle=False)}[form]
    model, h = _fit(data=data, epochs=2, shuffle=False,
                    **({} if form == "loader" else {"batch_size": 32}))
    ref, _ = _fit(data=(X, y), epochs=2, batch_size=32, shuffle=False)
    for k, v in weights(ref).items():
        np.testing.assert_allclose(weights(model)[k], v, rtol=1e-6, err_msg=k)


def test_float64_inputs_are_trained_as_float32():
    X, y = blobs(64)
    model, h = _fit(data=(X.astype(np.float64), y), epochs=1)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_validation_split_is_seeded_and_sized():
    _, h1 = _fit(epochs=2, validation_split=0.25, seed=3)
    _, h2 = _fit(epochs=2, validation_split=0.25, seed=3)
    assert h1.history == h2.history
    assert "val_loss" in h1.history


class _ModeProbe(nn.Module):
    """Records the training flag and grad mode of every forward."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, cr.is_grad_enabled()))
        return self.fc(x)


def test_train_mode_for_steps_eval_mode_and_no_grad_for_validation():
    X, y = blobs(32)
    probe = _ModeProbe()
    probe.eval()  # fit must switch it back to training
    _fit(model=probe, data=(X, y), epochs=1, batch_size=32, validation_data=(X, y))
    assert probe.calls == [(True, True), (False, False)]
    assert probe.training
    probe.calls.clear()
    probe.eval()
    predict(probe, X)
    evaluate(probe, None, (X, y), metrics=["accuracy"])
    assert probe.calls == [(False, False), (False, False)]
    assert not probe.training  # evaluate and predict restore the mode they found


def test_predict_with_dropout_is_deterministic():
    model = small_mlp(dropout=0.5)
    X, _ = blobs(16)
    np.testing.assert_array_equal(predict(model, X), predict(model, cr.tensor(X)))


def test_predict_accepts_datasets_and_loaders():
    model = small_mlp()
    X, y = blobs(20)
    ref = predict(model, X)
    np.testing.assert_allclose(predict(model, TensorDataset(X, y)), ref, rtol=1e-6)
    np.testing.assert_allclose(predict(model, DataLoader(TensorDataset(X), batch_size=8)), ref,
                               rtol=1e-6)


def test_nan_inputs_are_refused_by_row_and_column_before_training():
    model = small_mlp()
    X, y = blobs(64)
    X[5, 2] = np.nan
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"train_data inputs holds NaN \(nan\) at row 5, "
                                         r"column 2"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, batch_size=64, verbose=0)
    y = y.astype(np.float32)
    y[7] = np.inf
    with pytest.raises(ValueError, match="targets holds an infinite value .* at row 7"):
        fit(model, nn.MSELoss(), opt, (blobs(64)[0], y), epochs=1, verbose=0)


def test_a_loss_that_becomes_nonfinite_is_an_error_naming_the_op():
    class LogProb(nn.Module):  # log of a probability that underflows to 0
        def forward(self, out, y):
            return -(out.softmax(-1)[np.arange(len(y)), y]).log().mean()

    model = small_mlp()
    X, y = blobs(64)
    X *= 1e4  # logits so large that the softmax of the wrong class underflows to 0
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match=r"loss became inf at epoch 1, batch 1: "
                                                 r"[Ll]og.*produced Inf.*learning rate"):
        fit(model, LogProb(), opt, (X, y), epochs=2, batch_size=64, verbose=0)
    for k, v in model.state_dict().items():  # the failing step was not taken
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_regression_with_metric_functions():
    g = np.random.default_rng(0)
    X = g.normal(size=(128, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    cr.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, nn.MSELoss(), opt, (X, y), epochs=30, batch_size=16,
            metrics=["mae", "rmse", "r2"], seed=0, verbose=0)
    assert h.history["r2"][-1] > 0.999
    assert h.history["mae"][-1] < 0.05


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "fit: epochs must be an int >= 1, got 0"),
    ({"batch_size": 0}, "fit: batch_size must be an int >= 1"),
    ({"validation_split": 1.5}, r"fit: validation_split must be in \(0, 1\), got 1.5"),
    ({"validation_split": 0.2, "validation_data": ([[0.0]], [0])}, "not both"),
    ({"verbose": 3}, "verbose must be 0, 1 or 2"),
    ({"metrics": ["acuracy"]}, "unknown metric 'acuracy'"),
    ({"validation_split": 0.001}, "leaves"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _fit(**kwargs)


def test_data_errors():
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    X, y = blobs(10)
    with pytest.raises(ValueError, match="train_data has 10 inputs but 9 targets"):
        fit(model, loss, opt, (X, y[:9]), verbose=0)
    with pytest.raises(ValueError, match=r"as a tuple must be \(inputs, targets\), got 3"):
        fit(model, loss, opt, (X, y, y), verbose=0)
    with pytest.raises(TypeError, match="must be a tuple \\(X, y\\), a Dataset or a DataLoader"):
        fit(model, loss, opt, 42, verbose=0)
    with pytest.raises(ValueError, match="batch_size is set by the DataLoader"):
        fit(model, loss, opt, DataLoader(TensorDataset(X, y)), batch_size=4, verbose=0)
    with pytest.raises(TypeError, match="model must be a chainrule.nn.Module"):
        fit(lambda x: x, loss, opt, (X, y), verbose=0)
    with pytest.raises(TypeError, match="optimizer must have step"):
        fit(model, loss, object(), (X, y), verbose=0)
    with pytest.raises(ValueError, match="loss must return a scalar"):
        fit(model, nn.CrossEntropyLoss(reduction="none"), opt, (X, y), verbose=0)
    with pytest.raises(ValueError, match="evaluate: nothing to compute"):
        evaluate(model, None, (X, y))
    with pytest.raises(TypeError, match="predict: X must be"):
        predict(model, [[1.0, 2.0, 3.0, 4.0]])


def test_nonfinite_weights_are_named_as_the_cause():
    model = small_mlp()
    with cr.no_grad():
        model[0].weight.fill_(float("nan"))
    X, y = blobs(16)
    with pytest.raises(FloatingPointError, match=r"some weights \(0\.weight\) are already "
                                                 r"non-finite.*GradientClipping"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
            verbose=0)


def test_nan_in_a_tensor_dataset_is_refused_by_row():
    X, y = blobs(16)
    X[3, 1] = np.inf
    model = small_mlp()
    with pytest.raises(ValueError, match=r"train_data tensor 0 holds an infinite value .* "
                                         r"row 3, column 1"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            TensorDataset(X, y), verbose=0)
