"""The GPU path: the same computation on "cpu" and on "cuda" (CuPy) gives the same values and
the same gradients.

Run it on a machine with CuPy and a GPU::

    python -m pytest tests/test_cuda.py

Without CuPy, or with CuPy but no visible GPU (``chainrule.cupy_available()`` is False),
the whole module is skipped; it never imports CuPy itself. Every test draws NumPy data,
runs forward and backward once on each device from that data, and compares what comes back
through ``.numpy()``: float64 to about 1e-8, float32 to about 1e-4. Shapes are tiny; most
of the first run's time is CuPy compiling each kernel on first use (cached on disk after).

- ``test_table_row``: every row of the gradient tables (tests/ops/test_grad_table.py and
  tests/nn/test_grad_*.py: elementwise, reductions, shape and indexing, matmul and einsum,
  softmax, activations, losses, conv, pooling, normalization, recurrences, attention),
  gradients taken with ``cr.grad``;
- ops without a gradient, tensor basics (moving, creation, conversion, in-place ops,
  backward across devices), dropout;
- nn modules moved with ``.to("cuda")`` after loading the CPU copy's state_dict, with
  ``.backward()`` into the parameters;
- optimizers (state created on the GPU, and a CPU state_dict resumed on the GPU), a short
  training run, and safetensors save/load of a cuda model.

Recurrent layers on the GPU run the step-by-step composition of ops (the fused kernels
are CPU code), so their rows check that path against the CPU's fused kernels.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.backend import device_of
from tests.gradtable import Case, distinct, make_inputs
from tests.nn import test_grad_conv, test_grad_core, test_grad_rnn
from tests.ops import test_grad_table

if not cr.cupy_available():
    pytest.skip("needs CuPy and a visible GPU (chainrule.cupy_available() is False)",
                allow_module_level=True)

F64 = {"rtol": 1e-8, "atol": 1e-10}
F32 = {"rtol": 1e-4, "atol": 1e-5}


def tol(dtype) -> dict:
    return F64 if np.dtype(dtype) == np.float64 else F32


def flat(out) -> list:
    """The tensors of a (nested) output, in order: LSTM gives (y, (h, c))."""
    if isinstance(out, cr.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in flat(o)]
    assert out is None, f"unexpected output of type {type(out).__name__}"
    return []


def assert_same(gpu, cpu, what: str) -> None:
    """``gpu`` lives on cuda, has ``cpu``'s dtype and shape, and equals it within tolerance."""
    assert isinstance(gpu, cr.Tensor) and isinstance(cpu, cr.Tensor), what
    assert gpu.device == "cuda", f"{what}: is on {gpu.device!r}, expected 'cuda'"
    assert gpu.dtype == cpu.dtype, f"{what}: dtype {gpu.dtype} on cuda, {cpu.dtype} on cpu"
    assert gpu.shape == cpu.shape, f"{what}: shape {gpu.shape} on cuda, {cpu.shape} on cpu"
    a, b = gpu.numpy(), cpu.numpy()
    assert isinstance(a, np.ndarray), f"{what}: .numpy() gave {type(a).__name__}"
    if cpu.dtype.kind == "f":
        np.testing.assert_allclose(a, b, err_msg=what, **tol(cpu.dtype))
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def assert_grads(gpu_grads, cpu_grads, names) -> None:
    for g, c, name in zip(gpu_grads, cpu_grads, names):
        assert (g is None) == (c is None), f"grad of {name}: {g!r} on cuda, {c!r} on cpu"
        if c is not None:
            assert_same(g, c, f"grad of {name}")


# -- the gradient tables on both devices ----------------------------------------------------


TABLES = {
    "ops": test_grad_table.CASES,
    "nn": test_grad_core.CASES + test_grad_core.TORCH_ONLY,
    "conv": test_grad_conv.CASES,
    "rnn": test_grad_rnn.RNN_CASES,
    "attn": test_grad_rnn.ATTN_CASES,
}
_ROWS = [(table, case) for table, cases in TABLES.items() for case in cases]
TABLE_PARAMS = [pytest.param(c, id=f"{t}-{c}") for t, c in _ROWS]


