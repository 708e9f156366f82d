"""The bad-input table: one row per public function argument a user can get wrong.

Each row is ``(label, call, error type, words)``: calling ``call()`` must raise exactly
that type (not a NumPy error from deep inside), with a message matching ``words`` (a
regex, searched case-insensitively), which names the function or class and usually the
argument. A call that returns normally is a silent acceptance: a failure.
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import data, nn, optim, train
from chainrule.optim import lr_scheduler as sched

ROWS: list[tuple[str, object, type | tuple, str]] = []


def row(label: str, call, error, words: str) -> None:
    ROWS.append((label, call, error, words))


def args_rows(owner: str, make, valid: dict, arg: str, cases, words: str | None = None) -> None:
    """Rows for one argument of ``make(**valid)``: each case ``(value, error)`` replaces
    that argument; the message must name the owner and the argument (or ``words``)."""
    said = words or arg
    for value, error in cases:
        kwargs = {**valid, arg: value}
        row(f"{owner}({arg}={value!r})", lambda make=make, kwargs=kwargs: make(**kwargs),
            error, rf"{owner}.*({said})|({said}).*{owner}")


# A wrong type is a TypeError in new checks; older ones say ValueError ("must be a
# positive int, got 'a'"): either is a named error, and both are accepted.
WRONG_TYPE = (TypeError, ValueError)
NOT_INT = [("a", WRONG_TYPE), (2.5, WRONG_TYPE)]
POSITIVE_INT = [(0, ValueError), (-1, ValueError), *NOT_INT]
NONNEG_INT = [(-1, ValueError), *NOT_INT]
PROB = [(-0.1, ValueError), (1.5, ValueError), ("a", WRONG_TYPE)]
POS_REAL = [(-1.0, ValueError), ("a", WRONG_TYPE), (math.nan, ValueError)]
NONNEG_REAL = [(-1.0, ValueError), ("a", WRONG_TYPE), (math.nan, ValueError)]


def _params():
    return [nn.Parameter(cr.zeros(2))]


def _opt():
    return optim.SGD(_params(), lr=0.1)


# -- layers ----------------------------------------------------------------------------

LAYERS = [
    ("Linear", nn.Linear, {"in_features": 3, "out_features": 2},
     {"in_features": NONNEG_INT, "out_features": NONNEG_INT}),
    ("Bilinear", nn.Bilinear, {"in1_features": 3, "in2_features": 2, "out_features": 2},
     {"in1_features": POSITIVE_INT, "in2_features": POSITIVE_INT,
      "out_features": POSITIVE_INT}),
    ("Conv1d", nn.Conv1d, {"in_channels": 2, "out_channels": 4, "kernel_size": 3},
     {"in_channels": POSITIVE_INT, "out_channels": POSITIVE_INT,
      "kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT,
      "dilation": POSITIVE_INT, "groups": POSITIVE_INT}),
    ("Conv2d", nn.Conv2d, {"in_channels": 2, "out_channels": 4, "kernel_size": 3},
     {"in_channels": POSITIVE_INT, "out_channels": POSITIVE_INT,
      "kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT,
      "dilation": POSITIVE_INT, "groups": POSITIVE_INT}),
    ("ConvTranspose1d", nn.ConvTranspose1d,
     {"in_channels": 2, "out_channels": 4, "kernel_size": 3},
     {"in_channels": POSITIVE_INT, "out_channels": POSITIVE_INT,
      "kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("ConvTranspose2d", nn.ConvTranspose2d,
     {"in_channels": 2, "out_channels": 4, "kernel_size": 3},
     {"in_channels": POSITIVE_INT, "out_channels": POSITIVE_INT,
      "kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("BatchNorm1d", nn.BatchNorm1d, {"num_features": 3},
     {"num_features": POSITIVE_INT, "eps": POS_REAL, "momentum": PROB}),
    ("BatchNorm2d", nn.BatchNorm2d, {"num_features": 3},
     {"num_features": POSITIVE_INT, "eps": POS_REAL, "momentum": PROB}),
    ("LayerNorm", nn.LayerNorm, {"normalized_shape": 3},
     {"normalized_shape": [(0, ValueError), (-1, ValueError), ("a", WRONG_TYPE)],
      "eps": POS_REAL}),
    ("Dropout", nn.Dropout, {}, {"p": PROB}),
    ("Embedding", nn.Embedding, {"num_embeddings": 5, "embedding_dim": 3},
     {"num_embeddings": NONNEG_INT, "embedding_dim": NONNEG_INT,
      "padding_idx": [(5, ValueError), (-6, ValueError), ("a", TypeError)]}),
    ("RNN", nn.RNN, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT, "num_layers": POSITIVE_INT,
      "dropout": PROB, "nonlinearity": [("sigmoid", ValueError)]}),
    ("LSTM", nn.LSTM, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT, "num_layers": POSITIVE_INT,
      "dropout": PROB, "proj_size": [(-1, ValueError), (4, NotImplementedError)]}),
    ("GRU", nn.GRU, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT, "num_layers": POSITIVE_INT,
      "dropout": PROB}),
    ("RNNCell", nn.RNNCell, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT}),
    ("LSTMCell", nn.LSTMCell, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT}),
    ("GRUCell", nn.GRUCell, {"input_size": 3, "hidden_size": 4},
     {"input_size": POSITIVE_INT, "hidden_size": POSITIVE_INT}),
    ("MaxPool1d", nn.MaxPool1d, {"kernel_size": 2},
     {"kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("MaxPool2d", nn.MaxPool2d, {"kernel_size": 2},
     {"kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("AvgPool1d", nn.AvgPool1d, {"kernel_size": 2},
     {"kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("AvgPool2d", nn.AvgPool2d, {"kernel_size": 2},
     {"kernel_size": POSITIVE_INT, "stride": POSITIVE_INT, "padding": NONNEG_INT}),
    ("AdaptiveAvgPool1d", nn.AdaptiveAvgPool1d, {"output_size": 2},
     {"output_size": POSITIVE_INT}),
    ("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d, {"output_size": 2},
     {"output_size": POSITIVE_INT}),
    ("MultiheadAttention", nn.MultiheadAttention, {"embed_dim": 4, "num_heads": 2},
     {"embed_dim": POSITIVE_INT, "num_heads": [(0, ValueError), (3, ValueError),
                                               ("a", WRONG_TYPE)],
      "dropout": PROB}),
    ("TransformerEncoderLayer", nn.TransformerEncoderLayer, {"d_model": 4, "nhead": 2},
     {"d_model": POSITIVE_INT, "nhead": [(0, ValueError), (3, ValueError)],
      "dim_feedforward": POSITIVE_INT, "dropout": PROB,
      "activation": [("swish", ValueError), (5, TypeError)]}),
    ("Flatten", nn.Flatten, {}, {"start_dim": NOT_INT, "end_dim": NOT_INT}),
    ("Softmax", nn.Softmax, {}, {"dim": NOT_INT}),
    ("LogSoftmax", nn.LogSoftmax, {}, {"dim": NOT_INT}),
    ("LeakyReLU", nn.LeakyReLU, {}, {"negative_slope": [("a", TypeError)]}),
    ("ELU", nn.ELU, {}, {"alpha": [("a", TypeError)]}),
    ("Softplus", nn.Softplus, {}, {"beta": [("a", TypeError)], "threshold": [("a", TypeError)]}),
    ("GELU", nn.GELU, {}, {"approximate": [("fast", ValueError)]}),
]
for owner, make, valid, args in LAYERS:
    for arg, cases in args.items():
        args_rows(owner, make, valid, arg, cases)

row("TransformerEncoder(encoder_layer=5)", lambda: nn.TransformerEncoder(5, 2), TypeError,
    "TransformerEncoder.*encoder_layer")
row("TransformerEncoder(num_layers=0)",
    lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 0), ValueError,
    "TransformerEncoder.*num_layers")
row("Unflatten(unflattened_size='a')", lambda: nn.Unflatten(1, "a"), TypeError,
    "Unflatten.*unflattened_size")

# -- losses ----------------------------------------------------------------------------

LOSSES = [("MSELoss", nn.MSELoss), ("L1Loss", nn.L1Loss), ("CrossEntropyLoss",
          nn.CrossEntropyLoss), ("NLLLoss", nn.NLLLoss), ("BCELoss", nn.BCELoss),
          ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss), ("HuberLoss", nn.HuberLoss),
          ("SmoothL1Loss", nn.SmoothL1Loss), ("KLDivLoss", nn.KLDivLoss)]
for owner, make in LOSSES:
    args_rows(owner, make, {}, "reduction", [("avg", ValueError), (None, ValueError)])
args_rows("CrossEntropyLoss", nn.CrossEntropyLoss, {}, "label_smoothing",
          [(1.5, ValueError), (-0.1, ValueError), ("a", TypeError)])
args_rows("CrossEntropyLoss", nn.CrossEntropyLoss, {}, "ignore_index", [("a", TypeError)])
args_rows("HuberLoss", nn.HuberLoss, {}, "delta", [(0.0, ValueError), (-1.0, ValueError)])
args_rows("SmoothL1Loss", nn.SmoothL1Loss, {}, "beta", [(-1.0, ValueError)])

_logits = cr.zeros(4, 3)
row("cross_entropy target out of range", lambda: F.cross_entropy(_logits, cr.tensor([0, 1, 2, 3])),
    (IndexError, ValueError), r"cross_entropy.*(class|target).*3")
row("cross_entropy negative target", lambda: F.cross_entropy(_logits, cr.tensor([0, 1, -2, 1])),
    (IndexError, ValueError), r"cross_entropy.*-2")
row("cross_entropy batch mismatch", lambda: F.cross_entropy(_logits, cr.tensor([0, 1])),
    ValueError, r"cross_entropy.*(4|batch)")
row("cross_entropy float 1-d target", lambda: F.cross_entropy(_logits, cr.zeros(4)),
    (TypeError, ValueError), r"cross_entropy.*target")
row("nll_loss target out of range", lambda: F.nll_loss(_logits, cr.tensor([0, 5, 0, 0])),
    (IndexError, ValueError), r"nll_loss.*5")
row("mse_loss shape mismatch", lambda: F.mse_loss(cr.zeros(4, 1), cr.zeros(3)), ValueError,
    r"mse_loss.*shape")
row("l1_loss shape mismatch", lambda: F.l1_loss(cr.zeros(4, 2), cr.zeros(4, 3)), ValueError,
    r"l1_loss.*shape")
row("binary_cross_entropy outside [0, 1]",
    lambda: F.binary_cross_entropy(cr.tensor([1.5, 0.2]), cr.tensor([1.0, 0.0])), ValueError,
    r"binary_cross_entropy.*(0|1)")
row("binary_cross_entropy_with_logits shape",
    lambda: F.binary_cross_entropy_with_logits(cr.zeros(3), cr.zeros(4)), ValueError,
    r"binary_cross_entropy_with_logits.*shape")

# -- optimizers ------------------------------------------------------------------------

OPTIMIZERS = [
    ("SGD", optim.SGD, {"lr": 0.1},
     {"lr": POS_REAL, "momentum": NONNEG_REAL, "weight_decay": NONNEG_REAL,
      "dampening": [("a", TypeError)]}),
    ("Adam", optim.Adam, {}, {"lr": POS_REAL, "eps": POS_REAL, "weight_decay": NONNEG_REAL,
                              "betas": [((1.5, 0.9), ValueError), ((0.9, -0.1), ValueError),
                                        (0.9, WRONG_TYPE), (("a", 0.9), TypeError)]}),
    ("AdamW", optim.AdamW, {}, {"lr": POS_REAL, "eps": POS_REAL, "weight_decay": NONNEG_REAL,
                                "betas": [((1.0, 0.9), ValueError), (0.9, WRONG_TYPE)]}),
    ("RMSprop", optim.RMSprop, {}, {"lr": POS_REAL, "alpha": NONNEG_REAL, "eps": POS_REAL,
                                    "momentum": NONNEG_REAL, "weight_decay": NONNEG_REAL}),
    ("Adagrad", optim.Adagrad, {}, {"lr": POS_REAL, "lr_decay": NONNEG_REAL,
                                    "eps": POS_REAL, "weight_decay": NONNEG_REAL}),
    ("Adadelta", optim.Adadelta, {}, {"lr": POS_REAL, "rho": PROB, "eps": POS_REAL,
                                      "weight_decay": NONNEG_REAL}),
]
OPT_WORDS = {"lr": "lr|learning rate", "betas": "beta"}
for owner, make, valid, args in OPTIMIZERS:
    for arg, cases in args.items():
        args_rows(owner, lambda make=make, **kw: make(_params(), **kw), valid, arg, cases,
                  OPT_WORDS.get(arg))
    row(f"{owner}(params=[])", lambda make=make, valid=valid: make([], **valid), ValueError,
        rf"{owner}.*(empty|no param)")
    row(f"{owner}(params=tensor)", lambda make=make, valid=valid: make(cr.zeros(2), **valid),
        TypeError, rf"{owner}.*param")
    row(f"{owner}(params=[5])", lambda make=make, valid=valid: make([5], **valid), TypeError,
        rf"{owner}.*(Tensor|param)")

row("SGD(nesterov without momentum)", lambda: optim.SGD(_params(), lr=0.1, nesterov=True),
    ValueError, "SGD.*nesterov")


def _sgd_into_adam():
    p = nn.Parameter(cr.zeros(2))
    s = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = cr.ones(2)
    s.step()
    optim.Adam([p]).load_state_dict(s.state_dict())


row("Adam.load_state_dict(SGD state)", _sgd_into_adam, ValueError,
    "Adam.*another kind of optimizer")
row("SGD.load_state_dict(5)", lambda: _opt().load_state_dict(5), ValueError,
    "SGD.*load_state_dict")
row("SGD.load_state_dict(wrong groups)", lambda: _opt().load_state_dict(
    {"state": {}, "param_groups": []}), ValueError, "SGD.*parameter groups")
row("SGD.add_param_group(no params)", lambda: _opt().add_param_group({"lr": 0.1}),
    ValueError, "SGD.*parameter group needs a 'params'")

# -- schedulers ------------------------------------------------------------------------

SCHEDULERS = [
    ("StepLR", sched.StepLR, {"step_size": 2}, {"step_size": POSITIVE_INT,
                                                 "gamma": [("a", TypeError)]}),
    ("MultiStepLR", sched.MultiStepLR, {"milestones": [2]},
     {"milestones": [(5, TypeError), (["a"], WRONG_TYPE), ([-1], ValueError)],
      "gamma": [("a", TypeError)]}),
    ("ExponentialLR", sched.ExponentialLR, {"gamma": 0.9}, {"gamma": [("a", TypeError)]}),
    ("CosineAnnealingLR", sched.CosineAnnealingLR, {"T_max": 10},
     {"T_max": POSITIVE_INT, "eta_min": [("a", TypeError), (-1.0, ValueError)]}),
    ("LinearLR", sched.LinearLR, {},
     {"start_factor": [(0.0, ValueError), (1.5, ValueError)],
      "end_factor": [(-0.5, ValueError), (1.5, ValueError)],
      "total_iters": POSITIVE_INT}),
    ("OneCycleLR", sched.OneCycleLR, {"max_lr": 0.1, "total_steps": 10},
     {"max_lr": [("a", TypeError), (-1.0, ValueError)], "total_steps": POSITIVE_INT,
      "pct_start": PROB, "anneal_strategy": [("quadratic", ValueError)]}),
    ("ReduceLROnPlateau", sched.ReduceLROnPlateau, {},
     {"mode": [("up", ValueError)], "factor": [(1.5, ValueError), (-0.5, ValueError)],
      "patience": NONNEG_INT, "threshold_mode": [("abs2", ValueError)],
      "cooldown": NONNEG_INT}),
    ("LambdaLR", sched.LambdaLR, {"lr_lambda": lambda e: 1.0},
     {"lr_lambda": [(5, TypeError)]}),
]
for owner, make, valid, args in SCHEDULERS:
    for arg, cases in args.items():
        args_rows(owner, lambda make=make, **kw: make(_opt(), **kw), valid, arg, cases,
                  "milestone" if arg == "milestones" else None)
    row(f"{owner}(optimizer=5)", lambda make=make, valid=valid: make(5, **valid), TypeError,
        rf"{owner}.*optimizer")

# -- creation and random ----------------------------------------------------------------

for fname in ("zeros", "ones", "empty", "rand", "randn"):
    make = getattr(cr, fname)
    row(f"{fname}(-1)", lambda make=make: make(2, -1), ValueError, rf"{fname}.*negative")
    row(f"{fname}('a')", lambda make=make: make("a"), TypeError, rf"{fname}.*shape")
    row(f"{fname}(2.5)", lambda make=make: make(2.5), TypeError, rf"{fname}.*shape")
    row(f"{fname}(dtype='f33')", lambda make=make: make(2, dtype="f33"), TypeError,
        rf"{fname}.*dtype")
row("full(fill_value='a')", lambda: cr.full((2,), "a"), TypeError, "full.*fill_value")
row("full(shape=-1)", lambda: cr.full((-1,), 1.0), ValueError, "full.*negative")
row("arange(step=0)", lambda: cr.arange(0, 10, 0), ValueError, "arange.*step")
row("arange('a')", lambda: cr.arange("a"), TypeError, "arange")
row("arange(inf)", lambda: cr.arange(math.inf), ValueError, "arange.*finite")
row("linspace(steps=-1)", lambda: cr.linspace(0, 1, -1), ValueError, "linspace.*(steps|num)")
row("linspace(steps=2.5)", lambda: cr.linspace(0, 1, 2.5), TypeError, "linspace.*(steps|num)")
row("eye(-1)", lambda: cr.eye(-1), ValueError, "eye.*negative|eye.*n")
row("eye('a')", lambda: cr.eye("a"), TypeError, "eye")
row("randint(low > high)", lambda: cr.randint(5, 2, (3,)), ValueError, "randint.*high")
row("randint(size='a')", lambda: cr.randint(0, 5, "a"), TypeError, "randint.*(size|shape)")
row("randint(high=2.5)", lambda: cr.randint(0, 2.5, (3,)), TypeError, "randint.*high")
row("randperm(-1)", lambda: cr.randperm(-1), ValueError, "randperm.*-1")
row("randperm(2.5)", lambda: cr.randperm(2.5), TypeError, "randperm.*int")
row("randn(generator='a')", lambda: cr.randn(2, generator="a"), TypeError, "generator")
row("manual_seed('a')", lambda: cr.manual_seed("a"), TypeError, "manual_seed.*int")
row("manual_seed(2.5)", lambda: cr.manual_seed(2.5), TypeError, "manual_seed.*int")
row("Generator('a')", lambda: cr.Generator("a"), (ValueError, RuntimeError),
    "Generator.*device.*'a'")
row("tensor([1, None])", lambda: cr.tensor([1, None]), TypeError, r"tensor.*\[1\].*None")
row("tensor(['a'])", lambda: cr.tensor(["a"]), TypeError, r"tensor.*\[0\].*'a'")
row("tensor([1+2j])", lambda: cr.tensor([1 + 2j]), TypeError, "tensor.*complex")
row("tensor([2**70])", lambda: cr.tensor([2**70]), TypeError, "tensor.*64 bits")
row("tensor([[1], [2, 3]])", lambda: cr.tensor([[1], [2, 3]]), ValueError, "tensor")
row("tensor(object array)", lambda: cr.tensor(np.array([1, "a"], dtype=object)), TypeError,
    r"tensor.*'a'")
row("tensor(complex array)", lambda: cr.tensor(np.ones(2, complex)), TypeError,
    "tensor.*complex")
row("tensor(dtype='f33')", lambda: cr.tensor([1.0], dtype="f33"), TypeError,
    "tensor.*dtype")
row("tensor({})", lambda: cr.tensor({}), TypeError, "tensor.*dict")
row("as_tensor(object array)", lambda: cr.as_tensor(np.array([1, 2], dtype=object)),
    TypeError, "as_tensor.*object")
row("Tensor(object array)", lambda: cr.Tensor(np.array([1, 2], dtype=object)), TypeError,
    "Tensor.*object")
row("Tensor(complex array)", lambda: cr.Tensor(np.ones(2, complex)), TypeError,
    "Tensor.*complex")
row("from_numpy(str array)", lambda: cr.from_numpy(np.array(["a"])), TypeError,
    "as_tensor|from_numpy")
row("zeros_like(5)", lambda: cr.zeros_like(5), TypeError, "zeros_like")
row("full_like(x, 'a')", lambda: cr.full_like(cr.zeros(2), "a"), TypeError,
    "full.*fill_value")

# -- tensors: conversion, in place ------------------------------------------------------

_x = cr.ones(2, 3)


def _fresh():
    return cr.ones(2, 3)


def _fresh_int():
    return cr.ones(2, 3, dtype="int64")


row("to('tpu')", lambda: _x.to("tpu"), ValueError, "to.*'tpu'.*device")
row("to(dtype='f33')", lambda: _x.to(dtype="f33"), TypeError, "dtype.*'f33'")
row("to(5)", lambda: _x.to(5), (TypeError, ValueError), r"to.*5")
row("astype('f33')", lambda: _x.astype("f33"), TypeError, "astype.*f33")
for op in ("add_", "sub_", "mul_", "div_"):
    row(f"{op}(wrong shape)", lambda op=op: getattr(_fresh(), op)(cr.ones(4)), ValueError,
        rf"{op}.*shape \(4,\).*\(2, 3\)")
    row(f"{op}(str)", lambda op=op: getattr(_fresh(), op)("a"), TypeError,
        rf"{op}.*number.*'a'")
    row(f"{op}(float into int)", lambda op=op: getattr(_fresh_int(), op)(cr.ones(3) * 1.5),
        TypeError, rf"{op}.*float.*int64")
row("div_(int by int)", lambda: _fresh_int().div_(2), TypeError, "div_.*float.*int64")
row("fill_('a')", lambda: _fresh().fill_("a"), TypeError, "fill_.*'a'")
row("fill_(shape (3,))", lambda: _fresh().fill_(cr.ones(3)), ValueError, "fill_.*0-d")
row("fill_(shape (2, 3))", lambda: _fresh().fill_(cr.ones(2, 3)), ValueError, "fill_.*0-d")
row("copy_(wrong shape)", lambda: _fresh().copy_(cr.ones(4)), ValueError, "copy_.*shape")
row("copy_(str)", lambda: _fresh().copy_("a"), TypeError, "copy_.*'a'")
row("__setitem__(wrong shape)", lambda: _fresh().__setitem__(0, cr.ones(5)), ValueError,
    r"__setitem__.*\(5,\).*\(3,\)")
row("__setitem__(str)", lambda: _fresh().__setitem__(0, "a"), TypeError,
    "__setitem__.*'a'")
row("__setitem__(index out of range)", lambda: _fresh().__setitem__(5, 1.0), IndexError,
    "5")
row("add_ to a leaf that requires grad",
    lambda: cr.ones(2, requires_grad=True).add_(1), RuntimeError, "add_.*leaf")
row("item() of 6 values", lambda: _x.item(), (ValueError, RuntimeError), "item.*one-element")
row("backward() of non-scalar", lambda: cr.ones(2, requires_grad=True).__mul__(2).backward(),
    RuntimeError, "backward.*(scalar|gradient)")
row("backward() without grad", lambda: cr.ones(1).sum().backward(), RuntimeError,
    "backward.*(requires|grad)")

# -- ops ----------------------------------------------------------------------------------

row("matmul shapes", lambda: cr.matmul(cr.ones(2, 3), cr.ones(4, 5)), ValueError,
    r"matmul.*\(2, 3\).*\(4, 5\)")
row("matmul 0-d", lambda: cr.matmul(cr.tensor(1.0), cr.ones(2)), ValueError, "matmul")
row("dot of 2-d", lambda: cr.dot(cr.ones(2, 2), cr.ones(2)), ValueError, "dot")
row("outer of str", lambda: cr.outer(cr.ones(2), "a"), TypeError, "outer")
row("reshape to wrong size", lambda: _x.reshape(4, 2), ValueError, r"reshape.*\(2, 3\)")
row("reshape('a')", lambda: _x.reshape("a"), TypeError, "reshape")
row("reshape two -1", lambda: _x.reshape(-1, -1), ValueError, "reshape.*-1")
row("cat mismatched", lambda: cr.cat([cr.ones(2, 3), cr.ones(2, 4)]), ValueError,
    r"cat.*shape")
row("cat([])", lambda: cr.cat([]), ValueError, "cat.*empty|cat.*at least")
row("cat(axis=5)", lambda: cr.cat([_x, _x], 5), (ValueError, IndexError), r"cat.*5")
row("stack mismatched", lambda: cr.stack([cr.ones(2), cr.ones(3)]), ValueError,
    r"stack.*shape")
row("stack([])", lambda: cr.stack([]), ValueError, "stack")
row("stack(5)", lambda: cr.stack(5), TypeError, "stack")
for fname in ("sum", "mean", "var", "std", "logsumexp", "prod", "argmax", "argmin", "softmax",
              "log_softmax"):
    f = getattr(cr, fname)
    row(f"{fname}(axis=5)", lambda f=f: f(_x, 5), (ValueError, IndexError),
        rf"{fname}.*(axis|dim).*5")
    row(f"{fname}(axis='a')", lambda f=f: f(_x, "a"), TypeError, rf"{fname}.*(axis|dim)")
for fname in ("max", "min"):
    f = getattr(cr, fname)
    row(f"{fname}(axis=5)", lambda f=f: f(_x, 5), (ValueError, IndexError),
        rf"{fname}.*(axis|dim).*5")
row("var(correction='a')", lambda: cr.var(_x, correction="a"), TypeError,
    "var.*correction.*number")
row("squeeze(axis=0) of size 2", lambda: cr.squeeze(_x, 5), (ValueError, IndexError),
    "squeeze")
row("unsqueeze(axis=9)", lambda: cr.unsqueeze(_x, 9), (ValueError, IndexError),
    "(unsqueeze|expand_dims).*axis 9")
row("permute wrong length", lambda: cr.permute(_x, (0,)), ValueError,
    r"(permute|transpose).*\(0,\)")
row("permute repeated", lambda: cr.permute(_x, (0, 0)), ValueError,
    r"(permute|transpose).*\(0, 0\)")
row("swapaxes(0, 5)", lambda: cr.swapaxes(_x, 0, 5), (ValueError, IndexError), "swapaxes")
row("broadcast_to wrong", lambda: cr.broadcast_to(_x, (4, 3)), ValueError,
    r"broadcast_to.*\(2, 3\)")
row("flatten(start_dim=5)", lambda: cr.flatten(_x, 5), (ValueError, IndexError), "flatten")
row("split(0)", lambda: cr.split(_x, 0), ValueError, "split")
row("add shapes", lambda: cr.add(cr.ones(2, 3), cr.ones(4)), ValueError,
    r"add.*\(2, 3\).*\(4,\)")
row("mul shapes", lambda: cr.ones(2, 3) * cr.ones(2), ValueError, r"mul.*\(2, 3\).*\(2,\)")
row("sub str", lambda: cr.ones(2) - "a", TypeError, "sub.*str")
row("pow str", lambda: cr.pow(cr.ones(2), "a"), TypeError, "pow.*str")
row("where cond shape", lambda: cr.where(cr.ones(4) > 0, _x, _x), ValueError, "where")
row("where non-bool cond", lambda: cr.where(cr.ones(2, 3), _x, _x), TypeError,
    "where.*bool")
row("clamp str", lambda: cr.clamp(_x, "a"), TypeError, "(clamp|clip).*min")
row("einsum bad", lambda: cr.einsum("ij,jk->ik", _x, _x), ValueError, "einsum")
row("einsum not a string", lambda: cr.einsum(5, _x), TypeError, "einsum")
row("one_hot negative", lambda: cr.one_hot(cr.tensor([0, -1]), 3), ValueError,
    "one_hot.*-1")
row("one_hot too large", lambda: cr.one_hot(cr.tensor([0, 3]), 3), ValueError, "one_hot.*3")
row("one_hot float labels", lambda: cr.one_hot(cr.tensor([0.5]), 3), TypeError,
    "one_hot.*int")
row("one_hot(num_classes=0)", lambda: cr.one_hot(cr.tensor([0]), 0), ValueError,
    r"one_hot.*(num_classes|\[0, 0\))")
row("pad odd pad", lambda: F.pad(_x, (1,)), ValueError, "pad.*even length")
row("pad negative", lambda: F.pad(_x, (-3, 0)), ValueError, "pad.*negative")
row("pad mode", lambda: F.pad(_x, (1, 1), mode="wrap"), ValueError, "pad.*mode")
row("pad too long", lambda: F.pad(_x, (1, 1, 1, 1, 1, 1)), ValueError, "pad.*2 \\* ndim")
row("numpy-style pad negative", lambda: cr.pad(_x, -1), ValueError, "pad")
row("getitem float index", lambda: _x[0.5], (TypeError, IndexError), "getitem.*indices")
row("getitem out of range", lambda: _x[5], IndexError, "5")
row("sqrt of str", lambda: cr.sqrt("a"), TypeError, "sqrt")
row("exp of None", lambda: cr.exp(None), TypeError, "exp")
row("sum_to wrong shape", lambda: cr.sum_to(_x, (4,)), ValueError, "sum_to")

# -- modules ---------------------------------------------------------------------------

row("register_buffer('a.b')", lambda: nn.Module().register_buffer("a.b", cr.ones(1)),
    KeyError, r"register_buffer.*'a\.b'")
row("register_buffer(1)", lambda: nn.Module().register_buffer(1, cr.ones(1)), TypeError,
    "register_buffer.*str")
row("register_buffer('')", lambda: nn.Module().register_buffer("", cr.ones(1)), KeyError,
    "register_buffer")
row("register_buffer(array)", lambda: nn.Module().register_buffer("b", np.ones(1)),
    TypeError, "register_buffer.*Tensor")
row("register_parameter('a.b')",
    lambda: nn.Module().register_parameter("a.b", nn.Parameter(cr.ones(1))), KeyError,
    "register_parameter")
row("register_parameter(tensor)", lambda: nn.Module().register_parameter("w", cr.ones(1)),
    TypeError, "register_parameter.*Parameter")
row("add_module(1, m)", lambda: nn.Module().add_module(1, nn.Linear(1, 1)), TypeError,
    "add_module.*str")
row("add_module('a.b', m)", lambda: nn.Module().add_module("a.b", nn.Linear(1, 1)),
    KeyError, "add_module")
row("add_module(x, 5)", lambda: nn.Module().add_module("x", 5), TypeError,
    "add_module.*Module")
row("ModuleDict({1: m})", lambda: nn.ModuleDict({1: nn.Linear(1, 1)}), TypeError,
    "add_module.*str")
row("ModuleDict({'a': 5})", lambda: nn.ModuleDict({"a": 5}), TypeError, "Module")
row("ModuleList([5])", lambda: nn.ModuleList([5]), TypeError, "ModuleList|Module")
row("Sequential(5)", lambda: nn.Sequential(5), TypeError, "Sequential.*Module")
row("assign tensor to parameter",
    lambda: setattr(nn.Linear(2, 1), "weight", cr.ones(1, 2)), TypeError,
    "parameter 'weight'")


def _load(state):
    nn.Linear(2, 1).load_state_dict(state)


_good = nn.Linear(2, 1).state_dict()
row("load_state_dict(5)", lambda: _load(5), TypeError, "load_state_dict.*dict")
row("load_state_dict missing key", lambda: _load({"weight": _good["weight"]}), RuntimeError,
    "load_state_dict.*missing keys: bias")
row("load_state_dict unexpected key", lambda: _load({**_good, "w2": cr.ones(1)}),
    RuntimeError, "load_state_dict.*unexpected keys: w2")
row("load_state_dict wrong shape", lambda: _load({**_good, "weight": cr.ones(3, 2)}),
    RuntimeError, r"load_state_dict.*weight.*\(3, 2\)")
row("load_state_dict complex", lambda: _load({**_good, "weight": np.ones((1, 2), complex)}),
    TypeError, "load_state_dict.*'weight'.*complex")
row("load_state_dict object", lambda: _load({**_good, "bias": np.array([None])}),
    TypeError, "load_state_dict.*'bias'.*object")
row("Linear wrong input", lambda: nn.Linear(3, 2)(cr.ones(4, 5)), ValueError,
    r"(Linear|linear|matmul).*5")
row("Conv2d 2-d input", lambda: nn.Conv2d(1, 2, 3)(cr.ones(4, 4)), ValueError,
    "conv2d|Conv2d")
row("Conv2d wrong channels", lambda: nn.Conv2d(3, 2, 3)(cr.ones(1, 2, 5, 5)), ValueError,
    "conv2d.*channel|Conv2d.*channel")
row("Conv2d kernel larger than input", lambda: nn.Conv2d(1, 1, 5)(cr.ones(1, 1, 3, 3)),
    ValueError, "conv2d|Conv2d")
row("Embedding float indices", lambda: nn.Embedding(5, 2)(cr.tensor([0.5])), TypeError,
    "embedding|Embedding")
row("Embedding index out of range", lambda: nn.Embedding(5, 2)(cr.tensor([5])), IndexError,
    "embedding.*5|Embedding.*5")
row("LSTM 1-d input", lambda: nn.LSTM(3, 4)(cr.ones(3)), ValueError, "LSTM|lstm")
row("LSTM wrong features", lambda: nn.LSTM(3, 4)(cr.ones(2, 5, 7)), ValueError,
    "LSTM.*(input_size|7)")
row("GRU wrong features", lambda: nn.GRU(3, 4)(cr.ones(2, 5, 7)), ValueError,
    "GRU.*(input_size|7)")
row("BatchNorm1d wrong features", lambda: nn.BatchNorm1d(3)(cr.ones(4, 5)), ValueError,
    "BatchNorm1d|batch_norm")
row("LayerNorm wrong shape", lambda: nn.LayerNorm(3)(cr.ones(4, 5)), ValueError,
    "LayerNorm|layer_norm")
row("MaxPool2d 1-d input", lambda: nn.MaxPool2d(2)(cr.ones(4)), ValueError,
    "max_pool2d|MaxPool2d")
row("MultiheadAttention wrong embed", lambda: nn.MultiheadAttention(4, 2)(
    cr.ones(2, 3, 5), cr.ones(2, 3, 5), cr.ones(2, 3, 5)), ValueError,
    "MultiheadAttention|multi_head_attention|embed")
row("Flatten bad dims", lambda: nn.Flatten(3)(cr.ones(2, 3)), (ValueError, IndexError),
    "flatten|Flatten")

# -- data ------------------------------------------------------------------------------

_ds = data.TensorDataset(cr.ones(4, 2), cr.zeros(4))
args_rows("DataLoader", lambda **kw: data.DataLoader(**kw), {"dataset": _ds}, "batch_size",
          [(0, ValueError), (-1, ValueError), ("a", WRONG_TYPE), (2.5, WRONG_TYPE)])
row("DataLoader(dataset=5)", lambda: data.DataLoader(5), TypeError, "DataLoader.*dataset")
row("DataLoader(generator='a')", lambda: data.DataLoader(_ds, shuffle=True, generator="a"),
    TypeError, "generator")


class _Ragged:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return cr.ones(i + 1), 0


row("DataLoader ragged samples", lambda: list(data.DataLoader(_Ragged(), batch_size=2)),
    ValueError, r"collate.*different shapes \[\(1,\), \(2,\)\]")
row("default_collate([])", lambda: data.default_collate([]), ValueError, "default_collate")
row("default_collate(sets)", lambda: data.default_collate([{1}, {2}]), TypeError,
    "default_collate.*set")
row("default_collate different lengths", lambda: data.default_collate([(1, 2), (1,)]),
    ValueError, "default_collate.*lengths")
row("TensorDataset lengths", lambda: data.TensorDataset(cr.ones(4), cr.ones(3)), ValueError,
    "TensorDataset.*(4|3)")
row("TensorDataset()", lambda: data.TensorDataset(), ValueError, "TensorDataset")
row("TensorDataset(5)", lambda: data.TensorDataset(5), WRONG_TYPE, "TensorDataset.*0-d")
row("Subset(float indices)", lambda: data.Subset(_ds, [0.5, 1.5]), TypeError,
    "Subset.*ints.*0.5")
row("Subset(out of range)", lambda: data.Subset(_ds, [0, 9]), IndexError, "Subset.*9")
row("Subset index out of range", lambda: data.Subset(_ds, [0, 1])[5], IndexError,
    "Subset.*5")
row("TensorDataset index out of range", lambda: _ds[9], IndexError, "9")
row("random_split wrong total", lambda: data.random_split(_ds, [3, 3]), ValueError,
    "random_split")
row("random_split negative", lambda: data.random_split(_ds, [5, -1]), ValueError,
    "random_split")
row("random_split fractions", lambda: data.random_split(_ds, [0.5, 0.7]), ValueError,
    "random_split")
row("ConcatDataset([])", lambda: data.ConcatDataset([]), ValueError, "ConcatDataset")
row("KFold(n_splits=1)", lambda: data.KFold(1), ValueError, "KFold.*n_splits")
row("KFold(n_splits='a')", lambda: data.KFold("a"), TypeError, "KFold.*n_splits")
row("kfold_indices(k > n)", lambda: data.kfold_indices(3, 5), ValueError, "kfold")
row("load_mnist(split='val')", lambda: data.load_mnist(split="val"), ValueError,
    "load_mnist.*split")
row("load_fashion_mnist(split=1)", lambda: data.load_fashion_mnist(split=1), ValueError,
    "load_fashion_mnist.*split")
row("load_mnist(root=5)", lambda: data.load_mnist(5), TypeError, "root")
row("data_dir(5)", lambda: data.data_dir(5), TypeError, "data_dir.*root")
row("read_idx(missing)", lambda: data.read_idx("/nonexistent/x.idx"), FileNotFoundError,
    "read_idx.*cannot read")
row("load_csv(missing)", lambda: data.load_csv("/nonexistent/x.csv", "y"),
    FileNotFoundError, "load_csv.*cannot open")

# -- io, checkpoints, training ----------------------------------------------------------

row("save(path=5)", lambda: cr.save({}, 5), TypeError, "save: path")
row("save(set)", lambda: cr.save({"a": {1}}, "/tmp/x.safetensors"), TypeError,
    "save: cannot save a set")
row("save(complex)", lambda: cr.save({"a": np.ones(2, complex)}, "/tmp/x.safetensors"),
    TypeError, "save.*complex")
row("save(metadata=5)", lambda: cr.save({}, "/tmp/x.safetensors", metadata=5), TypeError,
    "save: metadata")
row("save(bad key)", lambda: cr.save({(1, 2): cr.ones(1)}, "/tmp/x.safetensors"),
    TypeError, "save: dict keys")
row("save(no directory)", lambda: cr.save({}, "/nonexistent/dir/x.safetensors"),
    FileNotFoundError, "save: directory")
row("load(path=5)", lambda: cr.load(5), TypeError, "load: path")
row("load(missing)", lambda: cr.load("/nonexistent.safetensors"), FileNotFoundError,
    "load: no such file")
row("save_checkpoint(model='a')", lambda: train.save_checkpoint("/tmp/c.safetensors", "a"),
    TypeError, "save_checkpoint: model")
row("save_checkpoint(config=5)", lambda: train.save_checkpoint(
    "/tmp/c.safetensors", nn.Linear(1, 1), config=5), TypeError, "save_checkpoint: config")
row("save_checkpoint(config not JSON)", lambda: train.save_checkpoint(
    "/tmp/c.safetensors", nn.Linear(1, 1), config={"a": {1}}), TypeError,
    "save_checkpoint: config")
row("load_checkpoint(missing)", lambda: train.load_checkpoint("/nonexistent.safetensors"),
    FileNotFoundError, "load_checkpoint")
row("read_config(5)", lambda: train.read_config(5), TypeError, "read_config: path")

_X, _y = np.ones((8, 2), np.float32), np.zeros(8, np.int64)


def _fit(**kw):
    model = kw.pop("model", None) or nn.Linear(2, 2)
    args = {"loss": nn.CrossEntropyLoss(), "optimizer": optim.SGD(model.parameters(), lr=0.1),
            "train_data": (_X, _y), "verbose": 0}
    args.update(kw)
    return train.fit(model, **args)


args_rows("fit", _fit, {}, "epochs", [(0, ValueError), ("a", WRONG_TYPE)])
args_rows("fit", _fit, {}, "batch_size", [(0, ValueError), (2.5, WRONG_TYPE)])
args_rows("fit", _fit, {}, "verbose", [(5, ValueError)])
args_rows("fit", _fit, {}, "validation_split", [(1.5, ValueError), (0.0, ValueError)])
args_rows("fit", _fit, {}, "seed", [("a", TypeError), (2.5, TypeError)])
args_rows("fit", _fit, {}, "callbacks", [([5], TypeError)])
args_rows("fit", _fit, {}, "loss", [(5, TypeError)])
args_rows("fit", _fit, {}, "optimizer", [(5, TypeError)])
row("fit(model='a')", lambda: train.fit("a", nn.MSELoss(), _opt(), (_X, _y)), TypeError,
    "fit.*model")
row("fit(train_data=5)", lambda: _fit(train_data=5), TypeError, "fit.*train_data")
row("fit(train_data 3-tuple)", lambda: _fit(train_data=(_X, _y, _y)), ValueError,
    "fit.*train_data")
row("fit(lengths differ)", lambda: _fit(train_data=(_X, _y[:5])), ValueError,
    "fit.*8 inputs but 5 targets")
row("fit(NaN input)", lambda: _fit(train_data=(np.full((8, 2), np.nan, np.float32), _y)),
    ValueError, "fit.*train_data inputs holds NaN.*row 0, column 0")
row("fit(inf target)", lambda: _fit(loss=nn.MSELoss(), train_data=(
    _X, np.full((8, 2), np.inf, np.float32))), ValueError, "fit.*targets holds an infinite")
row("fit(empty data)", lambda: _fit(train_data=(_X[:0], _y[:0])), ValueError,
    "fit.*empty")
row("fit(both validations)", lambda: _fit(validation_split=0.5, validation_data=(_X, _y)),
    ValueError, "fit.*validation_data or validation_split")
row("fit(resume missing)", lambda: _fit(resume="/nonexistent.safetensors"),
    FileNotFoundError, "no such checkpoint")
row("fit(loss returns a vector)", lambda: _fit(loss=nn.CrossEntropyLoss(reduction="none")),
    ValueError, "fit.*scalar")
row("evaluate(model='a')", lambda: train.evaluate("a", nn.MSELoss(), (_X, _y)), TypeError,
    "evaluate.*model")
row("evaluate(data=5)", lambda: train.evaluate(nn.Linear(2, 2), nn.MSELoss(), 5), TypeError,
    "evaluate.*data")
row("predict(model='a')", lambda: train.predict("a", _X), TypeError, "predict.*model")
row("predict(batch_size=0)", lambda: train.predict(nn.Linear(2, 2), _X, batch_size=0),
    ValueError, "predict.*batch_size")
row("predict(X=None)", lambda: train.predict(nn.Linear(2, 2), None), TypeError, "predict")
args_rows("EarlyStopping", train.EarlyStopping, {}, "patience",
          [(-1, ValueError), (2.5, ValueError)])
args_rows("EarlyStopping", train.EarlyStopping, {}, "min_delta",
          [(-1.0, ValueError), ("a", ValueError)])
args_rows("EarlyStopping", train.EarlyStopping, {}, "mode", [("up", ValueError)])
args_rows("ModelCheckpoint", train.ModelCheckpoint, {"path": "/tmp/m.safetensors"}, "path",
          [(5, TypeError)])
args_rows("ModelCheckpoint", train.ModelCheckpoint, {"path": "/tmp/m.safetensors"}, "mode",
          [("up", ValueError)])
args_rows("CSVLogger", train.CSVLogger, {"path": "/tmp/h.csv"}, "path", [(5, TypeError)])
args_rows("GradientClipping", train.GradientClipping, {"max_norm": 1.0}, "max_norm",
          [(0.0, ValueError), (-1.0, ValueError), ("a", ValueError)])
args_rows("LRScheduler", train.LRScheduler, {"scheduler": sched.StepLR(_opt(), 1)},
          "scheduler", [(5, TypeError)])
args_rows("LRScheduler", train.LRScheduler, {"scheduler": sched.StepLR(_opt(), 1)},
          "interval", [("step", ValueError)])
row("check_state_dict mismatch", lambda: train.check_state_dict(
    nn.Linear(2, 1), {"weight": cr.ones(1, 2)}, "here"), ValueError, "here: missing keys bias")
