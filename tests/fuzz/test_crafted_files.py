"""Crafted files fail fast, with their documented error, in bounded memory: under 100 ms
and under twice their own size (plus 1 MiB) of allocations, each."""

import os
import subprocess
import sys
import time
import tracemalloc

import pytest

from .._rss import HWM
from .crafted import corpus

CASES = list(corpus())
CONSTANT = 1 << 20  # 1 MiB: parsing and error messages


@pytest.mark.parametrize("name, blob, reader, error, prefix", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_crafted_file_fails_fast_in_bounded_memory(tmp_path, name, blob, reader, error,
                                                   prefix):
    path = tmp_path / "crafted.csv"  # predict reads by suffix; the others ignore it
    path.write_bytes(blob)
    start = time.perf_counter()
    with pytest.raises(error) as info:
        reader(path)
    elapsed = time.perf_counter() - start
    assert str(info.value).startswith(prefix), str(info.value)
    assert not type(info.value).__module__.startswith("numpy")
    tracemalloc.start()
    try:
        with pytest.raises(error):
            reader(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.1, f"{name}: {elapsed * 1000:.0f} ms"
    assert peak < 2 * len(blob) + CONSTANT, f"{name}: peak {peak} bytes for {len(blob)}"


def test_the_corpus_covers_the_issue_cases():
    names = {c[0] for c in CASES}
    for case in ("load: header nested 100,000 deep", "load: dtype a list",
                 "load: structure unknown tag", "load: shape 100-d", "load: shape (0, 2**62)",
                 "load: offsets past the end", "load: tensors overlap",
                 "read_idx: gzip bomb", "load_csv: binary"):
        assert case in names
    assert len(CASES) >= 60


def test_a_huge_file_with_a_small_header_fails_at_once(tmp_path):
    """1 GiB (sparse) behind a header for 8 bytes: refused from the header and the size."""
    import chainrule as cr
    from chainrule.io import LoadError

    path = tmp_path / "big.safetensors"
    cr.save({"w": cr.ones(2)}, path)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) + (1 << 30))
    start = time.perf_counter()
    with pytest.raises(LoadError, match="^load: "):
        cr.load(path)
    assert time.perf_counter() - start < 0.1


def test_the_whole_corpus_in_a_fresh_process_stays_small(tmp_path):
    """Peak RSS of a process reading every crafted file, against one that reads none."""
    for i, (_, _, blob, _, _, _) in enumerate(CASES):
        (tmp_path / f"{i}.csv").write_bytes(blob)
    code = HWM + (
        "import sys\n"
        "from tests.fuzz.crafted import corpus\n"
        "cases = list(corpus())\n"
        "base = hwm()\n"
        "for i, (_, _, _, reader, error, _) in enumerate(cases):\n"
        "    try:\n        reader(sys.argv[1] + f'/{i}.csv')\n"
        "    except error:\n        pass\n"
        "    else:\n        raise SystemExit(f'case {i} was accepted')\n"
        "print((hwm() - base) * 1024)\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                       text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(
                           os.path.dirname(os.path.abspath(__file__)))))
    assert r.returncode == 0, r.stderr[-2000:]
    largest = max(len(c[2]) for c in CASES)
    assert int(r.stdout) < 2 * largest + (16 << 20), f"RSS grew by {int(r.stdout) >> 20} MiB"
