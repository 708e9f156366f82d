"""Gradient-table rows for chainrule/ops/stats.py (run by tests/ops/test_grad_table.py),
and in-place rows (run by tests/test_inplace.py).

Each row's function is written once for both libraries (``lib_of`` picks chainrule or
torch, ``like`` makes an index or a constant of the same library)."""

from __future__ import annotations

import numpy as np

from tests.gradtable import (
    Case,
    distinct,
    lib_of,
    like,
    normal,
    positive,
)

# Ops of the module without a gradient (integer or boolean results).
NO_GRADIENT: set[str] = {
    "can_cast", "empty_like", "get_device", "histogram", "is_inference", "is_nonzero",
    "is_same_size", "is_signed", "logspace", "promote_types", "result_type", "unique_consecutive",
    "unravel_index",
}  # fmt: skip


def _rows(name, fn, shape_variants, sample=normal, torch_fn=None, **kw):
    """One ``Case`` per shape variant, ``fn`` serving both libraries (unless ``torch_fn``)."""
    return [Case(name, fn, list(s), sample, torch_fn or fn, **kw) for s in shape_variants]


def _q(x, values):
    """A quantile tensor of ``x``'s library and dtype."""
    return lib_of(x).tensor(values, dtype=x.dtype)


def _with_nans(x):
    """``x`` with NaN at two fixed places (nan* functions must ignore them, and their
    gradient there is 0)."""
    mask = np.zeros(x.shape, bool)
    mask.reshape(-1)[[1, -2]] = True
    return lib_of(x).where(like(x, mask), float("nan"), x)


def _split_sum(fn):
    """The pieces of a split, each weighted differently, summed (one output to check)."""
    return lambda x: sum((p * (k + 1)).sum() for k, p in enumerate(fn(x)))


INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
D = (3, 2, 4)  # (B, C, L)