def _cuda_constants(mp) -> None:
    """Make the constants that table rows build when called (class targets and weights, the
    condition of ``where``) on cuda while the cuda side runs, as a user's code would: a CPU
    constant in a cuda op is not what these rows test."""
    mp.setattr(test_grad_core, "_t", lambda a: cr.tensor(a, device="cuda"))
    alternating = test_grad_table._alternating
    mp.setattr(test_grad_table, "_alternating",
               lambda shape: cr.tensor(alternating(shape), device="cuda"))


def _run_case(case: Case, device: str, arrays, which, seeds):
    """Forward and backward of one table row on ``device``: (outputs, gradients, seeds)."""
    with pytest.MonkeyPatch.context() as mp:
        if device == "cuda":
            _cuda_constants(mp)
        xs = [cr.tensor(a, dtype="float64", requires_grad=i in which, device=device)
              for i, a in enumerate(arrays)]
        ys = flat(case.fn(*xs))
    if seeds is None:
        rng = np.random.default_rng(1)
        seeds = [rng.standard_normal(y.shape) for y in ys]
    gys = [cr.tensor(s, dtype=y.dtype, device=device) for s, y in zip(seeds, ys)]
    grads = cr.grad(ys, [x for x in xs if x.requires_grad], gys, allow_unused=True)
    return ys, grads, seeds


def test_table_ids_are_distinct():
    ids = [p.id for p in TABLE_PARAMS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("case", TABLE_PARAMS)
def test_table_row(case):
    """One row of the gradient tables: float64 outputs and gradients on cuda equal the CPU's."""
    arrays, which = make_inputs(case)
    ys_c, gs_c, seeds = _run_case(case, "cpu", arrays, which, None)
    ys_g, gs_g, _ = _run_case(case, "cuda", arrays, which, seeds)
    assert len(ys_g) == len(ys_c)
    for i, (g, c) in enumerate(zip(ys_g, ys_c)):
        assert_same(g, c, f"{case}: output {i}")
    assert_grads(gs_g, gs_c, [f"{case}: input {i}" for i in sorted(which)])


# -- ops without a gradient -----------------------------------------------------------------


def _with_nan(rng, shape):
    a = rng.standard_normal(shape)
    a[0, 1] = np.nan
    a[1, 0] = np.inf
    return a


# (name, fn, number of inputs, sample)
NO_GRAD = [
    ("less", lambda a, b: a < b, 2, distinct),
    ("less_equal_scalar", lambda a: a <= 0.3, 1, distinct),
    ("greater", lambda a, b: a > b, 2, distinct),
    ("greater_equal", lambda a, b: a >= b, 2, distinct),
    ("equal", lambda a, b: cr.equal(a, a * 1.0) & ~cr.equal(a, b), 2, distinct),
    ("not_equal", lambda a, b: a != b, 2, distinct),
    ("logical_and_or", lambda a, b: cr.logical_and(a > 0, b > 0) | (a > 1), 2, distinct),
    ("logical_not", lambda a: ~(a > 0), 1, distinct),
    ("isnan", cr.isnan, 1, _with_nan),
    ("isfinite", cr.isfinite, 1, _with_nan),
    ("sign", cr.sign, 1, distinct),
    ("any_axis", lambda a: cr.any(a > 0.5, axis=1), 1, distinct),
    ("all_keepdims", lambda a: cr.all(a > -0.5, axis=0, keepdims=True), 1, distinct),
    ("argmax", cr.argmax, 1, distinct),
    ("argmax_axis", lambda a: cr.argmax(a, axis=1), 1, distinct),
    ("argmin_keepdims", lambda a: cr.argmin(a, axis=0, keepdims=True), 1, distinct),
    ("one_hot", lambda a: cr.one_hot(cr.argmax(a, axis=1), 5), 1, distinct),
    ("astype_int", lambda a: (a * 10).astype("int64"), 1, distinct),
    ("sum_bool", lambda a: (a > 0).sum(axis=0), 1, distinct),
]


@pytest.mark.parametrize("name, fn, n, sample", NO_GRAD, ids=[r[0] for r in NO_GRAD])
def test_no_grad_op(name, fn, n, sample):
    rng = np.random.default_rng(0)
    arrays = [sample(rng, (3, 4)) for _ in range(n)]
    cpu = fn(*[cr.tensor(a) for a in arrays])
    gpu = fn(*[cr.tensor(a, device="cuda") for a in arrays])
    assert_same(gpu, cpu, name)


# -- tensor basics -----------------------------------------------------------------------------

DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_to_cuda_and_back(dtype):
    import cupy

    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    t = cr.tensor(a)
    g = t.to("cuda")
    assert g.device == "cuda" and isinstance(g.array, cupy.ndarray)
    assert g.dtype == a.dtype and g.shape == a.shape
    assert g.to("cuda") is g  # already there: no copy
    assert t.cuda().device == "cuda" and t.to("cuda:0").device == "cuda"
    back = g.numpy()
    assert isinstance(back, np.ndarray) and back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)
    for c in (g.cpu(), g.to("cpu")):
        assert c.device == "cpu" and isinstance(c.array, np.ndarray)
        np.testing.assert_array_equal(c.numpy(), a)
    np.testing.assert_array_equal(np.asarray(g), a)  # __array__ copies off the GPU
    assert g.tolist() == a.tolist()


