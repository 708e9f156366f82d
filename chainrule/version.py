"""``torch.version``: chainrule's version; ``cuda`` is None (no CUDA build: a GPU is
reached through CuPy)."""

__version__ = "0.1.0"
cuda = None
hip = None
