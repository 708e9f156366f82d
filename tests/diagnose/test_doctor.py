"""The ``doctor`` command: train a few steps, print the report, write the plots."""

import argparse
import os

import pytest

from chainrule.diagnose import doctor


def run(capsys, *argv):
    status = doctor.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_deep_sigmoid_is_diagnosed_as_vanishing_and_plots_are_written(capsys, tmp_path):
    status, out, err = run(capsys, "--model", "deep-sigmoid", "--steps", "3", "--width", "16",
                           "--out", str(tmp_path / "plots"))
    assert status == 0 and err == ""
    assert out.startswith("chainrule doctor: deep-sigmoid on digits (1797 samples), 3 steps "
                          "of sgd lr=0.05")
    assert "[vanishing] 0 (Linear)" in out
    for name in ("gradient_flow.png", "gradient_norms.png"):
        path = tmp_path / "plots" / name
        assert f"wrote {path}" in out
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_deep_relu_the_fix_has_no_finding(capsys):
    status, out, _ = run(capsys, "--model", "deep-relu", "--steps", "3", "--width", "16",
                         "--lr", "0.01")
    assert status == 0
    assert "no findings" in out and "[vanishing]" not in out
    assert out.count(" Linear ") == 11 and out.count(" ReLU ") == 10


def test_a_learning_rate_far_too_high_is_exploding(capsys):
    status, out, _ = run(capsys, "--model", "mlp", "--steps", "5", "--lr", "50", "--seed", "1")
    assert status == 0 and "[exploding]" in out


def test_subcommand_wiring_matches_the_chainrule_cli(capsys):
    parser = argparse.ArgumentParser(prog="chainrule")
    sub = parser.add_subparsers(dest="command")
    doctor.add_arguments(sub.add_parser("doctor"))
    args = parser.parse_args(["doctor", "--model", "deep-tanh", "--steps", "2", "--depth",
                              "3", "--optimizer", "adam"])
    assert doctor.run(args) == 0
    out = capsys.readouterr().out
    assert "deep-tanh on digits" in out and "adam lr=0.001" in out
    assert out.count(" Tanh ") == 3


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "chainrule doctor: --steps must be a positive integer, got 0"),
    (["--lr", "-1"], "chainrule doctor: --lr must be a positive number, got -1.0"),
    (["--width", "0"], "chainrule doctor: --width must be a positive integer, got 0"),
])
def test_bad_options_give_one_line_and_status_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and err.strip() == message and out == ""


def test_out_that_cannot_be_written(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, _, err = run(capsys, "--steps", "1", "--out", str(blocker))
    assert status == 2 and f"--out {blocker} exists and is not a folder" in err
    status, out, err = run(capsys, "--steps", "1", "--out", str(blocker / "sub"))
    assert status == 2 and err.startswith("chainrule doctor: cannot create the folder --out")
    assert out == ""  # refused before training
    assert os.listdir(tmp_path) == ["file"]


def test_unknown_model_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as e:
        doctor.main(["--model", "resnet"])
    assert e.value.code == 2 and "invalid choice: 'resnet'" in capsys.readouterr().err
