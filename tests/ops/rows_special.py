"""Gradient-table rows for chainrule/ops/special.py (run by tests/ops/test_grad_table.py),
and in-place rows (run by tests/test_inplace.py)."""

from __future__ import annotations

import chainrule as cr
from tests.gradtable import (
    BINARY,
    UNARY,
    Case,
    away_from_zero,
    distinct,
    normal,
    positive,
    torch_op,
    variants,
)


def inside_unit(rng, shape):
    """Values in (-0.9, 0.9): inside the domain of asin, acos and atanh."""
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    """Values in (1.2, 3): inside acosh's domain, away from its pole at 1."""
    return rng.uniform(1.2, 3.0, shape)


def probabilities(rng, shape):
    """Values in (0.05, 0.95): logit's domain away from its poles."""
    return rng.uniform(0.05, 0.95, shape)


def clamped_or_not(rng, shape):
    """Values clearly below 0.2 (clamped by eps=0.2) or clearly inside (0.25, 0.75)."""
    return rng.choice([rng.uniform(0.02, 0.15), rng.uniform(0.25, 0.75)], size=shape)


def gamma_domain(rng, shape):
    """Values in (0.3, 4) and in (-2.7, -2.3): both sides of the reflection."""
    return rng.choice([rng.uniform(0.3, 4.0), rng.uniform(-2.7, -2.3)], size=shape)


def above_one_and_a_half(rng, shape):
    """Values in (1.5, 4): mvlgamma's domain for p = 3 (x > (p - 1) / 2)."""
    return rng.uniform(1.5, 4.0, shape)


def halves(rng, shape):
    """Values a quarter away from every integer (no kink of trunc and frac)."""
    return rng.integers(-3, 3, size=shape) + 0.25 + 0.5 * rng.integers(0, 2, size=shape)


def _as_input_dtype(fn):
    # float_power computes in float64; casting back to the input's dtype lets the float32
    # row check that the gradient still comes back in float32
    return lambda a, b: fn(a, b).to(a.dtype)


NO_GRADIENT: set[str] = {"sgn", "heaviside", "gcd", "lcm", "bitwise_left_shift",
                         "bitwise_right_shift", "nextafter"}

CASES: list = [
    *variants("asin", cr.asin, UNARY, inside_unit, torch_op("asin")),
    *variants("acos", cr.acos, UNARY, inside_unit, torch_op("acos")),
    *variants("atan", cr.atan, UNARY, normal, torch_op("atan")),
    *variants("sinh", cr.sinh, UNARY, normal, torch_op("sinh")),
    *variants("cosh", cr.cosh, UNARY, normal, torch_op("cosh")),
    *variants("asinh", cr.asinh, UNARY, normal, torch_op("asinh")),
    *variants("acosh", cr.acosh, UNARY, above_one, torch_op("acosh")),
    *variants("atanh", cr.atanh, UNARY, inside_unit, torch_op("atanh")),
    *variants("arcsin", cr.arcsin, [((5,),)], inside_unit, torch_op("arcsin")),
    *variants("arccos", cr.arccos, [((5,),)], inside_unit, torch_op("arccos")),
    *variants("arctan", cr.arctan, [((5,),)], normal, torch_op("arctan")),
    *variants("arcsinh", cr.arcsinh, [((5,),)], normal, torch_op("arcsinh")),
    *variants("arccosh", cr.arccosh, [((5,),)], above_one, torch_op("arccosh")),
    *variants("arctanh", cr.arctanh, [((5,),)], inside_unit, torch_op("arctanh")),
    *variants("expm1", cr.expm1, UNARY, normal, torch_op("expm1")),
    *variants("exp2", cr.exp2, UNARY, normal, torch_op("exp2")),
    *variants("erfc", cr.erfc, UNARY, normal, torch_op("erfc")),
    *variants("sinc", cr.sinc, UNARY, away_from_zero, torch_op("sinc")),
    *variants("logit", cr.logit, UNARY, probabilities, torch_op("logit")),
    *variants("logit(eps)", lambda x: cr.logit(x, eps=0.2), [((4, 5),)], clamped_or_not,
              lambda x: torch_op("logit")(x, eps=0.2)),
    *variants("deg2rad", cr.deg2rad, UNARY, normal, torch_op("deg2rad")),
    *variants("rad2deg", cr.rad2deg, UNARY, normal, torch_op("rad2deg")),
    *variants("frac", cr.frac, UNARY, halves, torch_op("frac")),
    *variants("fix", cr.fix, UNARY, halves, torch_op("fix")),
    *variants("absolute", cr.absolute, UNARY, away_from_zero, torch_op("absolute")),
    *variants("negative", cr.negative, UNARY, normal, torch_op("negative")),
    *variants("positive", lambda x: cr.positive(x) * x, UNARY, normal,
              lambda x: torch_op("positive")(x) * x),
    *variants("atan2", cr.atan2, BINARY, away_from_zero, torch_op("atan2")),
    *variants("arctan2", cr.arctan2, [((2, 3), (3,))], away_from_zero, torch_op("arctan2")),
    *variants("hypot", cr.hypot, BINARY, away_from_zero, torch_op("hypot")),
    *variants("xlogy", cr.xlogy, BINARY, positive, torch_op("xlogy")),
    *variants("copysign", cr.copysign, BINARY, away_from_zero, torch_op("copysign")),
    *variants("logaddexp", cr.logaddexp, BINARY, normal, torch_op("logaddexp")),
    *variants("logaddexp2", cr.logaddexp2, BINARY, normal, torch_op("logaddexp2")),
    *variants("fmax", cr.fmax, BINARY, distinct, torch_op("fmax")),
    *variants("fmin", cr.fmin, BINARY, distinct, torch_op("fmin")),
    *variants("float_power", _as_input_dtype(cr.float_power), BINARY, positive,
              _as_input_dtype(torch_op("float_power"))),
    *variants("nan_to_num", cr.nan_to_num, UNARY, normal, torch_op("nan_to_num")),
    *variants("ldexp", cr.ldexp, BINARY, normal, torch_op("ldexp")),
    *variants("renorm", lambda x: cr.renorm(x, 2, 0, 1.5), [((3, 4),), ((2, 3, 2),)], normal,
              lambda x: torch_op("renorm")(x, 2, 0, 1.5)),
    *variants("renorm(p=1)", lambda x: cr.renorm(x, 1, -1, 2.0), [((3, 4),)], normal,
              lambda x: torch_op("renorm")(x, 1, -1, 2.0)),
    *variants("lgamma", cr.lgamma, UNARY, gamma_domain, torch_op("lgamma")),
    *variants("digamma", cr.digamma, UNARY, gamma_domain, torch_op("digamma")),
    *variants("polygamma", lambda x: cr.polygamma(1, x), UNARY, gamma_domain,
              lambda x: torch_op("polygamma")(1, x)),
    *variants("polygamma(n=3)", lambda x: cr.polygamma(3, x), [((5,),)], positive,
              lambda x: torch_op("polygamma")(3, x)),
    *variants("mvlgamma", lambda x: cr.mvlgamma(x, 3), [((5,),), ((2, 3),)],
              above_one_and_a_half, lambda x: torch_op("mvlgamma")(x, 3)),
    *variants("special.erfcx", cr.special.erfcx, UNARY, normal, torch_op("special.erfcx")),
    *variants("special.xlog1py", cr.special.xlog1py, BINARY, positive,
              torch_op("special.xlog1py")),
    *variants("special.entr", cr.special.entr, UNARY, positive, torch_op("special.entr")),
    *variants("special.ndtr", cr.special.ndtr, UNARY, normal, torch_op("special.ndtr")),
    *variants("special.ndtri", cr.special.ndtri, UNARY, probabilities,
              torch_op("special.ndtri")),
    *variants("special.log_ndtr", cr.special.log_ndtr, UNARY, normal,
              torch_op("special.log_ndtr")),
    *variants("multiply", cr.multiply, [((2, 3), (3,))], normal, torch_op("multiply")),
    *variants("divide", cr.divide, [((2, 3), (3,))], away_from_zero, torch_op("divide")),
    *variants("true_divide", cr.true_divide, [((2, 3), (3,))], away_from_zero,
              torch_op("true_divide")),
    *variants("subtract", lambda a, b: cr.subtract(a, b, alpha=0.5), [((2, 3), (3,))],
              normal, lambda a, b: torch_op("subtract")(a, b, alpha=0.5)),
]  # fmt: skip


