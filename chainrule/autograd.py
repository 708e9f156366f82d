"""The reverse-mode engine: ``Function`` nodes, the backward walk, ``grad`` and grad modes.

The contract between an op and the engine
-----------------------------------------
An op is one ``Function`` subclass (its home is ``chainrule/ops/``):

- ``forward(self, *arrays)`` takes and returns backend arrays (one, or a tuple). It is
  pure except for what it declares that backward needs:
  ``saves_inputs`` (class attribute, default True: backward reads ``self.inputs``, and an
  in-place change of an input after forward makes backward raise), ``saves_output``
  (backward reads ``self.output()``), and any other value through one call,
  ``self.save(name=array)``, read back as ``self.name``. Non-tensor parameters (axes,
  shapes) go to ``__init__``. A stateless forward may be a ``staticmethod``; it then
  doubles as the op's array function for the no-graph path of layers.
- ``backward(self, *gys)`` takes one gradient per output (Tensors) and returns one per
  input (a Tensor or None), written with chainrule ops so that ``create_graph=True`` can
  differentiate it again. ``self.needs_grad[i]`` says which inputs want one.
- ``backward_array(self, *gys)`` (optional) is the same rule on arrays. The engine runs it
  instead of ``backward`` for first-order gradients; that choice is made here, once.
- Properties are class attributes (``elementwise``, ``saturates``, ``max_slope``,
  ``rectifier``): diagnostics and tests build their lists of ops from them.
- ``wants_recording = True`` (rare): the engine sets ``self.recording`` before forward, for
  an op whose forward does extra work only when the call is recorded (max pooling finds
  the winning offsets on the way).

The engine's side:

- Calling an op (``Exp()(x)``) runs ``forward`` and, when graph recording is on and an
  input requires grad, records the call as a node: its inputs, its *generation* (one more
  than its inputs' largest) and weak references to its outputs.
- ``_walk`` is the one backward walk, used by ``backward()``, ``grad()`` (with or without
  ``create_graph``), anomaly mode and ``diagnose``'s trace: nodes in decreasing generation
  from a heap, so no recursion (a chain of 100,000 ops backpropagates like one of three).
- ``_step`` runs one node (Chainer's ``backprop_step``): it checks that the node's saved
  state is still there and that no saved input changed in place, runs the rule, and checks
  its result: the number of gradients, and each gradient's shape (the input's, or a
  broadcast of it, summed back here, the one place broadcasting is undone) and dtype (a
  float for a float input; promotion is undone). A wrong result raises naming the op,
  the input, both shapes, and the line that created the op (recorded for ops defined
  outside chainrule, and for every op under ``detect_anomaly``).
- After a node's backward, unless ``retain_graph``, its saved state is released
  generically: inputs, saved output and everything given to ``save()`` (each handed to the
  op's ``recycle(name, value)`` first, if it has one, for ops that pool their buffers); a
  second backward through it raises.
- Gradients accumulate into leaves' ``.grad`` (after the leaves' hooks) or, for
  ``grad()``, are returned; ``.grad`` arrays are never shared between leaves.
- In-place ops (``Tensor._rebase``): the changed tensor becomes the output of the in-place
  node, whose input (``rebased_from``) stands for the old value; the node's generation is
  placed above every node recorded before it. An edge from a node to an input whose creator
  is not older than the node itself therefore means the input changed in place after the
  node used it: the walk follows ``rebased_from`` back to the history the input had then
  (one integer comparison per edge, never true in a graph without in-place ops).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import linecache
import os
import sys
import weakref
from collections.abc import Sequence

# "in_backward": inside a backward rule, where anomaly checks name the rule's op, not the
# ops its gradient formula is written with.
_state = {"grad_enabled": True, "anomaly": False, "in_backward": False}

# ``Tensor._make`` and ``Tensor``, set by tensor.py once Tensor exists (tensor.py imports
# this module).
_make_tensor = None
_Tensor = None


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
    - anything else backward needs from forward goes through ``self.save(name=array)``.

    Parameters that are not tensors (axis, shapes) go to ``__init__``. Use as
    ``Exp()(x)``; the public functions in ``chainrule.ops`` do this for you.
    """

    saves_inputs = True
    saves_output = False

    # What the op is, for the diagnostics and the tests (lists of ops are built from these
    # attributes, never kept by hand):
    elementwise = False  # each output element depends on the same element of each input
    saturates = None  # (lo, hi): the output range where a saturating activation goes flat
    max_slope = None  # the largest derivative of a saturating activation
    rectifier = False  # zero for negative inputs, so a unit can die (ReLU)

    # Names of the values saved by save(), dropped by release().
    _saved: tuple = ()
    # Where the node was created, for errors about it (kept for ops defined outside
    # chainrule, whose backward is the likelier culprit, and for every op in anomaly mode).
    trace = None
    _user_defined = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._user_defined = not cls.__module__.startswith(__name__.split(".")[0] + ".")
        # The step inlines the generic release unless a class extends it (the recurrent
        # ops give their buffers back to a pool).
        cls._plain_release = cls.release is Function.release

    # Set on a node that was recorded into the graph.
    inputs: tuple = ()
    generation = 0

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    # Optional: ``backward_array(self, *gys)``, the same rule on arrays (arrays or None
    # out). The engine runs it instead of ``backward`` for first-order gradients (no
    # create_graph), where no graph of the gradient is wanted and Tensors would be pure
    # overhead; ``backward`` stays the rule for create_graph.
    backward_array = None

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
        if self.wants_recording:
            self.recording = _state["grad_enabled"] and _any_requires_grad(inputs)
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
                    if self._user_defined:
                        self.trace = _user_frame()
                    return y
                return _make_tensor(ys, False)
            record = x.requires_grad and _state["grad_enabled"]
        else:
            ys = self.forward(*[x.array for x in inputs])
            record = _state["grad_enabled"] and _any_requires_grad(inputs)
        return self._wrap(inputs, ys, record)

    def _wrap(self, inputs, ys, record):
        """The outputs as Tensors (one, or a tuple), recorded as this node if ``record``."""
        single = ys.__class__ is not tuple
        if single:
            ys = (ys,)
        outs = tuple([_make_tensor(y, record) for y in ys])
        if record:
            self._record(inputs, outs, ys)
        if _state["anomaly"] and not _state["in_backward"]:
            _check_finite(self, "forward", outs, inputs)
        return outs[0] if single else outs

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
        if _state["anomaly"] or self._user_defined:
            self.trace = _user_frame()

    # -- helpers for backward rules --------------------------------------------------

    # Set by an in-place op recorded on this node's output (see ``Tensor._rebase``): the
    # output's version counter and its version when this node made it, so that backward
    # still sees a later change made through the tensor that now carries the in-place op.
    out_vc = None
    out_version = 0
    # Set on the node of a recorded in-place op: the tensor standing for the old value (its
    # input). Consumers recorded before the op reach the old history through it (``_walk``).
    rebased_from = None
    # A view op: its output shares memory with its input (slices, reshape, transpose).
    makes_view = False

    def output(self, i: int = 0):
        """The i-th output as a Tensor (the live graph node when it still exists)."""
        y = self.outputs[i]()
        if y is not None:
            vc = y._vc if self.out_vc is None else self.out_vc
            if vc is not None and vc[0] != self.out_version:
                raise RuntimeError(
                    f"{self.name}: its output of shape {tuple(y.shape)} was modified in "
                    f"place{_by(vc)} after the forward pass, but backward needs its value"
                )
            return y
        from .tensor import Tensor

        if not _state["grad_enabled"]:
            return Tensor(self.out_data[i])
        # A backward recorded for a second derivative (create_graph) reads an output the
        # caller dropped (U of an SVD whose S alone is used): remade as this node's output,
        # so the second derivative flows through its dependence on the inputs too.
        y = Tensor._make(self.out_data[i], True)
        y.creator = self
        self.outputs[i] = weakref.ref(y)
        return y

    def _check_versions(self):
        for x, v in zip(self.inputs, self.in_versions):
            vc = x._vc
            if (0 if vc is None else vc[0]) != v:
                raise RuntimeError(
                    f"{self.name}: an input of shape {tuple(x.shape)} was modified in place"
                    f"{_by(vc)} after the forward pass (version {v} -> {x._version}), but "
                    f"backward needs its original value"
                )

    def save(self, **values) -> None:
        """Keep ``values`` (arrays, mostly) from forward for backward, as attributes of the
        node: ``self.save(mask=x > 0)`` in forward, ``self.mask`` in backward. The engine
        drops them with the rest of the node's saved state after backward."""
        self.__dict__.update(values)
        self._saved = self._saved + tuple(values)

    # True for an op whose forward does extra work only when the call is recorded for
    # backward: the engine then sets ``self.recording`` before calling forward.
    wants_recording = False
    recording = True

    # Optional: a method ``recycle(self, name, value)`` that release() hands each value
    # given to save(): ops that take their buffers from a pool give them back there.
    recycle = None

    def release(self):
        """Drop what the node holds; a second backward through it then raises."""
        self.inputs = None
        self.out_data = None
        for name in self._saved:
            value = self.__dict__.get(name)
            setattr(self, name, None)
            if value is not None and self.recycle is not None:
                self.recycle(name, value)


