"""``explain``: the chain rule, node by node, with numbers a reader can check by hand."""

from __future__ import annotations

import sys

import numpy as np

from .trace import backward_steps, check_output

# The local derivative of each op, as a formula (y is the output; a, b the inputs).
FORMULAS = {
    "Add": "dy/da = 1, dy/db = 1",
    "Sub": "dy/da = 1, dy/db = -1",
    "Mul": "dy/da = b, dy/db = a",
    "Div": "dy/da = 1/b, dy/db = -a/b^2",
    "Neg": "dy/dx = -1",
    "Abs": "dy/dx = sign(x)",
    "Exp": "dy/dx = exp(x) = y",
    "Log": "dy/dx = 1/x",
    "Log1p": "dy/dx = 1/(1 + x)",
    "Sqrt": "dy/dx = 1/(2 y)",
    "Sin": "dy/dx = cos(x)",
    "Cos": "dy/dx = -sin(x)",
    "Tanh": "dy/dx = 1 - y^2",
    "Sigmoid": "dy/dx = y (1 - y)",
    "ReLU": "dy/dx = 1 where x > 0, else 0",
    "LeakyReLU": "dy/dx = 1 where x > 0, else the negative slope",
    "AddScalar": "dy/dx = 1",
    "MulScalar": "dy/dx = c",
    "DivScalar": "dy/dx = 1/c",
    "RSubScalar": "dy/dx = -1",
    "RDivScalar": "dy/dx = -c/x^2",
    "PowScalar": "dy/dx = c x^(c-1)",
    "Pow": "dy/da = b a^(b-1), dy/db = y log(a)",
    "Maximum": "dy/da = 1 where a > b (1/2 on ties)",
    "Minimum": "dy/da = 1 where a < b (1/2 on ties)",
    "Clip": "dy/dx = 1 inside [min, max], else 0",
    "MatMul": "dL/dA = dL/dY @ B^T, dL/dB = A^T @ dL/dY",
    "LinearFunction": "y = x @ W^T + b: dL/dx = dL/dy @ W, dL/dW = dL/dy^T @ x, "
                      "dL/db = dL/dy summed over the batch",
    "Sum": "dy/dx = 1 for every summed element",
    "SumTo": "dy/dx = 1 for every summed element",
    "BroadcastTo": "dL/dx = dL/dy summed over the broadcast axes",
    "Reshape": "dL/dx = dL/dy reshaped back",
    "Transpose": "dL/dx = dL/dy with the axes permuted back",
    "GetItem": "dL/dx = dL/dy scattered back into zeros at the indexed places",
    "Softmax": "dL/dx = y * (dL/dy - sum(dL/dy * y))",
    "LogSoftmax": "dL/dx = dL/dy - softmax(x) * sum(dL/dy)",
    "LogSumExp": "dy/dx = softmax(x)",
}


def _fmt(a, max_elements: int) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return f"{a.reshape(()).item():.6g}"
    flat = a.reshape(-1)
    body = ", ".join(f"{v:.4g}" for v in flat[:max_elements])
    more = f", ... ({a.size} values)" if a.size > max_elements else ""
    return f"shape {a.shape}: [{body}{more}]"


def explain(output, names: dict | None = None, file=None, max_elements: int = 8) -> list:
    """Print the backward pass from the scalar ``output``, step by step.

    For each node, in the order backpropagation visits them: the op and its inputs, the
    upstream gradient dL/dy arriving at its output, the op's local derivative dy/dx
    (its rule, and the numbers for elementwise ops), and their product dL/dx sent to each
    input: the chain rule, dL/dx = dL/dy * dy/dx (summed over the axes an input was
    broadcast along). For other ops (matmul, linear, sums) the input values are printed so
    the rule can be applied by hand. Leaves are named from ``names`` (e.g.
    ``dict(model.named_parameters())``), else x0, x1...; the output is L, intermediate
    results t1, t2...

    Call it before ``backward()`` (or after ``backward(retain_graph=True)``); the graph is
    left as it was. Returns the list of steps (``trace.Step``).

    >>> loss = ((w * x).tanh() - 1.0) ** 2
    >>> diagnose.explain(loss, names={"w": w, "x": x})
    """
    check_output("explain", output)
    if not isinstance(max_elements, int) or isinstance(max_elements, bool) or max_elements < 1:
        raise ValueError(f"explain: max_elements must be a positive integer, got "
                         f"{max_elements!r}")
    if file is not None and not callable(getattr(file, "write", None)):
        raise TypeError(f"explain: file must be a text stream with write(), got "
                        f"{type(file).__name__}")
    steps, leaf_grads, namer = backward_steps(output, names, fname="explain")
    out = file or sys.stdout

    def say(text):
        print(text, file=out)

    loss_name = namer.by_id[id(output)]
    say(f"Backward pass from {loss_name} = {_fmt(output.numpy(), max_elements)}; "
        f"dL/d{loss_name} = 1")
    for s in steps:
        op = s.node.name
        y = s.output_names[0]
        say(f"\nstep {s.index}: {', '.join(s.output_names)} = {op}({', '.join(s.input_names)})")
        for o, u in zip(s.output_names, s.upstream):
            say(f"  upstream   dL/d{o} = {_fmt(u, max_elements)}")
        if op in FORMULAS:
            say(f"  rule       {FORMULAS[op]}")
        elementwise = any(loc is not None for loc in s.local)
        if not elementwise:
            for name, x, d in zip(s.input_names, s.inputs, s.downstream):
                if d is not None or x.creator is None:
                    say(f"  value      {name} = {_fmt(x.numpy(), max_elements)}")
        for name, loc, d in zip(s.input_names, s.local, s.downstream):
            if d is None:
                continue
            if loc is None:
                say(f"  chain rule dL/d{name} = {_fmt(d, max_elements)}")
                continue
            say(f"  local      d{y}/d{name} = {_fmt(loc, max_elements)}")
            product = f"dL/d{y} * d{y}/d{name}"
            if np.shape(d) != np.shape(loc):
                product += f", summed to {name}'s shape {np.shape(d)}"
            say(f"  chain rule dL/d{name} = {product} = {_fmt(d, max_elements)}")
    leaves = [(namer.by_id[k], g) for k, g in leaf_grads.items() if k in namer.by_id]
    if leaves:
        say("\ngradients of the leaves (what backward() puts in .grad):")
        for name, g in leaves:
            say(f"  dL/d{name} = {_fmt(g, max_elements)}")
    return steps
