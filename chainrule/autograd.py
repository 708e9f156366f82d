"""The reverse-mode engine: ``Function`` nodes, the backward pass, ``grad`` and grad modes.

A ``Function`` is one op. ``forward`` takes and returns backend arrays; ``backward`` takes
the output gradients as Tensors and returns one gradient per input (or None), written with
chainrule operations. With graph recording on (``create_graph=True``) those operations
build a graph of their own, so gradients can be differentiated again; with it off (the
usual first-order case) the same code runs and records nothing.

The backward pass visits nodes in decreasing *generation* (one more than the largest
generation among a node's inputs) with a heap, so it needs no recursion: a chain of
100,000 ops backpropagates as easily as a chain of three.
"""

from __future__ import annotations

import contextlib
import heapq
import weakref
from collections.abc import Sequence

# "in_backward": inside a backward rule, where anomaly checks name the rule's op, not the
# ops its gradient formula is written with.
_state = {"grad_enabled": True, "anomaly": False, "in_backward": False}

# ``Tensor._make``, set by tensor.py once Tensor exists (tensor.py imports this module).
_make_tensor = None


def is_grad_enabled() -> bool:
    """True when operations record a graph for backpropagation."""
    return _state["grad_enabled"]


def arrays_only() -> bool:
    """True when graph recording and anomaly detection are both off: an op then needs no
    node and no check, so a hot layer may compute on arrays directly (inference)."""
    return not _state["grad_enabled"] and not _state["anomaly"]


class _GradMode(contextlib.ContextDecorator):
    """Sets graph recording on or off inside a ``with`` block or a decorated function."""

    enabled = True

    def __enter__(self):
        # A stack, not one saved value: a decorated function may call itself, and one
        # instance may be entered again before it is left.
        self.__dict__.setdefault("_prev", []).append(_state["grad_enabled"])
        _state["grad_enabled"] = self.enabled

    def __exit__(self, *exc):
        _state["grad_enabled"] = self._prev.pop()
        return False


class _NoArgGradMode(_GradMode):
    """A grad mode that also decorates without parentheses (``@cr.no_grad``), as PyTorch."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is None:
            return self
        if not callable(orig_func):
            raise TypeError(
                f"{cls.__name__}: takes no arguments (or a function to decorate), got "
                f"{type(orig_func).__name__}"
            )
        return self(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_NoArgGradMode):
    """Turn graph recording off, like ``torch.no_grad()``.

    >>> with cr.no_grad():
    ...     y = model(x)          # y.requires_grad is False, nothing is saved
    """

    enabled = False


class enable_grad(_NoArgGradMode):
    """Turn graph recording back on inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off according to ``mode``."""

    def __init__(self, mode: bool):
        self.enabled = bool(mode)


def _writeable(a) -> bool:
    """NumPy's read-only flag; CuPy arrays have none and are always writeable."""
    return getattr(a.flags, "writeable", True)


