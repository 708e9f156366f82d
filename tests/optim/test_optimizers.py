"""Each optimizer follows PyTorch's trajectory, keeps its state like PyTorch, and round-trips."""

import copy

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.nn import Parameter

torch = pytest.importorskip("torch")

STEPS = 25

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    ("Adadelta", dict(maximize=True)),
]


def ids(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


class Problem:
    """A small tanh regression, its parameters built identically in chainrule and torch."""

    def __init__(self, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((16, 4)).astype(dtype)
        self.y = rng.standard_normal((16, 3)).astype(dtype) * 0.5
        self.init = [
            rng.standard_normal((3, 4)).astype(dtype) * 0.5,  # W
            rng.standard_normal(3).astype(dtype) * 0.1,  # b
            rng.standard_normal(5).astype(dtype),  # never used: its grad stays None
        ]
        self.cr_params = [Parameter(cr.tensor(a.copy())) for a in self.init]
        self.t_params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in self.init]

    def cr_loss(self):
        W, b, _ = self.cr_params
        pred = cr.tanh(cr.tensor(self.x) @ W.T + b)
        return ((pred - cr.tensor(self.y)) ** 2).mean()

    def t_loss(self):
        W, b, _ = self.t_params
        pred = torch.tanh(torch.tensor(self.x) @ W.T + b)
        return ((pred - torch.tensor(self.y)) ** 2).mean()

    @staticmethod
    def groups(params, lr):
        """Two parameter groups, the second with twice the learning rate."""
        return [{"params": params[:1]}, {"params": params[1:], "lr": 2 * lr}]

    def assert_close(self, rtol=1e-7, atol=1e-10):
        for p, q in zip(self.cr_params, self.t_params):
            assert p.dtype == q.detach().numpy().dtype
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=rtol, atol=atol)


def run_both(name, kw, problem, steps=STEPS, grouped=False, rtol=1e-7, atol=1e-10):
    cr_params, t_params = problem.cr_params, problem.t_params
    if grouped:
        lr = kw.get("lr", 1.0)
        cr_params = problem.groups(cr_params, lr)
        t_params = problem.groups(t_params, lr)
    opt = getattr(optim, name)(cr_params, **kw)
    topt = getattr(torch.optim, name)(t_params, **kw)
    for _ in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        problem.cr_loss().backward()
        problem.t_loss().backward()
        opt.step()
        topt.step()
        problem.assert_close(rtol, atol)
    return opt, topt


def assert_same_state(opt, topt, rtol=1e-7, atol=1e-10):
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for i, tstate in tsd["state"].items():
        state = sd["state"][i]
        assert set(state) == set(tstate), (i, set(state), set(tstate))
        for k, v in tstate.items():
            if k == "step":
                assert state[k] == int(v.item())
            else:
                assert isinstance(state[k], cr.Tensor)
                np.testing.assert_allclose(state[k].numpy(), v.numpy(), rtol=rtol, atol=atol)
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for k, v in g.items():
            if k in tg:
                assert v == tg[k], k


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_follows_torch_trajectory(case):
    name, kw = case
    problem = Problem()
    opt, topt = run_both(name, kw, problem)
    # the unused parameter never moved and got no state
    np.testing.assert_array_equal(problem.cr_params[2].numpy(), problem.init[2])
    assert_same_state(opt, topt)


GROUP_CASES = [CASES[1], CASES[7], CASES[10], CASES[15], CASES[17], CASES[20]]


@pytest.mark.parametrize("case", GROUP_CASES, ids=ids)
def test_param_groups_with_different_lrs(case):
    name, kw = case
    problem = Problem(seed=1)
    opt, topt = run_both(name, kw, problem, steps=10, grouped=True)
    assert opt.param_groups[1]["lr"] == 2 * kw.get("lr", 1.0)
    assert opt.param_groups[0]["lr"] == kw.get("lr", 1.0)
    assert_same_state(opt, topt)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_float32_stays_float32_and_follows_torch(case):
    name, kw = case
    problem = Problem(dtype=np.float32)
    opt, _ = run_both(name, kw, problem, steps=10, rtol=2e-5, atol=1e-6)
    for p in problem.cr_params:
        assert p.dtype == np.float32
        for k, v in opt.state.get(p, {}).items():
            if k != "step":
                assert v.dtype == np.float32, k


def test_defaults_match_torch():
    import inspect

    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for arg, param in ours.items():
            assert arg in theirs, (name, arg)
            assert param.default == theirs[arg].default, (name, arg)


def _steps(opt, problem, n):
    for _ in range(n):
        opt.zero_grad()
        problem.cr_loss().backward()
        opt.step()


