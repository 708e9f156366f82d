"""The gradient fuzzer: random float64 op programs agree with PyTorch (rtol 1e-6) and with
finite differences. 1,000 programs by default, 10,000 under ``-m slow``."""

import time

import pytest

pytest.importorskip("torch")

from .gradfuzz import OPS, fuzz, make_program  # noqa: E402


def _report(mismatches, compared):
    assert compared > 0
    assert not mismatches, f"{len(mismatches)} of {compared} programs differ:\n" + \
        "\n".join(m[:600] for m in mismatches[:10])


def test_1000_programs_agree_with_pytorch_and_finite_differences():
    start = time.perf_counter()
    _report(*fuzz(0, 1000))
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_10000_programs_agree_with_pytorch_and_finite_differences():
    _report(*fuzz(1000, 10000))


def test_the_programs_use_every_op_and_every_op_can_fail(monkeypatch):
    used = {name for seed in range(400) for name, _, _ in make_program(seed)["steps"]}
    assert used == set(OPS)
    # A wrong gradient is caught: break tanh's backward and the fuzzer must notice.
    import chainrule as cr

    real = cr.tanh
    monkeypatch.setattr(cr, "tanh", lambda x: real(x) * 1.0 + (x - x.detach()) * 1e-3)
    from . import gradfuzz

    monkeypatch.setattr(gradfuzz._CR, "tanh", staticmethod(cr.tanh))
    mismatches, _ = fuzz(0, 100)
    assert mismatches
