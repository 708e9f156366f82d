"""scikit-learn estimators that train a chainrule module: ``NNClassifier``, ``NNRegressor``.

They take a module (an ``nn.Module`` instance, or a class or function that builds one)
and behave like any scikit-learn estimator: ``fit``/``predict``/``score``, ``clone``,
``GridSearchCV``, ``Pipeline``, pickle. Constructor arguments are routed by prefix, as in
skorch: ``module__hidden=(64,)`` goes to the module factory, ``optimizer__lr=0.01`` to
the optimizer, ``criterion__label_smoothing=0.1`` to the loss.

>>> from chainrule.sklearn import NNClassifier
>>> clf = NNClassifier(module__hidden=(64,), optimizer__lr=1e-2, max_epochs=30,
...                    random_state=0).fit(X, y)      # any labels: ints, strings, ...
>>> clf.predict(X[:3]), clf.predict_proba(X[:3]).shape
(array(['cat', 'dog', 'cat'], dtype='<U3'), (3, 2))

A factory receives the data's sizes when its signature asks for them: ``in_features``
(or ``input_shape``, one sample's shape) and ``out_features`` (or ``num_classes``): the
number of classes for a classifier, of targets for a regressor. Without ``module`` the
estimators build ``chainrule.models.mlp`` with one hidden layer of 100 units (as
scikit-learn's ``MLPClassifier``). A module instance is deep-copied at each ``fit``, so
the instance passed in is never trained in place and every ``fit`` starts from its
weights.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._optional import require

require("sklearn", extra="sklearn", feature="chainrule.sklearn")

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402
from sklearn.utils.multiclass import check_classification_targets  # noqa: E402
from sklearn.utils.validation import (  # noqa: E402
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import nn, optim  # noqa: E402
from .autograd import no_grad  # noqa: E402
from .random import default_generator  # noqa: E402
from .tensor import Tensor  # noqa: E402

__all__ = ["NNClassifier", "NNRegressor"]

_PREFIXES = ("module__", "optimizer__", "criterion__")


@contextlib.contextmanager
def _seeded(seed: int):
    """Seed the default generator (weight init, dropout) for the block, then put its state
    back, so that fitting an estimator leaves the caller's random stream untouched."""
    gen = default_generator()
    state = gen.get_state()
    gen.manual_seed(seed)
    try:
        yield
    finally:
        gen.set_state(state)


def _seed_from(random_state) -> int:
    """An int seed from scikit-learn's ``random_state`` (None: fresh OS entropy)."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    raise ValueError(
        f"random_state must be None, an int, a numpy RandomState or Generator, got "
        f"{random_state!r}"
    )


def _sizes_for(factory: Callable, n_inputs: tuple[int, ...], n_outputs: int,
               given: dict) -> dict:
    """The data-size arguments that ``factory``'s signature asks for and the user left out."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable: pass nothing extra
        return {}
    candidates = {
        "in_features": n_inputs[0] if len(n_inputs) == 1 else int(np.prod(n_inputs)),
        "input_shape": n_inputs,
        "out_features": n_outputs,
        "num_classes": n_outputs,
    }
    return {k: v for k, v in candidates.items() if k in params and k not in given}


