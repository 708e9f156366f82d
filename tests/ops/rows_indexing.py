"""Gradient-table rows for chainrule/ops/indexing.py (run by tests/ops/test_grad_table.py),
and in-place rows (run by tests/test_inplace.py).

Each row's function is written once for both libraries: the Tensor methods and the module
functions have the same names in chainrule and torch (``_lib`` picks the module, ``_idx``
makes an index tensor of the same library)."""

from __future__ import annotations

import numpy as np

from tests.gradtable import (
    Case,
    away_from_zero,
    distinct,
    lib_of,
    like,
    normal,
    positive,
)

# Ops of the module without a gradient (integer or boolean results).
NO_GRADIENT: set[str] = set()


def _mask(t, values):
    return lib_of(t).tensor(np.array(values, dtype=bool))


def _rows(name, fn, shape_variants, sample=normal, torch_fn=None, **kw):
    """One ``Case`` per shape variant, ``fn`` serving both libraries (unless ``torch_fn``)."""
    return [Case(name, fn, list(s), sample, torch_fn or fn, **kw) for s in shape_variants]


def _src_cut(fn):
    """``fn`` given only the part of ``src`` that the I2 index uses: PyTorch's backward
    fails for a larger src (its gradient has the index's shape, not src's)."""
    return lambda x, s: fn(x, s[:2, :3])


def _zeros_at(*positions):
    """Normal values with zeros at ``positions`` of the last dim (cumprod at zeros)."""

    def sample(rng, shape):
        x = rng.standard_normal(shape)
        for p in positions:
            x[..., p] = 0.0
        return x

    return sample


I2 = [[1, 0, 1], [0, 0, 1]]  # scatter index for dim 0 of a (2, 3) input: repeats
REDUCE_SAMPLES = {"sum": normal, "mean": normal, "prod": away_from_zero, "amax": distinct,
                  "amin": distinct}


def _scatter_add(x, s):
    return x.scatter_add(0, like(x, I2), s)


def _scatter_reduce(reduce, include_self):
    return lambda x, s: x.scatter_reduce(0, like(x, I2), s, reduce, include_self=include_self)


MASK = [[True, False, True], [False, True, True]]

