"""Every row of the bad-input table raises its named error: no silent acceptance and no
raw NumPy (or Python internals) error from deep inside."""

import re
import warnings

import pytest

from .badinputs import ROWS


def test_the_table_is_large_and_its_labels_unique():
    assert len(ROWS) >= 300
    labels = [r[0] for r in ROWS]
    assert len(set(labels)) == len(labels), [x for x in labels if labels.count(x) > 1]


@pytest.mark.parametrize("label, call, error, words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_is_named(label, call, error, words):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a RuntimeWarning on the way to the error
        try:
            result = call()
        except Exception as e:  # noqa: BLE001 - the type is what is checked
            raised = e
        else:
            pytest.fail(f"{label}: accepted silently, returned {str(result)[:100]}")
    assert not type(raised).__module__.startswith("numpy"), f"{label}: raw NumPy error {raised!r}"
    assert isinstance(raised, error), f"{label}: {type(raised).__name__}: {raised}"
    assert re.search(words, str(raised), re.I | re.S), f"{label}: message {str(raised)!r}"


def test_errors_pytorch_raises_as_runtime_error_are_caught_either_way():
    import chainrule as cr

    for call in (lambda: cr.ones(2, 3).add_(cr.ones(4)), lambda: cr.ones(2).fill_(cr.ones(2)),
                 lambda: cr.ones(2, 3).copy_(cr.ones(4)), lambda: cr.ones(2).to("tpu"),
                 lambda: cr.randperm(-1)):
        with pytest.raises(ValueError):
            call()
        with pytest.raises(RuntimeError):
            call()
    with pytest.raises(TypeError):
        cr.ones(2, dtype="int64").mul_(1.5)
    with pytest.raises(RuntimeError):
        cr.ones(2, dtype="int64").mul_(1.5)