class Function:
    """One op of the graph: ``forward`` on arrays, ``backward`` on Tensors.

    Subclasses set the class attributes that tell the engine what ``backward`` needs:

    - ``saves_inputs``: backward reads the input values, so changing an input in place
      after the forward makes backward raise (add, sub and the like set it False).
    - ``saves_output``: backward reads the output (exp, tanh, sigmoid, relu): the output
      array is kept and the output tensor must not be changed in place.

    Parameters that are not tensors (axis, shapes) go to ``__init__``. Use as
    ``Exp()(x)``; the public functions in ``chainrule.ops`` do this for you.
    """

    saves_inputs = True
    saves_output = False

    # True unless a subclass overrides release() (the backward loop then inlines it).
    _plain_release = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._plain_release = cls.release is Function.release

    # Set on a node that was recorded into the graph.
    inputs: tuple = ()
    generation = 0

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    @classmethod
    def apply(cls, *args):
        """PyTorch's protocol: run a subclass with static ``forward(ctx, ...)`` and
        ``backward(ctx, ...)`` as one node (see ``chainrule.function_ctx``)."""
        from .function_ctx import apply

        return apply(cls, *args)

    @property
    def next_functions(self) -> tuple:
        """The nodes that made this node's inputs, as PyTorch's ``grad_fn.next_functions``."""
        from .function_ctx import next_functions

        return next_functions(self)

    def __call__(self, *inputs):
        # The hot path of every op: one input (the common case) avoids building a list.
        if len(inputs) == 1:
            x = inputs[0]
            ys = self.forward(x.array)
            if ys.__class__ is not tuple and not _state["anomaly"]:
                # One input, one output: _record inlined.
                if x.requires_grad and _state["grad_enabled"]:
                    y = _make_tensor(ys, True)
                    self.inputs = inputs
                    self.needs_grad = [True]
                    c = x.creator
                    self.generation = 1 if c is None else c.generation + 1
                    if self.saves_inputs:
                        vc = x._vc
                        self.in_versions = [0 if vc is None else vc[0]]
                    if self.saves_output:
                        self.out_data = (ys,)
                    self.outputs = [weakref.ref(y)]
                    y.creator = self
                    return y
                return _make_tensor(ys, False)
            record = x.requires_grad and _state["grad_enabled"]
        else:
            ys = self.forward(*[x.array for x in inputs])
            record = False
            if _state["grad_enabled"]:
                for x in inputs:
                    if x.requires_grad:
                        record = True
                        break
        make = _make_tensor
        if ys.__class__ is not tuple:
            y = make(ys, record)
            outs = (y,)
            if record:
                self._record(inputs, outs, (ys,))
            if _state["anomaly"] and not _state["in_backward"]:
                _check_finite(self, "forward", outs, inputs)
            return y
        outs = tuple([make(y, record) for y in ys])
        if record:
            self._record(inputs, outs, ys)
        if _state["anomaly"] and not _state["in_backward"]:
            _check_finite(self, "forward", outs, inputs)
        return outs

    def _record(self, inputs, outs, ys):
        """Make this call a node of the graph: link outputs to it, keep what backward needs."""
        self.inputs = inputs
        gen = 0
        for x in inputs:
            c = x.creator
            if c is not None and c.generation > gen:
                gen = c.generation
        self.needs_grad = [x.requires_grad for x in inputs]
        self.generation = gen + 1
        if self.saves_inputs:
            # x._version, read without the property: this runs once per op.
            self.in_versions = [0 if x._vc is None else x._vc[0] for x in inputs]
        if self.saves_output:
            self.out_data = ys
        if len(outs) == 1:
            y = outs[0]
            self.outputs = [weakref.ref(y)]
            y.creator = self
        else:
            self.outputs = [weakref.ref(o) for o in outs]
            # to fill in zeros for an output that gets no gradient
            self.out_meta = [(a.shape, a.dtype) for a in ys]
            for o in outs:
                o.creator = self
        if _state["anomaly"]:
            self.trace = _user_frame()

    # -- helpers for backward rules --------------------------------------------------

    def output(self, i: int = 0):
        """The i-th output as a Tensor (the live graph node when it still exists)."""
        y = self.outputs[i]()
        if y is not None:
            if y._vc is not None and y._vc[0] != 0:
                raise RuntimeError(
                    f"{self.name}: its output of shape {tuple(y.shape)} was modified in "
                    f"place after the forward pass, but backward needs its value"
                )
            return y
        from .tensor import Tensor

        return Tensor(self.out_data[i])

    def _check_versions(self):
        for x, v in zip(self.inputs, self.in_versions):
            vc = x._vc
            if (0 if vc is None else vc[0]) != v:
                raise RuntimeError(
                    f"{self.name}: an input of shape {tuple(x.shape)} was modified in place "
                    f"after the forward pass (version {v} -> {x._version}), but backward "
                    f"needs its original value"
                )

    def release(self):
        """Drop what the node holds; a second backward through it then raises."""
        self.inputs = None
        self.out_data = None


def _freed_error(node):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time (its saved values "
        f"were freed after the first backward); pass retain_graph=True to the first "
        f"backward() or grad() if you need to backpropagate twice"
    )


def _user_frame() -> str:
    """Where in the user's code the current op was created (for anomaly reports)."""
    import os
    import traceback

    # The package's own folder, not any path containing "chainrule": a checkout may live
    # in a folder of that name.
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(package):
            return (
                f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
                f"    {frame.line}"
            )
    return "<unknown>"


def _check_finite(node, phase, tensors, inputs):
    for t in tensors:
        if t is None or t.array.dtype.kind != "f":
            continue
        xp = t.xp
        if not bool(xp.isfinite(t.array).all()):
            shapes = ", ".join(str(tuple(x.shape)) for x in inputs if x is not None)
            where = getattr(node, "trace", None) or _user_frame()
            kind = "NaN" if bool(xp.isnan(t.array).any()) else "Inf"
            raise FloatingPointError(
                f"detect_anomaly: {node.name} produced {kind} in its {phase} pass "
                f"(input shapes {shapes}, output shape {tuple(t.shape)}).\n"
                f"The op was created at:\n  {where}"
            )


@contextlib.contextmanager
def detect_anomaly():
    """Raise at the first op whose forward or backward produces NaN or Inf.

    The error names the op, the shapes and the line of user code that created the op.
    Slower than normal running: use it to find a problem, not to train.
    """
    prev = _state["anomaly"]
    _state["anomaly"] = True
    try:
        yield
    finally:
        _state["anomaly"] = prev