def _twin(name, *args, **kwargs):
    """``(x * 1).name_(*args)`` times x: the in-place twin inside a graph that also uses x."""
    return lambda x: getattr(x * 1, name + "_")(*args, **kwargs) * x


# PyTorch has these in-place twins but no derivative for them: finite differences only
NO_TORCH_TWIN = {"asinh_", "acosh_", "atanh_"}


def _case(name, fn, shapes, sample=None):
    return Case(name, fn, shapes, sample, None if name in NO_TORCH_TWIN else fn)


X, W = (2, 3), (3,)
INPLACE_CASES: list = [
    *[_case(f"{n}_", _twin(n), [X], sample) for n, sample in [
        ("asin", inside_unit), ("acos", inside_unit), ("atan", None), ("sinh", None),
        ("cosh", None), ("asinh", None), ("acosh", above_one), ("atanh", inside_unit),
        ("arcsin", inside_unit), ("expm1", None), ("exp2", None), ("erfc", None),
        ("sinc", away_from_zero), ("logit", probabilities), ("deg2rad", None),
        ("rad2deg", None), ("frac", halves), ("absolute", away_from_zero),
        ("negative", None), ("nan_to_num", None)]],
    _case("logit_(eps)", _twin("logit", 0.2), [(4, 5)], clamped_or_not),
    _case("atan2_", lambda x, w: (x * 1).atan2_(w) * x, [X, W], away_from_zero),
    _case("hypot_", lambda x, w: (x * 1).hypot_(w), [X, W], away_from_zero),
    _case("xlogy_", lambda x, w: (x * 1).xlogy_(w) * x, [X, W], positive),
    _case("copysign_", lambda x, w: (x * 1).copysign_(w) * x, [X, W], away_from_zero),
    _case("ldexp_", lambda x, w: (x * 1).ldexp_(w), [X, W]),
    _case("multiply_", lambda x, w: (x * 1).multiply_(w) * x, [X, W]),
    _case("divide_", lambda x, w: (x * 1).divide_(w), [X, W], positive),
    _case("true_divide_", lambda x, w: (x * 1).true_divide_(w), [X, W], positive),
    _case("float_power_", lambda x, w: (x * 1).float_power_(w) * x, [X, W], positive),
    _case("lgamma_", _twin("lgamma"), [X], gamma_domain),
    _case("digamma_", _twin("digamma"), [X], gamma_domain),
    _case("polygamma_", lambda x: (x * 1).polygamma_(2) * x, [X], positive),
    _case("mvlgamma_", lambda x: (x * 1).mvlgamma_(2) * x, [X], above_one_and_a_half),
    _case("renorm_", lambda x: (x * 1).renorm_(2, 1, 1.0) * x, [(3, 4)]),
    _case("subtract_", lambda x, w: (x * 1).subtract_(w, alpha=2.0), [X, W]),
]  # fmt: skip