def _by(vc) -> str:
    """" by <op>" for a version counter that remembers its last in-place op."""
    return f" by {vc[1]}" if vc is not None and len(vc) > 1 and vc[1] else ""


# Generations of in-place nodes: each one is placed above every node recorded before it,
# by a step larger than any chain, so that ``_walk`` can tell a consumer recorded before
# the in-place op (lower generation) from one recorded after it (higher).
_REBASE_STEP = 1 << 48
_rebase_floor = [0]


def _rebased_generation(gen: int) -> int:
    """The generation of a new in-place node whose natural generation is ``gen``."""
    _rebase_floor[0] = max(_rebase_floor[0], gen) + _REBASE_STEP
    return _rebase_floor[0]


def _before_inplace(x, node):
    """The tensor that held ``x``'s value when ``node`` used it: ``x`` changed in place after
    that (its creator is an in-place node not older than ``node``), so the gradient goes to
    the history ``x`` had then."""
    c = x.creator
    while c is not None and c.generation >= node.generation:
        x = c.rebased_from
        c = x.creator
    return x


def _any_requires_grad(inputs) -> bool:
    for x in inputs:
        if x.requires_grad:
            return True
    return False


def _freed_error(node):
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time (its saved values "
        f"were freed after the first backward); pass retain_graph=True to the first "
        f"backward() or grad() if you need to backpropagate twice"
    )


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_frame() -> str:
    """Where in the user's code the current op was created (for error reports): the
    innermost frame outside the package's own folder (not any path containing "chainrule":
    a checkout may live in a folder of that name)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f'File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}\n    {line}'


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
    if targets is None:
        with set_grad_enabled(create_graph):
            _walk(roots, grad_roots, _Accumulate(create_graph), retain_graph)
        return None
    capture = {id(t): None for t in targets}
    with set_grad_enabled(create_graph):
        _walk(roots, grad_roots, _captured_leaf(capture), retain_graph, capture=capture)
    return _captured(capture, targets, allow_unused)


def _walk(roots, grad_roots, leaf, retain_graph, capture=None, observe=None):
    """The one backward walk: every node once, in decreasing generation, each run by
    ``_step``. ``leaf(x, g, passthrough)`` receives the gradient of each leaf reached;
    ``capture`` ({id: gradient}) collects gradients of the non-leaf tensors it names;
    ``observe(node, gys, gxs)``, if given, sees every step (``diagnose.trace``)."""
    pending: dict = {}  # node -> list of gradients of its outputs
    heap: list = []
    order = itertools.count()  # ties in generation: first reached, first run
    for r, g in zip(roots, grad_roots):
        if r.creator is not None:
            _send(pending, heap, order, r, g)
        elif r.requires_grad:
            leaf(r, g, True)
    heappop, heappush = heapq.heappop, heapq.heappush
    while heap:
        node = heappop(heap)[2]
        inputs = node.inputs
        gys = pending.pop(node)
        outputs = node.outputs
        if len(outputs) == 1 and capture is None:  # the common case, checked inline
            y = outputs[0]()
            if y is not None and (y._hooks or y._retains_grad):
                _output_hooks(y, gys, 0)
        else:
            gys = _output_grads(node, gys, capture)
        gxs = _step(node, gys, retain_graph)
        if observe is not None:
            observe(node, inputs, gys, gxs)
        for x, gx in zip(inputs, gxs):
            if gx is None:
                continue
            c = x.creator
            if c is not None and c.generation >= node.generation:
                # x was changed in place after this node read it: one int comparison per
                # edge, true only then.
                x = _before_inplace(x, node)
                c = x.creator
                if c is None and not x.requires_grad:
                    continue
            if c is None:
                leaf(x, gx, _any_is(gx, gys))
                continue
            # _send inlined for the common case (one output): this runs once per edge.
            if len(c.outputs) != 1:
                _send(pending, heap, order, x, gx)
            elif c in pending:
                slot = pending[c]
                slot[0] = gx if slot[0] is None else slot[0] + gx
            else:
                pending[c] = [gx]
                heappush(heap, (-c.generation, next(order), c))


def _send(pending, heap, order, x, g):
    """Add ``g`` to the gradient of non-leaf ``x``; queue its creator when first reached."""
    c = x.creator
    slot = pending.get(c)
    n_out = len(c.outputs)
    i = 0 if n_out == 1 else _output_index(x)
    if slot is None:
        slot = pending[c] = [None] * n_out
        heapq.heappush(heap, (-c.generation, next(order), c))
    slot[i] = g if slot[i] is None else slot[i] + g


def _any_is(g, gys) -> bool:
    """True when ``g`` is one of the upstream gradients passed on unchanged (add does that)."""
    for gy in gys:
        if g is gy:
            return True
    return False


def _step(node, gys, retain_graph):
    """One node's backward (Chainer's ``backprop_step``): check the node is usable, run its
    rule, check what the rule returned and fit each gradient to its input.

    Returns one gradient per input, None where the input needs none. Raises naming the op,
    the input and both shapes when the rule returns the wrong number of gradients, or one
    whose shape is not its input's (or a broadcast of it) or whose dtype is not a float.
    """
    inputs = node.inputs
    if inputs is None:
        raise _freed_error(node)
    if node.saves_inputs:
        node._check_versions()
    if node.backward_array is None or _state["grad_enabled"]:
        gxs = _run_rule(node, gys)
    else:
        # The array rule for first-order gradients when the op has one (the one place this
        # choice is made): no Tensors, no graph of the gradient.
        gxs = node.backward_array(gys[0].array) if len(gys) == 1 else \
            node.backward_array(*[g.array for g in gys])
        gxs = tuple([None if g is None else _make_tensor(g, False) for g in gxs]) \
            if gxs.__class__ in _SEQUENCES else (_make_tensor(gxs, False),)
    if len(gxs) != len(inputs):
        raise _bad_grads(node, f"returned {len(gxs)} gradients for {len(inputs)} inputs")
    if _state["anomaly"]:
        _check_finite(node, "backward", gxs, inputs)
    if retain_graph:
        pass
    elif node._plain_release and not node._saved:  # release(), inlined: once per node
        node.inputs = node.out_data = None
    else:
        node.release()
    if len(gxs) == 1:  # one input, which needs a gradient (or there would be no node)
        gx = gxs[0]
        if gx is None or (gx.__class__ is _Tensor and gx.array.shape == inputs[0].array.shape
                          and gx.array.dtype == inputs[0].array.dtype):
            return gxs
        return (_fit_grad(gx, inputs[0], node, 0),)
    return [_fit_one(node, i, x, need, gx)
            for i, (x, need, gx) in enumerate(zip(inputs, node.needs_grad, gxs))]


def _fit_one(node, i, x, need, gx):
    if not need or gx is None:
        return None
    if gx.__class__ is _Tensor and gx.array.shape == x.array.shape and \
            gx.array.dtype == x.array.dtype:
        return gx
    return _fit_grad(gx, x, node, i)


def _run_rule(node, gys) -> tuple:
    """The node's ``backward`` on ``gys`` (Tensors), its result as a tuple. Under anomaly
    mode the ops it runs are marked as running inside a backward rule, so that a NaN they
    make is reported against this node."""
    if not _state["anomaly"]:
        gxs = node.backward(*gys)
        return gxs if gxs.__class__ is tuple else (gxs,)
    _state["in_backward"] = True
    try:
        gxs = node.backward(*gys)
    finally:
        _state["in_backward"] = False
    return gxs if gxs.__class__ is tuple else (gxs,)


_SEQUENCES = (tuple, list)


def _output_grads(node, gys, capture):
    """The gradients of ``node``'s outputs, after the outputs' hooks ran on them, captured
    for ``grad()`` where asked; an output that received none gets zeros."""
    outputs = node.outputs
    if len(outputs) == 1 and capture is None:
        y = outputs[0]()
        if y is not None and (y._hooks or y._retains_grad):
            _output_hooks(y, gys, 0)
        return gys
    for i, ref in enumerate(outputs):
        y = ref()
        if y is None:
            continue
        if capture is not None and id(y) in capture and gys[i] is not None:
            _add_to(capture, id(y), gys[i])
        if y._hooks or y._retains_grad:
            _output_hooks(y, gys, i)
    for i, g in enumerate(gys):
        if g is None:  # an unused output of a multi-output op: zero gradient
            shape, dtype = node.out_meta[i]
            gys[i] = _Tensor(node.inputs[0].xp.zeros(shape, dtype))
    return gys


def _add_to(d, k, g):
    d[k] = g if d[k] is None else d[k] + g


def _captured_leaf(capture):
    """The leaf sink of ``grad()``: keep the gradients of the requested inputs only."""

    def leaf(x, g, passthrough):
        if id(x) in capture:
            _add_to(capture, id(x), g)

    return leaf


def _captured(capture, targets, allow_unused):
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


class _Accumulate:
    """The leaf sink of ``backward()``: run the leaf's hooks, then add into ``.grad``."""

    def __init__(self, create_graph):
        self.create_graph = create_graph
        self.owned: set = set()  # ids of arrays handed to a leaf's .grad in this pass

    def __call__(self, x, g, passthrough):
        for hook in x._hooks:
            r = hook(g)
            if r is not None:
                g = r
        if x.grad is None:
            x.grad = self._first(g, passthrough)
            self.owned.add(id(x.grad.array))
        elif self.create_graph:
            x.grad = x.grad + g
        else:
            xg = x.grad.array
            # Not in place into a gradient that carries a graph (from create_graph=True):
            # the user may hold it, and its graph may have saved that array.
            if xg.shape == g.array.shape and _writeable(xg) and not x.grad.requires_grad:
                xg += g.array
            else:
                x.grad = _Tensor(xg + g.array)

    def _first(self, g, passthrough):
        gd = g.array
        if self.create_graph and g.requires_grad:
            return g  # part of a graph: never changed in place (see __call__)
        if passthrough or id(gd) in self.owned or gd.base is not None or not _writeable(gd):
            # The array may be shared with another gradient (add passes its upstream
            # gradient to both inputs; reshape returns a view): own a copy, so that
            # in-place accumulation and clip_grad_norm_ touch this leaf only.
            return _Tensor(gd.copy())
        return g


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


