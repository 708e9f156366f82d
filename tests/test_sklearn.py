"""chainrule.sklearn: scikit-learn's own estimator checks, and the integrations people use."""

import pickle

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_blobs, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.sklearn import NNClassifier, NNRegressor  # noqa: E402


@parametrize_with_checks([NNClassifier(random_state=0), NNRegressor(random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def blobs(n=120, labels=("ant", "bee", "cat")):
    X, y = make_blobs(n, n_features=4, centers=len(labels), random_state=0)
    return X, np.asarray(labels)[y]


class Net(nn.Module):
    """A factory class whose sizes come from the data (in_features, out_features)."""

    def __init__(self, in_features, out_features, hidden=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_features, hidden), nn.Tanh(),
                                  nn.Linear(hidden, out_features))

    def forward(self, x):
        return self.body(x)


def test_string_labels_float64_input_and_routing():
    X, y = blobs()
    clf = NNClassifier(Net, module__hidden=5, optimizer__lr=0.05, max_epochs=30,
                       random_state=0).fit(X, y)  # float64 X, string y
    assert clf.module_.body[0].out_features == 5
    assert clf.optimizer_.param_groups[0]["lr"] == 0.05
    assert list(clf.classes_) == ["ant", "bee", "cat"] and isinstance(clf.classes_, np.ndarray)
    assert clf.n_features_in_ == 4
    pred = clf.predict(X)
    assert isinstance(pred, np.ndarray) and pred.dtype == y.dtype
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X.astype(np.int64))  # int input is cast too
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.get_params()["module__hidden"] == 5
    assert NNClassifier(lr=0.2, max_epochs=1).fit(X, y).optimizer_.param_groups[0]["lr"] == 0.2


def test_same_random_state_same_model_and_global_generator_untouched():
    X, y = blobs()
    state = cr.default_generator().get_state()
    a = NNClassifier(max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    b = NNClassifier(max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    c = NNClassifier(max_epochs=3, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert cr.default_generator().get_state() == state


def test_module_instance_is_copied_not_trained_in_place():
    X, y = blobs()
    module = Net(4, 3)
    before = {k: v.numpy().copy() for k, v in module.state_dict().items()}
    clf = NNClassifier(module, max_epochs=5, random_state=0).fit(X, y)
    for k, v in module.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert clf.module_ is not module


def test_clone_of_fitted_is_unfitted_and_pickle_round_trip():
    X, y = blobs()
    clf = NNClassifier(module__hidden=(16,), max_epochs=10, random_state=0).fit(X, y)
    fresh = clone(clf)
    assert fresh.get_params()["module__hidden"] == (16,)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_partial_fit_continues_without_reinitialising():
    X, y = blobs()
    clf = NNClassifier(random_state=0, optimizer__lr=0.01)
    clf.partial_fit(X[:60], y[:60], classes=np.unique(y))
    w = clf.module_
    first = [p.numpy().copy() for p in w.parameters()]
    losses = []
    for _ in range(15):
        clf.partial_fit(X, y)
        losses.append(clf.history_[-1]["loss"])
    assert clf.module_ is w and clf.n_iter_ == 16
    assert any(not np.array_equal(a, p.numpy()) for a, p in zip(first, w.parameters()))
    assert losses[-1] < losses[0]
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:2], np.array(["ant", "dog"]))


def test_warm_start_continues_fit():
    X, y = blobs()
    clf = NNClassifier(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    module = clf.module_
    clf.fit(X, y)
    assert clf.module_ is module and clf.n_iter_ == 4
    cold = NNClassifier(max_epochs=2, random_state=0).fit(X, y)
    module = cold.module_
    cold.fit(X, y)
    assert cold.module_ is not module and cold.n_iter_ == 2


def test_validation_split_and_callbacks():
    from chainrule.train import EarlyStopping

    X, y = blobs()
    clf = NNClassifier(max_epochs=50, validation_split=0.25, random_state=0,
                       callbacks=[EarlyStopping(monitor="val_loss", patience=0,
                                                min_delta=10.0)]).fit(X, y)
    assert "val_loss" in clf.history_[0]
    assert clf.n_iter_ < 50  # EarlyStopping with an impossible min_delta stops at once


def test_pipeline_and_grid_search_with_two_jobs():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    pipe = make_pipeline(StandardScaler(), NNClassifier(max_epochs=15, random_state=0))
    grid = GridSearchCV(pipe, {"nnclassifier__module__hidden": [(16,), (32,)],
                               "nnclassifier__optimizer__lr": [1e-3, 1e-2]},
                        cv=2, n_jobs=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"nnclassifier__module__hidden",
                                      "nnclassifier__optimizer__lr"}
    assert grid.best_score_ > 0.8
    assert grid.predict(X[:5]).shape == (5,)


def test_regressor_one_and_many_targets():
    X, y = make_regression(200, n_features=5, n_targets=2, noise=0.1, random_state=0)
    y = y / y.std(axis=0)
    reg = NNRegressor(max_epochs=60, optimizer__lr=1e-2, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200, 2) and reg.score(X, y) > 0.9
    reg1 = NNRegressor(max_epochs=5, random_state=0).fit(X, y[:, 0])
    assert reg1.predict(X).shape == (200,) and reg1.predict(X).dtype == np.float64


def test_bad_arguments_name_the_argument():
    X, y = blobs(30)
    with pytest.raises(TypeError, match="hidden"):
        NNClassifier(hidden=3).fit(X, y)
    with pytest.raises(ValueError, match="max_epochs"):
        NNClassifier(max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="module__ arguments"):
        NNClassifier(Net(4, 3), module__hidden=3).fit(X, y)
    with pytest.raises(ValueError, match="expected \\(n, 3\\)"):
        NNClassifier(Net(4, 2), max_epochs=1).fit(X, y)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    import importlib
    import sys

    from chainrule._optional import MissingDependencyError

    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    monkeypatch.delitem(sys.modules, "chainrule.sklearn")
    with pytest.raises(MissingDependencyError, match=r"pip install 'chainrule\[sklearn\]'"):
        importlib.import_module("chainrule.sklearn")


def test_regressor_module_with_flat_output():
    class Flat(nn.Module):
        def __init__(self, in_features):
            super().__init__()
            self.lin = nn.Linear(in_features, 1)

        def forward(self, x):
            return self.lin(x).reshape(-1)

    X, y = make_regression(100, n_features=3, noise=0.1, random_state=0)
    reg = NNRegressor(Flat, max_epochs=80, optimizer__lr=0.05, random_state=0).fit(X, y / 50)
    assert reg.predict(X).shape == (100,) and reg.score(X, y / 50) > 0.9
