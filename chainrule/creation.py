"""Making tensors: from data, filled, ranges, identity and random."""

from __future__ import annotations

import numpy as np

from .backend import DEFAULT_FLOAT, get_array_module, infer_dtype, to_device, to_dtype
from .random import rng
from .tensor import Tensor


def _shape(fname, shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"{fname}: shape must be ints, got {shape!r}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"{fname}: negative dimension in shape {shape}")
    return shape


def _finish(a, dtype, requires_grad, device=None) -> Tensor:
    if device is not None:
        a = to_device(a, device)
    t = Tensor._make(a, False)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _bad_data(fname: str, data) -> TypeError:
    """Name the first element of ``data`` that is not a real number (found on failure)."""
    if hasattr(data, "dtype") and data.dtype.kind not in "O":
        return TypeError(f"{fname}: {data.dtype} data is not supported; tensors hold bool, "
                         f"integer or real floating-point numbers")

    def walk(x, path):
        if isinstance(x, (list, tuple)) or (hasattr(x, "dtype") and x.dtype.kind == "O"
                                            and getattr(x, "ndim", 0)):
            for i, v in enumerate(x):
                found = walk(v, (*path, i))
                if found:
                    return found
            return None
        if isinstance(x, (bool, float, np.bool_, np.floating)):
            return None
        if isinstance(x, (int, np.integer)):
            if -(2**63) <= int(x) < 2**64:
                return None
            return f"{list(path)} = {x} does not fit in 64 bits"
        if isinstance(x, (complex, np.complexfloating)):
            return f"{list(path)} = {x} is complex; tensors hold real numbers"
        return f"{list(path)} is {type(x).__name__} {str(x)[:40]!r}, not a number"

    problem = walk(data, ()) if isinstance(data, (list, tuple)) or hasattr(data, "dtype") \
        else None
    if problem is None:
        what = "an object array" if hasattr(data, "dtype") else f"data of type " \
            f"{type(data).__name__}"
        return TypeError(f"{fname}: cannot make a tensor from {what}; convert it to numbers "
                         f"first (e.g. np.asarray(data, dtype=np.float32))")
    return TypeError(f"{fname}: element {problem}")


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats give float32, ints int64, bools bool; NumPy arrays keep their dtype.

    >>> cr.tensor([[1.0, 2.0]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.array
    dtype = to_dtype(dtype, "tensor")
    try:
        dtype = dtype if dtype is not None else infer_dtype(data)
        a = get_array_module(data).array(data, dtype=dtype, copy=True)
    except ValueError as e:
        raise ValueError(f"tensor: cannot make a tensor from this data: {e}") from None
    except TypeError:
        raise _bad_data("tensor", data) from None
    if a.dtype.kind not in "biuf":
        raise _bad_data("tensor", data)
    return _finish(a, dtype, requires_grad, device)


def as_tensor(data, dtype=None) -> Tensor:
    """``data`` as a tensor, sharing memory with a NumPy array of the right dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(dtype)
    dtype = to_dtype(dtype, "as_tensor")
    try:
        dtype = dtype if dtype is not None else infer_dtype(data)
    except TypeError:
        raise _bad_data("as_tensor", data) from None
    a = get_array_module(data).asarray(data, dtype=dtype)
    if a.dtype.kind not in "biuf":
        raise _bad_data("as_tensor", data)
    return Tensor._make(a, False)


from_numpy = as_tensor


def _filled(fname, shape, value, dtype, requires_grad, device):
    shape = _shape(fname, shape)
    if value is not None and not isinstance(value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{fname}: fill_value must be a number, got {type(value).__name__} "
                        f"{str(value)[:40]!r}")
    dtype = to_dtype(dtype, fname) or (
        DEFAULT_FLOAT if isinstance(value, float) or value is None else infer_dtype(value)
    )
    a = np.full(shape, 0 if value is None else value, dtype=dtype)
    return _finish(a, dtype, requires_grad, device)


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _filled("zeros", shape, 0.0, dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ones."""
    return _filled("ones", shape, 1.0, dtype, requires_grad, device)


def full(shape, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    return _filled("full", (shape,) if isinstance(shape, int) else (tuple(shape),), fill_value,
                   dtype, requires_grad, device)


def empty(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _filled("empty", shape, 0.0, dtype, requires_grad, device)


def _like(x, dtype, fname="zeros_like"):
    if not isinstance(x, Tensor) and not hasattr(x, "shape"):
        raise TypeError(f"{fname}: input must be a Tensor or an array, got {type(x).__name__}")
    x = x if isinstance(x, Tensor) else as_tensor(x)
    return x.shape, (to_dtype(dtype) or x.dtype), x.device


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, dev = _like(x, dtype)
    return zeros(shape, dtype=dtype, requires_grad=requires_grad, device=dev)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, dev = _like(x, dtype, "ones_like")
    return ones(shape, dtype=dtype, requires_grad=requires_grad, device=dev)


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, dev = _like(x, dtype, "full_like")
    return full(shape, fill_value, dtype=dtype, requires_grad=requires_grad, device=dev)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False,
           device=None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for integer arguments, else float32."""
    if stop is None:
        start, stop = 0, start
    for name, v in (("start", start), ("end", stop), ("step", step)):
        if not isinstance(v, (int, float, np.number)) or isinstance(v, (bool, np.bool_)):
            raise TypeError(f"arange: {name} must be a number, got {type(v).__name__} {v!r}")
        if not np.isfinite(v):
            raise ValueError(f"arange: {name} must be finite, got {v}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if ints else DEFAULT_FLOAT
    a = np.arange(start, stop, step).astype(to_dtype(dtype))
    return _finish(a, dtype, requires_grad, device)


def linspace(start, stop, num: int = 50, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool):
        raise TypeError(f"linspace: num (steps) must be an int, got {type(num).__name__} "
                        f"{num!r}")
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    a = np.linspace(start, stop, int(num)).astype(to_dtype(dtype) or DEFAULT_FLOAT)
    return _finish(a, dtype, requires_grad, device)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False,
        device=None) -> Tensor:
    """Identity matrix of shape (n, m or n)."""
    _shape("eye", (n,) if m is None else (n, m))
    a = np.eye(int(n), None if m is None else int(m), dtype=to_dtype(dtype) or DEFAULT_FLOAT)
    return _finish(a, dtype, requires_grad, device)


def _random(fname, draw, shape, dtype, requires_grad, generator, device=None):
    shape = _shape(fname, shape)
    dtype = to_dtype(dtype, fname) or DEFAULT_FLOAT
    if dtype.kind != "f":
        raise TypeError(f"{fname}: dtype must be floating point, got {dtype}")
    # Drawn on the CPU from the one generator, then moved: the same seed gives the same
    # numbers on every device.
    a = draw(rng(generator), shape, dtype)
    return _finish(a, dtype, requires_grad, device)


def rand(*shape, generator=None, dtype=None, requires_grad: bool = False,
         device=None) -> Tensor:
    """Uniform samples from [0, 1)."""
    return _random("rand", lambda g, s, d: g.random(s, dtype=np.float64).astype(d), shape,
                   dtype, requires_grad, generator, device)


def randn(*shape, generator=None, dtype=None, requires_grad: bool = False,
          device=None) -> Tensor:
    """Standard normal samples."""
    return _random("randn", lambda g, s, d: g.standard_normal(s).astype(d), shape, dtype,
                   requires_grad, generator, device)


def randint(*args, size=None, generator=None, dtype=None, device=None,
            requires_grad: bool = False, low=None, high=None) -> Tensor:
    """Integers drawn uniformly from [low, high) (int64), with PyTorch's signatures:
    ``randint(high, size)``, ``randint(low, high, size)`` (``low`` defaults to 0; ``size``
    may be given by keyword).

    >>> cr.randint(10, (3,))        # three integers in [0, 10)
    >>> cr.randint(3, 10, (2, 2))   # in [3, 10)
    """
    args = list(args)
    if size is None and (len(args) == 3 or (args and isinstance(args[-1], (tuple, list)))):
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        high = args[0]
    elif args:
        raise TypeError(f"randint: expected (high, size) or (low, high, size), got {args!r}")
    if high is None:
        raise TypeError("randint: missing high (and size)")
    if size is None:
        raise TypeError("randint: missing size, a tuple such as (3,)")
    low = 0 if low is None else low
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"randint: {name} must be an int, got {v!r}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape("randint", (size,) if isinstance(size, int) else (tuple(size),))
    a = rng(generator).integers(low, high, size=size).astype(to_dtype(dtype) or np.int64)
    return _finish(a, None, requires_grad, device)


def randperm(n: int, generator=None, device=None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"randperm: n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        from ._errors import ShapeError

        raise ShapeError(f"randperm: n must be >= 0, got {n}")
    return _finish(rng(generator).permutation(int(n)).astype(np.int64), None, False, device)


def rand_like(x, generator=None, dtype=None) -> Tensor:
    shape, dtype, dev = _like(x, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=dtype, device=dev)


def randn_like(x, generator=None, dtype=None) -> Tensor:
    shape, dtype, dev = _like(x, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=dtype, device=dev)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std^2): ``mean`` and ``std`` numbers (with ``size``) or tensors
    (broadcast together, no ``size``), as ``torch.normal``."""
    m = mean.numpy() if isinstance(mean, Tensor) else np.asarray(mean, dtype=np.float64)
    s = std.numpy() if isinstance(std, Tensor) else np.asarray(std, dtype=np.float64)
    if size is not None:
        shape = _shape("normal", (size,) if isinstance(size, int) else (tuple(size),))
    else:
        shape = np.broadcast_shapes(m.shape, s.shape)
    if (s < 0).any():
        raise ValueError("normal: std must be non-negative")
    out_dtype = to_dtype(dtype, "normal") or (
        m.dtype if isinstance(mean, Tensor) and m.dtype.kind == "f" else DEFAULT_FLOAT)
    a = rng(generator).normal(m, s, shape).astype(out_dtype)
    return _finish(a, out_dtype, requires_grad, device)


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """``num_samples`` indices drawn from each row of non-negative weights ``input``
    (1-d or 2-d), without replacement unless ``replacement=True`` (int64)."""
    w = (input.numpy() if isinstance(input, Tensor) else np.asarray(input)).astype(np.float64)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-d or 2-d, got shape {w.shape}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("multinomial: weights must be finite and non-negative")
    rows = w.reshape(-1, w.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{rows.shape[1]} categories"
        )
    g = rng(generator)
    out = np.empty((rows.shape[0], int(num_samples)), np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if total <= 0:
            raise ValueError(f"multinomial: row {i} of the weights sums to 0")
        if not replacement and np.count_nonzero(r) < num_samples:
            raise ValueError(
                f"multinomial: row {i} has fewer than {num_samples} non-zero weights"
            )
        out[i] = g.choice(r.size, size=int(num_samples), replace=replacement, p=r / total)
    device = input.device if isinstance(input, Tensor) else None
    return _finish(out.reshape(w.shape[:-1] + (int(num_samples),)), None, False, device)


def _probabilities(fname: str, p, argname: str = "input") -> np.ndarray:
    a = p.numpy() if isinstance(p, Tensor) else np.asarray(p, dtype=np.float64)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{fname}: {argname} must be a number or a float tensor, got {a.dtype}")
    if a.size and (np.isnan(a).any() or (a < 0).any() or (a > 1).any()):
        raise ValueError(f"{fname}: {argname} must hold probabilities in [0, 1], got values "
                         f"in [{a.min()}, {a.max()}]")
    return a


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0 or 1 for each element, 1 with probability ``input`` (or ``p`` when given), in the
    input's dtype (``torch.bernoulli``; no gradient)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: input must be a Tensor, got {type(input).__name__}")
    prob = _probabilities("bernoulli", input if p is None else p, "input" if p is None else "p")
    draws = rng(generator).random(tuple(input.shape)) < prob
    dtype = input.dtype if input.dtype.kind == "f" else np.dtype(np.float32)
    return _finish(draws.astype(dtype), None, False, input.device)


def poisson(input, generator=None) -> Tensor:
    """A Poisson draw for each element with rate ``input`` (``torch.poisson``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson: input must be a Tensor, got {type(input).__name__}")
    rate = input.numpy()
    if rate.size and (np.isnan(rate).any() or (rate < 0).any()):
        raise ValueError("poisson: rates must be non-negative")
    return _finish(rng(generator).poisson(rate).astype(input.dtype), None, False, input.device)