def _fit_grad(gx, x, node=None, i=0):
    """The one place where a gradient is made to fit its input ``x``: broadcasting undone
    (summed to x's shape) and dtype promotion undone. A gradient that is not a Tensor,
    whose shape is not x's or a broadcast of it, or that is not a float for a float input,
    is the backward rule's error: raised naming ``node``, input ``i`` and both shapes."""
    if not isinstance(gx, _Tensor):
        raise _bad_grads(node, f"returned a {type(gx).__name__} for input {i} (of shape "
                               f"{tuple(x.shape)}); a gradient is a Tensor or None")
    if gx.shape != x.shape:
        c = x.creator
        if node is not None and c is not None and c.generation >= node.generation:
            # x changed shape in place (unsqueeze_...) after node used it: fit to the
            # shape x had then.
            x = _before_inplace(x, node)
        if gx.shape != x.shape:
            if not _broadcasts_from(x.shape, gx.shape):
                raise _bad_grads(node, f"returned a gradient of shape {tuple(gx.shape)} for "
                                       f"input {i} of shape {tuple(x.shape)}")
            from .ops.reduce import sum_to

            gx = sum_to(gx, x.shape)
    if gx.dtype != x.dtype:
        if x.dtype.kind == "f" and gx.dtype.kind != "f":
            raise _bad_grads(node, f"returned a gradient of dtype {gx.dtype} (shape "
                                   f"{tuple(gx.shape)}) for input {i} of dtype {x.dtype} "
                                   f"(shape {tuple(x.shape)})")
        gx = gx.astype(x.dtype)
    return gx


