"""``SyncBatchNorm``: batch normalization whose statistics cover the batch of every rank.

Forward, per channel over the N_r samples (and spatial positions) of each rank r:

    sum, sumsq, count  = allreduce(sum_r x, sum_r x^2, N_r)      one Allreduce
    mean = sum / count,   var = sumsq / count - mean^2          (biased, as BatchNorm)
    y    = (x - mean) / sqrt(var + eps) * w + b

Backward (PyTorch's SyncBatchNorm): with g = gy * w,

    sg, sgx = allreduce(sum_r g, sum_r g * xhat)                 one Allreduce
    gx = (g - sg / count - xhat * sgx / count) / sqrt(var + eps)
    gw = sum_r gy * xhat,    gb = sum_r gy                      local: DDP averages them

Each rank's ``gx`` is the gradient of its own loss through the *global* statistics, so
with DistributedDataParallel's average the parameters get exactly the gradient that
BatchNorm over the global batch gives.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import get_array_module
from ..nn.module import Module, _changed
from ..nn.normalization import BatchNorm1d, BatchNorm2d, _BatchNorm
from ..tensor import Tensor
from .collectives import all_reduce
from .world import _check_group, init

__all__ = ["SyncBatchNorm"]


def _allreduce_sum(a):
    t = Tensor._make(a, False)
    all_reduce(t)
    return t.array


class _SyncNormalize(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b with mean and var over all ranks."""

    def __init__(self, eps: float) -> None:
        self.eps = eps

    def forward(self, x, w=None, b=None):
        xp = get_array_module(x)
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, C) + (1,) * (x.ndim - 2)
        m = x.size // C
        # float64 sums: sumsq - sum^2 cancels, and float32 lost digits over big batches
        x64 = x.astype(np.float64, copy=False)
        stats = xp.concatenate([x64.sum(axis=axes), (x64 * x64).sum(axis=axes),
                                xp.asarray([float(m)])])
        stats = _allreduce_sum(stats)
        count = float(stats[-1])
        mean = stats[:C] / count
        var = xp.maximum(stats[C:2 * C] / count - mean * mean, 0.0)
        self.count = count
        self.mean, self.var = mean.astype(x.dtype), var.astype(x.dtype)
        invstd = (1.0 / xp.sqrt(var + self.eps)).astype(x.dtype).reshape(bshape)
        xhat = (x - self.mean.reshape(bshape)) * invstd
        self.xhat, self.invstd, self.axes = xhat, invstd, axes
        y = xhat if w is None else xhat * w
        if b is not None:
            y = y + b
        return y if y is not xhat else xhat.copy()

    def backward(self, gy):
        if is_grad_enabled():
            raise NotImplementedError("SyncBatchNorm: double backward (create_graph=True) is "
                                      "not supported")
        xp = get_array_module(gy.array)
        w = self.inputs[1].array if len(self.inputs) > 1 else None
        gy = gy.array
        axes, xhat, C = self.axes, self.xhat, self.xhat.shape[1]
        g = gy if w is None else gy * w
        sums = _allreduce_sum(xp.concatenate([g.sum(axis=axes, dtype=np.float64),
                                              (g * xhat).sum(axis=axes, dtype=np.float64)]))
        bshape = self.invstd.shape
        mean_g = (sums[:C] / self.count).astype(gy.dtype).reshape(bshape)
        mean_gx = (sums[C:] / self.count).astype(gy.dtype).reshape(bshape)
        need = self.needs_grad
        gx = gw = gb = None
        if need[0]:
            gx = Tensor._make((g - mean_g - xhat * mean_gx) * self.invstd, False)
        if len(need) > 1 and need[1]:
            gw = Tensor._make((gy * xhat).sum(axis=axes).reshape(bshape), False)
        if len(need) > 2 and need[2]:
            gb = Tensor._make(gy.sum(axis=axes).reshape(bshape), False)
        return (gx, gw, gb)[: len(need)]

    def release(self):
        super().release()
        self.xhat = self.invstd = None


class SyncBatchNorm(_BatchNorm):
    """Batch normalization over (N, C, ...) input whose training statistics are those of
    the whole batch across all ranks (``torch.nn.SyncBatchNorm``); same parameters,
    buffers and ``state_dict`` keys as BatchNorm. In eval mode, or in a world of one
    process, it is BatchNorm. Every rank must call it the same number of times per step
    (the statistics are an allreduce).

    >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    """

    _dims = tuple(range(2, 33))
    _layout = "(N, C, ...) with at least 2 dimensions"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)
        _check_group("SyncBatchNorm", process_group)
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or init().size == 1:
            return super().forward(input)
        if not isinstance(input, Tensor):
            raise TypeError(f"SyncBatchNorm: input must be a Tensor, got "
                            f"{type(input).__name__}")
        if input.ndim < 2 or input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm: expected input of shape (N, {self.num_features}, "
                             f"...), got {tuple(input.shape)}")
        C = self.num_features
        bshape = (1, C) + (1,) * (input.ndim - 2)
        fn = _SyncNormalize(self.eps)
        args = [input]
        if self.weight is not None or self.bias is not None:
            args.append(self.weight.reshape(bshape) if self.weight is not None else
                        Tensor._make(input.xp.ones(bshape, input.dtype), False))
        if self.bias is not None:
            args.append(self.bias.reshape(bshape))
        y = fn(*args)
        if fn.count <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {int(fn.count)}")
        if self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            factor = 1.0 / float(self.num_batches_tracked.array) if self.momentum is None \
                else self.momentum
            for buf, stat in ((self.running_mean, fn.mean),
                              (self.running_var, fn.var * (fn.count / (fn.count - 1)))):
                buf.array *= 1.0 - factor
                buf.array += (factor * stat).astype(buf.dtype, copy=False)
                buf._version += 1
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every ``BatchNorm1d``/``BatchNorm2d`` in ``module`` by a SyncBatchNorm
        with the same settings, parameters and buffers; returns the (new) root module."""
        out = module
        if isinstance(module, (BatchNorm1d, BatchNorm2d)) and not isinstance(module, cls):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                out.register_buffer(name, getattr(module, name))
            out.train(module.training)
        for name, child in list(module._modules.items()):
            if child is not None:
                new = cls.convert_sync_batchnorm(child, process_group)
                if new is not child:
                    module._modules[name] = new  # in place: Sequential's order is this dict's
                    _changed()
        return out
