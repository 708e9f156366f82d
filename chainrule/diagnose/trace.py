"""Walk a graph's backward pass node by node without changing it (for explain and draw)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autograd import _walk, no_grad
from ..tensor import Tensor


@dataclass
class Step:
    """One node of the backward pass: its op, the upstream gradients of its outputs and the
    gradients it sends to each input (None where an input needs none)."""

    index: int
    node: object
    inputs: list  # input Tensors
    input_names: list
    output_names: list
    upstream: list  # arrays: dL/d(output_i)
    downstream: list  # arrays or None: dL/d(input_j), in the input's shape
    local: list  # arrays or None: d(output)/d(input_j) for elementwise ops, output-shaped


class Namer:
    """Readable names for tensors: given names for parameters, x0, x1... for other leaves,
    t1, t2... for intermediate results."""

    def __init__(self, names: dict | None = None, fname: str = "explain"):
        if names is not None and not isinstance(names, dict):
            raise TypeError(f"{fname}: names must be a dict of name -> Tensor (e.g. "
                            f"dict(model.named_parameters())), got {type(names).__name__}")
        for n, t in (names or {}).items():
            if not isinstance(t, Tensor):
                raise TypeError(f"{fname}: names[{n!r}] must be a Tensor, got "
                                f"{type(t).__name__}")
        self.by_id = {id(t): str(n) for n, t in (names or {}).items()}
        self.leaves = 0
        self.inner = 0

    def __call__(self, t, leaf: bool) -> str:
        k = id(t)
        if k not in self.by_id:
            if leaf:
                self.by_id[k] = f"x{self.leaves}"
                self.leaves += 1
            else:
                self.inner += 1
                self.by_id[k] = f"t{self.inner}"
        return self.by_id[k]


def check_output(fname: str, output) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"{fname}: expected a Tensor, got {type(output).__name__}")
    if output.creator is None:
        raise ValueError(
            f"{fname}: the tensor has no graph (it is a leaf, or was computed under no_grad)"
        )
    if output.creator.inputs is None:
        raise RuntimeError(
            f"{fname}: the graph was freed by backward(); call {fname} before backward(), or "
            f"call backward(retain_graph=True)"
        )


def backward_steps(output: Tensor, names: dict | None = None, local: bool = True,
                   fname: str = "backward_steps"):
    """The steps of backpropagating from a scalar ``output``, in the order the engine runs
    them, plus the final gradient of every leaf ({id: array}) and the namer used.

    The output is called L unless ``names`` names it.
    """
    if output.numel() != 1:
        raise ValueError(
            f"{fname}: the output must be a scalar (one element, like a loss), got shape "
            f"{tuple(output.shape)}"
        )
    namer = Namer(names, fname)
    namer.by_id.setdefault(id(output), "L")
    steps, leaf_grads = [], {}

    def leaf(x, g, passthrough):
        k = id(x)
        leaf_grads[k] = g.numpy() if k not in leaf_grads else leaf_grads[k] + g.numpy()

    def observe(node, inputs, gys, gxs):
        locs = [None] * len(inputs)
        if local and node.elementwise:
            ones = node.backward(*[Tensor(output.xp.ones_like(g.array)) for g in gys])
            ones = ones if isinstance(ones, tuple) else (ones,)
            # Before undoing broadcasting: the derivative of each output element.
            locs = [None if o is None else np.broadcast_to(o.numpy(), gys[0].shape)
                    for o in ones]
        steps.append(Step(
            index=len(steps) + 1,
            node=node,
            inputs=list(inputs),
            input_names=[namer(x, x.creator is None) for x in inputs],
            output_names=[namer(o, False) if o is not None else "?"
                          for o in (r() for r in node.outputs)],
            upstream=[g.numpy() for g in gys],
            downstream=[None if g is None else g.numpy() for g in gxs],
            local=locs,
        ))

    seed = Tensor(output.xp.ones(output.shape, output.dtype))
    with no_grad():
        # The engine's own walk, run with the graph kept: the steps are the ones backward()
        # takes, in its order.
        _walk([output], [seed], leaf, retain_graph=True, observe=observe)
    return steps, leaf_grads, namer


def _index(t) -> int:
    for i, r in enumerate(t.creator.outputs):
        if r() is t:
            return i
    raise RuntimeError("backward_steps: a tensor is missing from its creator's outputs")
