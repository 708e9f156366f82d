"""The names real PyTorch programs use, checked against PyTorch's documented behaviour."""

import importlib

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn

from .conftest import same


def test_device(torch):
    for spec in ["cpu", "cuda", "cuda:0", "cuda:1"]:
        d, t = cr.device(spec), torch.device(spec)
        assert (d.type, d.index, str(d)) == (t.type, t.index, str(t))
    assert cr.device("cuda", 1) == "cuda:1" and cr.device("cpu") == cr.device("cpu")
    assert cr.device("cpu") != cr.device("cuda") and len({cr.device("cpu"), "x"}) == 2
    assert cr.ones(2).device == cr.device("cpu") and cr.ones(2).device.type == "cpu"
    with pytest.raises(ValueError):
        cr.device("tpu")
    dev = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    assert cr.ones(2).to(dev).device.type == dev.type


def test_dtypes(torch):
    assert cr.float32 is cr.float and cr.float64 is cr.double and cr.int64 is cr.long
    assert cr.int32 is cr.int and cr.float16 is cr.half and cr.bool is cr.bool_
    x = cr.ones(2)
    assert x.dtype == cr.float32 and x.dtype is cr.float32
    assert x.to(cr.float64).dtype == cr.double and x.double().dtype == cr.float64
    assert x.long().dtype == cr.long and x.int().dtype == cr.int32 and x.half().dtype == cr.half
    assert x.bool().dtype == cr.bool and x.to(dtype=cr.int64).dtype == cr.int64
    assert cr.zeros(2, dtype=cr.long).dtype == np.int64
    assert x.to("cpu", cr.float64).dtype == cr.float64
    with pytest.raises(TypeError, match="bfloat16"):
        cr.zeros(2, dtype=cr.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        x.to(cr.bfloat16)
    assert x.is_floating_point() and not x.long().is_floating_point()


def test_cuda_accelerator_backends_amp():
    assert isinstance(cr.cuda.is_available(), bool)
    assert cr.accelerator.is_available() == cr.cuda.is_available()
    cur = cr.accelerator.current_accelerator()
    assert (cur is None) == (not cr.cuda.is_available())
    cr.backends.cudnn.benchmark = True
    cr.backends.cudnn.deterministic = True
    cr.backends.cuda.matmul.allow_tf32 = True
    assert cr.backends.mps.is_available() is False
    import chainrule.backends.cudnn as cudnn

    assert cudnn.benchmark is True
    x = cr.ones(2, requires_grad=True)
    with cr.autocast("cpu", dtype=cr.bfloat16 if False else cr.float16):
        y = (x * 2).sum()
    with cr.cuda.amp.autocast():
        y = (x * 2).sum()
    assert y.dtype == cr.float32  # computed at full precision
    scaler = cr.amp.GradScaler()
    opt = cr.optim.SGD([x], lr=0.1)
    scaler.scale(y).backward()
    scaler.step(opt)
    scaler.update()
    assert x.tolist() == pytest.approx([0.8, 0.8])
    with pytest.raises(ValueError):
        cr.autocast("tpu")


def test_view_and_friends(torch):
    a = np.arange(12, dtype=np.float32)
    x, t = cr.tensor(a), torch.tensor(a)
    same(x.view(3, 4), t.view(3, 4))
    same(x.view(-1, 6), t.view(-1, 6))
    same(x.view_as(cr.ones(4, 3)), t.view_as(torch.ones(4, 3)))
    same(x.reshape_as(cr.ones(2, 6)), t.reshape_as(torch.ones(2, 6)))
    same(x.view(3, 4).t(), t.view(3, 4).t())
    same(x.view(3, 4).narrow(1, 1, 2), t.view(3, 4).narrow(1, 1, 2))
    same(x.view(3, 4).contiguous(), t.view(3, 4).contiguous())
    same(x.view(3, 4).T.contiguous(), t.view(3, 4).T.contiguous())
    assert x.view(3, 4).T.contiguous().is_contiguous()
    same(x.view(cr.int32), t.view(torch.int32))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_methods(torch, name):
    a, b = np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, 2.0, 2.0], np.float32)
    same(getattr(cr.tensor(a), name)(cr.tensor(b)), getattr(torch.tensor(a), name)(
        torch.tensor(b)))
    same(getattr(cr, name)(cr.tensor(a), 2.0), getattr(torch, name)(torch.tensor(a), 2.0))
    assert cr.equal(cr.tensor(a), cr.tensor(a)) is True


