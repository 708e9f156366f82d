"""PyTorch programs written as PyTorch's examples write them, run with
``import chainrule as torch``: an MNIST-style CNN loop (pytorch/examples' structure) and a
nanoGPT-style attention block with AdamW groups, GradScaler, clipping and sampling."""

import runpy
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"


@pytest.mark.parametrize("name", ["mnist_cnn.py", "mini_gpt.py"])
def test_pytorch_program_runs_unchanged(name, capsys):
    runpy.run_path(str(PROGRAMS / name), run_name="__main__")
    out = capsys.readouterr().out
    assert "OK" in out, out
