"""GroupNorm, RMSNorm, LocalResponseNorm, BatchNorm3d, InstanceNorm3d (and their functional
forms) against PyTorch: gradient-table rows, outputs, gradients, running statistics, eval
mode, state_dict keys, repr and errors; and the ParameterDict container."""

from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from tests.gradtable import Case, table_tests
from tests.nn.torch_compare import assert_step_matches


def _tf(name, *args, **kw):
    def f(*xs):
        import torch.nn.functional as tF

        x, params = xs[0], xs[1:]
        return getattr(tF, name)(x, *args, *params, **kw)

    return f


def _group(g, **kw):
    return lambda x, *p: F.group_norm(x, g, *p, **kw)


def _rms(shape, **kw):
    return lambda x, *p: F.rms_norm(x, shape, *p, **kw)


def _lrn(size, **kw):
    return lambda x: F.local_response_norm(x, size, **kw)


CASES = [
    Case("group_norm", _group(2), [(3, 4, 5)], torch_fn=_tf("group_norm", 2)),
    Case("group_norm_affine", _group(3), [(2, 6, 2, 3), (6,), (6,)],
         torch_fn=_tf("group_norm", 3)),
    Case("group_norm_weight", _group(1, eps=1e-3), [(2, 4, 3), (4,)],
         torch_fn=_tf("group_norm", 1, eps=1e-3)),
    Case("group_norm_2d_input", _group(2), [(3, 4), (4,), (4,)],
         torch_fn=_tf("group_norm", 2)),
    Case("group_norm_per_channel", _group(4), [(2, 4, 3, 2, 2), (4,), (4,)],
         torch_fn=_tf("group_norm", 4)),
    Case("rms_norm", _rms(4), [(3, 4)], torch_fn=_tf("rms_norm", (4,))),
    Case("rms_norm_weight", _rms((3, 4), eps=1e-3), [(2, 3, 4), (3, 4)],
         torch_fn=_tf("rms_norm", (3, 4), eps=1e-3)),
    Case("rms_norm_1d", _rms([5]), [(5,), (5,)], torch_fn=_tf("rms_norm", [5])),
    Case("local_response_norm", _lrn(3), [(2, 5, 4)], torch_fn=_tf("local_response_norm", 3)),
    Case("local_response_norm_even", _lrn(2, alpha=0.5, beta=0.6, k=2.0), [(2, 4, 3, 2)],
         torch_fn=_tf("local_response_norm", 2, alpha=0.5, beta=0.6, k=2.0)),
    Case("local_response_norm_wide", _lrn(7, alpha=0.3), [(1, 3, 2, 2, 2)],
         torch_fn=_tf("local_response_norm", 7, alpha=0.3)),
]


test_gradients, test_against_torch, test_float32_stays_float32 = table_tests(CASES)


def _randomize_and_load(cm, tm):
    import torch

    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype))
    cm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


