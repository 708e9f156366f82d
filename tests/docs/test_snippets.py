"""Every ```python block in the README and under docs/ runs.

The blocks of one file run in order in one namespace (a page may build on its earlier
blocks), in a temporary working directory, so a snippet that writes files leaves nothing in
the repository. Blocks fenced as ```text, ```bash or ```console are output or shell lines and
are not run here; the README's two commands are what CI runs.
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)


def _pages():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [p for p in pages if FENCE.search(p.read_text(encoding="utf-8"))]


def test_the_pages_have_snippets():
    assert any(p.name == "README.md" for p in _pages())


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_snippets_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHAINRULE_DATA", str(ROOT.parent / "shared" / "datasets"))
    text = page.read_text(encoding="utf-8")
    namespace = {"__name__": f"snippets_{page.stem}"}
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start(1)) + 1
        code = compile(m.group(1), f"{page.relative_to(ROOT)}:{line}", "exec")
        exec(code, namespace)  # noqa: S102 - the documentation's own examples
    assert os.getcwd() == str(tmp_path)
