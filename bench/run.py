"""Benchmark chainrule against PyTorch: ``python bench/run.py [workloads] [--quick]``.

The benchmark itself is ``chainrule.benchmark`` (also ``chainrule bench``); this script
runs it from a checkout without installing the package. See bench/README.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chainrule.benchmark import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