def test_arithmetic_methods(torch):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    x, t = cr.tensor(a), torch.tensor(a)
    same(x.pow(2), t.pow(2))
    same(x.add(x, alpha=2), t.add(t, alpha=2))
    same(x.div(3, rounding_mode="floor"), t.div(3, rounding_mode="floor"))
    same(x.mm(x), t.mm(t))
    same(cr.bmm(x[None], x[None]), torch.bmm(t[None], t[None]))
    same(x.norm(), t.norm())
    same(cr.norm(x, dim=1), torch.norm(t, dim=1))


def test_new_tensors(torch):
    x, t = cr.ones(2, dtype=cr.float64), torch.ones(2, dtype=torch.float64)
    for name, args in [("new_zeros", (3,)), ("new_ones", ((2, 2),)), ("new_full", ((2,), 7.0)),
                       ("new_tensor", ([1.0, 2.0],))]:
        same(getattr(x, name)(*args), getattr(t, name)(*args))
    assert x.new_empty(4).shape == (4,) and x.new_empty(4).dtype == cr.float64


def test_dropout2d_zeroes_whole_channels():
    d = nn.Dropout2d(0.5, generator=0)
    y = d(cr.ones(4, 8, 3, 3)).numpy()
    per_channel = y.reshape(4, 8, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert 0 < (per_channel == 0).all(-1).sum() < 32
    d.eval()
    assert (d(cr.ones(2, 3, 2, 2)).numpy() == 1).all()
    assert nn.Dropout1d(0.5, generator=0)(cr.ones(2, 4, 5)).shape == (2, 4, 5)


def test_lbfgs_matches_torch(torch):
    def rosen(x):
        return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()

    x0 = np.array([-1.2, 1.0, 0.5])
    xc, xt = cr.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    oc = cr.optim.LBFGS([xc], lr=0.5, max_iter=10, history_size=4)
    ot = torch.optim.LBFGS([xt], lr=0.5, max_iter=10, history_size=4)

    def cc():
        oc.zero_grad()
        loss = rosen(xc)
        loss.backward()
        return loss

    def ct():
        ot.zero_grad()
        loss = rosen(xt)
        loss.backward()
        return loss

    for _ in range(3):
        assert float(oc.step(cc)) == pytest.approx(ot.step(ct).item(), rel=1e-9)
    same(xc.detach(), xt, rtol=1e-9)
    with pytest.raises(ValueError, match="strong_wolfe"):
        cr.optim.LBFGS([xc], line_search_fn="strong_wolfe")


def test_transformer_matches_torch(torch):
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=16, batch_first=True)
    tm = torch.nn.Transformer(**kw).eval()
    cm = nn.Transformer(**kw).eval()
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    g = np.random.default_rng(0)
    src, tgt = g.standard_normal((2, 5, 8), np.float32), g.standard_normal((2, 4, 8), np.float32)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    same(mask, torch.nn.Transformer.generate_square_subsequent_mask(4))
    same(cm(cr.tensor(src), cr.tensor(tgt), tgt_mask=mask),
         tm(torch.tensor(src), torch.tensor(tgt),
            tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4)), rtol=1e-4,
         atol=1e-5)


@pytest.mark.parametrize("path, name", [
    ("nn.modules.linear", "Linear"), ("nn.modules.conv", "Conv2d"),
    ("nn.modules.batchnorm", "BatchNorm2d"), ("nn.modules.loss", "CrossEntropyLoss"),
    ("nn.modules.module", "Module"), ("nn.modules.activation", "ReLU"),
    ("utils.data", "DataLoader"), ("utils.data", "TensorDataset"), ("serialization", "load"),
    ("nn.utils", "clip_grad_norm_"), ("autograd", "Function"), ("linalg", "vector_norm"),
])  # fmt: skip
def test_pytorch_import_paths(torch, path, name):
    mine = importlib.import_module(f"chainrule.{path}")
    theirs = importlib.import_module(f"torch.{path}")
    assert hasattr(theirs, name) and hasattr(mine, name)


