"""Each scheduler gives PyTorch's learning-rate sequence, and its state round-trips."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.nn import Parameter
from chainrule.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")

STEPS = 30


class Warmup:
    """A callable object: its attributes travel in LambdaLR's state_dict."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


CASES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.5, total_iters=12)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=Warmup(6))),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS + 1)),
    ("OneCycleLR", dict(max_lr=[0.5, 2.0], total_steps=STEPS + 1, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS + 1, three_phase=True, pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=3, steps_per_epoch=11, cycle_momentum=False)),
]


def ids(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items() if k != "lr_lambda")


def two_groups(make_param, opt_cls, **kw):
    params = [make_param(), make_param()]
    return opt_cls([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}], lr=0.1, **kw)


def sequences(name, kw, opt_name="SGD", opt_kw=None, steps=STEPS):
    """The lr (and momentum/beta1) sequences of chainrule's and torch's scheduler."""
    opt_kw = {"momentum": 0.9} if opt_kw is None else opt_kw
    opt = two_groups(lambda: Parameter(cr.zeros(2)), getattr(optim, opt_name), **opt_kw)
    topt = two_groups(
        lambda: torch.nn.Parameter(torch.zeros(2)), getattr(torch.optim, opt_name), **opt_kw
    )
    s = getattr(sched, name)(opt, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    out, tout = [], []

    def momentum(o):
        return [g["betas"][0] if "betas" in g else g.get("momentum") for g in o.param_groups]

    for _ in range(steps):
        out.append((s.get_last_lr(), [g["lr"] for g in opt.param_groups], momentum(opt)))
        tout.append((ts.get_last_lr(), [g["lr"] for g in topt.param_groups], momentum(topt)))
        opt.step()
        topt.step()
        s.step()
        ts.step()
    return out, tout


def assert_same(out, tout):
    assert len(out) == len(tout)
    for i, (a, b) in enumerate(zip(out, tout)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(np.array(x, float), np.array(y, float), rtol=1e-12,
                                       err_msg=f"step {i}")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_sequence_matches_torch(case):
    name, kw = case
    out, tout = sequences(name, kw)
    assert_same(out, tout)
    assert len({tuple(o[0]) for o in out}) > 1  # the lr does change


def test_one_cycle_cycles_adam_beta1():
    out, tout = sequences("OneCycleLR", dict(max_lr=0.01, total_steps=STEPS), "Adam", {})
    assert_same(out, tout)
    assert out[0][2][0] == pytest.approx(0.95)


def test_construction_sets_initial_lr():
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0)
    s = sched.LinearLR(opt, start_factor=0.25, total_iters=4)
    assert opt.param_groups[0]["lr"] == 0.25
    assert opt.param_groups[0]["initial_lr"] == 1.0
    assert s.get_last_lr() == [0.25]
    assert s.last_epoch == 0


def test_epoch_argument_uses_closed_form():
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0)
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    s.step(7)
    assert opt.param_groups[0]["lr"] == 0.25


@pytest.mark.parametrize(
    "kw, metrics",
    [
        (dict(patience=2), [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.81, 0.82, 0.83, 0.84] * 3),
        (dict(mode="max", factor=0.5, patience=1, cooldown=2, min_lr=0.01),
         [1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1] * 2),
        (dict(threshold=0.1, threshold_mode="abs", patience=0, factor=0.7, min_lr=[0.0, 0.2]),
         [5 - 0.05 * i for i in range(30)]),
        (dict(mode="max", threshold=0.05, patience=3), [math.sin(i / 3) for i in range(30)]),
    ],
)
def test_reduce_on_plateau_matches_torch(kw, metrics):
    opt = two_groups(lambda: Parameter(cr.zeros(2)), optim.SGD)
    topt = two_groups(lambda: torch.nn.Parameter(torch.zeros(2)), torch.optim.SGD)
    s = sched.ReduceLROnPlateau(opt, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    lrs, tlrs = [], []
    for m in metrics:
        s.step(m)
        ts.step(m)
        lrs.append(s.get_last_lr())
        tlrs.append(ts.get_last_lr())
    np.testing.assert_allclose(lrs, tlrs, rtol=1e-12)
    assert lrs[-1] != lrs[0]


def test_reduce_on_plateau_accepts_a_tensor_metric():
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0)
    s = sched.ReduceLROnPlateau(opt, patience=0)
    s.step(cr.tensor(1.0))
    s.step(cr.tensor(2.0))
    assert s.get_last_lr() == [pytest.approx(0.1)]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_state_dict_round_trip(case):
    name, kw = case
    full, _ = sequences(name, kw, steps=20)

    opt = two_groups(lambda: Parameter(cr.zeros(2)), optim.SGD, momentum=0.9)
    s = getattr(sched, name)(opt, **kw)
    for _ in range(10):
        opt.step()
        s.step()
    opt_sd, s_sd = opt.state_dict(), s.state_dict()
    if name == "LambdaLR" and isinstance(kw["lr_lambda"], Warmup):
        assert s_sd["lr_lambdas"][0] == {"n": 6}

    opt2 = two_groups(lambda: Parameter(cr.zeros(2)), optim.SGD, momentum=0.9)
    opt2.load_state_dict(opt_sd)
    s2 = getattr(sched, name)(opt2, **kw, last_epoch=9) if name != "OneCycleLR" else (
        getattr(sched, name)(opt2, **kw)
    )
    s2.load_state_dict(s_sd)
    opt2.load_state_dict(opt_sd)
    rest = []
    for _ in range(10):
        rest.append(s2.get_last_lr())
        opt2.step()
        s2.step()
    np.testing.assert_allclose(rest, [o[0] for o in full[10:]], rtol=1e-12)


def test_reduce_on_plateau_state_dict_round_trip():
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0)
    s = sched.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in [1, 2, 2]:
        s.step(m)
    s2 = sched.ReduceLROnPlateau(optim.SGD([Parameter(cr.zeros(1))], lr=1.0))
    s2.load_state_dict(s.state_dict())
    assert s2.mode == "max" and s2.best == 2 and s2.num_bad_epochs == 1
    s2.step(2)
    assert s2.get_last_lr() == [pytest.approx(0.1)]


BAD = [
    (lambda o: sched.StepLR(o, step_size=0), ValueError, "StepLR: step_size"),
    (lambda o: sched.StepLR(object(), step_size=1), TypeError, "StepLR: optimizer"),
    (lambda o: sched.MultiStepLR(o, milestones=[2, -1]), ValueError, "MultiStepLR"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: sched.LinearLR(o, start_factor=0), ValueError, "start_factor"),
    (lambda o: sched.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: sched.LambdaLR(o, lr_lambda=[lambda e: 1.0] * 3), ValueError, "lr_lambdas"),
    (lambda o: sched.LambdaLR(o, lr_lambda=2.0), TypeError, "callable"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda o: sched.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10), ValueError, "max_lr"),
    (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: sched.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
    (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold_mode"),
    (lambda o: sched.ReduceLROnPlateau(o).step("low"), TypeError, "metrics"),
    (lambda o: sched.ExponentialLR(o, gamma=0.5, last_epoch=3), KeyError, "initial_lr"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_arguments(make, error, match):
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0)
    with pytest.raises(error, match=match):
        make(opt)


def test_one_cycle_refuses_too_many_steps():
    opt = optim.SGD([Parameter(cr.zeros(1))], lr=1.0, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    s.step()
    s.step()
    s.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        s.step()
