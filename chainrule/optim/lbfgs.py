"""L-BFGS (Nocedal & Wright, Algorithm 7.4), as ``torch.optim.LBFGS``.

Each ``step(closure)`` runs up to ``max_iter`` iterations: the search direction is
-H g, with H the inverse-Hessian estimate from the last ``history_size`` pairs
(s = x_{k+1} - x_k, y = g_{k+1} - g_k) by the two-loop recursion, scaled by
H_0 = s^T y / y^T y; a pair is kept only when s^T y > 1e-10 (curvature condition). The
step length is ``lr`` (``min(1, 1/|g|_1) * lr`` on the very first iteration), with no line
search: PyTorch's optional ``line_search_fn="strong_wolfe"`` is not implemented here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from .optimizer import Optimizer, ParamsT


class LBFGS(Optimizer):
    """L-BFGS over all parameters (one parameter group), as ``torch.optim.LBFGS``.

    ``step`` needs a ``closure`` that zeroes the gradients, computes the loss, calls
    ``backward()`` and returns the loss.

    >>> opt = cr.optim.LBFGS(model.parameters(), lr=1)
    >>> def closure():
    ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
    >>> opt.step(closure)
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check_group(self, group: dict[str, Any]) -> None:
        if not group["lr"] > 0:
            raise ValueError(f"LBFGS: invalid learning rate: {group['lr']}")
        for k in ("max_iter", "max_eval", "history_size"):
            v = group[k]
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"LBFGS: {k} must be a positive int, got {v!r}")
        if group["line_search_fn"] is not None:
            raise ValueError(
                f"LBFGS: line_search_fn={group['line_search_fn']!r} is not supported; only "
                f"None (a fixed step of lr) is implemented"
            )

    def _flat_grad(self) -> np.ndarray:
        parts = []
        for p in self._params:
            g = p.grad
            parts.append(np.zeros(p.numel(), p.dtype) if g is None else g.numpy().reshape(-1))
        return np.concatenate(parts)

    def _add(self, t: float, d: np.ndarray) -> None:
        """params += t * d (in place, as the optimizer's update)."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.array[...] += (t * d[offset : offset + n]).reshape(p.shape).astype(p.dtype)
            p._version += 1
            offset += n

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # noqa: C901
        """Run up to ``max_iter`` L-BFGS iterations; returns the first ``closure()`` loss."""
        if closure is None:
            raise RuntimeError("LBFGS: step needs a closure that computes and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # the curvature condition: keep the pair
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                # Two-loop recursion: d = -H g.
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ r) * ro[i]
                    r = r + (al[i] - be_i) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:  # not a descent direction
                break

            self._add(t, d)
            ls_evals = 0
            opt_cond = False
            if n_iter != max_iter:
                with enable_grad():
                    loss = float(closure())
                flat_grad = self._flat_grad()
                opt_cond = bool(np.abs(flat_grad).max() <= tol_grad)
                ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
