"""One optimizer table for the command-line tools: train and doctor agree on defaults."""

import pytest

import chainrule as cr
from chainrule import cli
from chainrule.diagnose import doctor
from chainrule.optim import presets


def test_cli_and_doctor_share_one_table():
    assert cli.OPTIMIZERS is presets.OPTIMIZERS
    assert doctor.OPTIMIZERS is presets.OPTIMIZERS


def test_sgd_default_is_the_cli_documented_one():
    p = cr.nn.Parameter(cr.zeros(2))
    opt = presets.make_optimizer("sgd", [p])
    assert isinstance(opt, cr.optim.SGD)
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[0]["momentum"] == 0.9
    assert presets.default_lr("sgd") == 0.05
    assert presets.make_optimizer("adam", [p], lr=0.5).param_groups[0]["lr"] == 0.5


def test_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose from sgd, adam"):
        presets.make_optimizer("lbfgs", [])
