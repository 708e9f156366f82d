"""Problems: what a population of parameter vectors is scored on.

A problem has ``dim``, ``maximize`` (the direction its fitness improves) and
``evaluate(X, generation) -> (P,)``: the fitness of each row of ``X`` (``(P, dim)``), the
same for a row whatever the other rows are, and the same on every call with the same
generation number, so populations can be split across processes. Optional parts:

- ``gradient(x, generation)``: the backprop gradient of the fitness at ``x`` (hybrids and
  guided ES use it);
- ``collect()`` / ``absorb(collected)``: per-candidate side results of the last
  ``evaluate`` (arrays with a leading axis of P) and how the problem updates itself from
  all candidates' results (observation statistics, learned weights);
- ``state_dict()`` / ``load_state_dict()`` for checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from .._optional import require
from ..autograd import no_grad
from ..backend import as_numpy
from ..tensor import Tensor
from .params import ParameterVector
from .population import PopulationModel, population_forward
from .seeding import derive_seed

__all__ = ["FunctionProblem", "GymProblem", "Problem", "SupervisedProblem"]


class Problem:
    """Base class of problems (see the module's description)."""

    dim: int
    maximize: bool

    def evaluate(self, X: np.ndarray, generation: int) -> np.ndarray:
        raise NotImplementedError

    def collect(self) -> dict[str, np.ndarray]:
        return {}

    def absorb(self, collected: dict[str, np.ndarray]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"{type(self).__name__}.evaluate: expected candidates of shape "
                             f"(P, {self.dim}), got {X.shape}")
        return X


class FunctionProblem(Problem):
    """A fitness function of the vectors themselves (test functions, toy landscapes).

    ``fn(X)`` maps ``(P, dim)`` to ``(P,)``. Written with operations that work on both
    arrays and chainrule Tensors (``(X ** 2).sum(1)``), it is also differentiable:
    ``gradient`` runs it on a Tensor and backpropagates.

    >>> sphere = FunctionProblem(lambda X: (X ** 2).sum(1), dim=10, maximize=False)
    """

    def __init__(self, fn: Callable, dim: int, *, maximize: bool) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionProblem: fn must be callable, got {type(fn).__name__}")
        if not isinstance(dim, (int, np.integer)) or dim < 1:
            raise ValueError(f"FunctionProblem: dim must be a positive int, got {dim!r}")
        if not isinstance(maximize, bool):
            raise TypeError(f"FunctionProblem: maximize must be True or False, got {maximize!r}")
        self.fn, self.dim, self.maximize = fn, int(dim), maximize

    def evaluate(self, X, generation: int = 0) -> np.ndarray:
        X = self._check(X)
        f = np.asarray(as_numpy(_unwrap(self.fn(X))), dtype=np.float64).reshape(-1)
        if f.shape != (len(X),):
            raise ValueError(f"FunctionProblem: fn returned shape {f.shape} for {len(X)} "
                             f"candidates; expected ({len(X)},)")
        return f

    def gradient(self, x, generation: int = 0) -> np.ndarray:
        """d fn / d x at one point ``x`` (fn run on a Tensor)."""
        t = Tensor(np.asarray(x, dtype=np.float64).reshape(1, self.dim), requires_grad=True)
        y = self.fn(t)
        if not isinstance(y, Tensor):
            raise TypeError("FunctionProblem.gradient: fn must accept a Tensor and return a "
                            "Tensor (write it with operations Tensors have)")
        y.sum().backward()
        return np.asarray(t.grad.array, dtype=np.float64).reshape(-1)


def _unwrap(a):
    return a.array if isinstance(a, Tensor) else a


def _population_loss(loss_fn, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``loss_fn(out[p], y)`` for every p: one vectorised formula for the common losses
    (default CrossEntropyLoss with class indices, MSELoss with mean), a loop otherwise."""
    t = type(loss_fn)
    if t is nn.CrossEntropyLoss and loss_fn.weight is None and loss_fn.reduction == "mean" \
            and loss_fn.label_smoothing == 0 and out.ndim == 3 and y.ndim == 1 \
            and y.dtype.kind in "iu" and not np.any(y == loss_fn.ignore_index):
        z = out - out.max(axis=2, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=2))
        picked = np.take_along_axis(z, y[None, :, None], axis=2)[..., 0]
        return (lse - picked).mean(axis=1)
    if t is nn.MSELoss and loss_fn.reduction == "mean" and out.shape[1:] == y.shape:
        d = out - y[None]
        return (d * d).reshape(len(out), -1).mean(axis=1)
    with no_grad():
        yt = Tensor._make(y, False)
        return np.array([float(loss_fn(Tensor._make(o, False), yt).item()) for o in out])


class SupervisedProblem(Problem):
    """Minimise a model's loss, all candidates on the same minibatch in a generation.

    Args:
        model: the network (``population_forward`` evaluates the candidates batched where
            the layers allow it).
        loss_fn: ``loss_fn(output, target)`` -> a scalar Tensor (an ``nn`` loss module).
        data: a ``DataLoader`` (generation g uses its next batch; a new pass starts when it
            is exhausted), or ``(inputs, targets)`` arrays with ``batch_size`` and ``seed``
            (generation g's batch is then a function of g alone: exact on resume).
        batch_size, seed: for array data; ``batch_size=None`` uses all samples each time.
        space: which parameters are searched (default: those with requires_grad).
        batched: None batches the population where the layers allow it; False evaluates
            one candidate at a time.
    """

    maximize = False

    def __init__(self, model: nn.Module, loss_fn: Callable, data, *,
                 batch_size: int | None = None, seed: int = 0,
                 space: ParameterVector | None = None, batched: bool | None = None) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"SupervisedProblem: model must be an nn.Module, got "
                            f"{type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError("SupervisedProblem: loss_fn must be callable")
        self.model, self.loss_fn = model, loss_fn
        self.space = space or ParameterVector(model)
        self.dim = self.space.dim
        self.batched = batched
        if isinstance(data, (tuple, list)) and len(data) == 2:
            self.inputs = np.asarray(as_numpy(_unwrap(data[0])))
            self.targets = np.asarray(as_numpy(_unwrap(data[1])))
            if len(self.inputs) != len(self.targets) or len(self.inputs) == 0:
                raise ValueError(f"SupervisedProblem: inputs and targets must be non-empty "
                                 f"and of the same length, got {len(self.inputs)} and "
                                 f"{len(self.targets)}")
            n = len(self.inputs)
            self.batch_size = n if batch_size is None else int(batch_size)
            if not 1 <= self.batch_size:
                raise ValueError(f"SupervisedProblem: batch_size must be >= 1, got {batch_size}")
            self.loader = None
        elif hasattr(data, "__iter__") and hasattr(data, "batch_size"):
            self.loader = data
            self._iter = None
        else:
            raise TypeError(f"SupervisedProblem: data must be a DataLoader or (inputs, "
                            f"targets), got {type(data).__name__}")
        self.seed = int(seed)
        self._cached: tuple[int, Any] | None = None
        self._loader_generation = -1

    def batch(self, generation: int) -> tuple[np.ndarray, np.ndarray]:
        """Generation ``generation``'s minibatch ``(inputs, targets)`` as arrays."""
        if self._cached is not None and self._cached[0] == generation:
            return self._cached[1]
        if self.loader is None:
            n = len(self.inputs)
            per_epoch = max(1, n // self.batch_size)
            epoch, k = divmod(generation, per_epoch)
            order = np.random.default_rng([self.seed, epoch]).permutation(n)
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            b = (self.inputs[idx], self.targets[idx])
        else:
            if generation < self._loader_generation:
                raise ValueError(f"SupervisedProblem: generation {generation} comes before "
                                 f"the DataLoader's {self._loader_generation}; a loader is "
                                 f"only read forwards")
            while self._loader_generation < generation:
                b = self._next()
                self._loader_generation += 1
        if self.loader is not None:
            b = tuple(np.asarray(as_numpy(_unwrap(t))) for t in b[:2])
        self._cached = (generation, b)
        return b

    def _next(self):
        if self._iter is None:
            self._iter = iter(self.loader)
        try:
            return next(self._iter)
        except StopIteration:
            self._iter = iter(self.loader)
            return next(self._iter)

    def evaluate(self, X, generation: int = 0) -> np.ndarray:
        """The loss of each candidate on generation ``generation``'s minibatch."""
        X = self._check(X)
        xb, yb = self.batch(generation)
        out = population_forward(self.model, X, xb, space=self.space, batched=self.batched)
        return _population_loss(self.loss_fn, out, yb).astype(np.float64)

    def gradient(self, x, generation: int = 0) -> np.ndarray:
        """The backprop gradient of the minibatch loss at parameters ``x``."""
        xb, yb = self.batch(generation)
        saved, grads = self.space.get(), [p.grad for p in self.space.params]
        try:
            self.space.set(x)
            for p in self.space.params:
                p.grad = None
            loss = self.loss_fn(self.model(Tensor(xb)), Tensor(yb))
            loss.backward()
            return self.space.grad()
        finally:
            self.space.set(saved)
            for p, g in zip(self.space.params, grads):
                p.grad = g

    def state_dict(self) -> dict[str, Any]:
        return {"loader_generation": self._loader_generation}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.loader is not None:  # read the loader forward to where the run was
            self.batch(int(state["loader_generation"]))


class GymProblem(Problem):
    """Maximise a policy network's return in a ``gymnasium`` environment.

    All candidates of a generation play the same episode seeds (common random numbers, so
    their ranking is not luck of the start state); the P copies of the environment run in
    lockstep, and the policy is one ``population_forward`` per step for all of them.

    Args:
        env_id: a registered environment id ("CartPole-v1", "Acrobot-v1", ...).
        model: the policy: observation (flattened) -> action scores (``Discrete``: the
            argmax is taken) or an action (``Box``: clipped to the bounds).
        episodes: episodes per candidate (the fitness is their mean return).
        max_steps: a step limit per episode (default: the environment's own).
        obs_norm: normalise observations by running mean and standard deviation,
            updated after each generation from every candidate's observations
            (Salimans et al. 2017), clipped to [-5, 5].
        seed: the base of the episode seeds.
        env_kwargs: more arguments for ``gymnasium.make``.
    """

    maximize = True

    def __init__(self, env_id: str, model: nn.Module, *, episodes: int = 1,
                 max_steps: int | None = None, obs_norm: bool = False, seed: int = 0,
                 space: ParameterVector | None = None, **env_kwargs) -> None:
        gym = require("gymnasium", extra="evolve", feature="chainrule.evolve.GymProblem")
        if not isinstance(env_id, str):
            raise TypeError(f"GymProblem: env_id must be a str, got {type(env_id).__name__}")
        if env_id not in gym.envs.registry:
            import difflib

            close = difflib.get_close_matches(env_id, list(gym.envs.registry), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"GymProblem: no gymnasium environment {env_id!r}{hint}")
        if not isinstance(episodes, int) or episodes < 1:
            raise ValueError(f"GymProblem: episodes must be an int >= 1, got {episodes!r}")
        self.gym, self.env_id, self.env_kwargs = gym, env_id, env_kwargs
        self.model, self.episodes, self.max_steps = model, episodes, max_steps
        self.obs_norm, self.seed = bool(obs_norm), int(seed)
        self.space = space or ParameterVector(model)
        self.dim = self.space.dim
        env = gym.make(env_id, **env_kwargs)
        # space sizes may be NumPy integers (np.int64): plain ints from here on
        self.obs_size = int(np.prod([int(s) for s in env.observation_space.shape]))
        act = env.action_space
        if isinstance(act, gym.spaces.Discrete):
            self.discrete, self.n_actions = True, int(act.n)
            self._start = int(act.start)
        elif isinstance(act, gym.spaces.Box):
            self.discrete, self.n_actions = False, int(np.prod(act.shape))
            self._low, self._high, self._shape = act.low, act.high, act.shape
        else:
            raise ValueError(f"GymProblem: {env_id}'s action space {act} is neither "
                             f"Discrete nor Box")
        self._envs = [env]
        self.obs_count = 0.0
        self.obs_sum = np.zeros(self.obs_size)
        self.obs_sumsq = np.zeros(self.obs_size)
        self._collected: dict[str, np.ndarray] = {}

    def episode_seed(self, generation: int, episode: int) -> int:
        """The reset seed of an episode: a function of (seed, generation, episode)."""
        return derive_seed(self.seed, generation, episode)

    def _obs_stats(self) -> tuple[np.ndarray, np.ndarray]:
        if self.obs_count < 2:
            return np.zeros(self.obs_size), np.ones(self.obs_size)
        mean = self.obs_sum / self.obs_count
        var = np.maximum(self.obs_sumsq / self.obs_count - mean * mean, 1e-4)
        return mean, np.sqrt(var)

    def _act(self, out: np.ndarray):
        if self.discrete:
            return int(np.argmax(out)) + self._start
        return np.clip(out.reshape(self._shape), self._low, self._high)

    def evaluate(self, X, generation: int = 0) -> np.ndarray:
        """Mean return over ``episodes`` episodes of each candidate."""
        X = self._check(X)
        P = len(X)
        while len(self._envs) < P:
            self._envs.append(self.gym.make(self.env_id, **self.env_kwargs))
        mean, std = self._obs_stats()
        returns = np.zeros(P)
        count, s1, s2 = np.zeros(P), np.zeros((P, self.obs_size)), np.zeros((P, self.obs_size))
        dtype = self.space.params[0].array.dtype
        policy = PopulationModel(self.model, X, self.space, dtype)
        for e in range(self.episodes):
            seed = self.episode_seed(generation, e)
            obs = np.stack([np.asarray(env.reset(seed=seed)[0], dtype=np.float64).reshape(-1)
                            for env in self._envs[:P]])
            alive = np.ones(P, dtype=bool)
            steps = 0
            while alive.any():
                idx = np.flatnonzero(alive)
                raw = obs[idx]
                count[idx] += 1
                s1[idx] += raw
                s2[idx] += raw * raw
                x = (raw - mean) / std if self.obs_norm else raw
                if self.obs_norm:
                    x = np.clip(x, -5, 5)
                out = policy(x[:, None, :].astype(dtype), per_candidate=True, rows=idx)
                for j, i in enumerate(idx):
                    o, r, term, trunc, _ = self._envs[i].step(self._act(out[j, 0]))
                    returns[i] += float(r)
                    obs[i] = np.asarray(o, dtype=np.float64).reshape(-1)
                    if term or trunc:
                        alive[i] = False
                steps += 1
                if self.max_steps is not None and steps >= self.max_steps:
                    break
        self._collected = {"obs_count": count, "obs_sum": s1, "obs_sumsq": s2}
        return returns / self.episodes

    def collect(self) -> dict[str, np.ndarray]:
        return self._collected

    def absorb(self, collected: dict[str, np.ndarray]) -> None:
        """Add every candidate's observations to the running statistics, in order."""
        if not self.obs_norm or not collected:
            return
        for c, a, b in zip(collected["obs_count"], collected["obs_sum"],
                           collected["obs_sumsq"]):
            self.obs_count += c
            self.obs_sum += a
            self.obs_sumsq += b

    def rollout(self, vector, episodes: int = 10, seed: int = 10**6) -> np.ndarray:
        """Returns of ``episodes`` fresh episodes (seeds ``seed``, ``seed + 1``...) of one
        parameter vector, with the current observation statistics."""
        X = np.asarray(vector, dtype=np.float64).reshape(1, -1)
        saved = self.seed, self.episodes, self._collected
        try:
            self.episodes = 1
            out = []
            for k in range(episodes):
                self.seed = seed + k
                out.append(self.evaluate(X, generation=0)[0])
        finally:
            self.seed, self.episodes, self._collected = saved
        return np.array(out)

    def state_dict(self) -> dict[str, Any]:
        return {"obs_count": self.obs_count, "obs_sum": self.obs_sum.copy(),
                "obs_sumsq": self.obs_sumsq.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.obs_count = float(state["obs_count"])
        self.obs_sum = np.array(_unwrap(state["obs_sum"]), dtype=np.float64)
        self.obs_sumsq = np.array(_unwrap(state["obs_sumsq"]), dtype=np.float64)
