"""The page's second run: the same network, from the same initial weights on the same data,
trained by an evolution strategy (``chainrule.evolve``) instead of backprop.

One generation runs per backprop mini-batch step, on a mini-batch of the same size, so the
two runs advance side by side and the page can compare what each has cost: backprop one
forward and one backward pass per batch, the strategy ``pop`` forward passes (one per
candidate) per generation and no backward pass.
"""

from __future__ import annotations

import time

import numpy as np

#: OpenAI-ES moves its mean with Adam at this learning rate (its gradient estimate is a
#: noisy ascent direction; the page's own lr is backprop's and may be as large as 100).
OPENAI_ES_LR = 0.03
#: ``SupervisedProblem``'s mini-batch order is seeded apart from backprop's batch order.
BATCH_SEED_OFFSET = 5


class EvolutionRun:
    """The evolution-strategy twin of a playground ``Session`` (``config["es"]`` set).

    Its fitness is what backprop minimises: the data loss on a mini-batch of the training
    set plus the same L1/L2 penalty on the weights. Dropout is off in the twin (a population
    is evaluated in eval mode).
    """

    def __init__(self, session) -> None:
        from ..evolve import SNES, OpenAIES, ParameterVector, SupervisedProblem

        self.session = s = session
        c = s.config
        self.method = c["es"]
        self.model = s._build()  # the same seed: the same initial weights as backprop's
        self.model.eval()
        self.space = ParameterVector(self.model)
        # the L1/L2 penalty applies to the Linear weights, not the biases (as backprop's)
        self.weight_slices = [sl for name, sl in self.space.slices.items()
                              if name.endswith(".weight")]
        self.problem = SupervisedProblem(
            self.model, type(s.loss_fn)(), (s.inputs["train"], s._target_array("train")),
            batch_size=c["batch"], seed=c["seed"] + BATCH_SEED_OFFSET, space=self.space)
        if self.method == "openai":
            self.strategy = OpenAIES(self.model, maximize=False, sigma=c["sigma"],
                                     popsize=c["pop"], lr=OPENAI_ES_LR, seed=c["seed"])
        else:
            self.strategy = SNES(self.model, maximize=False, sigma=c["sigma"],
                                 popsize=c["pop"], seed=c["seed"])
        self.generation = 0
        self.forward_passes = 0  # one per candidate evaluated
        self.history: list[list[float]] = []  # [epoch, train loss, test loss]
        self.train_time = 0.0

    def _penalty(self, X: np.ndarray) -> np.ndarray:
        c = self.session.config
        total = np.zeros(len(X))
        for sl in self.weight_slices:
            W = X[:, sl]
            if c["l1"]:
                total += c["l1"] * np.abs(W).sum(axis=1)
            if c["l2"]:
                total += (c["l2"] / 2) * (W * W).sum(axis=1)
        return total

    def step(self) -> None:
        """One generation: ask for ``pop`` candidates, score each on this generation's
        mini-batch, tell the strategy."""
        t0 = time.perf_counter()
        X = self.strategy.ask()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            f = self.problem.evaluate(X, self.generation) + self._penalty(X)
        # A candidate whose loss overflows is the worst of its generation; the strategies
        # use only the fitness ranks, and ``tell`` takes finite numbers only.
        f = np.where(np.isfinite(f), f, np.finfo(np.float64).max)
        self.strategy.tell(f)  # writes the new mean into self.model
        self.generation += 1
        self.forward_passes += len(X)
        self.train_time += time.perf_counter() - t0

    def snapshot(self, full_history: bool = False) -> dict:
        """What the page draws for the strategy's current mean (JSON-ready): losses, the
        loss curve (its last point, or all of it), the heatmap and the cost so far."""
        from .session import HEATMAP, _num, _record, _round

        s = self.session
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            train_loss, train_acc = s._metrics("train", self.model)
            test_loss, test_acc = s._metrics("test", self.model)
            heat = s._forward_layers(s.grid, self.model)[-1]
        self.history = _record(self.history, s.epoch, train_loss, test_loss)
        omap = {k: _round(v, 3 if k == "value" else 0) for k, v in s._output_map(heat).items()}
        return {
            "method": self.method, "label": _label(self.method),
            "popsize": self.strategy.popsize, "sigma": _num(float(np.mean(
                self.strategy.sigma))),
            "epoch": s.epoch, "generation": self.generation,
            "forward_passes": self.forward_passes, "backward_passes": 0,
            "finished": s.finished,
            "train_loss": _num(train_loss), "test_loss": _num(test_loss),
            "train_accuracy": _num(train_acc), "test_accuracy": _num(test_acc),
            "history": [[e, _num(a), _num(b)] for e, a, b in
                        (self.history if full_history else self.history[-1:])],
            "heatmap": {"size": HEATMAP, **omap},
            "train_seconds": round(self.train_time, 3),
        }


def _label(method: str) -> str:
    from .config import EVOLUTION

    return EVOLUTION[method]