def test_to_device_and_dtype_together():
    t = cr.tensor(np.ones((2, 3), np.float32))
    g = t.to("cuda", "float64")
    assert g.device == "cuda" and g.dtype == np.float64
    g2 = t.to("float64").to("cuda")
    assert_same(g2, t.to("float64"), "to(float64).to(cuda)")


def test_scalars_and_repr():
    s = cr.tensor(2.5, device="cuda")
    assert s.device == "cuda"
    assert s.item() == 2.5 and float(s) == 2.5
    assert int(cr.tensor(3, device="cuda")) == 3
    assert bool(cr.tensor(True, device="cuda")) is True
    assert "device='cuda'" in repr(cr.tensor([1.0, 2.0], device="cuda"))
    assert float((cr.tensor([1.0, 2.0], device="cuda") * 2).sum()) == 6.0


CREATION = [
    ("tensor", lambda d: cr.tensor([[1.0, 2.0], [3.0, 4.0]], device=d)),
    ("tensor_int", lambda d: cr.tensor([1, 2, 3], device=d)),
    ("zeros", lambda d: cr.zeros(2, 3, device=d)),
    ("ones_float64", lambda d: cr.ones((2, 3), dtype="float64", device=d)),
    ("full", lambda d: cr.full((2, 2), 7.5, device=d)),
    ("empty_shape", lambda d: cr.empty(2, 3, device=d) * 0),
    ("zeros_requires_grad", lambda d: cr.zeros(3, requires_grad=True, device=d)),
    ("zeros_like", lambda d: cr.zeros_like(cr.ones(2, 3, device=d))),
    ("ones_like_dtype", lambda d: cr.ones_like(cr.ones(2, 3, device=d), dtype="float64")),
    ("full_like", lambda d: cr.full_like(cr.ones(2, 3, device=d), -1.5)),
    ("arange", lambda d: cr.arange(2, 9, 3, device=d)),
    ("linspace", lambda d: cr.linspace(0.0, 1.0, 5, device=d)),
    ("eye", lambda d: cr.eye(3, 2, device=d)),
]