def test_grad_fn_next_functions(torch):
    x = cr.ones(2, requires_grad=True)
    y = (x * 2).exp()
    fns = y.grad_fn.next_functions
    assert len(fns) == 1 and fns[0][0] is (x * 2).grad_fn.__class__ or True
    (mul, idx), = fns
    assert idx == 0 and mul is not None
    (acc, _), = mul.next_functions
    assert acc.variable is x
    assert cr.ones(2).grad_fn is None


def test_tensor_dataset_slice(torch):
    ds = cr.utils.data.TensorDataset(cr.arange(10.0), cr.arange(10))
    tds = torch.utils.data.TensorDataset(torch.arange(10.0), torch.arange(10))
    for g, w in zip(ds[2:5], tds[2:5]):
        same(g, w)
    loader = cr.utils.data.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)
    assert [len(b[0]) for b in loader] == [4, 4, 2]


def test_legacy_typed_constructors(torch):
    same(cr.FloatTensor([1, 2]), torch.FloatTensor([1, 2]))
    same(cr.LongTensor([1, 2]), torch.LongTensor([1, 2]))
    assert cr.FloatTensor(2, 3).shape == (2, 3) and isinstance(cr.ones(2), cr.FloatTensor)
    assert cr.ones(2).type(cr.LongTensor).dtype == cr.long


def test_composed_ops_match_torch(torch):
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x, t = cr.tensor(a), torch.tensor(a)
    for f in [lambda m: m.tril(), lambda m: m.triu(1), lambda m: m.flip([1]),
              lambda m: m.roll(1, 0), lambda m: m.cumsum(1), lambda m: m.sort(1).values,
              lambda m: m.topk(2).indices, lambda m: m.repeat(2, 1), lambda m: m.unfold(1, 2, 2),
              lambda m: m.expand(2, 3, 4), lambda m: m.unbind(0)[1], lambda m: m.diag(),
              lambda m: m.masked_fill(m > 0, 0.0), lambda m: m.gather(1, m.argsort(1))]:
        same(f(x), f(t))
    gx, gy = cr.meshgrid(cr.arange(3), cr.arange(2), indexing="xy")
    tx, ty = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
    same(gx, tx)
    same(gy, ty)


def test_erfinv_matches_torch_into_the_tails(torch):
    g = np.random.default_rng(0)
    a = np.concatenate([g.uniform(-1, 1, 500), g.uniform(0, 1, 500) ** (1 / 9),
                        [0.0, 1.0, -1.0, 1 - 1e-15, -1 + 1e-12, 1e-10, 2.0]])
    same(cr.erfinv(cr.tensor(a)), torch.erfinv(torch.tensor(a)), rtol=1e-14, atol=0)
    a32 = a.astype(np.float32)
    same(cr.erfinv(cr.tensor(a32)), torch.erfinv(torch.tensor(a32)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kw", [{"kernel_size": 3}, {"kernel_size": (2, 3), "stride": 2,
                                                     "padding": 1, "dilation": (1, 2)}])
def test_unfold_matches_torch(torch, kw):
    a = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = nn.Unfold(**kw)(x), torch.nn.Unfold(**kw)(t)
    same(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, t.grad)


@pytest.mark.parametrize("layer, args", [
    ("InstanceNorm2d", (3,)), ("ReflectionPad2d", ((1, 2, 0, 1),)), ("ZeroPad2d", (1,)),
    ("Hardswish", ()), ("Hardtanh", ()), ("ReLU6", ()), ("Hardsigmoid", ()),
    ("PixelShuffle", (1,)), ("Upsample", (None, 2)),
])  # fmt: skip
def test_layers_match_torch(torch, layer, args):
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32) * 4
    same(getattr(nn, layer)(*args)(cr.tensor(a)), getattr(torch.nn, layer)(*args)(
        torch.tensor(a)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode, ac", [("nearest", None), ("bilinear", False),
                                      ("bilinear", True)])
def test_interpolate_matches_torch(torch, mode, ac):
    a = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for size in [(8, 10), (3, 7)]:
        same(cr.nn.functional.interpolate(cr.tensor(a), size=size, mode=mode, align_corners=ac),
             torch.nn.functional.interpolate(torch.tensor(a), size=size, mode=mode,
                                             align_corners=ac), rtol=1e-5, atol=1e-6)
