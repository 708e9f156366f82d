"""Random op programs in float64: values and gradients against PyTorch and against
central finite differences.

A program starts from a few leaf tensors and applies 2 to 6 ops drawn from ``OPS``, each
to operands drawn from what exists so far (binary ops only to shapes that broadcast);
the result is reduced to a scalar with fixed random weights. Every op keeps its inputs in
its domain by construction (``log(x^2 + 0.5)``, ``a / (b^2 + 0.5)``), so a mismatch is a
bug, not an edge case. The same program is built twice, once with ``chainrule`` and once
with ``torch``, through the two small adaptors below, so the op list is written once.

Run one seed by hand: ``python -m tests.fuzz.gradfuzz SEED``.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F

RTOL = 1e-6
FD_RTOL = 1e-4


class _CR:
    """The chainrule side of the op list."""

    tensor_type = cr.Tensor

    exp, log, tanh, sigmoid, relu, sqrt = cr.exp, cr.log, cr.tanh, cr.sigmoid, cr.relu, cr.sqrt
    sin, cos, abs, log1p, maximum, minimum = cr.sin, cr.cos, cr.abs, cr.log1p, cr.maximum, \
        cr.minimum
    softplus, silu, elu, leaky_relu = F.softplus, F.silu, F.elu, F.leaky_relu

    @staticmethod
    def gelu(x, tanh=False):
        return F.gelu(x, approximate="tanh" if tanh else "none")

    @staticmethod
    def clamp(x, lo, hi):
        return cr.clamp(x, lo, hi)

    @staticmethod
    def where(c, a, b):
        return cr.where(c, a, b)

    @staticmethod
    def pow(a, b):
        return cr.pow(a, b)

    @staticmethod
    def softmax(x, d):
        return cr.softmax(x, d)

    @staticmethod
    def log_softmax(x, d):
        return cr.log_softmax(x, d)

    @staticmethod
    def logsumexp(x, d):
        return cr.logsumexp(x, d, True)

    @staticmethod
    def sum(x, d):
        return cr.sum(x, d, True)

    @staticmethod
    def mean(x, d):
        return cr.mean(x, d, True)

    @staticmethod
    def var(x, d):
        return cr.var(x, d, keepdim=True, correction=0)

    @staticmethod
    def matmul(a, b):
        return cr.matmul(a, b)

    @staticmethod
    def t(x):
        return x.T

    @staticmethod
    def const(a):
        return cr.tensor(a, dtype="float64")


class _TH:
    """The PyTorch side (imported lazily: torch is a test oracle only)."""

    def __init__(self):
        import torch

        torch.set_num_threads(1)  # tiny tensors: threads only cost time on a shared machine
        self.torch = torch
        f = torch.nn.functional
        self.tensor_type = torch.Tensor
        for name in ("exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos", "abs",
                     "log1p", "maximum", "minimum", "where", "pow", "matmul"):
            setattr(self, name, getattr(torch, name))
        self.softplus, self.silu, self.elu, self.leaky_relu = f.softplus, f.silu, f.elu, \
            f.leaky_relu
        self._f = f

    def gelu(self, x, tanh=False):
        return self._f.gelu(x, approximate="tanh" if tanh else "none")

    def clamp(self, x, lo, hi):
        return self.torch.clamp(x, lo, hi)

    def softmax(self, x, d):
        return self.torch.softmax(x, d)

    def log_softmax(self, x, d):
        return self.torch.log_softmax(x, d)

    def logsumexp(self, x, d):
        return self.torch.logsumexp(x, d, keepdim=True)

    def sum(self, x, d):
        return self.torch.sum(x, d, keepdim=True)

    def mean(self, x, d):
        return self.torch.mean(x, d, keepdim=True)

    def var(self, x, d):
        return self.torch.var(x, d, keepdim=True, correction=0)

    @staticmethod
    def t(x):
        return x.T

    def const(self, a):
        return self.torch.tensor(a, dtype=self.torch.float64)


def _unary(f):
    return 1, lambda B, x, k: f(B, x)


#: name: (arity, build(B, *operands, k)) where k is a small random int fixed per step.
OPS = {
    "neg": _unary(lambda B, x: -x),
    "exp": _unary(lambda B, x: B.exp(B.tanh(x) * 3)),
    "log": _unary(lambda B, x: B.log(x * x + 0.5)),
    "tanh": _unary(lambda B, x: B.tanh(x)),
    "sigmoid": _unary(lambda B, x: B.sigmoid(x * 2)),
    "relu": _unary(lambda B, x: B.relu(x)),
    "sqrt": _unary(lambda B, x: B.sqrt(x * x + 0.1)),
    "sin": _unary(lambda B, x: B.sin(x)),
    "cos": _unary(lambda B, x: B.cos(x)),
    "abs": _unary(lambda B, x: B.abs(x)),
    "log1p": _unary(lambda B, x: B.log1p(x * x)),
    "softplus": _unary(lambda B, x: B.softplus(x)),
    "gelu": _unary(lambda B, x: B.gelu(x)),
    "gelu_tanh": _unary(lambda B, x: B.gelu(x, tanh=True)),
    "silu": _unary(lambda B, x: B.silu(x)),
    "elu": _unary(lambda B, x: B.elu(x)),
    "leaky_relu": _unary(lambda B, x: B.leaky_relu(x, 0.1)),
    "clamp": _unary(lambda B, x: B.clamp(x, -0.5, 0.7)),
    "square": _unary(lambda B, x: x * x),
    "rpow": _unary(lambda B, x: (x * x + 0.2) ** 1.5),
    "softmax": (1, lambda B, x, k: B.softmax(x, k % x.ndim) if x.ndim else x),
    "log_softmax": (1, lambda B, x, k: B.log_softmax(x, k % x.ndim) if x.ndim else x),
    "logsumexp": (1, lambda B, x, k: B.logsumexp(x, k % x.ndim) if x.ndim else x),
    "sum": (1, lambda B, x, k: B.sum(x, k % x.ndim) if x.ndim else x),
    "mean": (1, lambda B, x, k: B.mean(x, k % x.ndim) if x.ndim else x),
    "var": (1, lambda B, x, k: B.var(x, k % x.ndim) + x
            if x.ndim and x.shape[k % x.ndim] > 1 else x),
    "transpose": (1, lambda B, x, k: B.t(x) if x.ndim == 2 else x),
    "add": (2, lambda B, a, b, k: a + b),
    "sub": (2, lambda B, a, b, k: a - b),
    "mul": (2, lambda B, a, b, k: a * b),
    "div": (2, lambda B, a, b, k: a / (b * b + 0.5)),
    "maximum": (2, lambda B, a, b, k: B.maximum(a, b)),
    "minimum": (2, lambda B, a, b, k: B.minimum(a, b)),
    "where": (2, lambda B, a, b, k: B.where(a > b, a, b * 2)),
    "pow": (2, lambda B, a, b, k: B.pow(a * a + 0.1, B.tanh(b) * 2)),
    "matmul": (2, lambda B, a, b, k: B.matmul(a, B.t(b))),
}

LEAF_SHAPES = [(3, 4), (4,), (3, 4), (1, 4), (3, 1), ()]


def _fits(name: str, a_shape, b_shape) -> bool:
    if name == "matmul":
        return len(a_shape) == 2 and len(b_shape) == 2 and a_shape[1] == b_shape[1]
    try:
        np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        return False
    return True


def make_program(seed: int) -> dict:
    """A random program: leaf values, steps ``(op, operand indices, k)``, output weights."""
    g = np.random.default_rng(seed)
    n_leaves = int(g.integers(1, 4))
    shapes = [LEAF_SHAPES[i] for i in g.choice(len(LEAF_SHAPES), n_leaves)]
    leaves = [g.normal(0, 1.2, size=s) for s in shapes]
    names = list(OPS)
    steps, pool = [], list(shapes)
    for _ in range(int(g.integers(2, 7))):
        name = names[int(g.integers(len(names)))]
        arity = OPS[name][0]
        a = int(g.integers(len(pool)))
        operands = [a]
        if arity == 2:
            fits = [i for i, s in enumerate(pool) if _fits(name, pool[a], s)]
            if not fits:
                continue
            operands.append(fits[int(g.integers(len(fits)))])
        k = int(g.integers(0, 4))
        steps.append((name, operands, k))
        pool.append(None)  # its shape is known only once run; filled by _run
        pool[-1] = _shape_after(name, [pool[i] for i in operands], k)
    return {"seed": seed, "leaves": leaves, "steps": steps,
            "weights": g.normal(size=pool[-1])}


def _shape_after(name, shapes, k):
    dummy = [np.zeros(s) for s in shapes]
    out = OPS[name][1](_NP, *dummy, k)
    return np.shape(out)


class _NPShapes:
    """Shape-only stand-in for the builder: every op maps to a NumPy equivalent."""

    def __getattr__(self, name):
        def keep(*args, **kw):
            return args[0]

        table = {
            "maximum": np.maximum, "minimum": np.minimum, "where": np.where,
            "pow": np.power, "matmul": np.matmul,
            "softmax": lambda x, d: x, "log_softmax": lambda x, d: x,
            "logsumexp": lambda x, d: x.sum(d, keepdims=True),
            "sum": lambda x, d: x.sum(d, keepdims=True),
            "mean": lambda x, d: x.sum(d, keepdims=True),
            "var": lambda x, d: x.sum(d, keepdims=True),
            "t": lambda x: x.T, "clamp": lambda x, lo, hi: x,
        }
        return table.get(name, keep)


_NP = _NPShapes()


def run(B, program, leaves):
    """The program's scalar output, built with backend ``B`` from ``leaves``."""
    pool = list(leaves)
    for name, operands, k in program["steps"]:
        pool.append(OPS[name][1](B, *[pool[i] for i in operands], k))
    return (pool[-1] * B.const(program["weights"])).sum()


