"""Gradient-table rows for chainrule/ops/stats.py (run by tests/ops/test_grad_table.py),
and in-place rows (run by tests/test_inplace.py)."""

from __future__ import annotations

# Ops of the module without a gradient (integer or boolean results).
NO_GRADIENT: set[str] = set()
CASES: list = []
INPLACE_CASES: list = []
