"""Evolutionary architecture search with backprop inside: regularized evolution.

Real et al. 2019 ("Regularized evolution for image classifier architecture search",
algorithm 1): a population of ``population_size`` trained models; each cycle samples
``sample_size`` of them at random, takes the best of the sample (tournament selection) as
parent, mutates its architecture, trains the child and adds it; the *oldest* model is
removed (aging), not the worst, so an architecture survives only by producing good children.

The search space is layer-based MLPs: a stack of hidden blocks, each
``Linear -> [BatchNorm1d | LayerNorm] -> activation -> [Dropout]``. A mutation changes one
thing: adds or removes a block, or changes one block's width, activation, normalisation or
dropout. Each candidate is a real ``nn.Sequential`` trained by Adam for ``epochs`` epochs;
with ``inherit_weights`` a child starts from its parent's weights wherever a layer keeps its
name and shape (Real et al. 2017 also inherit weights).

>>> result = regularized_evolution(X_train, y_train, X_val, y_val, cycles=50)
>>> result.best.architecture, result.best.val_accuracy
>>> save_architecture(result.best, "best.safetensors")   # weights + architecture
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.random import rng as _rng

ACTIVATION_MODULES: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "elu": nn.ELU, "silu": nn.SiLU,
}
NORMS = ("none", "batch", "layer")


@dataclass(frozen=True)
class Block:
    """One hidden block: Linear(width) -> norm -> activation -> dropout."""

    width: int
    activation: str = "relu"
    norm: str = "none"
    dropout: float = 0.0


@dataclass(frozen=True)
class Architecture:
    """A stack of hidden :class:`Block` s between the input and a final Linear."""

    blocks: tuple[Block, ...]

    def build(self, in_features: int, out_features: int, generator=None) -> nn.Sequential:
        """The model as an ``nn.Sequential`` with named layers (``fc0``, ``norm0``,
        ``act0``, ``drop0``, ..., ``out``), so state_dict keys say what each tensor is."""
        g = _rng(generator) if generator is not None else None
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        n = in_features
        for i, b in enumerate(self.blocks):
            layers[f"fc{i}"] = nn.Linear(n, b.width, generator=g)
            if b.norm == "batch":
                layers[f"norm{i}"] = nn.BatchNorm1d(b.width)
            elif b.norm == "layer":
                layers[f"norm{i}"] = nn.LayerNorm(b.width)
            layers[f"act{i}"] = ACTIVATION_MODULES[b.activation]()
            if b.dropout > 0:
                layers[f"drop{i}"] = nn.Dropout(b.dropout, generator=g)
            n = b.width
        layers["out"] = nn.Linear(n, out_features, generator=g)
        return nn.Sequential(layers)

    def describe(self) -> str:
        """``"64 relu batch | 128 tanh drop 0.25"``; ``"linear"`` without hidden blocks."""
        parts = []
        for b in self.blocks:
            s = f"{b.width} {b.activation}"
            s += f" {b.norm}norm" if b.norm != "none" else ""
            s += f" drop {b.dropout:g}" if b.dropout else ""
            parts.append(s)
        return " | ".join(parts) or "linear"

    def to_json(self) -> str:
        return json.dumps([dataclasses.asdict(b) for b in self.blocks])

    @classmethod
    def from_json(cls, text: str) -> Architecture:
        try:
            return cls(tuple(Block(**d) for d in json.loads(text)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Architecture.from_json: not an architecture ({exc})") from None


@dataclass(frozen=True)
class SearchSpace:
    """The choices mutations draw from."""

    widths: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
    activations: tuple[str, ...] = ("relu", "tanh", "gelu", "elu", "silu")
    norms: tuple[str, ...] = NORMS
    dropouts: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5)
    max_blocks: int = 4

    def __post_init__(self):
        bad = [a for a in self.activations if a not in ACTIVATION_MODULES]
        if bad:
            raise ValueError(f"SearchSpace: unknown activations {bad}; choose from "
                             f"{sorted(ACTIVATION_MODULES)}")
        if [n for n in self.norms if n not in NORMS]:
            raise ValueError(f"SearchSpace: norms must be among {NORMS}, got {self.norms}")
        if not self.widths or min(self.widths) < 1:
            raise ValueError(f"SearchSpace: widths must be positive ints, got {self.widths}")
        if any(not 0 <= p < 1 for p in self.dropouts):
            raise ValueError(f"SearchSpace: dropouts must be in [0, 1), got {self.dropouts}")
        if self.max_blocks < 1:
            raise ValueError(f"SearchSpace: max_blocks must be >= 1, got {self.max_blocks}")

    def random_block(self, rng: np.random.Generator) -> Block:
        return Block(int(rng.choice(self.widths)), str(rng.choice(self.activations)),
                     str(rng.choice(self.norms)), float(rng.choice(self.dropouts)))

    def random(self, rng: np.random.Generator) -> Architecture:
        depth = int(rng.integers(1, self.max_blocks + 1))
        return Architecture(tuple(self.random_block(rng) for _ in range(depth)))


MUTATIONS = ("add_block", "remove_block", "width", "activation", "norm", "dropout")


def mutate_architecture(arch: Architecture, space: SearchSpace,
                        rng: np.random.Generator) -> tuple[Architecture, str]:
    """One random change that gives a different architecture: (child, what changed)."""
    blocks = list(arch.blocks)
    for _ in range(100):
        kind = MUTATIONS[rng.integers(len(MUTATIONS))]
        if kind == "add_block":
            if len(blocks) >= space.max_blocks:
                continue
            at = int(rng.integers(len(blocks) + 1))
            new = blocks[:at] + [space.random_block(rng)] + blocks[at:]
            return Architecture(tuple(new)), f"add block at {at}"
        if not blocks:
            continue
        i = int(rng.integers(len(blocks)))
        if kind == "remove_block":
            return Architecture(tuple(blocks[:i] + blocks[i + 1:])), f"remove block {i}"
        field_name = {"width": "width", "activation": "activation", "norm": "norm",
                      "dropout": "dropout"}[kind]
        choices = {"width": space.widths, "activation": space.activations,
                   "norm": space.norms, "dropout": space.dropouts}[kind]
        others = [c for c in choices if c != getattr(blocks[i], field_name)]
        if not others:
            continue
        value = others[rng.integers(len(others))]
        value = type(getattr(blocks[i], field_name))(value)
        blocks[i] = dataclasses.replace(blocks[i], **{field_name: value})
        return Architecture(tuple(blocks)), f"{kind} of block {i} -> {value}"
    raise ValueError("mutate_architecture: the search space allows no change to "
                     f"{arch.describe()!r}")


@dataclass
class Candidate:
    """A trained model in the search: its architecture, weights and scores."""

    id: int
    architecture: Architecture
    model: nn.Module
    val_accuracy: float
    parent: int | None = None
    mutation: str = "random"
    seconds: float = 0.0
    parameters: int = 0


@dataclass
class SearchResult:
    """Everything the search trained, in order, and the best by validation accuracy."""

    history: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def best(self) -> Candidate:
        return max(self.history, key=lambda c: c.val_accuracy)


def _check_data(X, y, name):
    X, y = np.asarray(X, np.float32), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"regularized_evolution: {name} must be X (n, features) and y (n,), "
                         f"got {X.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(f"regularized_evolution: {name} labels must be non-negative ints")
    return X, y.astype(np.int64)


def train_model(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int,
                batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
                generator=None) -> nn.Module:
    """Adam(W) with cross-entropy for ``epochs`` epochs of shuffled minibatches."""
    g = _rng(generator)
    opt = cr.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = len(X)
    for _ in range(epochs):
        order = g.permutation(n)
        for s in range(0, n, batch_size):
            idx = order[s: s + batch_size]
            if len(idx) < 2 and any(isinstance(m, nn.BatchNorm1d) for m in model.modules()):
                continue  # batch norm needs two samples
            opt.zero_grad()
            loss_fn(model(cr.tensor(X[idx])), cr.tensor(y[idx])).backward()
            opt.step()
    model.eval()
    return model


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> float:
    """Fraction of ``X`` that ``model`` (in eval mode) classifies as ``y``."""
    model.eval()
    right = 0
    with cr.no_grad():
        for s in range(0, len(X), batch_size):
            pred = model(cr.tensor(np.asarray(X[s: s + batch_size], np.float32))).numpy()
            right += int((pred.argmax(1) == y[s: s + batch_size]).sum())
    return right / len(X)


def _inherit(child: nn.Module, parent: nn.Module) -> int:
    """Copy the parent's tensors into the child wherever name and shape match; returns how
    many were copied."""
    mine, theirs = child.state_dict(), parent.state_dict()
    take = {k: v for k, v in theirs.items() if k in mine and tuple(mine[k].shape) == tuple(v.shape)}
    if take:
        child.load_state_dict({**mine, **take})
    return len(take)


def regularized_evolution(
    X_train, y_train, X_val, y_val, *,
    cycles: int = 100, population_size: int = 20, sample_size: int = 5,
    epochs: int = 10, batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
    inherit_weights: bool = False, space: SearchSpace | None = None, seed=0,
    num_classes: int | None = None, verbose: bool = False,
    callback: Callable[[Candidate], None] | None = None,
) -> SearchResult:
    """Regularized evolution (aging evolution) of MLP architectures trained by backprop.

    Args:
        X_train, y_train: training data (float features (n, d), int labels (n,)).
        X_val, y_val: the data that scores candidates (keep a test set apart).
        cycles: models trained in all, the initial random population included.
        population_size, sample_size: P and S of the paper's algorithm 1.
        epochs, batch_size, lr, weight_decay: the training budget of every candidate.
        inherit_weights: start a child from its parent's weights where shapes match.
        space: the :class:`SearchSpace`.
        seed: seeds architectures, initial weights, dropout and minibatch order.
        callback: called with each trained :class:`Candidate`.

    Returns a :class:`SearchResult`; ``result.best.model`` is the trained best model.
    """
    X_train, y_train = _check_data(X_train, y_train, "training data")
    X_val, y_val = _check_data(X_val, y_val, "validation data")
    if X_val.shape[1] != X_train.shape[1]:
        raise ValueError(f"regularized_evolution: validation data has {X_val.shape[1]} "
                         f"features, training data {X_train.shape[1]}")
    for name, v, low in (("cycles", cycles, 1), ("population_size", population_size, 1),
                         ("sample_size", sample_size, 1), ("epochs", epochs, 0)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise ValueError(f"regularized_evolution: {name} must be an int >= {low}, got {v!r}")
    if sample_size > population_size:
        raise ValueError(f"regularized_evolution: sample_size ({sample_size}) must not exceed "
                         f"population_size ({population_size})")
    space = space or SearchSpace()
    rng = _rng(seed)
    classes = num_classes or int(max(y_train.max(), y_val.max())) + 1
    result = SearchResult()
    population: deque[Candidate] = deque()
    start = time.perf_counter()

    def make(arch, parent=None, mutation="random"):
        t = time.perf_counter()
        model = arch.build(X_train.shape[1], classes, generator=rng)
        if parent is not None and inherit_weights:
            _inherit(model, parent.model)
        train_model(model, X_train, y_train, epochs, batch_size, lr, weight_decay,
                    generator=rng)
        c = Candidate(len(result.history), arch, model, accuracy(model, X_val, y_val),
                      None if parent is None else parent.id, mutation,
                      time.perf_counter() - t, sum(p.numel() for p in model.parameters()))
        result.history.append(c)
        if verbose:
            print(f"[{c.id:4d}] val {c.val_accuracy:.4f}  {arch.describe():50s} "
                  f"({c.mutation}, {c.seconds:.1f} s)")
        if callback is not None:
            callback(c)
        return c

    while len(result.history) < cycles:
        if len(population) < population_size:
            child = make(space.random(rng))
        else:
            picks = rng.choice(len(population), size=sample_size, replace=False)
            parent = max((population[i] for i in picks), key=lambda c: c.val_accuracy)
            arch, what = mutate_architecture(parent.architecture, space, rng)
            child = make(arch, parent, what)
            population.popleft()  # aging: the oldest goes, not the worst
        population.append(child)
    result.seconds = time.perf_counter() - start
    return result


def draw_architecture(arch: Architecture, path, in_features: int, out_features: int) -> str:
    """Draw ``arch`` as a chain of layers to ``path`` (.svg, .png or .txt), with
    ``chainrule.diagnose.draw``'s layout and renderers. Returns the path.

    >>> draw_architecture(result.best.architecture, "best.svg", 40, 10)
    """
    import os

    from chainrule.diagnose.draw import _png, _svg
    from chainrule.diagnose.plots import check_path
    from chainrule.io.atomic import atomic_write_text

    if not isinstance(arch, Architecture):
        raise TypeError(f"draw_architecture: arch must be an Architecture, got "
                        f"{type(arch).__name__}")
    path = check_path("draw_architecture", path, (".svg", ".png", ".txt"))
    model = arch.build(in_features, out_features)
    labels = [f"input\n({in_features},)"]
    for name, m in model.named_children():
        text = repr(m).split("(")[0]
        if isinstance(m, nn.Linear):
            text += f"\n{m.in_features} -> {m.out_features}"
        elif isinstance(m, nn.Dropout):
            text += f"\np = {m.p:g}"
        labels.append(f"{name}\n{text}")
    nodes = {i: ("tensor" if i == 0 else "op", label, i == 0) for i, label in enumerate(labels)}
    edges = [(i, i + 1) for i in range(len(labels) - 1)]
    root = len(labels) - 1
    ext = os.path.splitext(path)[1].lower()
    if ext == ".png":
        _png(nodes, edges, root, path)
        return path
    text = (_svg(nodes, edges, root) if ext == ".svg"
            else "".join(label.replace("\n", "  ") + "\n" for label in labels))
    atomic_write_text(path, text, "draw_architecture")
    return path


def save_architecture(candidate: Candidate, path) -> None:
    """The candidate's weights as safetensors, its architecture in the file's metadata."""
    from chainrule.io import save

    save(candidate.model.state_dict(), path,
         metadata={"architecture": candidate.architecture.to_json()})


def load_architecture(path, in_features: int, out_features: int) -> nn.Sequential:
    """The model saved by :func:`save_architecture`, rebuilt and loaded (eval mode)."""
    from chainrule.io import load

    state, meta = load(path, return_metadata=True)
    if "architecture" not in meta:
        raise ValueError(f"load_architecture: {path} has no 'architecture' metadata; it was "
                         f"not written by save_architecture")
    model = Architecture.from_json(meta["architecture"]).build(in_features, out_features)
    model.load_state_dict(state)
    return model.eval()