_final_callbacks: list = []


def queue_callback(callback) -> None:
    """Call ``callback()`` when the ``backward()`` in progress has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``): a gradient hook queues it, and
    DistributedDataParallel averages the gradients there."""
    _final_callbacks.append(callback)
def _broadcasts_from(shape, big) -> bool:
    """True when broadcasting ``shape`` can give ``big``."""
    if len(big) < len(shape):
        return False
    return all(n == m or n == 1 for n, m in zip(shape[::-1], big[::-1]))


def _bad_grads(node, what):
    name = "backward" if node is None else node.name
    where = getattr(node, "trace", None)
    at = (f"\nThe op was created at:\n  {where}" if where else
          "\nRun under cr.autograd.detect_anomaly() to see the line that created it.")
    return RuntimeError(f"{name}.backward {what}{at}")


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


def _grad_tensors(what, ts, one, tail):
    """``grad``'s ``outputs`` or ``inputs`` as a list of Tensors that require grad."""
    ts = [ts] if isinstance(ts, _Tensor) else list(ts)
    for t in ts:
        if not isinstance(t, _Tensor):
            raise TypeError(f"grad: {what} must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: an {one} of shape {tuple(t.shape)} does not require "
                               f"grad{tail}")
    return ts


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

    inputs = _grad_tensors("inputs", inputs, "input", "")
    outputs = _grad_tensors("outputs", outputs, "output", " and has no graph")
    seeds = _seed_grads("grad", outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    gs = _run_backward(outputs, seeds, retain_graph, create_graph, targets=inputs,
                       allow_unused=allow_unused)
    if not create_graph:
        gs = [None if g is None else g.detach() for g in gs]
    return tuple(gs)

