"""Comparing a chainrule layer with PyTorch's, step by step."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def assert_step_matches(cm, tm, x, g=None, rtol=1e-7, atol=1e-10):
    """One forward and backward of the chainrule layer ``cm`` and the torch layer ``tm`` on
    input ``x`` with output gradient ``g`` (None: a fixed random one): the same outputs,
    input gradients, parameter gradients and state (buffers included)."""
    import torch

    cx, tx = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cm(cx), tm(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    if g is None:
        g = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(tm.named_parameters())
    for k, p in cm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[k].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=k)
    tstate = tm.state_dict()
    for k, v in cm.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tstate[k].detach().numpy(), rtol=1e-10,
                                   err_msg=k)


def assert_module_matches(cm, tm, x, rtol=1e-5, atol=1e-6):
    """Load torch layer ``tm``'s state_dict into ``cm``, then one step as
    ``assert_step_matches`` with a fixed random output gradient."""
    cm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert_step_matches(cm, tm, x, rtol=rtol, atol=atol)