@pytest.mark.parametrize("name, make", CREATION, ids=[c[0] for c in CREATION])
def test_creation_with_device(name, make):
    cpu, gpu = make("cpu"), make("cuda")
    assert_same(gpu, cpu, name)
    assert gpu.requires_grad == cpu.requires_grad


def test_seeded_random_on_cuda():
    """Random numbers are drawn on the host from the seeded generator and then moved, so a
    seed gives the same cuda tensor as CPU tensor."""
    def draw(device):
        cr.manual_seed(123)
        return [cr.randn(3, 4, device=device), cr.rand(2, 5, dtype="float64", device=device),
                cr.randint(0, 9, (4,), device=device), cr.randperm(5, device=device)]

    for i, (g, c) in enumerate(zip(draw("cuda"), draw("cpu"))):
        assert_same(g, c, f"random tensor {i}")


@pytest.mark.parametrize("fn", [cr.rand_like, cr.randn_like], ids=["rand_like", "randn_like"])
def test_random_like_keeps_device(fn):
    assert fn(cr.ones(2, 3, device="cuda"), generator=0).device == "cuda"


def test_backward_across_devices():
    """ToDevice is differentiable: the gradient goes back to the device the leaf is on."""
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    x = cr.tensor(a, requires_grad=True)  # CPU leaf, computed on cuda
    y = (x.to("cuda") ** 2).sum()
    assert y.device == "cuda"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * a)
    z = cr.tensor(a, requires_grad=True, device="cuda")  # cuda leaf, computed on the CPU
    (z.cpu() * 3.0).sum().backward()
    assert z.grad.device == "cuda"
    np.testing.assert_allclose(z.grad.numpy(), np.full_like(a, 3.0))


def test_gradients_accumulate_on_cuda():
    x = cr.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, device="cuda")
    for _ in range(2):
        (x * x).sum().backward()
    assert x.grad.device == "cuda"
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]))
    (g,) = cr.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = cr.grad(g.sum(), x)  # second derivative: 6x
    assert gg.device == "cuda"
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([1.0, 2.0, 3.0]))


def test_inplace_ops():
    def run(device):
        t = cr.zeros(2, 3, dtype="float64", device=device)
        t.add_(1.5)
        t.mul_(2.0)
        t.sub_(cr.ones(2, 3, dtype="float64", device=device), alpha=0.5)
        t.div_(2.0)
        t[0, 1] = 9.0
        t[1] = cr.tensor([4.0, -4.0, 0.25], dtype="float64", device=device)
        t.clamp_(-1.0, 5.0)
        u = cr.empty(2, 3, dtype="float64", device=device)
        u.copy_(t * 2.0)
        u.copy_(cr.tensor([1.0, 2.0, 3.0], dtype="float64"))  # from the CPU, broadcast
        v = cr.zeros(2, dtype="float64", device=device)
        v.fill_(0.5)
        return t, u, v

    for name, g, c in zip("tuv", run("cuda"), run("cpu")):
        assert_same(g, c, f"in-place result {name}")


def test_dropout():
    a = np.random.default_rng(0).standard_normal((4, 5))
    outs = {}
    for device in ("cpu", "cuda"):
        x = cr.tensor(a, requires_grad=True, device=device)
        y = F.dropout(x, 0.4, generator=cr.Generator(3))  # the mask is drawn on the host
        y.backward(cr.ones(4, 5, dtype="float64", device=device))
        outs[device] = y, x.grad
        assert F.dropout(x, 0.4, training=False) is x
    assert_same(outs["cuda"][0], outs["cpu"][0], "dropout output")
    assert_same(outs["cuda"][1], outs["cpu"][1], "dropout gradient")
    x = cr.tensor(a, device="cuda")
    d = nn.Dropout(0.5, generator=1)
    y = d(x)
    assert y.device == "cuda" and y.shape == x.shape
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 2 * a[kept])
    d.eval()
    assert_same(d(x), cr.tensor(a), "dropout in eval mode")


# -- nn modules -------------------------------------------------------------------------------

