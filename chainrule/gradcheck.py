"""Check analytical gradients against finite differences.

``gradcheck`` compares the Jacobian that backpropagation computes with central differences
in float64: for an input element x_j and output element y_i,

    J_ij ~= (y_i(x + eps e_j) - y_i(x - eps e_j)) / (2 eps)

For large inputs it checks random directions instead of every element: with random u (input
space) and v (output space), v^T J u from backpropagation must match
(v . y(x + eps u) - v . y(x - eps u)) / (2 eps).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .autograd import enable_grad, grad, is_grad_enabled, no_grad
from .tensor import Tensor

#: Above this many Jacobian entries, gradcheck switches to random directional checks.
FULL_JACOBIAN_LIMIT = 20_000


class GradcheckError(AssertionError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x):
    if isinstance(x, (Tensor, np.ndarray)) or not isinstance(x, (list, tuple)):
        return (x,)
    return tuple(x)


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = _as_tuple(out)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _flat_out(fn, inputs) -> np.ndarray:
    with no_grad():
        outs = _outputs(fn, inputs)
    return np.concatenate([np.asarray(o.numpy(), np.float64).ravel() for o in outs])


def _check_inputs(fname, inputs):
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError(f"{fname}: no input requires grad; nothing to check")
    for t in diff:
        if t.dtype != np.float64:
            raise TypeError(
                f"{fname}: inputs that require grad must be float64 for finite differences to be "
                f"accurate, got {t.dtype} for an input of shape {tuple(t.shape)}"
            )
    return diff


def _report(fname, kind, where, num, ana, atol, rtol):
    return (
        f"{fname}: {kind} mismatch at {where}: numerical {num:.8g}, analytical {ana:.8g} "
        f"(|diff| {abs(num - ana):.3g} > atol {atol:g} + rtol {rtol:g} * |numerical|)"
    )


def gradcheck(
    fn: Callable,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    n_directions: int = 8,
    seed: int = 0,
    _fname: str = "gradcheck",
) -> bool:
    """Compare backprop gradients of ``fn(*inputs)`` with central differences.

    ``inputs`` is a Tensor or a tuple; those with ``requires_grad=True`` (float64) are
    checked. Returns True, or raises ``GradcheckError`` naming the worst element (or
    returns False with ``raise_exception=False``).

    >>> x = cr.randn(3, dtype="float64", requires_grad=True)
    >>> cr.gradcheck(lambda x: (x.tanh() * x).sum(), x)
    True
    """
    inputs = _as_tuple(inputs)
    diff = _check_inputs(_fname, inputs)
    with no_grad():
        outs = _outputs(fn, inputs)
    n_out = sum(o.numel() for o in outs)
    n_in = sum(t.numel() for t in diff)
    if n_out == 0 or n_in == 0:
        return True
    for o in outs:
        if o.dtype.kind == "f" and o.dtype != np.float64:
            raise TypeError(f"{_fname}: fn returned {o.dtype}; compute in float64 for the check")

    def analytical_vjp(v: np.ndarray):
        outs = _outputs(fn, inputs)
        pieces, k = [], 0
        for o in outs:
            pieces.append(Tensor(v[k : k + o.numel()].reshape(o.shape).astype(o.dtype)))
            k += o.numel()
        live = [(o, g) for o, g in zip(outs, pieces) if o.requires_grad]
        if not live:
            return [np.zeros(t.shape) for t in diff]
        gs = grad([o for o, _ in live], diff, [g for _, g in live], allow_unused=True)
        return [np.zeros(t.shape) if g is None else np.asarray(g.numpy(), np.float64) for g, t in
                zip(gs, diff)]

    def numerical_jvp(u_list):
        saved = [t.array.copy() for t in diff]
        try:
            for t, u in zip(diff, u_list):
                t.array += eps * u
            plus = _flat_out(fn, inputs)
            for t, s, u in zip(diff, saved, u_list):
                t.array[...] = s - eps * u
            minus = _flat_out(fn, inputs)
        finally:
            for t, s in zip(diff, saved):
                t.array[...] = s
        return (plus - minus) / (2 * eps)

    ok = True
    message = ""
    if n_out * n_in <= FULL_JACOBIAN_LIMIT:
        # Numerical Jacobian column by column, analytical row by row.
        num = np.zeros((n_out, n_in))
        col = 0
        for ti, t in enumerate(diff):
            for j in range(t.numel()):
                us = [np.zeros(s.shape) for s in diff]
                us[ti].reshape(-1)[j] = 1.0
                num[:, col] = numerical_jvp(us)
                col += 1
        ana = np.zeros((n_out, n_in))
        for i in range(n_out):
            v = np.zeros(n_out)
            v[i] = 1.0
            ana[i] = np.concatenate([g.ravel() for g in analytical_vjp(v)])
        err = np.abs(num - ana) - (atol + rtol * np.abs(num))
        # A NaN on either side is a mismatch (a comparison with NaN would let it pass), and
        # the worst one to report.
        err = np.where(np.isnan(err), np.inf, err)
        if (err > 0).any():
            i, j = np.unravel_index(np.argmax(err), err.shape)
            ti, jj = _locate(diff, j)
            oi, ii = _locate(outs, i)
            where = (f"output {oi} (shape {tuple(outs[oi].shape)}) element "
                     f"{_index(ii, outs[oi].shape)}, input {ti} (shape {tuple(diff[ti].shape)}) "
                     f"element {_index(jj, diff[ti].shape)}")
            message = _report(_fname, "Jacobian", where, num[i, j], ana[i, j], atol, rtol)
            ok = False
    else:
        g = np.random.default_rng(seed)
        for d in range(n_directions):
            us = [g.standard_normal(t.shape) for t in diff]
            v = g.standard_normal(n_out)
            num = float(v @ numerical_jvp(us))
            ana = float(sum((a * u).sum() for a, u in zip(analytical_vjp(v), us)))
            if not abs(num - ana) <= atol + rtol * abs(num):  # NaN fails too
                message = _report(_fname, "directional derivative",
                                  f"random direction {d}", num, ana, atol, rtol)
                ok = False
                break
    if not ok and raise_exception:
        raise GradcheckError(message)
    return ok


def _index(flat, shape):
    """A flat index as a tuple of Python ints in ``shape``."""
    return tuple(int(k) for k in np.unravel_index(flat, shape))


def _locate(diff, j):
    for ti, t in enumerate(diff):
        if j < t.numel():
            return ti, j
        j -= t.numel()
    raise IndexError(j)


def gradgradcheck(
    fn: Callable,
    inputs,
    grad_outputs=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, v) -> v^T J(inputs).

    ``grad_outputs`` (random when None, from ``seed``) take part as inputs requiring grad, as
    in ``torch.autograd.gradgradcheck``.
    """
    inputs = _as_tuple(inputs)
    _check_inputs("gradgradcheck", inputs)
    with no_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        g = np.random.default_rng(seed)
        grad_outputs = [Tensor(g.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        grad_outputs = [
            Tensor(np.array(v.numpy() if isinstance(v, Tensor) else v, np.float64),
                   requires_grad=True)
            for v in _as_tuple(grad_outputs)
        ]
    n_in = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n_in], args[n_in:]
        outer = is_grad_enabled()  # False while gradcheck takes finite differences
        with enable_grad():  # gradcheck evaluates under no_grad; the inner grad needs a graph
            outs = _outputs(fn, xs)
            d = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
            gs = grad(list(outs), d, list(vs), create_graph=outer,
                      allow_unused=True)
        # An input the first derivative does not depend on gets a zero that is still a graph.
        return tuple(t * 0.0 if g is None else g for g, t in zip(gs, d))

    return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, seed=seed,
                     _fname="gradgradcheck")