CASES = [
    # -- index_add, index_copy, index_fill ------------------------------------------------
    *_rows("index_add", lambda x, s: x.index_add(-1, like(x, [2, 0, 2]), s, alpha=2.5),
           [((3,), (3,)), ((2, 3), (2, 3)), ((4, 2, 3), (4, 2, 3))]),
    *_rows("index_add_dim0", lambda x, s: lib_of(x).index_add(x, 0, like(x, [1, 1, 0, 2]), s),
           [((3, 2, 2), (4, 2, 2))]),
    *_rows("index_add_0d", lambda x, s: x.index_add(0, like(x, [0]), s), [((), ())]),
    *_rows("index_copy", lambda x, s: x.index_copy(-1, like(x, [2, 0]), s),
           [((3,), (2,)), ((2, 3), (2, 2))]),
    *_rows("index_copy_dim1", lambda x, s: lib_of(x).index_copy(x, 1, like(x, [1]), s),
           [((2, 3, 2), (2, 1, 2))]),
    *_rows("index_fill", lambda x, v: x.index_fill(1, like(x, [0, 2, 0]), v),
           [((2, 3), ()), ((4, 3, 2), ())]),
    *_rows("index_fill_number", lambda x: lib_of(x).index_fill(x, 0, like(x, [1]), -1.5),
           [((3,),), ((2, 3),)]),
    # -- scatter_add, scatter_reduce ------------------------------------------------------
    *_rows("scatter_add", _scatter_add, [((2, 3), (2, 3))]),
    *_rows("scatter_add_larger_src", _scatter_add, [((2, 3), (3, 4))], normal,
           _src_cut(_scatter_add)),
    *_rows("scatter_add_dim1",
           lambda x, s: lib_of(x).scatter_add(
               x, 1, like(x, [[[2, 0], [2, 2]], [[1, 0], [0, 0]]]), s),
           [((2, 3, 2), (2, 2, 2))]),
    *_rows("scatter_add_0d", lambda x, s: x.scatter_add(0, like(x, 0), s), [((), ())]),
    *[case
      for r, sample in REDUCE_SAMPLES.items()
      for self_ in (True, False)
      for fn in [_scatter_reduce(r, self_)]
      for name in [f"scatter_reduce_{r}" + ("" if self_ else "_noself")]
      for case in _rows(name, fn, [((2, 3), (2, 3))], sample)
      + _rows(name, fn, [((2, 3), (3, 4))], sample, _src_cut(fn))],
    *_rows("scatter_reduce_amax_dim1",
           lambda x, s: lib_of(x).scatter_reduce(x, -1, like(x, [[0, 0, 2, 0]]), s, "amax"),
           [((1, 3), (1, 4))], distinct),
    # -- masked_scatter, put, take --------------------------------------------------------
    *_rows("masked_scatter", lambda x, s: x.masked_scatter(_mask(x, MASK), s),
           [((2, 3), (4,)), ((2, 3), (2, 3))]),
    *_rows("masked_scatter_broadcast",
           lambda x, s: lib_of(x).masked_scatter(x, _mask(x, MASK), s), [((3,), (5,))]),
    *_rows("masked_scatter_mask_broadcast",
           lambda x, s: x.masked_scatter(_mask(x, [True, False, True]), s), [((2, 3), (4,))]),
    *_rows("take", lambda x: x.take(like(x, [[-1, 0], [2, 2]])), [((2, 3),), ((5,),)]),
    *_rows("take_0d", lambda x: lib_of(x).take(x, like(x, [0, 0])), [((),)]),
    *_rows("put", lambda x, s: x.put(like(x, [-1, 1, 2]), s), [((2, 3), (3,)), ((5,), (3,))]),
    *_rows("put_accumulate", lambda x, s: x.put(like(x, [1, 1, 4]), s, True),
           [((2, 3), (3,)), ((2, 3), (1, 3))]),
    # -- running products and extremes ----------------------------------------------------
    *_rows("cumprod", lambda x: x.cumprod(-1), [((),), ((5,),), ((2, 3, 4),)]),
    *_rows("cumprod_dim1", lambda x: lib_of(x).cumprod(x, 1), [((2, 3, 4),)]),
    *_rows("cumprod_one_zero", lambda x: x.cumprod(-1), [((5,),), ((2, 3, 4),)], _zeros_at(2)),
    *_rows("cumprod_first_zero", lambda x: x.cumprod(-1), [((4,),)], _zeros_at(0)),
    *_rows("cumprod_last_zero", lambda x: x.cumprod(-1), [((4,),)], _zeros_at(-1)),
    *_rows("cumprod_two_zeros", lambda x: x.cumprod(-1), [((5,),), ((2, 5),)], _zeros_at(1, 3)),
    *_rows("cummax", lambda x: x.cummax(-1).values, [((),), ((5,),), ((2, 3, 4),)], distinct),
    *_rows("cummax_dim0", lambda x: lib_of(x).cummax(x, 0)[0], [((3, 2),)], distinct),
    *_rows("cummin", lambda x: x.cummin(-1).values, [((),), ((5,),), ((2, 3, 4),)], distinct),
    *_rows("cummin_dim1", lambda x: lib_of(x).cummin(x, 1).values, [((2, 3, 4),)], distinct),
    *_rows("logcumsumexp", lambda x: x.logcumsumexp(-1), [((),), ((5,),), ((2, 3, 4),)]),
    *_rows("logcumsumexp_dim0", lambda x: lib_of(x).logcumsumexp(x, 0), [((3, 2),)]),
    *_rows("logcumsumexp_spread", lambda x: (x * 30).logcumsumexp(0), [((6,),)]),
]  # fmt: skip

X = (2, 3)
INPLACE_CASES = [
    *_rows("index_add_", lambda x, w: (x * 1).index_add_(0, like(x, [1, 0, 1]), w),
           [(X, (3, 3))]),
    *_rows("index_add_alpha_", lambda x, w: (x * 1).index_add_(1, like(x, [2]), w, alpha=-2),
           [(X, (2, 1))]),
    *_rows("index_copy_", lambda x, w: (x * 1).index_copy_(1, like(x, [2, 0]), w) * x,
           [(X, (2, 2))]),
    *_rows("index_fill_", lambda x, w: (x * 1).index_fill_(1, like(x, [0, 2]), w) * x,
           [(X, ())]),
    *_rows("scatter_add_", lambda x, w: (x * 1).scatter_add_(0, like(x, I2), w), [(X, (3, 4))],
           normal, lambda x, w: (x * 1).scatter_add_(0, like(x, I2), w[:2, :3])),
    *_rows("scatter_reduce_", lambda x, w: (x * 1).scatter_reduce_(0, like(x, I2), w, "amax"),
           [(X, X)], distinct),
    *_rows("scatter_reduce_prod_", lambda x, w: (x * 1).scatter_reduce_(0, like(x, I2), w,
                                                                        "prod"),
           [(X, X)], positive),
    *_rows("scatter_reduce_mean_noself_",
           lambda x, w: (x * 1).scatter_reduce_(1, like(x, [[2, 2], [0, 2]]), w, "mean",
                                                include_self=False) * x, [(X, (2, 2))]),
    *_rows("masked_scatter_", lambda x, w: (x * 1).masked_scatter_(_mask(x, MASK), w) * x,
           [(X, (6,))]),
    *_rows("put_", lambda x, w: (x * 1).put_(like(x, [5, 0, 5]), w, True), [(X, (3,))]),
    *_rows("cumprod_", lambda x: (x * 1).cumprod_(1) * x, [(X,)]),
]  # fmt: skip