@pytest.mark.parametrize("case", CASES[1:], ids=ids)
def test_state_dict_round_trip(case):
    name, kw = case
    a, b = Problem(), Problem()
    opt_a = getattr(optim, name)(a.cr_params, **kw)
    _steps(opt_a, a, 5)
    sd = copy.deepcopy(opt_a.state_dict())
    for p, q in zip(b.cr_params, a.cr_params):
        p.array[...] = q.array
    opt_b = getattr(optim, name)(b.cr_params, lr=123.0)  # the loaded groups replace lr
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    assert opt_b.param_groups[0]["params"][0] is b.cr_params[0]
    # both continue: the loaded state must not alias the saved one
    _steps(opt_a, a, 5)
    _steps(opt_b, b, 5)
    for p, q in zip(a.cr_params, b.cr_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    # and the result is the same as ten uninterrupted steps
    c = Problem()
    _steps(getattr(optim, name)(c.cr_params, **kw), c, 10)
    for p, q in zip(a.cr_params, c.cr_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("case", [CASES[2], CASES[7], CASES[13], CASES[17], CASES[20]], ids=ids)
def test_loads_torch_state_dict(case):
    name, kw = case
    problem = Problem()
    opt, topt = run_both(name, kw, problem, steps=5)
    tsd = topt.state_dict()
    converted = {
        "state": {
            i: {k: v.numpy().copy() for k, v in s.items()} for i, s in tsd["state"].items()
        },
        "param_groups": copy.deepcopy(tsd["param_groups"]),
    }
    fresh = getattr(optim, name)(problem.cr_params, **kw)
    fresh.load_state_dict(converted)
    state = fresh.state[problem.cr_params[0]]
    assert state.get("step", 5) == 5
    assert all(isinstance(v, np.ndarray) for k, v in state.items() if k != "step")
    for _ in range(5):
        fresh.zero_grad()
        topt.zero_grad()
        problem.cr_loss().backward()
        problem.t_loss().backward()
        fresh.step()
        topt.step()
        problem.assert_close()


def test_zero_grad():
    w = Parameter(cr.tensor([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_step_bumps_version_and_updates_in_place():
    w = Parameter(cr.tensor([1.0, 2.0]))
    data = w.array
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    v = w._version
    opt.step()
    assert w._version == v + 1
    assert w.array is data
    assert not np.array_equal(data, [1.0, 2.0])


def test_closure_returns_loss_and_skips_missing_grads():
    w = Parameter(cr.tensor([3.0]))
    unused = Parameter(cr.tensor([5.0]))
    opt = optim.SGD([w, unused], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(w.numpy(), [1.5])  # 3 - 0.25 * 6
    np.testing.assert_array_equal(unused.numpy(), [5.0])
    assert unused not in opt.state


def test_add_param_group_takes_defaults():
    a, b = Parameter(cr.zeros(2)), Parameter(cr.zeros(3))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["lr"] == 0.01
    assert opt.param_groups[1]["momentum"] == 0.9


def test_functional_form_matches_class():
    p = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, 0.1, -0.2])
    m, v = np.zeros(3), np.zeros(3)
    hyper = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    flags = dict(amsgrad=False, maximize=False, decoupled_weight_decay=False)
    optim.adam(p, g, m, v, None, 1, **hyper, **flags)
    # the first Adam step moves each coordinate by lr against the sign of its gradient
    np.testing.assert_allclose(p, [0.9, -2.1, 3.1], rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_numpy_float64_hyperparameters_keep_float32(case):
    name, kw = case
    kw = {k: np.float64(v) if isinstance(v, float) else v for k, v in kw.items()}
    w = Parameter(cr.tensor(np.array([0.5, -1.0], np.float32)))
    opt = getattr(optim, name)([w], **kw)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert w.array.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.state[w].items() if k != "step")


def test_state_dict_survives_a_safetensors_file(tmp_path):
    io = pytest.importorskip("chainrule.io.safetensors")
    a, b = Problem(), Problem()
    opt = optim.Adam(a.cr_params, lr=0.05, amsgrad=True)
    _steps(opt, a, 3)
    io.save(opt.state_dict(), tmp_path / "opt.safetensors")
    for p, q in zip(b.cr_params, a.cr_params):
        p.array[...] = q.array
    opt_b = optim.Adam(b.cr_params)
    opt_b.load_state_dict(io.load(tmp_path / "opt.safetensors"))
    _steps(opt, a, 3)
    _steps(opt_b, b, 3)
    for p, q in zip(a.cr_params, b.cr_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
