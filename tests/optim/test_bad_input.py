"""Optimizer mistakes raise errors that name the class, the argument and the value."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.nn import Parameter

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]


def params():
    return [Parameter(cr.zeros(2)), Parameter(cr.zeros(3))]


@pytest.mark.parametrize("name", ALL)
def test_negative_lr(name):
    msg = rf"{name}: invalid learning rate -0.1 \(lr must be >= 0\)"
    with pytest.raises(ValueError, match=msg):
        getattr(optim, name)(params(), lr=-0.1)


@pytest.mark.parametrize("name", ALL)
def test_negative_weight_decay(name):
    with pytest.raises(ValueError, match=rf"{name}: invalid weight_decay value -1"):
        getattr(optim, name)(params(), weight_decay=-1)


@pytest.mark.parametrize("name", ALL)
def test_empty_parameter_list(name):
    with pytest.raises(ValueError, match=f"{name}: got an empty parameter list"):
        getattr(optim, name)([])
    with pytest.raises(ValueError, match=f"{name}: got an empty parameter list"):
        getattr(optim, name)(iter([]))


@pytest.mark.parametrize("name", ALL)
def test_non_tensor_param(name):
    with pytest.raises(TypeError, match=rf"{name}: can only optimize Tensors, but params\[1\] is"):
        getattr(optim, name)([Parameter(cr.zeros(1)), np.zeros(3)])


@pytest.mark.parametrize("name", ALL)
def test_parameter_in_two_groups(name):
    a, b = params()
    with pytest.raises(ValueError, match=f"{name}: some parameters appear in more than one"):
        getattr(optim, name)([{"params": [a, b]}, {"params": [b], "lr": 0.1}])
    opt = getattr(optim, name)([a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="same parameter twice"):
        opt.add_param_group({"params": [b, b]})


@pytest.mark.parametrize(
    "name, kw, error, match",
    [
        ("SGD", dict(momentum=-0.5), ValueError, r"SGD: invalid momentum value -0.5"),
        ("SGD", dict(nesterov=True), ValueError, r"SGD: nesterov=True requires a momentum > 0"),
        ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, "zero dampening"),
        ("SGD", dict(lr="fast"), TypeError, r"SGD: learning rate must be a number, got 'fast'"),
        ("Adam", dict(betas=(1.0, 0.999)), ValueError,
         r"Adam: invalid beta parameter at index 0 1.0 \(betas\[0\] must be in \[0, 1\)\)"),
        ("Adam", dict(betas=(0.9, -0.1)), ValueError, "Adam: invalid beta parameter at index 1"),
        ("AdamW", dict(betas=(0.9, 1.5)), ValueError, "AdamW: invalid beta parameter at index 1"),
        ("Adam", dict(betas=0.9), ValueError, "Adam: betas must be a pair"),
        ("Adam", dict(eps=-1e-8), ValueError, "Adam: invalid epsilon value"),
        ("RMSprop", dict(alpha=-0.9), ValueError, "RMSprop: invalid alpha value"),
        ("RMSprop", dict(momentum=-1), ValueError, "RMSprop: invalid momentum value"),
        ("Adagrad", dict(lr_decay=-1), ValueError, "Adagrad: invalid lr_decay value"),
        ("Adagrad", dict(initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
        ("Adadelta", dict(rho=1.5), ValueError, r"Adadelta: invalid rho value 1.5"),
    ],
)
def test_bad_hyperparameters(name, kw, error, match):
    with pytest.raises(error, match=match):
        getattr(optim, name)(params(), **kw)


def test_bad_hyperparameter_in_a_group():
    a, b = params()
    with pytest.raises(ValueError, match="Adam: invalid learning rate -1"):
        optim.Adam([{"params": [a]}, {"params": [b], "lr": -1}])
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="SGD: invalid momentum value -1"):
        opt.add_param_group({"params": [b], "momentum": -1})
    assert len(opt.param_groups) == 1


def test_bad_params_containers():
    a, _ = params()
    with pytest.raises(TypeError, match="SGD: params must be an iterable .* got a single Tensor"):
        optim.SGD(a)
    with pytest.raises(TypeError, match="SGD: params must be an ordered collection, got a set"):
        optim.SGD({a})
    with pytest.raises(TypeError, match="SGD: params must be an iterable of tensors or of dicts"):
        optim.SGD(3)
    with pytest.raises(ValueError, match="Adam: can't optimize a non-leaf Tensor"):
        optim.Adam([a * 2])
    with pytest.raises(TypeError, match="Adam: can only optimize floating-point tensors"):
        optim.Adam([cr.tensor([1, 2])])
    opt = optim.SGD([a])
    with pytest.raises(TypeError, match="SGD: a parameter group must be a dict, got list"):
        opt.add_param_group([a])
    with pytest.raises(ValueError, match="SGD: a parameter group needs a 'params' entry"):
        opt.add_param_group({"lr": 0.1})


def test_gradient_of_wrong_shape():
    a, _ = params()
    opt = optim.SGD([a], lr=0.1)
    a.grad = cr.zeros(5)
    with pytest.raises(ValueError, match=r"SGD: a gradient of shape \(5,\) does not match"):
        opt.step()


def test_bad_state_dicts():
    a, b = params()
    opt = optim.Adam([a, b])
    other = optim.Adam([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="Adam: the loaded state dict has 2 parameter groups"):
        opt.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="Adam: loaded parameter group 0 has 1 parameters"):
        optim.Adam([a, b]).load_state_dict(optim.Adam([a]).state_dict())
    with pytest.raises(ValueError, match="Adam: load_state_dict expects a dict with 'state'"):
        opt.load_state_dict({"weights": 1})
    sd = opt.state_dict()
    sd["state"][0] = {"step": 1, "exp_avg": np.zeros(7), "exp_avg_sq": np.zeros(2)}
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: state 'exp_avg' has shape \(7,\)"):
        opt.load_state_dict(sd)
    sd["state"] = {9: {"step": 1}}
    with pytest.raises(ValueError, match="Adam: the loaded state refers to parameter 9"):
        opt.load_state_dict(sd)