CASES = [
    # -- std_mean, var_mean ---------------------------------------------------------------
    *_rows("std_mean", lambda x: lib_of(x).std_mean(x), [((5,),), ((2, 3, 4),)]),
    *_rows("std_mean_dim", lambda x: lib_of(x).std_mean(x, 1, keepdim=True, correction=0),
           [((2, 3, 4),)]),
    *_rows("std_mean_dims", lambda x: lib_of(x).std_mean(x, (0, 2)), [((2, 3, 4),)]),
    *_rows("var_mean", lambda x: lib_of(x).var_mean(x), [((5,),), ((2, 3, 4),)]),
    *_rows("var_mean_dim", lambda x: lib_of(x).var_mean(x, -1, correction=2), [((2, 3, 4),)]),
    # -- quantile, nanquantile, nanmedian ---------------------------------------------------
    *[case for mode in INTERPOLATIONS for case in _rows(
        f"quantile_{mode}", lambda x, mode=mode: x.quantile(_q(x, [0.0, 0.3, 0.5, 0.75, 1.0]),
                                                            dim=1, interpolation=mode),
        [((2, 5),), ((3, 4, 2),)], distinct)],
    *_rows("quantile", lambda x: lib_of(x).quantile(x, 0.4), [((),), ((7,),), ((2, 3, 4),)],
           distinct),
    *_rows("quantile_keepdim", lambda x: x.quantile(_q(x, [0.2, 0.9]), dim=-1, keepdim=True),
           [((2, 3, 4),)], distinct),
    *_rows("quantile_all_keepdim", lambda x: x.quantile(0.6, keepdim=True), [((2, 3),)],
           distinct),
    *_rows("nanquantile", lambda x: _with_nans(x).nanquantile(_q(x, [0.1, 0.5]), dim=0),
           [((4, 3),)], distinct),
    *_rows("nanquantile_all", lambda x: lib_of(x).nanquantile(_with_nans(x), 0.7),
           [((2, 3),)], distinct),
    *_rows("nanmedian", lambda x: _with_nans(x).nanmedian(), [((5,),), ((2, 3, 4),)],
           distinct),
    *_rows("nanmedian_dim", lambda x: lib_of(x).nanmedian(_with_nans(x), 1).values,
           [((3, 4),), ((2, 3, 4),)], distinct),
    *_rows("nanmedian_keepdim", lambda x: x.nanmedian(-1, keepdim=True)[0], [((2, 3, 4),)],
           distinct),
    # -- cov, corrcoef ----------------------------------------------------------------------
    *_rows("cov", lambda x: x.cov(), [((5,),), ((3, 6),)]),
    *_rows("cov_correction", lambda x: lib_of(x).cov(x, correction=0), [((2, 4),)]),
    *_rows("cov_weights", lambda x, a: lib_of(x).cov(x, fweights=like(x, [1, 3, 2, 1, 2]),
                                                     aweights=a),
           [((3, 5), (5,))], positive),
    *_rows("cov_aweights", lambda x, a: x.cov(aweights=a, correction=2), [((2, 6), (6,))],
           positive),
    *_rows("cov_fweights", lambda x: x.cov(fweights=like(x, [2, 0, 1, 4])), [((3, 4),)]),
    *_rows("corrcoef", lambda x: x.corrcoef(), [((3, 6),), ((4,),)]),
    # -- clone, scatter, index_put, index_reduce --------------------------------------------
    *_rows("clone_function", lambda x: lib_of(x).clone(x) * 2, [((),), ((2, 3),)]),
    *_rows("scatter", lambda x, s: lib_of(x).scatter(x, 0, like(x, [[1, 0, 2]]), s),
           [((3, 3), (1, 3))]),
    *_rows("scatter_value", lambda x: lib_of(x).scatter(x, 1, like(x, [[1], [0]]), 1.5),
           [((2, 3),)]),
    *_rows("index_put", lambda x, v: x.index_put((like(x, [0, 1]), like(x, [2, 0])), v),
           [((2, 3), (2,)), ((2, 3), ())]),
    *_rows("index_put_accumulate",
           lambda x, v: lib_of(x).index_put(x, (like(x, [1, 1, 0]),), v, accumulate=True),
           [((2, 3), (3, 3))]),
    *[case for reduce, sample in (("prod", positive), ("mean", normal), ("amax", distinct),
                                  ("amin", distinct))
      for include_self in (True, False)
      for case in _rows(f"index_reduce_{reduce}" + ("" if include_self else "_noself"),
                        lambda x, s, r=reduce, i=include_self: x.index_reduce(
                            1, like(x, [2, 0, 2, 2]), s, r, include_self=i),
                        [((2, 3), (2, 4))], sample)],
    *_rows("index_reduce_dim0", lambda x, s: lib_of(x).index_reduce(
        x, 0, like(x, [1, 1]), s, "amax"), [((3, 2, 2), (2, 2, 2))], distinct),
    # -- the *_scatter functions, diag_embed, diagflat ---------------------------------------
    *_rows("select_scatter", lambda x, s: lib_of(x).select_scatter(x, s, 1, -1),
           [((2, 3), (2,)), ((2, 3, 4), (2, 4))]),
    *_rows("slice_scatter", lambda x, s: x.slice_scatter(s, 1, 1, None, 2),
           [((2, 5), (2, 2)), ((2, 4, 3), (2, 2, 3))]),
    *_rows("slice_scatter_default", lambda x, s: lib_of(x).slice_scatter(x, s, end=2),
           [((3, 2), (2, 2))]),
    *_rows("diagonal_scatter", lambda x, s: lib_of(x).diagonal_scatter(x, s),
           [((3, 3), (3,)), ((2, 4), (2,))]),
    *_rows("diagonal_scatter_offset", lambda x, s: x.diagonal_scatter(s, -1, 2, 0),
           [((3, 2, 4), (2, 3))]),
    *_rows("diag_embed", lambda x: x.diag_embed(), [((3,),), ((2, 3),)]),
    *_rows("diag_embed_offset", lambda x: lib_of(x).diag_embed(x, 1, 0, 2), [((2, 3),)]),
    *_rows("diag_embed_negative", lambda x: x.diag_embed(-2, -1, 1), [((2, 3),)]),
    *_rows("diagflat", lambda x: x.diagflat(), [((),), ((2, 2),)]),
    *_rows("diagflat_offset", lambda x: lib_of(x).diagflat(x, -1), [((3,),)]),
    # -- splits --------------------------------------------------------------------------------
    *_rows("split_with_sizes", _split_sum(lambda x: x.split_with_sizes([1, 3, 0], 1)),
           [((2, 4),)]),
    *_rows("hsplit", _split_sum(lambda x: lib_of(x).hsplit(x, 2)), [((4,),), ((2, 4, 3),)]),
    *_rows("hsplit_indices", _split_sum(lambda x: x.hsplit([1, 3])), [((2, 4),)]),
    *_rows("vsplit", _split_sum(lambda x: lib_of(x).vsplit(x, [2])), [((3, 2),)]),
    *_rows("dsplit", _split_sum(lambda x: x.dsplit(2)), [((1, 2, 4),)]),
    # -- the methods that are functions too ------------------------------------------------
    *_rows("swapdims", lambda x: lib_of(x).swapdims(x, 0, -1), [((),), ((2, 3, 4),)]),
    *_rows("adjoint", lambda x: x.adjoint(), [((2, 3),), ((4, 2, 3),)]),
    *_rows("narrow_copy", lambda x: lib_of(x).narrow_copy(x, 1, 1, 2), [((2, 4),)]),
    *_rows("prelu", lambda x, w: x.prelu(w), [(D, (2,)), (D, (1,))],
           lambda rng, shape: rng.uniform(0.2, 1.0, shape) * rng.choice([-1.0, 1.0], shape)),
    *_rows("hardshrink", lambda x: x.hardshrink(), [((),), ((5,),), ((2, 3, 4),)],
           lambda rng, shape: rng.uniform(0.6, 2.0, shape) * rng.choice([-1.0, 1.0], shape)),
    *_rows("hardshrink_lambd", lambda x: lib_of(x).hardshrink(x, 1.2), [((2, 3),)],
           lambda rng, shape: rng.choice([-2.0, -0.5, 0.3, 1.5], shape)
           + rng.uniform(-0.1, 0.1, shape)),
]  # fmt: skip

X = (2, 3)
INPLACE_CASES = [
    *_rows("index_reduce_", lambda x, w: (x * 1).index_reduce_(0, like(x, [1, 1, 0]), w,
                                                               "amax") * x,
           [(X, (3, 3))], distinct),
    *_rows("index_reduce_mean_noself_",
           lambda x, w: (x * 1).index_reduce_(1, like(x, [2, 2]), w, "mean",
                                              include_self=False), [(X, (2, 2))]),
]  # fmt: skip
