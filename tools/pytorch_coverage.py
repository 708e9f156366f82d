"""How much of the PyTorch surface that real programs use exists in chainrule.

Two steps:

``python tools/pytorch_coverage.py count REPO_DIR...`` reads every ``.py`` file of local
checkouts of PyTorch programs and counts, with Python's ``ast``, each use of a name of
``torch``, ``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``
(followed through ``import torch.nn as nn``, ``from torch import optim``, ``import
torch.nn.functional as F``, ``from torch.utils.data import DataLoader``...) and each
attribute of ``torch.Tensor`` (any ``x.name`` whose name is one of ``dir(torch.Tensor)``:
a heuristic, since types are not known statically; string methods such as ``split`` are
counted too). It writes ``tools/pytorch_usage.json`` (the counts and where they came from).
That step needs PyTorch installed (for ``dir(torch.Tensor)``) and the checkouts.

``python tools/pytorch_coverage.py report [--top 300]`` needs neither: it takes the
``top`` most-used names from the committed ``pytorch_usage.json``, checks which exist in
chainrule, and prints the table that ``docs/pytorch.md`` holds (exists / differs on
purpose, with the reason / missing), with the coverage figure.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
USAGE = HERE / "pytorch_usage.json"
DOCS = HERE.parent / "docs" / "pytorch.md"
START, END = "<!-- coverage table: tools/pytorch_coverage.py report --write-docs -->", \
    "<!-- end of coverage table -->"

# The PyTorch modules counted, and the chainrule object their names are looked up on.
MODULES = {
    "torch": "chainrule",
    "torch.nn": "chainrule.nn",
    "torch.nn.functional": "chainrule.nn.functional",
    "torch.optim": "chainrule.optim",
    "torch.utils.data": "chainrule.data",
}

# Names that exist in PyTorch but deliberately not in chainrule (or not as PyTorch has
# them), with the reason. They count as covered: a program that uses them gets a clear
# error or a documented equivalent, not a silent difference.
DIFFERS = {
    "torch.compile": "no compiler: NumPy kernels are called directly",
    "torch.jit": "no TorchScript; export with chainrule.onnx where available",
    "torch.distributed": "MPI data parallel lives in chainrule.distributed (mpi4py)",
    "torch.nn.parallel": "DistributedDataParallel lives in chainrule.distributed",
    "torch.nn.DataParallel": "one process drives one device; use chainrule.distributed",
    "torch.onnx": "ONNX export lives in chainrule.onnx",
    "torch.hub": "no model hub: nothing is downloaded",
    "torch.multiprocessing": "use the standard multiprocessing module",
    "Tensor.storage": "NumPy arrays have no separate storage object; .array is the data",
    "Tensor.pin_memory": "no pinned host memory on NumPy",
    "Tensor.share_memory_": "no shared-memory tensors; use multiprocessing.shared_memory",
    "Tensor.is_pinned": "no pinned host memory on NumPy",
    "torch.utils.data.get_worker_info": "DataLoader loads in the main process",
    "torch.utils.data.distributed": "DistributedSampler lives in chainrule.distributed",
    "torch.fx": "no graph capture and rewriting: models are plain Python run eagerly",
    "torch.futures": "no RPC framework (torch.distributed.rpc)",
    "torch.jagged": "no nested (jagged) tensors: pad and mask instead",
    "torch.classes": "no TorchScript custom classes",
    "torch.profiler": "no op profiler; profile with cProfile (chainrule is Python and NumPy)",
    "torch.sparse_coo_tensor": "no sparse tensors (NumPy arrays are dense)",
    "Tensor.to_sparse": "no sparse tensors (NumPy arrays are dense)",
    "Tensor.indices": "no sparse tensors (NumPy arrays are dense)",
    "Tensor.q_scale": "no quantized tensors",
}


# -- counting --------------------------------------------------------------------------


def _tensor_names() -> set[str]:
    import torch

    return {n for n in dir(torch.Tensor) if not n.startswith("__")} - {"_"}


class _Counter(ast.NodeVisitor):
    def __init__(self, tensor_names: set[str]):
        self.tensor_names = tensor_names
        self.counts: Counter = Counter()
        self.aliases: dict[str, str] = {}  # local name -> torch module path

    def visit_Import(self, node):
        for a in node.names:
            if a.name == "torch" or a.name.startswith("torch."):
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    self.aliases["torch"] = "torch"

    def visit_ImportFrom(self, node):
        mod = node.module or ""
        if not (mod == "torch" or mod.startswith("torch.")):
            return
        for a in node.names:
            full = f"{mod}.{a.name}"
            local = a.asname or a.name
            if full in MODULES:
                self.aliases[local] = full
            elif mod in MODULES:
                self.counts[full] += 1  # from torch.utils.data import DataLoader

    def _chain(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return parts[::-1]
        return None

    def visit_Attribute(self, node):
        chain = self._chain(node)
        if chain and chain[0] in self.aliases:
            path = self.aliases[chain[0]].split(".") + chain[1:]
            # The longest known module prefix, then the one name after it.
            for k in range(len(path) - 1, 0, -1):
                mod = ".".join(path[:k])
                if mod in MODULES:
                    self.counts[f"{mod}.{path[k]}"] += 1
                    break
            return  # the inner attributes are part of this chain
        if node.attr in self.tensor_names:
            self.counts[f"Tensor.{node.attr}"] += 1
        self.generic_visit(node)


def count(repos: list[Path]) -> dict:
    names = _tensor_names()
    total: Counter = Counter()
    files = 0
    for repo in repos:
        for path in sorted(repo.rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                continue
            c = _Counter(names)
            c.visit(tree)
            total.update(c.counts)
            files += 1
    # Only names that exist in PyTorch (an attribute chain may go through a variable that
    # shadows a module name, e.g. ``data.read`` after ``from torch.utils import data``).
    real = {k: v for k, v in total.most_common() if _in_torch(k)}
    return {"files": files, "counts": real}


def _in_torch(name: str) -> bool:
    import torch

    if name.startswith("Tensor."):
        return hasattr(torch.Tensor, name.split(".", 1)[1])
    mod, _, attr = name.rpartition(".")
    try:
        return hasattr(importlib.import_module(mod), attr)
    except ImportError:
        return False


# -- checking --------------------------------------------------------------------------


def _exists(name: str) -> bool:
    if name.startswith("Tensor."):
        from chainrule import Tensor

        return hasattr(Tensor, name.split(".", 1)[1])
    mod, _, attr = name.rpartition(".")
    target = MODULES.get(mod)
    if target is None:
        return False
    try:
        obj = importlib.import_module(target)
    except ImportError:
        return False
    return hasattr(obj, attr)


def report(top: int) -> tuple[str, float]:
    usage = json.loads(USAGE.read_text())
    ranked = list(usage["counts"].items())[:top]
    rows, covered = [], 0
    for name, n in ranked:
        if name in DIFFERS or name.rsplit(".", 1)[0] in DIFFERS:
            status = "differs: " + DIFFERS.get(name, DIFFERS.get(name.rsplit(".", 1)[0], ""))
            covered += 1
        elif _exists(name):
            status = "exists"
            covered += 1
        else:
            status = "**missing**"
        rows.append(f"| {name} | {n} | {status} |")
    pct = 100.0 * covered / max(len(ranked), 1)
    head = [
        f"Coverage of the {len(ranked)} most-used names: **{covered} of {len(ranked)} "
        f"({pct:.1f} %)** (counted in {usage['files']} files of {', '.join(usage['sources'])}).",
        "",
        "| name | uses | in chainrule |",
        "|---|---:|---|",
    ]
    return "\n".join(head + rows), pct


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("count", help="count names in local checkouts (needs torch)")
    c.add_argument("repos", nargs="+", type=Path)
    c.add_argument("--source", action="append", default=[],
                   help="how to cite each checkout (owner/name@commit); one per repo")
    r = sub.add_parser("report", help="check the most-used names against chainrule")
    r.add_argument("--top", type=int, default=300)
    r.add_argument("--min-coverage", type=float, default=None,
                   help="exit 1 when coverage is below this percentage")
    r.add_argument("--write-docs", action="store_true",
                   help="replace the table in docs/pytorch.md (between its coverage markers)")
    args = p.parse_args(argv)
    if args.cmd == "count":
        data = count(args.repos)
        data["sources"] = args.source or [str(r) for r in args.repos]
        USAGE.write_text(json.dumps(data, indent=1) + "\n")
        print(f"{data['files']} files, {len(data['counts'])} names -> {USAGE}")
        return 0
    table, pct = report(args.top)
    if args.write_docs:
        doc = DOCS.read_text()
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        DOCS.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    print(table)
    if args.min_coverage is not None and pct < args.min_coverage:
        print(f"coverage {pct:.1f} % is below {args.min_coverage} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
