"""Optional dependencies: imported on first use, with a named error when missing.

The core package needs NumPy alone. Integrations (gymnasium, cma, mpi4py, onnx,
scikit-learn, tensorboard, ...) are imported inside the functions that use them through
:func:`require`, so ``import chainrule`` stays fast and a missing package says which extra
installs it.

>>> np = require("numpy", extra="core", feature="tensors")
"""

import importlib


class MissingDependencyError(ImportError):
    """An optional package that a chainrule feature needs is not installed."""


def require(module: str, extra: str, feature: str):
    """Import ``module`` and return it, or raise :class:`MissingDependencyError`.

    Args:
        module: the importable name (``"mpi4py"``, ``"onnxruntime"``).
        extra: the chainrule extra that installs it (``"mpi"`` for ``chainrule[mpi]``).
        feature: what needs it, named in the error (``"chainrule.distributed"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the package {module!r}, which is not installed: "
            f"pip install 'chainrule[{extra}]'"
        ) from exc
