"""chainrule._malloc: glibc's thresholds are raised at import, unless the user opts out."""

import os
import subprocess
import sys

import pytest

import chainrule._malloc as m

glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None


def _applied_in_child(env_value):
    env = dict(os.environ)
    env.pop("CHAINRULE_MALLOC_TUNING", None)
    if env_value is not None:
        env["CHAINRULE_MALLOC_TUNING"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", "import chainrule._malloc as m; print(m.applied)"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    return out.strip()


@pytest.mark.skipif(not glibc, reason="mallopt is glibc's")
def test_applied_on_import_with_glibc():
    assert _applied_in_child(None) == "True"
    assert m.tune_malloc() is True  # idempotent


def test_opt_out_by_environment():
    assert _applied_in_child("0") == "False"


def _page_faults_of_reuse(env_value):
    """Page faults while a step's worth of arrays (10 x 4 MiB) is allocated and freed five
    times over, after a first round."""
    code = (
        "import resource, numpy as np, chainrule\n"
        "def faults(): return resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "def step(): arrays = [np.ones(2**20 - 1000, np.float32) for _ in range(10)]\n"
        "step()\n"
        "f = faults()\n"
        "for _ in range(5): step()\n"
        "print(faults() - f)\n"
    )
    env = dict(os.environ, CHAINRULE_MALLOC_TUNING=env_value)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    return int(out)


@pytest.mark.skipif(not glibc, reason="mallopt is glibc's")
def test_freed_blocks_stay_in_the_process():
    """With glibc's defaults the freed 40 MiB is given back and faulted in again every
    round (5 x 10 x 1024 faults); tuned, it is reused."""
    assert _page_faults_of_reuse("0") > 20_000
    assert _page_faults_of_reuse("1") < 2_000