T, N, I, H = 4, 2, 3, 5


def mod(name, make, *inputs, call=None, sample=None):
    """A module case: ``make(dtype)`` builds the module; each input is ``(shape)`` for a
    float input or ``(shape, high)`` for integer indices in [0, high); ``call(m, *xs)``
    runs it (default ``m(*xs)``)."""
    return pytest.param(make, inputs, call or (lambda m, *xs: m(*xs)), sample, id=name)


def _cnn(dt):
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, dtype=dt), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 2 * 2, 2, dtype=dt))


def _lstm_with_state(m, x, h, c):
    return m(x, (h, c))


MODULES = [
    mod("linear", lambda dt: nn.Linear(4, 3, dtype=dt), (5, 4)),
    mod("linear_one_sample", lambda dt: nn.Linear(4, 3, dtype=dt), (1, 4)),
    mod("linear_3d_nobias", lambda dt: nn.Linear(4, 3, bias=False, dtype=dt), (2, 3, 4)),
    mod("bilinear", lambda dt: nn.Bilinear(2, 3, 4, dtype=dt), (5, 2), (5, 3)),
    mod("conv2d", lambda dt: nn.Conv2d(2, 4, 3, padding=1, dtype=dt), (2, 2, 5, 5)),
    mod("conv2d_stride_groups_nobias",
        lambda dt: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, bias=False, dtype=dt),
        (2, 4, 6, 5)),
    mod("conv1d", lambda dt: nn.Conv1d(3, 2, 3, dilation=2, dtype=dt), (2, 3, 9)),
    mod("conv_transpose2d", lambda dt: nn.ConvTranspose2d(3, 2, 3, stride=2, dtype=dt),
        (1, 3, 3, 4)),
    mod("maxpool2d", lambda dt: nn.MaxPool2d(2), (2, 3, 4, 6), sample=distinct),
    mod("maxpool2d_overlap", lambda dt: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5),
        sample=distinct),
    mod("maxpool1d", lambda dt: nn.MaxPool1d(2), (2, 3, 8), sample=distinct),
    mod("avgpool2d", lambda dt: nn.AvgPool2d(2), (2, 3, 4, 4)),
    mod("avgpool2d_pad_nocount",
        lambda dt: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (1, 2, 5, 5)),
    mod("adaptive_avgpool2d", lambda dt: nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    mod("batchnorm1d", lambda dt: nn.BatchNorm1d(3, dtype=dt), (6, 3)),
    mod("batchnorm1d_3d", lambda dt: nn.BatchNorm1d(3, dtype=dt), (4, 3, 5)),
    mod("batchnorm2d", lambda dt: nn.BatchNorm2d(3, dtype=dt), (4, 3, 2, 2)),
    mod("layernorm", lambda dt: nn.LayerNorm(5, dtype=dt), (2, 3, 5)),
    mod("layernorm_2d", lambda dt: nn.LayerNorm((3, 5), dtype=dt), (2, 3, 5)),
    mod("embedding", lambda dt: nn.Embedding(7, 3, padding_idx=0, dtype=dt), ((2, 4), 7)),
    mod("cnn", _cnn, (2, 1, 4, 4)),
    mod("mlp", lambda dt: nn.Sequential(nn.Linear(4, 8, dtype=dt), nn.Tanh(),
                                        nn.Linear(8, 3, dtype=dt), nn.LogSoftmax(dim=1)),
        (5, 4)),
    mod("multihead_attention", lambda dt: nn.MultiheadAttention(4, 2, batch_first=True,
                                                                dtype=dt),
        (2, 3, 4), call=lambda m, x: m(x, x, x)),
    mod("transformer_encoder_layer",
        lambda dt: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0,
                                              batch_first=True, dtype=dt), (2, 3, 4)),
    mod("rnn_tanh", lambda dt: nn.RNN(I, H, dtype=dt), (T, N, I)),
    mod("rnn_relu_batch_first", lambda dt: nn.RNN(I, H, nonlinearity="relu", batch_first=True,
                                                  dtype=dt), (N, T, I)),
    mod("rnn_2layer_bidir", lambda dt: nn.RNN(I, H, num_layers=2, bidirectional=True, dtype=dt),
        (T, N, I)),
    mod("lstm", lambda dt: nn.LSTM(I, H, dtype=dt), (T, N, I)),
    mod("lstm_batch_first", lambda dt: nn.LSTM(I, H, batch_first=True, dtype=dt), (N, T, I)),
    mod("lstm_2layer_bidir_state",
        lambda dt: nn.LSTM(I, H, num_layers=2, bidirectional=True, dtype=dt),
        (T, N, I), (4, N, H), (4, N, H), call=_lstm_with_state),
    mod("lstm_batch_first_bidir_nobias",
        lambda dt: nn.LSTM(I, H, batch_first=True, bidirectional=True, bias=False, dtype=dt),
        (N, T, I)),
    mod("gru", lambda dt: nn.GRU(I, H, dtype=dt), (T, N, I)),
    mod("gru_batch_first_2layer_state",
        lambda dt: nn.GRU(I, H, num_layers=2, batch_first=True, dtype=dt), (N, T, I), (2, N, H)),
    mod("gru_bidir_unbatched", lambda dt: nn.GRU(I, H, bidirectional=True, dtype=dt), (T, I)),
    mod("rnn_cell", lambda dt: nn.RNNCell(I, H, dtype=dt), (N, I), (N, H)),
    mod("lstm_cell", lambda dt: nn.LSTMCell(I, H, dtype=dt), (N, I), (N, H), (N, H),
        call=_lstm_with_state),
    mod("gru_cell", lambda dt: nn.GRUCell(I, H, dtype=dt), (N, I)),
]


