"""The gradient table of the engine's ops: every differentiable op, checked the same way.

Each row is a ``Case`` (from ``tests/gradtable.py``, shared with the nn tables) and is
checked by

- ``check_case``: gradcheck (float64 central differences against backpropagation) and
  gradgradcheck (second derivatives through ``create_graph=True``) unless the case says
  ``second_order=False``;
- ``check_against_torch``: values and gradients against PyTorch where ``torch_fn`` is given
  (skipped where torch is not installed);
- float32 inputs give float32 outputs and gradients (no silent promotion to float64).

To add an op, add one line to ``CASES``::

    *variants("softplus", F.softplus, UNARY, normal, tF.softplus),

``variants(name, fn, shape_variants, sample, torch_fn)`` makes one ``Case`` per shape
variant; each variant is a tuple with one shape per input. Cover a 0-d, a broadcast and a
batched variant where the op allows them (``UNARY`` and ``BINARY`` below do). ``sample``
draws the values: keep them inside the op's domain (``positive`` for log and sqrt) and
away from kinks (``away_from_zero`` for abs and relu, ``distinct`` for max, min and clip,
whose gradients jump at ties and at the bounds). Reductions are one line each in
``REDUCTIONS``, expanded over the axis variants in ``AXES``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from tests.gradtable import (
    BINARY,
    UNARY,
    away_from_zero,
    check_against_torch,
    check_case,
    check_float32,
    distinct,
    normal,
    positive,
    torch_op,
    variants,
)
from tests.ops.rows_arrays import CASES as ROWS_ARRAYS
from tests.ops.rows_arrays import NO_GRADIENT as NO_GRADIENT_ARRAYS
from tests.ops.rows_indexing import CASES as ROWS_INDEXING
from tests.ops.rows_indexing import NO_GRADIENT as NO_GRADIENT_INDEXING
from tests.ops.rows_matrix import CASES as ROWS_MATRIX
from tests.ops.rows_matrix import NO_GRADIENT as NO_GRADIENT_MATRIX
from tests.ops.rows_special import CASES as ROWS_SPECIAL
from tests.ops.rows_special import NO_GRADIENT as NO_GRADIENT_SPECIAL
from tests.ops.rows_stats import CASES as ROWS_STATS
from tests.ops.rows_stats import NO_GRADIENT as NO_GRADIENT_STATS


def above_minus_one(rng, shape):
    """Values in [-0.5, 2): inside log1p's domain, away from its pole at -1."""
    return rng.uniform(-0.5, 2.0, shape)


def _alternating(shape):
    return (np.arange(math.prod(shape)) % 2 == 0).reshape(shape)


def _where(a, b):
    return cr.where(_alternating(np.broadcast_shapes(a.shape, b.shape)), a, b)


def _twhere(a, b):
    import torch

    cond = torch.from_numpy(_alternating(np.broadcast_shapes(a.shape, b.shape)))
    return torch.where(cond, a, b)


def _t_alternating(shape):
    import torch

    return torch.from_numpy(_alternating(shape))


MASK = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, False]])  # fmt: skip


def _inside_minus_one_one(rng, shape):
    """Values in (-0.95, 0.95): the domain of erfinv, away from its poles."""
    return rng.uniform(-0.95, 0.95, shape)


def _alternating_halves(rng, shape):
    """Values a quarter away from every integer and half-integer (no rounding kink)."""
    return rng.integers(-3, 3, size=shape) + 0.25 + 0.5 * rng.integers(0, 2, size=shape)


def _tmask(x):
    import torch

    return x[torch.from_numpy(MASK)]


def _tpad(x):
    import torch.nn.functional as tF

    return tF.pad(x, (2, 1, 1, 0))


