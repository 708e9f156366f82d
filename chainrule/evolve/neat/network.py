"""A genome compiled to a feed-forward computation, evaluated in topological layers.

Nodes are grouped by depth (longest path from the inputs). Column ``j`` of a value matrix
``V`` (batch, nodes) holds node ``j``'s output, inputs and bias first, then layer after
layer; a layer's pre-activations are one matrix product of the columns computed so far with
a dense weight block that is zero where there is no enabled connection:

    V[:, s:e] = act(V[:, :s] @ W_layer)          W_layer: (s, e - s)

so a whole dataset (or a batch of observations) takes one GEMM and one activation call per
layer. :class:`FeedForwardNetwork` does this on NumPy arrays (fitness evaluation);
:class:`GenomeModule` does it with chainrule Tensors, its weights a :class:`Parameter`, so
backpropagation runs through it and the winner is an ordinary module with a state_dict.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

import chainrule as cr
from chainrule import nn

from .config import NEATConfig
from .genome import BIAS, INPUT, OUTPUT, Genome

#: The paper's steepened sigmoid 1 / (1 + e^(-4.9 x)).
SIGMOID_SLOPE = 4.9


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        # 1/(1+e^(-k z)) = (1 + tanh(k z / 2)) / 2: no overflow warning for large |z|.
        z = np.tanh(z * (SIGMOID_SLOPE / 2), out=z)
        z += 1.0
        z *= 0.5
        return z
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "relu":
        return np.maximum(z, 0.0, out=z)
    return z


def _tensor_act(name: str, z):
    if name == "sigmoid":
        return cr.sigmoid(z * SIGMOID_SLOPE)
    if name == "tanh":
        return cr.tanh(z)
    if name == "relu":
        return cr.relu(z)
    return z


class _Plan:
    """Column order, layers and gather indices shared by both evaluators.

    A plan depends on the structure alone (which links are enabled), not on the weights;
    most offspring differ from a parent only in weights, so plans are cached by structure
    (:func:`_plan`) and a genome's compilation is then one gather of its weights.
    """

    def __init__(self, key: tuple, inputs: list[int], bias: list[int], outputs: list[int],
                 hidden_act: str, output_act: str):
        links = key[-1]  # ((innovation, in, out), ...) sorted by innovation
        preds: dict[int, list[int]] = {}
        for _, a, b in links:
            preds.setdefault(b, []).append(a)
        # Only nodes that an output depends on are computed.
        needed, stack = set(outputs), list(outputs)
        while stack:
            for p in preds.get(stack.pop(), ()):
                if p not in needed:
                    needed.add(p)
                    stack.append(p)
        fixed = inputs + bias
        depth = dict.fromkeys(fixed, 0)
        for n in needed:
            if n not in depth:
                self._depth(n, preds, depth)
        is_output = set(outputs)
        layers: dict[int, list[int]] = {}
        for n in sorted(needed - set(fixed)):
            layers.setdefault(depth[n], []).append(n)
        order = list(fixed)
        self.n_fixed = len(order)
        self.bias_col = len(inputs) if bias else None
        self.spans = []  # (start, end, end of the hidden part)
        for d in sorted(layers):
            # Hidden nodes before outputs inside a layer: one activation call per kind.
            L = sorted(layers[d], key=lambda n: (n in is_output, n))
            s = len(order)
            order += L
            self.spans.append((s, len(order), s + sum(1 for n in L if n not in is_output)))
        col = {n: j for j, n in enumerate(order)}
        self.order = order
        self.out_cols = np.array([col[o] for o in outputs], dtype=np.intp)
        used = [(i, a, b) for i, a, b in links if a in col and b in col]
        self.links = used
        self.innovations = [i for i, _, _ in used]
        src = np.array([col[a] for _, a, _ in used], dtype=np.intp)
        dst = np.array([col[b] for _, _, b in used], dtype=np.intp)
        # For each layer, flat positions in its (s, e - s) block and the connection index.
        self.blocks = []
        for s, e, _ in self.spans:
            idx = np.flatnonzero((dst >= s) & (dst < e))
            self.blocks.append((src[idx] * (e - s) + dst[idx] - s, idx))
        self.hidden_act = hidden_act
        self.output_act = output_act

    @staticmethod
    def _depth(n, preds, depth):
        # Iterative longest-path depth (a recursive one would overflow on a long chain).
        stack = [n]
        while stack:
            m = stack[-1]
            todo = [p for p in preds.get(m, ()) if p not in depth]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            depth[m] = 1 + max((depth[p] for p in preds.get(m, ())), default=0)


_PLANS: OrderedDict[tuple, _Plan] = OrderedDict()
_PLAN_CACHE_SIZE = 4096


def _plan(genome: Genome, config: NEATConfig, fname: str) -> tuple[_Plan, np.ndarray]:
    """The (cached) plan for ``genome``'s structure, and its weights in the plan's order."""
    inputs, bias, outputs = [], [], []
    for k, v in genome.nodes.items():
        if v == INPUT:
            inputs.append(k)
        elif v == OUTPUT:
            outputs.append(k)
        elif v == BIAS:
            bias.append(k)
    if len(inputs) != config.num_inputs or len(outputs) != config.num_outputs:
        raise ValueError(
            f"{fname}: the genome has {len(inputs)} inputs and {len(outputs)} outputs, "
            f"the config {config.num_inputs} and {config.num_outputs}")
    conns = genome.connections
    links = tuple(sorted((c.innovation, c.in_node, c.out_node)
                         for c in conns.values() if c.enabled))
    inputs.sort()
    outputs.sort()
    key = (tuple(inputs), tuple(bias), tuple(outputs), config.activation,
           config.output_activation, links)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(key, inputs, bias, outputs, config.activation,
                                   config.output_activation)
        if len(_PLANS) > _PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(key)
    w = np.fromiter((conns[i].weight for i in plan.innovations), np.float64,
                    len(plan.innovations))
    return plan, w


def _check_x(fname: str, x, n_inputs: int):
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValueError(f"{fname}: input must have shape (batch, {n_inputs}), got "
                         f"{tuple(x.shape)}")


class FeedForwardNetwork:
    """A genome compiled for fast evaluation on NumPy arrays (no gradients).

    >>> net = FeedForwardNetwork(genome, config)
    >>> net(np.array([[0., 1.], [1., 1.]]))      # (2, num_outputs)
    """

    def __init__(self, genome: Genome, config: NEATConfig):
        plan, weights = _plan(genome, config, "FeedForwardNetwork")
        self.plan = plan
        self.num_inputs = config.num_inputs
        self.W = []
        for (s, e, _), (flat, idx) in zip(plan.spans, plan.blocks):
            W = np.zeros(s * (e - s))
            W[flat] = weights[idx]
            self.W.append(W.reshape(s, e - s))

    def __call__(self, x) -> np.ndarray:
        """Outputs (batch, num_outputs) for inputs (batch, num_inputs), in float64."""
        x = np.asarray(x, dtype=np.float64)
        _check_x("FeedForwardNetwork", x, self.num_inputs)
        p = self.plan
        V = np.empty((x.shape[0], len(p.order)))
        V[:, : self.num_inputs] = x
        if p.bias_col is not None:
            V[:, p.bias_col] = 1.0
        for (s, e, h), W in zip(p.spans, self.W):
            z = np.matmul(V[:, :s], W, out=V[:, s:e])
            if h == e:
                _np_act(p.hidden_act, z)
            elif h == s:
                _np_act(p.output_act, z)
            else:
                _np_act(p.hidden_act, V[:, s:h])
                _np_act(p.output_act, V[:, h:e])
        return V[:, p.out_cols]


class GenomeModule(nn.Module):
    """A genome as a chainrule module: ``weight`` (one entry per enabled connection, in
    innovation order) is a Parameter, so the network trains by backpropagation.

    ``state_dict()`` is ``{"weight": ...}``; the structure travels as ``genome.to_json()``.
    :meth:`write_back` copies trained weights into the genome (Lamarckian evolution).

    >>> model = GenomeModule(genome, config)
    >>> loss = ((model(cr.tensor(X)) - cr.tensor(y)) ** 2).mean()
    """

    def __init__(self, genome: Genome, config: NEATConfig, dtype="float32"):
        super().__init__()
        plan, weights = _plan(genome, config, "GenomeModule")
        self._plan = plan
        self.num_inputs = config.num_inputs
        self.weight = nn.Parameter(cr.tensor(weights, dtype=dtype))
        # Gather indices into [weight, 0]: index len(weight) reads the zero.
        zero = len(weights)
        self._gather = []
        for (s, e, _), (flat, idx) in zip(plan.spans, plan.blocks):
            g = np.full(s * (e - s), zero, dtype=np.intp)
            g[flat] = idx
            self._gather.append(g)

    def forward(self, x):
        if not isinstance(x, cr.Tensor):
            x = cr.tensor(np.asarray(x), dtype=self.weight.dtype)
        _check_x("GenomeModule", x, self.num_inputs)
        p = self._plan
        w = cr.cat([self.weight, cr.zeros(1, dtype=self.weight.dtype)])
        V = x
        if p.bias_col is not None:
            V = cr.cat([x, cr.ones((x.shape[0], 1), dtype=x.dtype)], dim=1)
        for (s, e, h), g in zip(p.spans, self._gather):
            z = V @ w[g].reshape(s, e - s)
            if h == e:
                a = _tensor_act(p.hidden_act, z)
            elif h == s:
                a = _tensor_act(p.output_act, z)
            else:
                a = cr.cat([_tensor_act(p.hidden_act, z[:, : h - s]),
                            _tensor_act(p.output_act, z[:, h - s:])], dim=1)
            V = cr.cat([V, a], dim=1)
        return V[:, p.out_cols]

    def write_back(self, genome: Genome) -> None:
        """Copy this module's weights into ``genome``'s connection genes (and drop the
        genome's cached network)."""
        w = self.weight.detach().numpy()
        for (i, a, b), v in zip(self._plan.links, w):
            gene = genome.connections.get(i)
            if gene is None or gene.in_node != a or gene.out_node != b:
                raise ValueError(f"GenomeModule.write_back: the genome has no connection "
                                 f"{i} ({a} -> {b})")
            gene.weight = float(v)
        genome.clear_cache()

    def extra_repr(self) -> str:
        return (f"inputs={self.num_inputs}, nodes={len(self._plan.order)}, "
                f"layers={len(self._plan.spans)}, connections={len(self._plan.links)}")


def naive_forward(genome: Genome, config: NEATConfig, x) -> np.ndarray:
    """Reference evaluation, one node and one sample at a time in plain Python, in the
    order nodes become ready. Slow; for tests and for reading."""
    x = np.asarray(x, dtype=np.float64)
    _check_x("naive_forward", x, config.num_inputs)
    inputs = sorted(k for k, v in genome.nodes.items() if v == INPUT)
    outputs = sorted(k for k, v in genome.nodes.items() if v == OUTPUT)
    incoming: dict[int, list] = {}
    for c in genome.connections.values():
        if c.enabled:
            incoming.setdefault(c.out_node, []).append(c)
    out = np.empty((x.shape[0], len(outputs)))
    for b, row in enumerate(x):
        value = {i: float(v) for i, v in zip(inputs, row)}
        value.update({k: 1.0 for k, v in genome.nodes.items() if v == BIAS})
        pending = [n for n in sorted(genome.nodes) if n not in value]
        while pending:
            ready = [n for n in pending
                     if all(c.in_node in value for c in incoming.get(n, ()))]
            if not ready:
                raise ValueError("naive_forward: the genome has a cycle")
            for n in ready:
                z = sum(c.weight * value[c.in_node] for c in incoming.get(n, ()))
                name = config.output_activation if genome.nodes[n] == OUTPUT else config.activation
                value[n] = float(_np_act(name, np.array([z], dtype=np.float64))[0])
                pending.remove(n)
        out[b] = [value[o] for o in outputs]
    return out