def _module_inputs(inputs, sample, dtype):
    rng = np.random.default_rng(0)
    arrays = []
    for spec in inputs:
        if isinstance(spec[0], tuple):  # (shape, high): integer indices
            arrays.append(rng.integers(0, spec[1], spec[0]))
        else:
            arrays.append((sample or (lambda r, s: r.standard_normal(s)))(rng, spec)
                          .astype(dtype))
    return arrays


def _device_tensors(arrays, device):
    return [cr.tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in arrays]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("make, inputs, call, sample", MODULES)
def test_module(make, inputs, call, sample, dtype):
    """A module moved with .to("cuda") and given the CPU copy's state_dict: the outputs, the
    gradients of the inputs and of every parameter, and the buffers (BatchNorm's running
    statistics) equal the CPU's, in training and then in eval mode under no_grad."""
    cpu = make(dtype)
    gpu = make(dtype).to("cuda")
    gpu.load_state_dict(cpu.state_dict())
    for name, t in [*gpu.named_parameters(), *gpu.named_buffers()]:
        assert t.device == "cuda", f"{name} is on {t.device} after .to('cuda')"
    arrays = _module_inputs(inputs, sample, dtype)
    rng = np.random.default_rng(1)
    res, seeds = {}, None
    for device, m in (("cpu", cpu), ("cuda", gpu)):
        xs = _device_tensors(arrays, device)
        ys = flat(call(m, *xs))
        if seeds is None:
            seeds = [rng.standard_normal(y.shape) for y in ys]
        cr.backward(ys, [cr.tensor(s, dtype=y.dtype, device=device) for s, y in zip(seeds, ys)])
        res[device] = ys, [x.grad for x in xs]
    for i, (g, c) in enumerate(zip(*[res[d][0] for d in ("cuda", "cpu")])):
        assert_same(g, c, f"output {i}")
    assert_grads(res["cuda"][1], res["cpu"][1], [f"input {i}" for i in range(len(arrays))])
    cpu_params = dict(cpu.named_parameters())
    for name, p in gpu.named_parameters():
        assert_grads([p.grad], [cpu_params[name].grad], [name])
    cpu_buffers = dict(cpu.named_buffers())
    for name, b in gpu.named_buffers():
        assert_same(b, cpu_buffers[name], f"buffer {name}")
    cpu.eval()
    gpu.eval()
    with cr.no_grad():
        outs = [flat(call(m, *[cr.tensor(a, device=d) for a in arrays]))
                for m, d in ((gpu, "cuda"), (cpu, "cpu"))]
    for i, (g, c) in enumerate(zip(*outs)):
        assert_same(g, c, f"eval output {i}")


