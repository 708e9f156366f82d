"""``torch.backends.cudnn``: chainrule has no cuDNN; the flags are accepted (see
``chainrule.backends``)."""

#: PyTorch: let cuDNN time its algorithms and pick the fastest. chainrule has one kernel
#: per op, so there is nothing to pick.
benchmark = False
#: PyTorch: use deterministic algorithms only. chainrule's are always deterministic.
deterministic = False
#: PyTorch: allow TF32 in cuDNN convolutions. NumPy and CuPy convolutions here never use it.
allow_tf32 = True
enabled = True


def is_available() -> bool:
    """False: chainrule does not call cuDNN."""
    return False


def version():
    return None
