"""PyTorch's ``autograd.Function`` protocol on chainrule's engine.

A PyTorch-style custom op is a subclass of ``cr.autograd.Function`` with *static*
``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``, called through ``.apply``:

    class Exp(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y

    y = Exp.apply(x)

``forward`` runs on Tensors with graph recording off; ``backward`` gets one gradient per
output and returns one per ``forward`` argument (None for non-tensors or where
``ctx.needs_input_grad`` is False). Gradients written with chainrule ops can be
differentiated again (``create_graph=True``). chainrule's own protocol (``forward`` and
``backward`` on instances, arrays in, see ``chainrule.autograd.Function``) stays beside it.
"""

from __future__ import annotations

from . import autograd
from .autograd import Function
from .tensor import Tensor


class FunctionCtx:
    """The ``ctx`` handed to a static ``forward`` and ``backward``."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.to_save: tuple = ()
        self.non_differentiable: set = set()
        self._saved = None

    def save_for_backward(self, *tensors) -> None:
        """Keep these tensors (inputs, outputs or None) for backward's ``saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward: expects Tensors or None, got {type(t).__name__}; "
                    f"keep other values as attributes of ctx"
                )
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError("saved_tensors: only available in backward")
        return self._saved

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs get no gradient and do not require grad."""
        self.non_differentiable.update(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted; backward always gets zeros for an output that got no gradient (the
        default, ``True``, in PyTorch)."""

    def mark_dirty(self, *tensors) -> None:
        raise RuntimeError(
            "mark_dirty: in-place custom Functions are not supported; return a new tensor"
        )


class _CtxNode(Function):
    """The engine node of one ``.apply`` call: forward and backward call the user's static
    methods with Tensors."""

    saves_inputs = True

    def __init__(self, cls, ctx, args, slots):
        self.cls, self.ctx, self.args, self.slots = cls, ctx, args, slots

    @property
    def name(self) -> str:
        return self.cls.__name__ + "Backward"

    def forward(self, *arrays):
        args = list(self.args)
        self.in_wrappers = {}
        for i, a in zip(self.slots, arrays):
            args[i] = Tensor._make(a, False)
            self.in_wrappers[id(args[i])] = i
        with autograd.no_grad():
            out = self.cls.forward(self.ctx, *args)
        self.multi = isinstance(out, tuple)
        outs = out if self.multi else (out,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{self.cls.__name__}.forward: must return Tensors, got {type(o).__name__}"
                )
        self.out_wrappers = outs
        arrays_out = tuple(o.array for o in outs)
        return arrays_out if self.multi else arrays_out[0]

    def backward(self, *gys):
        grads = self.cls.backward(self.ctx, *gys)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n = len(self.args)
        if len(grads) < n:
            raise RuntimeError(
                f"{self.cls.__name__}.backward: returned {len(grads)} gradients, forward took "
                f"{n} arguments (return None for those that need none)"
            )
        if any(g is not None for g in grads[n:]):
            raise RuntimeError(
                f"{self.cls.__name__}.backward: returned {len(grads)} gradients for {n} "
                f"forward arguments"
            )
        out = []
        for i in self.slots:
            g = grads[i]
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(
                    f"{self.cls.__name__}.backward: gradient {i} must be a Tensor or None, got "
                    f"{type(g).__name__}"
                )
            out.append(g)
        return tuple(out)

    def release(self):
        super().release()
        self.ctx._saved = None
        self.out_wrappers = None


def apply(cls, *args):
    """Run ``cls.forward(ctx, *args)`` as one node of the graph (``Function.apply``)."""
    slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    recording = autograd.is_grad_enabled()
    needs = tuple(
        isinstance(a, Tensor) and a.requires_grad and recording for a in args
    )
    ctx = FunctionCtx(needs)
    node = _CtxNode(cls, ctx, args, slots)
    result = node(*[args[i] for i in slots])
    outs = result if isinstance(result, tuple) else (result,)
    # Saved tensors: the real inputs and outputs of the graph, not the wrappers forward saw,
    # so that a backward written with chainrule ops can be differentiated again.
    by_id = {id(w): out for w, out in zip(node.out_wrappers, outs)}
    by_id.update({k: args[i] for k, i in node.in_wrappers.items()})
    ctx._saved = tuple(None if t is None else by_id.get(id(t), t) for t in ctx.to_save)
    for w, o in zip(node.out_wrappers, outs):
        if id(w) in ctx.non_differentiable or o.array.dtype.kind not in "fc":
            o.requires_grad = False
    node.out_wrappers = None
    return result


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``grad_fn.next_functions``."""

    def __init__(self, variable: Tensor):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def next_functions(node) -> tuple:
    """``((fn, output_index), ...)`` for each input of ``node``: its creator, an
    ``AccumulateGrad`` for a leaf that requires grad, or None."""
    if node.inputs is None:
        return ()
    out = []
    for x in node.inputs:
        if x.creator is not None:
            out.append((x.creator, autograd._output_index(x)))
        elif x.requires_grad:
            out.append((AccumulateGrad(x), 0))
        else:
            out.append((None, 0))
    return tuple(out)
