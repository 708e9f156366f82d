"""Where NumPy's meaning and PyTorch's conflict, a chainrule Tensor means what PyTorch's
means. Each test is written from PyTorch's documentation and checked against torch."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr

from .conftest import same

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7


def test_size_is_a_method_returning_size(torch):
    x, t = cr.tensor(A), torch.tensor(A)
    assert x.size() == t.size() and isinstance(x.size(), tuple)
    assert isinstance(x.size(), cr.Size) and x.size(-1) == t.size(-1) == 4
    assert x.size()[1:] == cr.Size([3, 4]) and isinstance(x.size()[1:], cr.Size)
    assert x.numel() == t.numel() == 24 and x.size().numel() == 24
    assert x.shape == (2, 3, 4)  # .shape stays
    with pytest.raises(IndexError):
        x.size(3)


@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True},
                                {"correction": 0}, {"unbiased": False}, {"dim": 2,
                                                                          "correction": 2}])
def test_var_and_std_are_unbiased_by_default(torch, kw):
    x, t = cr.tensor(A), torch.tensor(A)
    same(x.var(**kw), t.var(**kw), rtol=1e-5)
    same(cr.std(x, **kw), torch.std(t, **kw), rtol=1e-5)


def test_var_positional_unbiased_flag(torch):
    same(cr.var(cr.tensor(A), False), torch.var(torch.tensor(A), False), rtol=1e-5)
    same(cr.tensor(A).std(1, True, True), torch.tensor(A).std(1, True, True), rtol=1e-5)


def test_transpose_swaps_two_dims(torch):
    a = np.zeros((2, 3, 4, 5), np.float32)
    assert cr.tensor(a).transpose(1, 2).shape == torch.tensor(a).transpose(1, 2).shape
    same(cr.transpose(cr.tensor(A), 0, -1), torch.transpose(torch.tensor(A), 0, -1))
    same(cr.tensor(A).permute(2, 0, 1), torch.tensor(A).permute(2, 0, 1))


@pytest.mark.parametrize("arg, dim", [(2, 0), (3, 2), ([1, 2], 1), ([4], 2), (1, -1)])
def test_split_takes_piece_sizes(torch, arg, dim):
    got = cr.split(cr.tensor(A), arg, dim)
    want = torch.split(torch.tensor(A), arg, dim)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        same(g, w)
    for g, w in zip(cr.tensor(A).split(arg, dim), want):
        same(g, w)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_chunk_and_tensor_split(torch, n):
    for g, w in zip(cr.chunk(cr.tensor(A), n, 2), torch.chunk(torch.tensor(A), n, 2)):
        same(g, w)
    for g, w in zip(cr.tensor_split(cr.tensor(A), n, 2), torch.tensor_split(torch.tensor(A),
                                                                             n, 2)):
        same(g, w)


def test_randint_signatures(torch):
    assert cr.randint(10, (3,)).shape == torch.randint(10, (3,)).shape == (3,)
    x = cr.randint(3, 10, (200,), generator=cr.Generator().manual_seed(0))
    assert x.dtype == cr.int64 and 3 <= x.min().item() and x.max().item() < 10
    assert cr.randint(5, size=(2, 2)).shape == (2, 2)
    assert cr.randint(low=2, high=4, size=(3,)).shape == (3,)


def test_data_is_a_tensor_sharing_memory_without_history(torch):
    p = cr.ones(3, requires_grad=True)
    d = p.data
    assert isinstance(d, cr.Tensor) and not d.requires_grad and d.grad_fn is None
    d.add_(1.0)  # not seen by autograd, as in PyTorch
    assert p.tolist() == [2.0, 2.0, 2.0]
    p.data = cr.zeros(3)
    assert p.tolist() == [0.0, 0.0, 0.0] and p.requires_grad
    y = (p * 2).data
    assert y.grad_fn is None
    assert isinstance(p.numpy(), np.ndarray) and isinstance(p.array, np.ndarray)
    # PyTorch's own spelling of the same: t.data.norm() works
    assert cr.tensor([3.0, 4.0]).data.norm().item() == pytest.approx(5.0)


OPS = ["+=", "-=", "*=", "/=", "//=", "%=", "**="]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("other", [2.0, "tensor"])
def test_augmented_assignment_is_in_place(torch, op, other):
    a = np.array([[1.5, 2.0, 3.0], [4.0, 5.5, 6.0]], np.float32)
    b = np.array([1.5, 2.0, 4.0], np.float32)
    x, t = cr.tensor(a), torch.tensor(a)
    ox, ot = (cr.tensor(b), torch.tensor(b)) if other == "tensor" else (other, other)
    alias_x, alias_t = x, t
    ns = {"x": x, "t": t, "ox": ox, "ot": ot}
    exec(f"x {op} ox\nt {op} ot", ns)
    assert ns["x"] is alias_x and ns["t"] is alias_t
    same(alias_x, alias_t, rtol=1e-6)


def test_integer_augmented_assignment_keeps_dtype_rules(torch):
    x, t = cr.arange(5), torch.arange(5)
    x //= 2
    t //= 2
    same(x, t)
    x |= 4
    t |= 4
    same(x, t)
    with pytest.raises(RuntimeError, match="can't be cast"):
        t += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 1.5
    with pytest.raises(RuntimeError):
        torch.ones(3).__iadd__(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="shape"):
        cr.ones(3).__iadd__(cr.ones(2, 3))


def test_matmul_assignment_rebinds_as_in_torch(torch):
    # Tensor has no __imatmul__ in PyTorch: `a @= b` makes a new tensor.
    a, ta = cr.ones(2, 2), torch.ones(2, 2)
    ra, rta = a, ta
    a @= cr.ones(2, 2) * 2
    ta @= torch.ones(2, 2) * 2
    assert (a is ra) == (ta is rta) and a is not ra
    same(a, ta)


def test_augmented_assignment_in_a_graph_keeps_gradients(torch):
    a = np.array([0.5, -1.0, 2.0])
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    h, th = x * 2, t * 2
    h += x
    th += t
    h *= x
    th *= t
    h.sum().backward()
    th.sum().backward()
    same(x.grad, t.grad)


def test_format_and_item(torch):
    loss = cr.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235"
    assert format(cr.tensor(3.14159), ".2f") == "3.14"
    assert isinstance(cr.tensor([2]).item(), int) and cr.tensor(2.5).item() == 2.5
    with pytest.raises(TypeError):
        format(cr.ones(2), ".2f")


def test_argmax_keepdim(torch):
    same(cr.tensor(A).argmax(1, keepdim=True), torch.tensor(A).argmax(1, keepdim=True))
    same(cr.argmax(cr.tensor(A), dim=-1), torch.argmax(torch.tensor(A), dim=-1))


def _initial_seed_in_fresh_process(code: str) -> str:
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout.strip()


def test_default_generator_is_seeded_afresh_per_process():
    code = "import chainrule as cr; print(cr.initial_seed(), cr.randn(2).tolist())"
    a, b = _initial_seed_in_fresh_process(code), _initial_seed_in_fresh_process(code)
    assert a != b
    code = ("import chainrule as cr; cr.manual_seed(3); "
            "print(cr.initial_seed(), cr.rand(2).tolist())")
    a, b = _initial_seed_in_fresh_process(code), _initial_seed_in_fresh_process(code)
    assert a == b and a.startswith("3 ")


def test_save_and_load_through_file_objects(torch):
    sd = {"w": cr.randn(2, 3), "b": cr.zeros(3)}
    buf = io.BytesIO()
    cr.save(sd, buf)
    buf.seek(0)
    back = cr.load(buf, map_location="cpu", weights_only=True)
    assert sorted(back) == ["b", "w"] and np.array_equal(back["w"].numpy(), sd["w"].numpy())
    buf.seek(0)
    moved = cr.load(buf, map_location=cr.device("cpu"))
    assert moved["w"].device == cr.device("cpu")