def describe(program) -> str:
    return " -> ".join(f"{n}{tuple(o)}" for n, o, _ in program["steps"])


def check(program, torch_side, fd: bool = True) -> str | None:
    """None if chainrule agrees with PyTorch (and finite differences); else what differs.
    Programs where PyTorch itself is not finite return None (nothing to compare)."""
    torch = torch_side.torch
    t_leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                for a in program["leaves"]]
    t_out = run(torch_side, program, t_leaves)
    t_grads = torch.autograd.grad(t_out, t_leaves, allow_unused=True)
    want_value = float(t_out.detach())
    want = [np.zeros_like(a) if g is None else g.numpy() for g, a in
            zip(t_grads, program["leaves"])]
    if not np.isfinite(want_value) or not all(np.isfinite(w).all() for w in want):
        return None
    c_leaves = [cr.tensor(a, dtype="float64", requires_grad=True) for a in program["leaves"]]
    c_out = run(_CR, program, c_leaves)
    c_out.backward()
    got_value = float(c_out.item())
    got = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for t, a in
           zip(c_leaves, program["leaves"])]
    where = f"seed {program['seed']}: {describe(program)}"
    if not np.isclose(got_value, want_value, rtol=RTOL, atol=1e-12):
        return f"{where}: value {got_value!r} vs PyTorch {want_value!r}"
    for i, (g, w) in enumerate(zip(got, want)):
        scale = 1e-10 * (1 + float(np.abs(w).max(initial=0)))
        if g.shape != w.shape or not np.allclose(g, w, rtol=RTOL, atol=scale):
            return f"{where}: gradient of leaf {i}: {g!r} vs PyTorch {w!r}"
    if fd:
        return _check_fd(program, got, where)
    return None