def _run_backward(roots, grad_roots, retain_graph, create_graph, targets=None, allow_unused=False):
    """Backpropagate from ``roots`` (Tensors) seeded with ``grad_roots`` (Tensors).

    With ``targets`` None, gradients of leaves accumulate into ``.grad``. Otherwise the
    gradients with respect to ``targets`` are returned in order and ``.grad`` is untouched.
    """
    from .tensor import Tensor

    capture = None
    if targets is not None:
        capture = {id(t): None for t in targets}

    pending: dict = {}  # node -> list of gradients of its outputs
    heap: list = []
    seq = 0
    owned: set = set()  # ids of arrays handed to a leaf's .grad in this pass

    def add_leaf(x, g, passthrough=False):
        if capture is not None:
            k = id(x)
            if k in capture:
                capture[k] = g if capture[k] is None else capture[k] + g
            return
        if x._hooks:
            for hook in x._hooks:
                r = hook(g)
                if r is not None:
                    g = r
        if x.grad is None:
            gd = g.array
            if create_graph and g.requires_grad:
                x.grad = g  # part of a graph: never changed in place (see below)
            elif passthrough or id(gd) in owned or gd.base is not None or not _writeable(gd):
                # The array may be shared with another gradient (add passes its upstream
                # gradient to both inputs; reshape returns a view): own a copy, so that
                # in-place accumulation and clip_grad_norm_ touch this leaf only.
                x.grad = Tensor(gd.copy())
            else:
                x.grad = g
            owned.add(id(x.grad.array))
        elif create_graph:
            x.grad = x.grad + g
        else:
            xg = x.grad.array
            # Not in place into a gradient that carries a graph (from create_graph=True):
            # the user may hold it, and its graph may have saved that array.
            if xg.shape == g.array.shape and _writeable(xg) and not x.grad.requires_grad:
                xg += g.array
            else:
                x.grad = Tensor(xg + g.array)

    def add_node_grad(node, i, g):
        nonlocal seq
        slot = pending.get(node)
        if slot is None:
            slot = [None] * len(node.outputs)
            pending[node] = slot
            heapq.heappush(heap, (-node.generation, seq, node))
            seq += 1
        slot[i] = g if slot[i] is None else slot[i] + g

    with set_grad_enabled(create_graph):
        for r, g in zip(roots, grad_roots):
            if r.creator is None:
                if r.requires_grad:
                    add_leaf(r, g, passthrough=True)
            else:
                add_node_grad(r.creator, _output_index(r), g)

        heappop, heappush = heapq.heappop, heapq.heappush
        state = _state
        while heap:
            node = heappop(heap)[2]
            gys = pending.pop(node)
            inputs = node.inputs
            if inputs is None:
                raise _freed_error(node)
            outputs = node.outputs
            if len(outputs) == 1 and capture is None:
                # The common case, checked cheaply: one output, no hooks on it.
                y = outputs[0]()
                if y is not None and (y._hooks or y._retains_grad):
                    _output_hooks(y, gys, 0)
            else:
                for i, ref in enumerate(outputs):
                    y = ref()
                    if y is None:
                        continue
                    if capture is not None and id(y) in capture and gys[i] is not None:
                        k = id(y)
                        capture[k] = gys[i] if capture[k] is None else capture[k] + gys[i]
                    if y._hooks or y._retains_grad:
                        _output_hooks(y, gys, i)
                if len(gys) > 1:
                    for i, g in enumerate(gys):
                        if g is None:  # an unused output of a multi-output op: zero gradient
                            shape, dtype = node.out_meta[i]
                            gys[i] = Tensor(inputs[0].xp.zeros(shape, dtype))
            if node.saves_inputs:
                node._check_versions()
            state["in_backward"] = True
            try:
                gxs = node.backward(*gys)
            finally:
                state["in_backward"] = False
            if gxs.__class__ is not tuple:
                gxs = (gxs,)
            if state["anomaly"]:
                _check_finite(node, "backward", gxs, inputs)
            needs = node.needs_grad
            if not retain_graph:
                if node._plain_release:
                    node.inputs = None
                    node.out_data = None
                else:
                    node.release()
            for x, need, gx in zip(inputs, needs, gxs):
                if not need or gx is None:
                    continue
                xd, gd = x.array, gx.array
                if gd.shape != xd.shape or gd.dtype != xd.dtype:
                    gx = _fit_grad(gx, x)
                c = x.creator
                if c is None:
                    passthrough = False
                    for g in gys:
                        if gx is g:
                            passthrough = True
                            break
                    add_leaf(x, gx, passthrough)
                    continue
                # add_node_grad, inlined: this loop runs once per edge of the graph
                slot = pending.get(c)
                n_out = len(c.outputs)
                if slot is None:
                    if n_out == 1:
                        pending[c] = [gx]
                    else:
                        slot = pending[c] = [None] * n_out
                        slot[_output_index(x)] = gx
                    heappush(heap, (-c.generation, seq, c))
                    seq += 1
                    continue
                i = 0 if n_out == 1 else _output_index(x)
                slot[i] = gx if slot[i] is None else slot[i] + gx

    if capture is None:
        return None
    out = []
    for t in targets:
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: one of the inputs (shape {tuple(t.shape)}) was not used to compute the "
                f"outputs; pass allow_unused=True to get None for it"
            )
        out.append(g)
    return out


