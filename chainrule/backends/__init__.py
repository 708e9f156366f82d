"""``cr.backends``: PyTorch's backend switches, where they mean something on NumPy.

Only flags whose PyTorch meaning is "pick the best kernel" or that NumPy already
satisfies exist here: ``cudnn.benchmark`` (kernel choice), ``cudnn.deterministic``
(chainrule's kernels are deterministic), ``cuda.matmul.allow_tf32`` and
``cudnn.allow_tf32`` (NumPy never computes in TF32). Setting them changes nothing.
``mps.is_available()`` is False.
"""

from . import cuda, cudnn, mps  # noqa: F401