def _check_fd(program, grads, where) -> str | None:
    """A directional central difference against the analytic directional derivative."""
    g = np.random.default_rng(program["seed"] + 1)
    direction = [g.normal(size=np.shape(a)) for a in program["leaves"]]
    analytic = sum(float((gr * d).sum()) for gr, d in zip(grads, direction))
    misses = []
    for h in (1e-6, 1e-7, 1e-5):  # a step that crosses a kink fails for one h, not all
        with cr.no_grad():
            plus = [cr.tensor(a + h * d, dtype="float64") for a, d in
                    zip(program["leaves"], direction)]
            minus = [cr.tensor(a - h * d, dtype="float64") for a, d in
                     zip(program["leaves"], direction)]
            fd = (float(run(_CR, program, plus).item()) -
                  float(run(_CR, program, minus).item())) / (2 * h)
        # Finite differences carry truncation and rounding error (large where the program
        # oscillates fast): a looser second oracle; PyTorch is held to RTOL.
        if abs(fd - analytic) <= FD_RTOL * max(1.0, abs(analytic), abs(fd)):
            return None
        misses.append(f"h={h:g}: {fd!r}")
    return f"{where}: directional derivative {analytic!r} vs finite differences " \
           f"{', '.join(misses)}"


def fuzz(first_seed: int, count: int, fd: bool = True) -> tuple[list[str], int]:
    """Check ``count`` programs from ``first_seed``: the mismatches and how many were
    compared (programs where PyTorch is non-finite are not)."""
    torch_side = _TH()
    mismatches, compared = [], 0
    for seed in range(first_seed, first_seed + count):
        program = make_program(seed)
        problem = check(program, torch_side, fd)
        if problem is not None:
            mismatches.append(problem)
        compared += 1
    return mismatches, compared


if __name__ == "__main__":
    import sys

    prog = make_program(int(sys.argv[1]))
    print(describe(prog))
    print(check(prog, _TH()) or "agrees")
