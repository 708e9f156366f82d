"""``torch.backends.cuda``: the TF32 switch is accepted (NumPy/CuPy matmuls here are never
TF32)."""


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built() -> bool:
    from .. import cuda

    return cuda.is_available()
