"""Gradient-table rows for chainrule/ops/arrays.py (run by tests/ops/test_grad_table.py),
and in-place rows (run by tests/test_inplace.py)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from tests.gradtable import (
    UNARY,
    Case,
    away_from_zero,
    distinct,
    lib_of,
    like,
    normal,
    positive,
    torch_op,
    variants,
)

# Ops of the module without a gradient (integer or boolean results).
NO_GRADIENT: set[str] = {
    "argwhere", "bincount", "broadcast_shapes", "bucketize", "count_nonzero", "histc",
    "isinf", "isneginf", "isposinf", "isreal", "logical_xor", "nonzero", "searchsorted",
    "signbit", "tril_indices", "triu_indices",
}  # fmt: skip

MASK = np.array([[True, False, True], [False, False, True]])
KEEP = np.array([[True, False, True, True], [True, True, False, True], [False, True, True, True]])
NAN = float("nan")


def _with_nans(x):
    """``x`` with NaN where KEEP is False (their gradient must be 0)."""
    return lib_of(x).where(like(x, KEEP[: x.shape[0]]), x, NAN)


def _both(name, fn, shapes, sample=normal, **kw):
    """Rows whose function is written once for chainrule and torch."""
    return variants(name, fn, shapes, sample, fn, **kw)


def _joined(name):
    """``name([a, b])`` in the library of ``a`` (the stacking functions)."""
    return lambda a, b: getattr(lib_of(a), name)([a, b])


def _inside_unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


INF = float("inf")
CASES: list = [
    *_both("tile", lambda x: x.tile((2, 1)), [((3,),), ((2, 3),)]),
    *variants("tile_function", lambda x: cr.tile(x, (2,)), [((),), ((2, 3),)], normal,
              lambda x: torch_op("tile")(x, (2,))),
    *_both("movedim", lambda x: x.movedim((0, 1), (2, 0)), [((2, 3, 4),)]),
    *_both("moveaxis", lambda x: lib_of(x).moveaxis(x, -1, 0), [((2, 3, 4),)]),
    *_both("repeat_interleave", lambda x: x.repeat_interleave(2), [((),), ((2, 3),)]),
    *_both("repeat_interleave_tensor",
           lambda x: x.repeat_interleave(like(x, [2, 0, 1]), dim=1), [((2, 3),)]),
    *_both("masked_select", lambda x: x.masked_select(like(x, MASK)), [((2, 3),), ((3,),)]),
    *_both("diff", lambda x: x.diff(), [((4,),), ((2, 3),)]),
    *_both("diff_prepend_append", lambda x, p, a: x.diff(2, 0, prepend=p, append=a),
           [((3, 2), (1, 2), (2, 2))]),
    *_both("rot90", lambda x: x.rot90(), [((2, 3),)]),
    *_both("rot90_k", lambda x: x.rot90(-1, (2, 0)), [((2, 3, 4),)]),
    *_both("rot90_half", lambda x: x.rot90(2, (1, 0)), [((2, 3),)]),
    *_both("fliplr", lambda x: x.fliplr(), [((2, 3),)]),
    *_both("flipud", lambda x: x.flipud(), [((3,),), ((2, 3),)]),
    *_both("kron", lambda a, b: a.kron(b), [((2, 3), (2,)), ((), (2, 2)), ((2, 1, 2), (3, 2))]),
    *variants("tensordot", cr.tensordot, [((2, 3, 4), (3, 4, 2))], normal,
              torch_op("tensordot")),
    *variants("tensordot_lists", lambda a, b: cr.tensordot(a, b, ([2, 0], [0, 1])),
              [((2, 3, 4), (4, 2))], normal,
              lambda a, b: torch_op("tensordot")(a, b, ([2, 0], [0, 1]))),
    *variants("tensordot_outer", lambda a, b: cr.tensordot(a, b, 0), [((2,), (3,))], normal,
              lambda a, b: torch_op("tensordot")(a, b, 0)),
    *_both("inner", lambda a, b: a.inner(b), [((3,), (3,)), ((2, 3), (4, 3)), ((), (3,))]),
    *_both("mv", lambda a, v: a.mv(v), [((2, 3), (3,))]),
    *_both("dist", lambda a, b: a.dist(b), [((), ()), ((2, 3), (3,))]),
    *_both("dist_p1", lambda a, b: a.dist(b, 1), [((2, 3), (3,))]),
    *_both("dist_p3", lambda a, b: a.dist(b, 3), [((2, 3), (2, 3))]),
    *_both("dist_inf", lambda a, b: a.dist(b, INF), [((2, 3), (2, 3))], distinct),
    *variants("cdist", cr.cdist, [((3, 2), (4, 2)), ((2, 3, 2), (1, 4, 2))], normal,
              torch_op("cdist")),
    *variants("cdist_p1", lambda a, b: cr.cdist(a, b, 1), [((3, 2), (4, 2))], normal,
              lambda a, b: torch_op("cdist")(a, b, 1)),
    *variants("cdist_inf", lambda a, b: cr.cdist(a, b, INF), [((3, 2), (4, 2))], distinct,
              lambda a, b: torch_op("cdist")(a, b, INF)),
    *variants("cdist_p3", lambda a, b: cr.cdist(a, b, 3), [((3, 2), (4, 2))], normal,
              lambda a, b: torch_op("cdist")(a, b, 3)),
    *variants("block_diag", cr.block_diag, [((2, 3), (2,), ())], normal,
              torch_op("block_diag")),
    *variants("cartesian_prod", cr.cartesian_prod, [((3,), (2,)), ((2,), (2,), (3,))],
              normal, torch_op("cartesian_prod")),
    *[row for name in ("atleast_1d", "atleast_2d", "atleast_3d") for row in variants(
        name, getattr(cr, name), [((),), ((3,),), ((2, 3),), ((2, 3, 2),), ((), (3,))],
        normal, torch_op(name))],
    *[row for name in ("hstack", "vstack", "row_stack", "dstack", "column_stack")
      for row in _both(name, _joined(name), [((2, 3), (2, 3)), ((3,), (3,))])],
    *variants("broadcast_tensors", cr.broadcast_tensors, [((2, 1), (3,)), ((), (2, 3))],
              normal, torch_op("broadcast_tensors")),
    *variants("trapezoid", cr.trapezoid, [((4,),), ((2, 3),)], normal, torch_op("trapezoid")),
    *variants("trapezoid_dx", lambda y: cr.trapezoid(y, dx=0.5, dim=0), [((3, 2),)], normal,
              lambda y: torch_op("trapezoid")(y, dx=0.5, dim=0)),
    *variants("trapezoid_x", lambda y, x: cr.trapezoid(y, x, dim=0), [((3, 2), (3,)),
              ((3, 2), (3, 2))], normal, lambda y, x: torch_op("trapezoid")(y, x, dim=0)),
    *variants("trapz", cr.trapz, [((4,),)], normal, torch_op("trapz")),
    *_both("cross", lambda a, b: a.cross(b, dim=-1), [((3,), (3,)), ((2, 3), (1, 3))]),
    *variants("cross_first_dim_of_3", lambda a, b: a.cross(b), [((2, 3, 3), (2, 3, 3))],
              normal, lambda a, b: a.cross(b, dim=1)),  # torch warns without dim
    *_both("nansum", lambda x: _with_nans(x).nansum(), [((3, 4),), ((2, 4),)]),
    *_both("nansum_dim", lambda x: _with_nans(x).nansum(1, keepdim=True), [((3, 4),)]),
    *_both("nanmean", lambda x: _with_nans(x).nanmean(), [((3, 4),)]),
    *_both("nanmean_dim", lambda x: _with_nans(x).nanmean(0), [((3, 4),)]),
    *_both("aminmax", lambda x: tuple(x.aminmax()), [((),), ((2, 3),)], distinct),
    *_both("aminmax_dim", lambda x: tuple(x.aminmax(dim=-1, keepdim=True)), [((2, 3),)],
           distinct),
    *_both("msort", lambda x: x.msort(), [((3,),), ((3, 2),)], distinct),
    *_both("sum_to_size", lambda x: x.sum_to_size(3, 1), [((3, 4),), ((2, 3, 4),)]),
    # torch.vander's own backward fails (an in-place cumprod, PyTorch 2.13): values are
    # compared with it in test_array_ops.py
    *variants("vander", cr.vander, [((3,),)], normal),
    *variants("vander_increasing", lambda x: cr.vander(x, 4, increasing=True), [((3,),)]),
    *_both("clamp_min", lambda x: x.clamp_min(0.2), UNARY, distinct),
    *_both("clamp_min_tensor", lambda x, m: x.clamp_min(m), [((2, 3), (3,)), ((2, 3), ())],
           distinct),
    *_both("clamp_max", lambda x: x.clamp_max(0.2), UNARY, distinct),
    *_both("clamp_max_tensor", lambda x, m: x.clamp_max(m), [((2, 3), (3,))], distinct),
    *_both("reciprocal", lambda x: x.reciprocal(), UNARY, away_from_zero),
]  # fmt: skip


def _mask_twin(name, *others):
    """``x`` times a bool mask changed in place by ``name`` (the twin has no gradient itself;
    the row checks its value through the product)."""

    def fn(x):
        m = (x.detach() > 0)
        return x * getattr(m, name)(*[x.detach() < v for v in others])

    return fn


INPLACE_CASES: list = [
    *[Case(f"{n}_", fn, [(2, 3)], away_from_zero, fn) for n, fn in [
        ("logical_xor", _mask_twin("logical_xor_", 0.5)),
        ("logical_and", _mask_twin("logical_and_", 0.5)),
        ("logical_or", _mask_twin("logical_or_", -0.5)),
        ("logical_not", _mask_twin("logical_not_")),
    ]],
    Case("erfinv_", lambda x: (x * 1).erfinv_() * x, [(2, 3)], _inside_unit,
         lambda x: (x * 1).erfinv_() * x),
    Case("reciprocal_after_function", lambda x: (x * 1).reciprocal_() + x.reciprocal(),
         [(2, 3)], positive, lambda x: (x * 1).reciprocal_() + x.reciprocal()),
]  # fmt: skip