CASES = [
    # -- arithmetic, tensor with tensor (broadcasting) -----------------------------------
    *variants("add", lambda a, b: a + b, BINARY, normal, lambda a, b: a + b),
    *variants("sub", lambda a, b: a - b, BINARY, normal, lambda a, b: a - b),
    *variants("mul", lambda a, b: a * b, BINARY, normal, lambda a, b: a * b),
    *variants("div", lambda a, b: a / b, BINARY, away_from_zero, lambda a, b: a / b),
    *variants("pow", lambda a, b: a**b, BINARY, positive, lambda a, b: a**b),
    *variants("maximum", cr.maximum, BINARY, distinct, torch_op("maximum")),
    *variants("minimum", cr.minimum, BINARY, distinct, torch_op("minimum")),
    *variants("where", _where, BINARY, normal, _twhere),
    # -- arithmetic with Python scalars on either side -----------------------------------
    *variants("add_scalar", lambda x: x + 2.5, UNARY, normal, lambda x: x + 2.5),
    *variants("radd", lambda x: 2.5 + x, UNARY, normal, lambda x: 2.5 + x),
    *variants("sub_scalar", lambda x: x - 1.5, UNARY, normal, lambda x: x - 1.5),
    *variants("rsub", lambda x: 1.5 - x, UNARY, normal, lambda x: 1.5 - x),
    *variants("mul_scalar", lambda x: x * 3.0, UNARY, normal, lambda x: x * 3.0),
    *variants("rmul", lambda x: 0.5 * x, UNARY, normal, lambda x: 0.5 * x),
    *variants("div_scalar", lambda x: x / 4.0, UNARY, normal, lambda x: x / 4.0),
    *variants("rdiv", lambda x: 2.0 / x, UNARY, away_from_zero, lambda x: 2.0 / x),
    *variants("pow_2", lambda x: x**2, UNARY, normal, lambda x: x**2),
    *variants("pow_3", lambda x: x**3, UNARY, normal, lambda x: x**3),
    *variants("pow_half", lambda x: x**0.5, UNARY, positive, lambda x: x**0.5),
    *variants("pow_minus_1", lambda x: x**-1, UNARY, away_from_zero, lambda x: x**-1),
    *variants("pow_0", lambda x: x**0, UNARY, normal, lambda x: x**0),
    *variants("rpow", lambda x: 2.0**x, UNARY, normal, lambda x: 2.0**x),
    *variants("neg", lambda x: -x, UNARY, normal, lambda x: -x),
    # -- unary math and activations ------------------------------------------------------
    *variants("abs", cr.abs, UNARY, away_from_zero, torch_op("abs")),
    *variants("exp", cr.exp, UNARY, normal, torch_op("exp")),
    *variants("log", cr.log, UNARY, positive, torch_op("log")),
    *variants("log1p", cr.log1p, UNARY, above_minus_one, torch_op("log1p")),
    *variants("sqrt", cr.sqrt, UNARY, positive, torch_op("sqrt")),
    *variants("sin", cr.sin, UNARY, normal, torch_op("sin")),
    *variants("cos", cr.cos, UNARY, normal, torch_op("cos")),
    *variants("tanh", cr.tanh, UNARY, normal, torch_op("tanh")),
    *variants("sigmoid", cr.sigmoid, UNARY, normal, torch_op("sigmoid")),
    *variants("relu", cr.relu, UNARY, away_from_zero, torch_op("relu")),
    *variants("erf", cr.erf, UNARY, normal, torch_op("erf")),
    *variants("softplus", cr.softplus, UNARY, normal, torch_op("nn.functional.softplus")),
    *variants("elu", cr.elu, UNARY, away_from_zero, torch_op("nn.functional.elu")),
    *variants("leaky_relu", cr.leaky_relu, UNARY, away_from_zero,
              torch_op("nn.functional.leaky_relu")),
    *variants("gelu", cr.gelu, UNARY, normal, torch_op("nn.functional.gelu")),
    *variants("gelu_tanh", lambda x: cr.gelu(x, approximate="tanh"), UNARY, normal,
              lambda x: torch_op("nn.functional.gelu")(x, approximate="tanh")),
    *variants("silu", cr.silu, UNARY, normal, torch_op("nn.functional.silu")),
    *variants("clip", lambda x: x.clip(-0.5, 0.5), UNARY, distinct,
           lambda x: x.clamp(-0.5, 0.5)),
    *variants("clip_min", lambda x: cr.clip(x, min=0.2), UNARY, distinct,
           lambda x: x.clamp(min=0.2)),
    *variants("clip_max", lambda x: cr.clip(x, max=0.2), UNARY, distinct,
           lambda x: x.clamp(max=0.2)),
    *variants("clone", lambda x: x.clone(), UNARY, normal, lambda x: x.clone()),
    # -- softmax -------------------------------------------------------------------------
    *variants("softmax", cr.softmax, [((5,),), ((2, 3, 4),)], normal,
              lambda x: torch_op("softmax")(x, dim=-1)),
    *variants("softmax_axis0", lambda x: cr.softmax(x, axis=0), [((2, 3, 4),)], normal,
           lambda x: torch_op("softmax")(x, dim=0)),
    *variants("log_softmax", cr.log_softmax, [((5,),), ((2, 3, 4),)], normal,
           lambda x: torch_op("log_softmax")(x, dim=-1)),
    *variants("log_softmax_dim1", lambda x: cr.log_softmax(x, dim=1), [((2, 3, 4),)], normal,
           lambda x: torch_op("log_softmax")(x, dim=1)),
    # -- matrix products -----------------------------------------------------------------
    *variants("matmul", lambda a, b: a @ b,
           [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
            ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 3, 4), (4,)),
            ((2, 1, 2, 3), (3, 3, 2))],
           normal, lambda a, b: a @ b),
    *variants("rmatmul_list", lambda b: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]] @ b, [((3, 4),)],
              normal, lambda b: torch_op("tensor")([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]],
                                             dtype=b.dtype) @ b),
    *variants("dot", cr.dot, [((4,), (4,))], normal, torch_op("dot")),
    *variants("outer", cr.outer, [((3,), (4,))], normal, torch_op("outer")),
    *variants("einsum_matmul", lambda a, b: cr.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))],
           normal, lambda a, b: torch_op("einsum")("ij,jk->ik", a, b)),
    *variants("einsum_batched", lambda a, b: cr.einsum("bij,bjk->bik", a, b),
           [((2, 2, 3), (2, 3, 2))], normal, lambda a, b: torch_op("einsum")("bij,bjk->bik", a, b)),
    *variants("einsum_sum_all", lambda a: cr.einsum("ij->", a), [((2, 3),)], normal,
           lambda a: torch_op("einsum")("ij->", a)),
    *variants("einsum_inner", lambda a, b: cr.einsum("i,i->", a, b), [((3,), (3,))], normal,
           lambda a, b: torch_op("einsum")("i,i->", a, b)),
    *variants("einsum_rowdot", lambda a, b: cr.einsum("ij,ij->i", a, b), [((2, 3), (2, 3))],
           normal, lambda a, b: torch_op("einsum")("ij,ij->i", a, b)),
    *variants("einsum_ellipsis", lambda a, b: cr.einsum("...ij,j->...i", a, b),
           [((2, 2, 3), (3,))], normal, lambda a, b: torch_op("einsum")("...ij,j->...i", a, b)),
    *variants("einsum_implicit", lambda a, b: cr.einsum("ij,jk", a, b), [((2, 3), (3, 4))],
           normal, lambda a, b: torch_op("einsum")("ij,jk", a, b)),
    *variants("einsum_summed_away", lambda a, b: cr.einsum("ij,jk->k", a, b),
           [((2, 3), (3, 4))], normal, lambda a, b: torch_op("einsum")("ij,jk->k", a, b)),
    *variants("einsum_three", lambda a, b, c: cr.einsum("ij,jk,kl->il", a, b, c),
           [((2, 3), (3, 2), (2, 2))], normal,
           lambda a, b, c: torch_op("einsum")("ij,jk,kl->il", a, b, c)),
    # -- shape ops -----------------------------------------------------------------------
    *variants("reshape", lambda x: x.reshape(6, 4), [((2, 3, 4),)], normal,
           lambda x: x.reshape(6, 4)),
    *variants("reshape_minus1", lambda x: x.reshape(-1), [((), ), ((2, 3, 4),)], normal,
           lambda x: x.reshape(-1)),
    *variants("T", lambda x: x.T, [((),), ((3,),), ((2, 3),), ((2, 3, 4),)], normal,
           lambda x: x.permute(*reversed(range(x.ndim))) if x.ndim else x),
    *variants("transpose_axes", lambda x: x.transpose(0, 1), [((2, 3, 4),)], normal,
           lambda x: x.permute(1, 0, 2)),
    *variants("permute", lambda x: cr.permute(x, (2, 0, 1)), [((2, 3, 4),)], normal,
           lambda x: x.permute(2, 0, 1)),
    *variants("swapaxes", lambda x: x.swapaxes(0, 2), [((2, 3, 4),)], normal,
           lambda x: x.transpose(0, 2)),
    *variants("mT", lambda x: x.mT, [((2, 3, 4),)], normal, lambda x: x.mT),
    *variants("expand_dims", lambda x: x.expand_dims(1), [((3,),), ((2, 3),)], normal,
           lambda x: x.unsqueeze(1)),
    *variants("expand_dims_tuple", lambda x: cr.expand_dims(x, (0, -1)), [((), ), ((2, 3),)],
           normal, None),
    *variants("squeeze", lambda x: x.squeeze(), [((2, 1, 3, 1),)], normal, lambda x: x.squeeze()),
    *variants("squeeze_axis", lambda x: x.squeeze(axis=1), [((2, 1, 3),)], normal,
           lambda x: x.squeeze(1)),
    *variants("broadcast_to", lambda x: cr.broadcast_to(x, (4, 2, 3)), [((),), ((3,),), ((2, 1),)],
           normal, lambda x: x.broadcast_to((4, 2, 3))),
    *variants("flatten", lambda x: x.flatten(), [((),), ((2, 3, 4),)], normal,
           lambda x: x.flatten()),
    *variants("flatten_start1", lambda x: x.flatten(1), [((2, 3, 4),)], normal,
           lambda x: x.flatten(1)),
    *variants("concatenate", lambda a, b: cr.concatenate([a, b]), [((2, 3), (1, 3))], normal,
           lambda a, b: torch_op("cat")([a, b])),
    *variants("concatenate_axis1", lambda a, b, c: cr.concatenate([a, b, c], axis=1),
           [((2, 3), (2, 1), (2, 2))], normal, lambda a, b, c: torch_op("cat")([a, b, c], dim=1)),
    *variants("stack", lambda a, b: cr.stack([a, b], axis=-1), [((), ()), ((2, 3), (2, 3))],
           normal, lambda a, b: torch_op("stack")([a, b], dim=-1)),
    *variants("split_sections", lambda x: cr.chunk(x, 2, 1), [((2, 4),)], normal,
           lambda x: torch_op("split")(x, 2, dim=1)),
    *variants("split_indices", lambda x: cr.tensor_split(x, [1, 3]), [((5,),), ((5, 2),)], normal,
           lambda x: torch_op("tensor_split")(x, [1, 3])),
    *variants("split_one_used", lambda x: cr.chunk(x, 3)[1], [((6,),)], normal,
           lambda x: torch_op("split")(x, 2)[1]),
    *variants("pad", lambda x: cr.pad(x, ((1, 0), (2, 1))), [((2, 3),)], normal, _tpad),
    *variants("max_dim", lambda x: x.max(dim=1).values, [((2, 3),), ((2, 3, 4),)], distinct,
           lambda x: x.max(dim=1).values),
    *variants("min_dim_keepdim", lambda x: cr.min(x, -1, True)[0], [((3,),), ((2, 3),)],
           distinct, lambda x: x.min(-1, True)[0]),
    *variants("max_all", lambda x: x.max(), [((),), ((2, 3),)], distinct, lambda x: x.max()),
    *variants("min_all", lambda x: cr.min(x), [((2, 3),)], distinct, lambda x: x.min()),
    *variants("transpose_4d", lambda x: cr.transpose(x, 1, 2), [((2, 3, 4, 2),)], normal,
           lambda x: x.transpose(1, 2)),
    *variants("t", lambda x: x.t(), [((3,),), ((2, 3),)], normal, lambda x: x.t()),
    *variants("chunk_uneven", lambda x: cr.chunk(x, 2, -1)[1], [((2, 5),)], normal,
           lambda x: x.chunk(2, -1)[1]),
    *variants("split_size", lambda x: cr.split(x, 2)[2], [((5, 2),)], normal,
           lambda x: x.split(2)[2]),
    *variants("split_sizes", lambda x: x.split([1, 4], dim=1)[1], [((2, 5),)], normal,
           lambda x: x.split([1, 4], dim=1)[1]),
    *variants("tensor_split_sections", lambda x: cr.tensor_split(x, 3)[0], [((7,),)], normal,
           lambda x: torch_op("tensor_split")(x, 3)[0]),
    *variants("narrow", lambda x: x.narrow(1, 1, 2), [((2, 4),)], normal,
           lambda x: x.narrow(1, 1, 2)),
    *variants("take_along_dim", lambda x: cr.take_along_dim(x, np.array([[2, 0], [1, 1]]), 1),
           [((2, 3),)], normal,
           lambda x: torch_op("take_along_dim")(x, torch_op("tensor")([[2, 0], [1, 1]]), 1)),
    *variants("gather", lambda x: cr.gather(x, 0, cr.tensor([[1, 0, 1]])), [((2, 3),)], normal,
           lambda x: x.gather(0, torch_op("tensor")([[1, 0, 1]]))),
    *variants("index_select", lambda x: cr.index_select(x, 1, cr.tensor([2, 0, 2])),
           [((2, 3),)], normal, lambda x: x.index_select(1, torch_op("tensor")([2, 0, 2]))),
    *variants("masked_fill", lambda x: cr.masked_fill(x, cr.tensor([True, False, True]), 0.5),
           [((3,),), ((2, 3),)], normal,
           lambda x: x.masked_fill(torch_op("tensor")([True, False, True]), 0.5)),
    *variants("unbind", lambda x: cr.unbind(x, 1)[2], [((2, 3),)], normal,
           lambda x: x.unbind(1)[2]),
    *variants("select", lambda x: cr.select(x, 0, -1), [((2, 3),)], normal,
           lambda x: x.select(0, -1)),
    *variants("expand", lambda x: cr.expand(x, 4, -1, 3), [((2, 1),)], normal,
           lambda x: x.expand(4, -1, 3)),
    *variants("repeat", lambda x: cr.repeat(x, 2, 1, 3), [((3,),), ((2, 3),)], normal,
           lambda x: x.repeat(2, 1, 3)),
    *variants("sort", lambda x: cr.sort(x, 1, descending=True).values, [((2, 3),)], distinct,
           lambda x: x.sort(1, descending=True).values),
    *variants("topk", lambda x: cr.topk(x, 2).values, [((4,),), ((2, 3),)], distinct,
           lambda x: x.topk(2).values),
    *variants("kthvalue", lambda x: cr.kthvalue(x, 2, 0).values, [((3, 2),)], distinct,
           lambda x: x.kthvalue(2, 0).values),
    *variants("median", lambda x: cr.median(x), [((5,),), ((2, 3),)], distinct,
           lambda x: x.median()),
    *variants("median_dim", lambda x: cr.median(x, 1).values, [((2, 4),)], distinct,
           lambda x: x.median(1).values),
    *variants("cumsum", lambda x: cr.cumsum(x, -1), [((),), ((4,),), ((2, 3),)], normal,
           lambda x: x.cumsum(-1)),
    *variants("square", cr.square, UNARY, normal, torch_op("square")),
    *variants("rsqrt", cr.rsqrt, UNARY, positive, torch_op("rsqrt")),
    *variants("log2", cr.log2, UNARY, positive, torch_op("log2")),
    *variants("log10", cr.log10, UNARY, positive, torch_op("log10")),
    *variants("mm", cr.mm, [((2, 3), (3, 4))], normal, torch_op("mm")),
    *variants("bmm", cr.bmm, [((2, 2, 3), (2, 3, 4))], normal, torch_op("bmm")),
    *variants("remainder", cr.remainder, [((3,), (3,)), ((2, 3), ())], away_from_zero,
           torch_op("remainder")),
    *variants("fmod", cr.fmod, [((3,), (3,))], away_from_zero, torch_op("fmod")),
    *variants("floor", cr.floor, UNARY, _alternating_halves, torch_op("floor")),
    *variants("ceil", cr.ceil, UNARY, _alternating_halves, torch_op("ceil")),
    *variants("round", cr.round, UNARY, _alternating_halves, torch_op("round")),
    *variants("trunc", cr.trunc, UNARY, _alternating_halves, torch_op("trunc")),
    *variants("meshgrid", lambda a, b: cr.meshgrid(a, b, indexing="xy")[1], [((3,), (2,))],
           normal, lambda a, b: torch_op("meshgrid")(a, b, indexing="xy")[1]),
    *variants("tril", lambda x: cr.tril(x, 1), [((3, 4),), ((2, 3, 3),)], normal,
           lambda x: x.tril(1)),
    *variants("triu", lambda x: cr.triu(x, -1), [((3, 4),)], normal, lambda x: x.triu(-1)),
    *variants("diagonal", lambda x: cr.diagonal(x, 1, 0, 2), [((3, 2, 4),)], normal,
           lambda x: x.diagonal(1, 0, 2)),
    *variants("diag", lambda x: cr.diag(x, -1), [((3,),), ((3, 4),)], normal,
           lambda x: torch_op("diag")(x, -1)),
    *variants("trace", cr.trace, [((3, 4),)], normal, torch_op("trace")),
    *variants("flip", lambda x: cr.flip(x, (0, -1)), [((2, 3),)], normal,
           lambda x: x.flip((0, -1))),
    *variants("roll", lambda x: cr.roll(x, (1, -2), (0, 1)), [((2, 3),)], normal,
           lambda x: x.roll((1, -2), (0, 1))),
    *variants("lerp", lambda a, b: cr.lerp(a, b, 0.3), [((3,), (3,)), ((2, 3), (3,))], normal,
           lambda a, b: torch_op("lerp")(a, b, 0.3)),
    *variants("tan", cr.tan, UNARY, away_from_zero, torch_op("tan")),
    *variants("erfinv", cr.erfinv, UNARY, _inside_minus_one_one, torch_op("erfinv")),
    *variants("unflatten", lambda x: cr.unflatten(x, 1, (2, -1)), [((3, 4),)], normal,
           lambda x: x.unflatten(1, (2, -1))),
    *variants("mode", lambda x: cr.mode(x, 1).values, [((2, 3),)], distinct,
           lambda x: x.mode(1).values),
    *variants("pad_int", lambda x: x.pad(1, constant_values=0.5), [((3,),), ((2, 3),)], normal,
           None),
    *variants("addmm", lambda i, a, b: cr.addmm(i, a, b, beta=0.5, alpha=2.0),
              [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))], normal,
              lambda i, a, b: torch_op("addmm")(i, a, b, beta=0.5, alpha=2.0)),
    *variants("addmm(beta=0)", lambda i, a, b: cr.addmm(i, a, b, beta=0),
              [((2, 4), (2, 3), (3, 4))], normal,
              lambda i, a, b: torch_op("addmm")(i, a, b, beta=0)),
    *variants("addmv", lambda i, a, v: cr.addmv(i, a, v, alpha=-1.5),
              [((2,), (2, 3), (3,)), ((), (2, 3), (3,))], normal,
              lambda i, a, v: torch_op("addmv")(i, a, v, alpha=-1.5)),
    *variants("addr", lambda i, a, b: cr.addr(i, a, b, beta=2.0), [((2, 3), (2,), (3,))],
              normal, lambda i, a, b: torch_op("addr")(i, a, b, beta=2.0)),
    *variants("baddbmm", lambda i, a, b: cr.baddbmm(i, a, b, alpha=0.5),
              [((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((2, 4), (2, 2, 3), (2, 3, 4))], normal,
              lambda i, a, b: torch_op("baddbmm")(i, a, b, alpha=0.5)),
    *variants("addbmm", lambda i, a, b: cr.addbmm(i, a, b, beta=-1.0),
              [((2, 4), (3, 2, 3), (3, 3, 4))], normal,
              lambda i, a, b: torch_op("addbmm")(i, a, b, beta=-1.0)),
    *variants("addcmul", lambda i, a, b: cr.addcmul(i, a, b, value=0.5),
              [((2, 3), (3,), (2, 1)), ((), (), ())], normal,
              lambda i, a, b: torch_op("addcmul")(i, a, b, value=0.5)),
    *variants("addcdiv", lambda i, a, b: cr.addcdiv(i, a, b, value=-2.0),
              [((2, 3), (3,), (2, 1)), ((), (), ())], away_from_zero,
              lambda i, a, b: torch_op("addcdiv")(i, a, b, value=-2.0)),
    *variants("tensor_where", lambda a, b: a.where(cr.tensor(_alternating((2, 3))), b),
              [((2, 3), (3,))], normal,
              lambda a, b: a.where(_t_alternating((2, 3)), b)),
    *variants("tensor_unfold", lambda x: x.unfold(1, 3, 2), [((2, 7),)], normal,
              lambda x: x.unfold(1, 3, 2)),
    *variants("tensor_unfold_overlapping", lambda x: x.unfold(-1, 3, 1), [((5,),), ((2, 4),)],
              normal, lambda x: x.unfold(-1, 3, 1)),
    # -- indexing ------------------------------------------------------------------------
    *variants("getitem_int", lambda x: x[1], [((3, 4),)], normal, lambda x: x[1]),
    *variants("getitem_slices", lambda x: x[:, 1:3], [((3, 4),)], normal, lambda x: x[:, 1:3]),
    *variants("getitem_step", lambda x: x[::2, 1::2], [((3, 4),)], normal,
           lambda x: x[::2, 1::2]),
    *variants("getitem_none_ellipsis", lambda x: x[None, ..., 0], [((2, 3, 4),)], normal,
           lambda x: x[None, ..., 0]),
    *variants("getitem_repeated_rows", lambda x: x[[0, 2, 0, 0]], [((3, 4),)], normal,
           lambda x: x[[0, 2, 0, 0]]),
    *variants("getitem_repeated_elements", lambda x: x[[0, 1, 0], [2, 2, 2]], [((3, 4),)],
           normal, lambda x: x[[0, 1, 0], [2, 2, 2]]),
    *variants("getitem_mixed", lambda x: x[1:, [0, 0, 3]], [((3, 4),)], normal,
           lambda x: x[1:, [0, 0, 3]]),
    *variants("getitem_tensor_index", lambda x: x[cr.tensor([2, 2, 1])], [((3, 4),)], normal,
           lambda x: x[[2, 2, 1]]),
    *variants("getitem_mask", lambda x: x[MASK], [((3, 4),)], normal, _tmask),
]  # fmt: skip


# -- reductions: one line each, expanded over the axis variants ----------------------------


def _tdims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def _treduce(name, **extra):
    """A torch reduction called with NumPy's (axis, keepdims) conventions."""

    def f(x, axis, keepdims):
        import torch

        if x.ndim == 0:  # torch reduces a 0-d tensor through a (1,) view
            return getattr(torch, name)(x.reshape(1), dim=0, **extra)
        return getattr(torch, name)(x, dim=_tdims(x, axis), keepdim=keepdims, **extra)

    return f


def _tprod(x, axis, keepdims):
    for d in sorted(_tdims(x, axis), reverse=True):
        x = x.prod(dim=d, keepdim=keepdims)
    return x.reshape(()) if x.ndim == 0 else x


# (name, fn(x, axis, keepdims), domain, torch_fn(x, axis, keepdims))
REDUCTIONS = [
    ("sum", lambda x, a, k: x.sum(axis=a, keepdims=k), normal, _treduce("sum")),
    ("mean", lambda x, a, k: x.mean(axis=a, keepdims=k), normal, _treduce("mean")),
    ("amax", lambda x, a, k: x.amax(axis=a, keepdims=k), distinct, _treduce("amax")),
    ("amin", lambda x, a, k: x.amin(axis=a, keepdims=k), distinct, _treduce("amin")),
    ("var", lambda x, a, k: x.var(axis=a, keepdims=k, correction=0), normal,
     _treduce("var", correction=0)),
    ("var_ddof1", lambda x, a, k: cr.var(x, axis=a, keepdims=k, ddof=1), normal,
     _treduce("var")),
    ("std", lambda x, a, k: x.std(axis=a, keepdims=k, correction=0), normal,
     _treduce("std", correction=0)),
    ("logsumexp", lambda x, a, k: x.logsumexp(axis=a, keepdims=k), normal,
     _treduce("logsumexp")),
    ("prod", lambda x, a, k: x.prod(axis=a, keepdims=k), away_from_zero, _tprod),
]  # fmt: skip

# (axis, keepdims, shape variants)
AXES = [
    (None, False, [((),), ((5,),), ((2, 3, 4),)]),
    (None, True, [((2, 3),)]),
    (1, False, [((2, 3),), ((2, 3, 4),)]),
    (-1, True, [((3,),), ((2, 3, 4),)]),
    ((0, 2), False, [((2, 3, 4),)]),
    ((0, 1), True, [((2, 3, 4),)]),
]


def _bind(f, axis, keepdims):
    return lambda x: f(x, axis, keepdims)


# A 0-d input has no degree of freedom for ddof=1, and std's gradient at var=0 is infinite.
NO_0D = {"var_ddof1", "std"}

CASES += [
    case
    for name, fn, sample, tfn in REDUCTIONS
    for axis, keepdims, shapes in AXES
    for case in variants(
        f"{name}(axis={axis}, keepdims={keepdims})",
        _bind(fn, axis, keepdims),
        [v for v in shapes if not (name in NO_0D and v == ((),))],
        sample,
        _bind(tfn, axis, keepdims),
    )
]


# -- rows kept beside the table, one module per ops module ------------------------------

CASES += ROWS_SPECIAL + ROWS_INDEXING + ROWS_ARRAYS + ROWS_MATRIX + ROWS_STATS


# -- the tests ---------------------------------------------------------------------------

PARAMS = [pytest.param(c, id=str(c)) for c in CASES]


def test_every_variant_is_distinct():
    ids = [str(c) for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("case", PARAMS)
def test_gradients(case):
    check_case(case)


@pytest.mark.parametrize("case", [p for p in PARAMS if p.values[0].torch_fn is not None])
def test_matches_torch(case):
    pytest.importorskip("torch")
    check_against_torch(case)


@pytest.mark.parametrize("case", PARAMS)
def test_float32_stays_float32(case):
    check_float32(case)


# Ops of chainrule.ops that have no gradient, and other names for ops in the table.
NO_GRADIENT = {
    "argmax", "argmin", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_not", "isnan", "isfinite", "sign",
    "any", "all", "one_hot", "eq", "ne", "lt", "le", "gt", "ge", "allclose", "isclose",
    "is_floating_point", "is_tensor", "numel", "argsort", "floor_divide", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "unique",
}  # fmt: skip
NO_GRADIENT |= (NO_GRADIENT_SPECIAL | NO_GRADIENT_INDEXING | NO_GRADIENT_ARRAYS
                | NO_GRADIENT_MATRIX | NO_GRADIENT_STATS)
SAME_AS = {"cat": "concatenate", "clamp": "clip", "unsqueeze": "expand_dims",
           "sum_to": "add"}  # sum_to undoes broadcasting: every broadcast "add" case uses it


def test_every_differentiable_op_is_in_the_table():
    names = {c.name for c in CASES}

    def covered(op):
        op = SAME_AS.get(op, op)
        return any(n == op or n.startswith((op + "_", op + "(")) for n in names)

    missing = [op for op in cr.ops.__all__ if op not in NO_GRADIENT and not covered(op)]
    assert not missing, f"ops with no row in the gradient table: {missing}"