def _output_hooks(y, gys, i):
    """Run the hooks of non-leaf output ``y`` on its gradient ``gys[i]``; keep it if asked."""
    for hook in y._hooks:
        r = hook(gys[i])
        if r is not None:
            gys[i] = r
    if y._retains_grad and gys[i] is not None:
        y.grad = gys[i] if y.grad is None else y.grad + gys[i]


def _output_index(t):
    """Which output of its creator ``t`` is. Compared by identity: weakref equality would
    compare the referents with ``==``, which for tensors is elementwise."""
    outputs = t.creator.outputs
    if len(outputs) == 1:
        return 0
    for i, ref in enumerate(outputs):
        if ref() is t:
            return i
    raise RuntimeError("internal error: tensor not found among its creator's outputs")


def _fit_grad(gx, x):
    """Undo broadcasting and dtype promotion: the one place where gx is made to fit x."""
    if gx.shape != x.shape:
        from .ops.reduce import sum_to

        gx = sum_to(gx, x.shape)
    if gx.dtype != x.dtype:
        gx = gx.astype(x.dtype)
    return gx


_final_callbacks: list = []


def queue_callback(callback) -> None:
    """Call ``callback()`` when the ``backward()`` in progress has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``): a gradient hook queues it, and
    DistributedDataParallel averages the gradients there."""
    _final_callbacks.append(callback)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    from .tensor import Tensor

    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    grads = _seed_grads("backward", tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError(
                f"backward: the tensor of shape {tuple(t.shape)} does not require grad and has "
                f"no graph; did you create it under no_grad, or forget requires_grad=True?"
            )
    try:
        _run_backward(tensors, grads, retain_graph, create_graph)
    finally:
        callbacks = _final_callbacks[:]
        _final_callbacks.clear()
    for callback in callbacks:
        callback()


def _seed_grads(fname, outputs, grad_outputs):
    from .tensor import Tensor

    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, Sequence):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"{fname}: got {len(outputs)} outputs but {len(grad_outputs)} gradients for them"
        )
    seeds = []
    for y, g in zip(outputs, grad_outputs):
        if g is None:
            if y.numel() != 1:
                raise RuntimeError(
                    f"{fname}: gradient can be implicitly created only for scalar outputs, but "
                    f"the output has shape {tuple(y.shape)}; pass gradient= (a tensor of that "
                    f"shape), or reduce it first (e.g. y.sum())"
                )
            g = Tensor(y.xp.ones(y.shape, y.dtype))
        else:
            if not isinstance(g, Tensor):
                g = Tensor(y.xp.asarray(g, dtype=y.dtype))
            if g.shape != y.shape:
                raise ValueError(
                    f"{fname}: gradient has shape {tuple(g.shape)} but the output has shape "
                    f"{tuple(y.shape)}"
                )
            if g.dtype != y.dtype and y.dtype.kind == "f":
                # A float64 gradient for a float32 output would otherwise reach a leaf's
                # .grad as float64 when the output is that leaf.
                g = g.astype(y.dtype)
        seeds.append(g)
    return seeds


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
):
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Returns a tuple with one gradient per input; ``.grad`` fields are not touched. With
    ``create_graph=True`` the gradients carry a graph of their own and can be
    differentiated again (Hessian-vector products, gradient penalties).

    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> (g,) = cr.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27
    >>> cr.grad(g, x)                                   # 6 x = 18
    """
    from .tensor import Tensor

    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"grad: an input of shape {tuple(t.shape)} does not require grad"
            )
    for y in outputs:
        if not isinstance(y, Tensor):
            raise TypeError(f"grad: outputs must be Tensors, got {type(y).__name__}")
        if not y.requires_grad:
            raise RuntimeError(
                f"grad: an output of shape {tuple(y.shape)} does not require grad and has no "
                f"graph"
            )
    seeds = _seed_grads("grad", outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    gs = _run_backward(outputs, seeds, retain_graph, create_graph, targets=inputs,
                       allow_unused=allow_unused)
    if not create_graph:
        gs = [None if g is None else g.detach() for g in gs]
    return tuple(gs)