class _NNBase(BaseEstimator):
    """What the classifier and the regressor share: parameters, building, the training run."""

    def __init__(
        self,
        module: nn.Module | Callable[..., nn.Module] | None = None,
        *,
        criterion: type | Callable | None = None,
        optimizer: type = optim.Adam,
        lr: float | None = None,
        max_epochs: int = 100,
        batch_size: int = 64,
        validation_split: float | None = None,
        callbacks: Sequence | None = None,
        warm_start: bool = False,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        verbose: int = 0,
        **kwargs: Any,
    ) -> None:
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        # Checked in fit, not here: scikit-learn's __init__ stores its arguments untouched.
        for key, value in kwargs.items():
            setattr(self, key, value)

    # -- parameters (the routed ``prefix__name`` ones live beside the named ones) -------

    def _extra_names(self) -> list[str]:
        """The arguments given to __init__ beyond the named ones (``module__hidden``...)."""
        named = set(super().get_params(deep=False))
        return sorted(k for k in vars(self)
                      if k not in named and not k.startswith("_") and not k.endswith("_"))

    def _check_routed(self) -> None:
        for key in self._extra_names():
            if not key.startswith(_PREFIXES) or key in _PREFIXES:
                raise TypeError(
                    f"{type(self).__name__}: unexpected argument {key!r}; extra arguments "
                    f"must start with one of {', '.join(_PREFIXES)} (e.g. module__hidden)"
                )

    def get_params(self, deep: bool = True) -> dict:
        params = super().get_params(deep=deep)
        params.update({k: getattr(self, k) for k in self._extra_names()})
        return params

    def set_params(self, **params: Any):
        routed = {k: v for k, v in params.items() if k.startswith(_PREFIXES)}
        for key, value in routed.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in routed}
        return super().set_params(**rest) if rest else self

    def _routed(self, prefix: str) -> dict:
        n = len(prefix)
        return {k[n:]: getattr(self, k) for k in self._extra_names() if k.startswith(prefix)}

    # -- checks and building ------------------------------------------------------------

    def _check_settings(self) -> None:
        name = type(self).__name__
        self._check_routed()
        for key, low in (("max_epochs", 1), ("batch_size", 1)):
            v = getattr(self, key)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name}: {key} must be an int >= {low}, got {v!r}")
        vs = self.validation_split
        if vs is not None and (not isinstance(vs, (int, float)) or not 0 < vs < 1):
            raise ValueError(f"{name}: validation_split must be None or in (0, 1), got {vs!r}")
        if self.verbose not in (0, 1, 2):
            raise ValueError(f"{name}: verbose must be 0, 1 or 2, got {self.verbose!r}")

    def _build_module(self, n_inputs: tuple[int, ...], n_outputs: int) -> nn.Module:
        name = type(self).__name__
        kwargs = self._routed("module__")
        if isinstance(self.module, nn.Module):
            if kwargs:
                raise ValueError(
                    f"{name}: module__ arguments {sorted(kwargs)} need a module class or "
                    f"factory, but module is an instance of {type(self.module).__name__}"
                )
            return copy.deepcopy(self.module)
        if self.module is None:
            from .models import mlp

            factory: Callable = mlp
            kwargs.setdefault("hidden", (100,))
        elif callable(self.module):
            factory = self.module
        else:
            raise TypeError(f"{name}: module must be an nn.Module, a class or a function "
                            f"returning one, or None; got {type(self.module).__name__}")
        kwargs.update(_sizes_for(factory, n_inputs, n_outputs, kwargs))
        model = factory(**kwargs)
        if not isinstance(model, nn.Module):
            raise TypeError(f"{name}: module factory {factory!r} returned "
                            f"{type(model).__name__}, not an nn.Module")
        return model

    def _build_optimizer(self, model: nn.Module):
        kwargs = self._routed("optimizer__")
        if self.lr is not None:  # skorch's shortcut; optimizer__lr wins when both are set
            kwargs.setdefault("lr", self.lr)
        return self.optimizer(model.parameters(), **kwargs)

    def _build_criterion(self, default: type):
        crit = default if self.criterion is None else self.criterion
        return crit(**self._routed("criterion__"))

    # -- training -----------------------------------------------------------------------

    def _train(self, X: np.ndarray, y: np.ndarray, epochs: int, n_outputs: int,
               restart: bool) -> None:
        from .train import fit

        self._check_settings()
        if restart or not hasattr(self, "module_"):
            self._seed_ = _seed_from(self.random_state)
            with _seeded(self._seed_):
                self.module_ = self._build_module(X.shape[1:], n_outputs)
            self.optimizer_ = self._build_optimizer(self.module_)
            self.criterion_ = self._build_criterion(self._default_criterion)
            self.n_iter_ = 0
            self.history_ = []
            # Catch a module of the wrong output size here, with the sizes named, rather
            # than as a loss error after the first batch.
            out = self._forward(X[:2])
            self._check_output(out, n_outputs, "fit")
            self._flat_output_ = out.ndim == 1
        if self._flat_output_ and y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]  # a regression module that returns (n,): targets (n,) too
        # One seed per call, so that repeated partial_fit calls do not reuse a shuffle.
        seed = self._seed_ + self.n_iter_
        with _seeded(seed):
            history = fit(
                self.module_, self.criterion_, self.optimizer_, (X, y), epochs=epochs,
                batch_size=min(self.batch_size, len(X)),
                validation_split=self.validation_split, callbacks=self.callbacks,
                seed=seed, verbose=self.verbose,
            )
        # history_: one dict of logs per epoch trained, across fit and partial_fit calls.
        self.history_ += [dict(zip(history.history, vals))
                          for vals in zip(*history.history.values())]
        self.n_iter_ += len(history.epoch)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The module's outputs for X in eval mode, in batches, as float64."""
        model = self.module_
        was_training = model.training
        model.eval()
        outputs = []
        step = max(self.batch_size, 256)
        try:
            with no_grad():
                for i in range(0, len(X), step):
                    outputs.append(np.asarray(model(Tensor(X[i:i + step])).numpy()))
        finally:
            model.train(was_training)
        return np.concatenate(outputs).astype(np.float64)

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=np.float32, allow_nd=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class NNClassifier(ClassifierMixin, _NNBase):
    """A scikit-learn classifier that trains a chainrule module with cross-entropy.

    The module maps a float32 batch ``(n, *features)`` to logits ``(n, n_classes)``.
    Labels may be of any type (ints, strings, ...): ``classes_`` holds them sorted, and
    the module is trained on their indices. ``predict_proba`` is the softmax of the
    logits.

    Args:
        module: an ``nn.Module`` (deep-copied at each ``fit``), a class or function that
            builds one (``module__*`` arguments go to it), or None for a one-hidden-layer
            MLP (``chainrule.models.mlp``, ``module__hidden=(100,)``).
        criterion: the loss class (default ``nn.CrossEntropyLoss``); ``criterion__*``
            arguments go to it.
        optimizer: the optimizer class (default ``chainrule.optim.Adam``);
            ``optimizer__*`` arguments (``optimizer__lr``) go to it.
        lr: the learning rate (skorch's shortcut for ``optimizer__lr``; None: the
            optimizer's default).
        max_epochs: epochs per ``fit`` (``partial_fit`` trains one).
        batch_size: samples per step (capped at the number of samples).
        validation_split: a fraction of the training data held out each ``fit`` for the
            ``val_*`` entries of ``history_`` (and callbacks such as ``EarlyStopping``).
        callbacks: ``chainrule.train`` callbacks passed to ``fit``.
        warm_start: when True, ``fit`` continues from the fitted module and optimizer
            instead of building new ones.
        random_state: seeds weight initialisation, shuffling and dropout.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    """

    _default_criterion = nn.CrossEntropyLoss

    def _encode(self, y, classes=None) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if classes is not None:
            self._encoder = LabelEncoder().fit(np.asarray(classes))
            self.classes_ = self._encoder.classes_
            unknown = np.setdiff1d(y, self.classes_)
            if len(unknown):
                raise ValueError(f"{type(self).__name__}.partial_fit: labels {unknown[:5]} are "
                                 f"not in classes {self.classes_}")
        return self._encoder.transform(y).astype(np.int64)

    def fit(self, X, y) -> NNClassifier:
        """Train on ``X`` (n, features) and labels ``y`` (n,) for ``max_epochs`` epochs."""
        X, y = validate_data(self, X, y, dtype=np.float32, allow_nd=True)
        restart = not (self.warm_start and hasattr(self, "module_"))
        classes = np.unique(column_or_1d(y)) if restart else self.classes_
        if not restart and np.setdiff1d(column_or_1d(y), classes).size:
            raise ValueError(f"{type(self).__name__}.fit: warm_start with labels not seen "
                             f"in the first fit; classes are {classes}")
        yi = self._encode(y, classes)
        self._train(X, yi, self.max_epochs, len(self.classes_), restart)
        return self

    def partial_fit(self, X, y, classes=None) -> NNClassifier:
        """Train one epoch, continuing from the fitted module (building it on the first
        call, when ``classes`` lists every label that will ever be seen; default: the
        labels of this first ``y``)."""
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=np.float32, allow_nd=True, reset=first)
        if first:
            yi = self._encode(y, np.unique(column_or_1d(y)) if classes is None else classes)
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"{type(self).__name__}.partial_fit: classes {classes} differ "
                                 f"from those of the first call {self.classes_}")
            yi = self._encode(y, self.classes_)
        self._train(X, yi, 1, len(self.classes_), restart=first)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``, columns in the order of ``classes_``."""
        check_is_fitted(self)
        logits = self._forward(self._validate_X(X, reset=False))
        self._check_output(logits, len(self.classes_), "predict_proba")
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def _check_output(self, out: np.ndarray, n_outputs: int, fname: str) -> None:
        if out.ndim != 2 or out.shape[1] != n_outputs:
            raise ValueError(f"{type(self).__name__}.{fname}: the module returned shape "
                             f"{out.shape}, expected (n, {n_outputs}) logits, one per class")

    def predict_log_proba(self, X) -> np.ndarray:
        """Log class probabilities ``(n, n_classes)``."""
        check_is_fitted(self)
        logits = self._forward(self._validate_X(X, reset=False))
        z = logits - logits.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """The most probable label of each sample, of the same type as the training labels."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class NNRegressor(RegressorMixin, _NNBase):
    """A scikit-learn regressor that trains a chainrule module with mean squared error.

    The module maps a float32 batch ``(n, *features)`` to ``(n, n_targets)``. ``y`` may be
    1-D (``predict`` then returns 1-D) or 2-D for several targets. Arguments as for
    :class:`NNClassifier` (the default criterion is ``nn.MSELoss``).
    """

    _default_criterion = nn.MSELoss

    def _targets(self, y, first: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float32)
        if first:
            self._y_1d = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        elif (y.ndim == 1) != self._y_1d or (y.ndim == 2 and y.shape[1] != self.n_outputs_):
            raise ValueError(f"{type(self).__name__}: y has shape {y.shape}, but the model "
                             f"was fitted with {self.n_outputs_} target(s)")
        return y.reshape(len(y), -1)

    def fit(self, X, y) -> NNRegressor:
        """Train on ``X`` (n, features) and targets ``y`` (n,) or (n, targets)."""
        X, y = validate_data(self, X, y, dtype=np.float32, allow_nd=True, multi_output=True,
                             y_numeric=True)
        restart = not (self.warm_start and hasattr(self, "module_"))
        y = self._targets(y, first=restart)
        self._train(X, y, self.max_epochs, self.n_outputs_, restart)
        return self

    def partial_fit(self, X, y) -> NNRegressor:
        """Train one epoch, continuing from the fitted module (built on the first call)."""
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=np.float32, allow_nd=True, multi_output=True,
                             y_numeric=True, reset=first)
        y = self._targets(y, first=first)
        self._train(X, y, 1, self.n_outputs_, restart=first)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted targets: ``(n,)`` when fitted on 1-D ``y``, else ``(n, targets)``."""
        check_is_fitted(self)
        out = self._forward(self._validate_X(X, reset=False))
        self._check_output(out, self.n_outputs_, "predict")
        out = out.reshape(len(out), -1)
        return out[:, 0] if self._y_1d else out

    def _check_output(self, out: np.ndarray, n_outputs: int, fname: str) -> None:
        if out.reshape(len(out), -1).shape[1] != n_outputs:
            raise ValueError(f"{type(self).__name__}.{fname}: the module returned shape "
                             f"{out.shape}, expected (n, {n_outputs}), one column per target")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