LAYERS = [
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (4, 4), {"eps": 1e-3, "affine": False}, (2, 4, 3, 3)),
    ("GroupNorm", (1, 4), {"bias": False}, (2, 4)),
    ("RMSNorm", (5,), {}, (3, 5)),
    ("RMSNorm", ([3, 5],), {"eps": 1e-4}, (2, 3, 5)),
    ("RMSNorm", (5,), {"elementwise_affine": False}, (2, 2, 5)),
    ("LocalResponseNorm", (3,), {}, (2, 4, 5)),
    ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 4, 3, 3)),
    ("BatchNorm3d", (4,), {}, (3, 4, 2, 3, 2)),
    ("BatchNorm3d", (4,), {"momentum": None, "affine": False}, (3, 4, 2, 2, 2)),
    ("InstanceNorm3d", (4,), {}, (2, 4, 2, 3, 2)),
    ("InstanceNorm3d", (4,), {"affine": True, "track_running_stats": True}, (2, 4, 2, 3, 3)),
    ("InstanceNorm3d", (4,), {"affine": True, "bias": False}, (4, 2, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS,
                         ids=[f"{n}{a}{k}" for n, a, k, _ in LAYERS])
def test_layer_matches_torch(name, args, kwargs, shape):
    """Same state_dict keys and repr; with the same weights, the same outputs, input and
    parameter gradients and buffers over a few training steps, then in eval mode."""
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    cm = getattr(nn, name)(*args, **kwargs).double()
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert repr(cm) == repr(tm)
    _randomize_and_load(cm, tm)
    rng = np.random.default_rng(0)
    for train in (True, True, False):
        cm.train(train)
        tm.train(train)
        x = rng.standard_normal(shape) * 2 + 0.5
        assert_step_matches(cm, tm, x, rng.standard_normal(shape))


def test_float32_layers_and_default_eps():
    x = cr.randn(4, 6, 3, generator=0)
    for m in (nn.GroupNorm(3, 6), nn.RMSNorm(3), nn.LocalResponseNorm(2),
              nn.InstanceNorm3d(6, affine=True)):
        y = m(x if not isinstance(m, nn.InstanceNorm3d) else x.reshape(4, 6, 3, 1, 1))
        assert y.dtype == np.float32 and all(p.dtype == np.float32 for p in m.parameters())
    # eps None: the dtype's machine epsilon, as PyTorch
    z = cr.zeros(2, 3, dtype="float64")
    z.array[0, 0] = 1e-9
    y = F.rms_norm(z, [3]).numpy()
    np.testing.assert_allclose(y[0, 0], 1e-9 / np.sqrt(1e-18 / 3 + np.finfo(np.float64).eps))
    gn = nn.GroupNorm(2, 4)(cr.randn(5, 4, 7, generator=1)).numpy().reshape(5, 2, -1)
    np.testing.assert_allclose(gn.mean(-1), 0, atol=1e-6)
    np.testing.assert_allclose(gn.std(-1), 1, atol=1e-4)


def test_norm_errors_are_named():
    with pytest.raises(ValueError, match="GroupNorm: num_channels 5 must be divisible by "
                                         "num_groups 2"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"group_norm: 6 channels \(input shape \(2, 6, 3\)\) "
                                         r"are not divisible by num_groups 4"):
        F.group_norm(cr.zeros(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"group_norm: expected weight of shape \(4,\), got "
                                         r"\(3,\)"):
        F.group_norm(cr.zeros(2, 4, 3), 2, cr.ones(3))
    with pytest.raises(ValueError, match="group_norm: expected an input of shape"):
        nn.GroupNorm(1, 4)(cr.zeros(4))
    with pytest.raises(TypeError, match="GroupNorm: num_groups must be an int"):
        nn.GroupNorm(2.0, 4)
    with pytest.raises(ValueError, match=r"rms_norm: expected an input whose last dimensions "
                                         r"are normalized_shape \(4,\), got \(2, 3\)"):
        nn.RMSNorm(4)(cr.zeros(2, 3))
    with pytest.raises(ValueError, match=r"rms_norm: expected weight of shape \(3,\)"):
        F.rms_norm(cr.zeros(2, 3), [3], cr.ones(2))
    with pytest.raises(ValueError, match="RMSNorm: normalized_shape must be positive ints"):
        nn.RMSNorm(0)
    with pytest.raises(ValueError, match="RMSNorm: eps must be in"):
        nn.RMSNorm(3, eps=-1.0)
    with pytest.raises(ValueError, match=r"local_response_norm: expected a 3-d or higher .* "
                                         r"got shape \(2, 3\)"):
        F.local_response_norm(cr.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="LocalResponseNorm: size must be >= 1, got 0"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected a 5-d \(N, C, D, H, W\) "
                                         r"input, got shape \(2, 3, 4, 4\)"):
        nn.BatchNorm3d(3)(cr.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="InstanceNorm3d: expected input with 3 channels"):
        nn.InstanceNorm3d(3)(cr.zeros(2, 4, 2, 2, 2))


# -- ParameterDict ---------------------------------------------------------------------------


def test_parameter_dict_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = np.ones((2, 3), np.float32), np.zeros(4, np.float32)
    pd = nn.ParameterDict({"b": cr.tensor(b), "a": nn.Parameter(cr.tensor(a))})
    tpd = torch.nn.ParameterDict({"b": torch.tensor(b), "a": torch.nn.Parameter(
        torch.tensor(a))})
    assert list(pd.state_dict()) == list(tpd.state_dict()) == ["a", "b"]  # a dict is sorted
    assert all(isinstance(p, nn.Parameter) for p in pd.values())
    ordered = OrderedDict([("z", cr.ones(1)), ("y", cr.ones(1))])
    assert list(nn.ParameterDict(ordered)) == ["z", "y"]
    assert list(nn.ParameterDict([("q", cr.ones(1)), ("p", cr.ones(1))])) == ["q", "p"]
    one, tone = nn.ParameterDict({"w": cr.ones(2, 3)}), torch.nn.ParameterDict(
        {"w": torch.ones(2, 3)})
    assert repr(one) == repr(tone).replace("torch.", "chainrule.")
    assert repr(nn.ParameterDict()) == repr(torch.nn.ParameterDict())


def test_parameter_dict_api_registers_parameters():
    model = nn.Module()
    model.scales = nn.ParameterDict()
    model.scales["x"] = cr.ones(3)
    model.scales.update({"y": cr.zeros(2)})
    assert list(model.state_dict()) == ["scales.x", "scales.y"]
    assert [n for n, _ in model.named_parameters()] == ["scales.x", "scales.y"]
    pd = model.scales
    assert len(pd) == 2 and "x" in pd and "z" not in pd and list(reversed(pd)) == ["y", "x"]
    assert pd.get("z") is None and pd.get("x") is pd["x"]
    z = pd.setdefault("z", cr.full((1,), 2.0))
    assert pd.setdefault("z", cr.ones(1)) is z and float(z.item()) == 2.0
    assert pd.pop("z") is z and "z" not in pd
    assert pd.popitem()[0] == "y" and list(pd) == ["x"]
    both = pd | {"w": cr.ones(1)}
    assert list(both) == ["x", "w"] and list(pd) == ["x"] and both["x"] is pd["x"]
    pd |= nn.ParameterDict({"v": cr.ones(1)})
    assert list(pd) == ["x", "v"]
    copy = pd.copy()
    assert copy["x"] is pd["x"] and copy is not pd
    assert list(pd.fromkeys(["k", "l"], cr.ones(1))) == ["k", "l"]
    del pd["v"]
    assert list(pd.keys()) == ["x"] and list(model.state_dict()) == ["scales.x"]
    pd.clear()
    assert len(pd) == 0 and list(model.parameters()) == []
    # gradients reach the parameters through the dict
    pd["w"] = cr.full((3,), 2.0)
    (cr.ones(3) * pd["w"]).sum().backward()
    np.testing.assert_allclose(pd["w"].grad.numpy(), 1.0)
    with pytest.raises(KeyError, match="ParameterDict: no parameter named 'missing'"):
        pd["missing"]
    with pytest.raises(KeyError, match="ParameterDict: no parameter named 'missing'"):
        del pd["missing"]
    with pytest.raises(TypeError, match="name must be a str"):
        pd[3] = cr.ones(1)
    with pytest.raises(ValueError, match="ParameterDict.update: element #0 must be a"):
        pd.update([("a", cr.ones(1), 3)])
    with pytest.raises(TypeError, match="ParameterDict.update: expected a mapping"):
        pd.update(3)
    with pytest.raises(NotImplementedError, match="ParameterDict is a container"):
        pd(cr.ones(1))