# -- optimizers and training ------------------------------------------------------------------


def _mlp(dtype="float64"):
    return nn.Sequential(nn.Linear(6, 16, dtype=dtype), nn.ReLU(), nn.Linear(16, 16, dtype=dtype),
                         nn.Tanh(), nn.Linear(16, 3, dtype=dtype))


def _pair(make):
    """A model on the CPU and a copy of it on cuda."""
    cpu = make()
    gpu = make().to("cuda")
    gpu.load_state_dict(cpu.state_dict())
    return cpu, gpu


def _data(dtype="float64", n=12):
    rng = np.random.default_rng(5)
    return rng.standard_normal((n, 6)).astype(dtype), rng.integers(0, 3, n)


def _step(model, opt, X, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    return loss


OPTIMIZERS = {
    "sgd_momentum": lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_nesterov_wd": lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                               weight_decay=1e-2),
    "adam": lambda ps: cr.optim.Adam(ps, lr=1e-2),
    "adam_amsgrad_wd": lambda ps: cr.optim.Adam(ps, lr=1e-2, amsgrad=True, weight_decay=1e-2),
    "adamw": lambda ps: cr.optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
    "rmsprop_centered_momentum": lambda ps: cr.optim.RMSprop(ps, lr=1e-2, momentum=0.5,
                                                             centered=True),
    "adagrad": lambda ps: cr.optim.Adagrad(ps, lr=0.1),
    "adadelta": lambda ps: cr.optim.Adadelta(ps),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer(name):
    """Three steps on cuda give the CPU's parameters, and the state lives on the GPU."""
    cpu, gpu = _pair(_mlp)
    X, y = _data()
    opts = OPTIMIZERS[name](cpu.parameters()), OPTIMIZERS[name](gpu.parameters())
    Xg, yg = cr.tensor(X, device="cuda"), cr.tensor(y, device="cuda")
    for step in range(3):
        lc = _step(cpu, opts[0], cr.tensor(X), cr.tensor(y))
        lg = _step(gpu, opts[1], Xg, yg)
        assert_same(lg, lc, f"loss at step {step}")
        for (pname, pg), pc in zip(gpu.named_parameters(), cpu.parameters()):
            assert_same(pg, pc, f"{pname} after step {step}")
    for p in gpu.parameters():
        for key, v in opts[1].state[p].items():
            if hasattr(v, "shape"):
                assert device_of(v) == "cuda", f"optimizer state {key!r} is on {device_of(v)}"


def test_clip_grad_norm():
    cpu, gpu = _pair(_mlp)
    X, y = _data()
    norms = []
    for m, d in ((cpu, "cpu"), (gpu, "cuda")):
        F.cross_entropy(m(cr.tensor(X, device=d)), cr.tensor(y, device=d)).backward()
        norms.append(float(nn.utils.clip_grad_norm_(m.parameters(), 0.1)))
    np.testing.assert_allclose(norms[1], norms[0], **F64)
    for (pname, pg), pc in zip(gpu.named_parameters(), cpu.parameters()):
        assert_same(pg.grad, pc.grad, f"clipped grad of {pname}")


def test_optimizer_state_resumes_on_cuda():
    """A CPU optimizer's state_dict loaded into the optimizer of a cuda copy of the model:
    the state moves to the GPU and the next steps match the CPU's."""
    cpu, gpu = _pair(_mlp)
    X, y = _data()
    opt_c = cr.optim.Adam(cpu.parameters(), lr=1e-2)
    for _ in range(2):
        _step(cpu, opt_c, cr.tensor(X), cr.tensor(y))
    gpu.load_state_dict(cpu.state_dict())
    opt_g = cr.optim.Adam(gpu.parameters(), lr=1e-2)
    opt_g.load_state_dict(opt_c.state_dict())
    for p in gpu.parameters():
        for key, v in opt_g.state[p].items():
            if hasattr(v, "shape"):
                assert device_of(v) == "cuda", f"loaded state {key!r} is on {device_of(v)}"
    for step in range(2):
        _step(cpu, opt_c, cr.tensor(X), cr.tensor(y))
        _step(gpu, opt_g, cr.tensor(X, device="cuda"), cr.tensor(y, device="cuda"))
        for (pname, pg), pc in zip(gpu.named_parameters(), cpu.parameters()):
            assert_same(pg, pc, f"{pname} after resumed step {step}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_training_curve(dtype):
    """An MLP trained a few steps with Adam: the same loss curve and weights on cuda."""
    cpu, gpu = _pair(lambda: _mlp(dtype))
    X, y = _data(dtype, n=32)
    curves = {}
    for m, d in ((cpu, "cpu"), (gpu, "cuda")):
        opt = cr.optim.Adam(m.parameters(), lr=1e-2)
        Xd, yd = cr.tensor(X, device=d), cr.tensor(y, device=d)
        curves[d] = [_step(m, opt, Xd, yd).item() for _ in range(8)]
    np.testing.assert_allclose(curves["cuda"], curves["cpu"], **tol(dtype))
    assert curves["cpu"][-1] < curves["cpu"][0]
    for (pname, pg), pc in zip(gpu.named_parameters(), cpu.parameters()):
        assert_same(pg, pc, f"{pname} after training")


# -- saving and loading -----------------------------------------------------------------------


def _bn_mlp():
    return nn.Sequential(nn.Linear(6, 8, dtype="float64"), nn.BatchNorm1d(8, dtype="float64"),
                         nn.ReLU(), nn.Linear(8, 3, dtype="float64"))


def test_safetensors_round_trip(tmp_path):
    """A cuda model's state_dict (parameters, float and int64 buffers) saved as safetensors
    loads back equal, and into another cuda model, which then computes the same."""
    model = _bn_mlp().to("cuda")
    X, y = _data()
    Xg = cr.tensor(X, device="cuda")
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    _step(model, opt, Xg, cr.tensor(y, device="cuda"))  # running statistics move too
    path = tmp_path / "model.safetensors"
    state = model.state_dict()
    cr.save(state, path)
    loaded = cr.load(path)
    assert sorted(loaded) == sorted(state)
    for k, t in state.items():
        assert loaded[k].dtype == t.dtype, k
        np.testing.assert_array_equal(loaded[k].numpy(), t.numpy(), err_msg=k)
    other = _bn_mlp().to("cuda")
    other.load_state_dict(loaded)
    for k, t in other.state_dict().items():
        assert t.device == "cuda", f"{k} left the GPU when loading"
        np.testing.assert_array_equal(t.numpy(), state[k].numpy(), err_msg=k)
    model.eval()
    other.eval()
    with cr.no_grad():
        np.testing.assert_array_equal(other(Xg).numpy(), model(Xg).numpy())
    opt_path = tmp_path / "optimizer.safetensors"
    cr.save(opt.state_dict(), opt_path)
    saved = opt.state_dict()["state"]
    back = cr.load(opt_path)["state"]
    for i, st in saved.items():
        for key, v in st.items():
            got = back[i][key]
            if isinstance(v, cr.Tensor):
                np.testing.assert_array_equal(got.numpy(), v.numpy(), err_msg=f"{i}.{key}")
            else:
                assert got == v, f"{i}.{key}"
