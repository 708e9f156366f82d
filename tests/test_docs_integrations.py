"""The Python blocks of the integration docs (sklearn, onnx, tensorboard) run as written."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = {"sklearn.md": ("sklearn",), "onnx.md": ("onnx", "onnxruntime"),
         "tensorboard.md": ("tensorboard",)}


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_doc_examples_run(page, tmp_path, monkeypatch):
    if not (DOCS / page).is_file():
        pytest.fail(f"docs/{page} is missing")
    for module in PAGES[page]:
        pytest.importorskip(module)
    blocks = python_blocks(page)
    assert blocks, f"docs/{page} has no python block"
    monkeypatch.chdir(tmp_path)  # blocks may write files
    namespace: dict = {"__name__": f"docs_{page[:-3]}"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/{page}[block {i}]", "exec"), namespace)
