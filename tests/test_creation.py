"""Making tensors: from data, filled, ranges, identity, random; dtypes and errors."""

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1, 2]], np.int64),
        (3, np.int64),
        (True, np.bool_),
        ([True, False], np.bool_),
        ([1, 2.5], np.float32),
        ([], np.float32),
        (np.zeros(2, np.float64), np.float64),
        (np.zeros(2, np.int32), np.int32),
        (np.float64(1.0), np.float64),
    ],
)
def test_tensor_infers_dtype_like_torch(data, dtype):
    assert cr.tensor(data).dtype == dtype


def test_tensor_matches_torch_dtype_inference():
    torch = pytest.importorskip("torch")
    for data in (1.5, [1, 2], True, [[1.0]], np.zeros(2), np.zeros(2, np.int32)):
        t = torch.tensor(data)
        assert cr.tensor(data).dtype == np.dtype(str(t.dtype).replace("torch.", ""))


def test_tensor_dtype_and_requires_grad():
    x = cr.tensor([1, 2], dtype="float64", requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert cr.tensor([1.0], dtype=cr.float32).dtype == np.float32
    assert cr.tensor([1.7], dtype=int).dtype == np.int64
    assert cr.tensor([1], dtype=float).dtype == np.float32


def test_tensor_copies_data():
    a = np.ones(3, np.float32)
    x = cr.tensor(a)
    a[0] = 5.0
    assert x.tolist() == [1.0, 1.0, 1.0]
    y = cr.tensor(x)
    assert not np.shares_memory(x.numpy(), y.numpy())


def test_as_tensor_and_from_numpy_share_memory():
    a = np.ones(3, np.float32)
    assert np.shares_memory(cr.as_tensor(a).numpy(), a)
    assert np.shares_memory(cr.from_numpy(a).numpy(), a)


def test_tensor_bad_data():
    with pytest.raises(ValueError, match="tensor: cannot make a tensor"):
        cr.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="tensor: cannot make a tensor from data of type"):
        cr.tensor(object())
    with pytest.raises(TypeError, match="unknown dtype"):
        cr.tensor([1.0], dtype="float7")


@pytest.mark.parametrize("fn, value", [(cr.zeros, 0.0), (cr.ones, 1.0), (cr.empty, None)])
def test_filled(fn, value):
    for x in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert x.shape == (2, 3) and x.dtype == np.float32
        if value is not None:
            assert (x.numpy() == value).all()
    assert fn(2, dtype="int32").dtype == np.int32
    assert fn(2, dtype="bool").dtype == np.bool_
    assert fn(()).shape == ()
    assert fn(2, requires_grad=True).requires_grad


def test_full():
    assert cr.full((2, 2), 1.5).dtype == np.float32
    assert cr.full(3, 7).dtype == np.int64 and cr.full(3, 7).tolist() == [7, 7, 7]
    assert cr.full((2,), True).dtype == np.bool_
    assert cr.full((1,), 2, dtype="float64").dtype == np.float64


def test_like():
    x = cr.ones(2, 3, dtype="float64")
    assert cr.zeros_like(x).shape == (2, 3) and cr.zeros_like(x).dtype == np.float64
    assert (cr.ones_like(x).numpy() == 1).all()
    assert cr.full_like(x, 4.0).tolist() == [[4.0] * 3] * 2
    assert cr.zeros_like(x, dtype="int32").dtype == np.int32
    assert cr.ones_like(x, requires_grad=True).requires_grad
    assert cr.rand_like(x).dtype == np.float64 and cr.randn_like(x).shape == (2, 3)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"zeros: negative dimension in shape \(2, -1\)"):
        cr.zeros(2, -1)
    with pytest.raises(TypeError, match="ones: shape must be ints"):
        cr.ones("a")
    with pytest.raises(ValueError, match="randn: negative dimension"):
        cr.randn(-3)


def test_arange():
    assert cr.arange(5).tolist() == [0, 1, 2, 3, 4] and cr.arange(5).dtype == np.int64
    assert cr.arange(1, 7, 2).tolist() == [1, 3, 5]
    x = cr.arange(0.0, 1.0, 0.25)
    assert x.dtype == np.float32 and x.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert cr.arange(3, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="arange: step must not be zero"):
        cr.arange(0, 3, 0)


def test_linspace_and_eye():
    x = cr.linspace(0, 1, 5)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(cr.eye(3).numpy(), np.eye(3))
    assert cr.eye(2, 3).shape == (2, 3) and cr.eye(2).dtype == np.float32
    with pytest.raises(ValueError, match="linspace: num must be non-negative"):
        cr.linspace(0, 1, -1)


# -- random -------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [cr.rand, cr.randn])
def test_random_float(fn):
    x = fn(1000)
    assert x.shape == (1000,) and x.dtype == np.float32
    assert fn(2, 3, dtype="float64").dtype == np.float64
    assert fn((2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="dtype must be floating point"):
        fn(2, dtype="int64")


def test_rand_range_and_randn_moments():
    u = cr.rand(10_000, generator=0).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    z = cr.randn(10_000, generator=0).numpy()
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05


def test_seed_and_generator_reproducible():
    assert cr.randn(5, generator=42).tolist() == cr.randn(5, generator=42).tolist()
    g1, g2 = cr.Generator(7), cr.Generator().manual_seed(7)
    assert cr.rand(5, generator=g1).tolist() == cr.rand(5, generator=g2).tolist()
    assert cr.rand(5, generator=g1).tolist() != cr.rand(5, generator=cr.Generator(8)).tolist()
    np_gen = np.random.default_rng(3)
    assert cr.randn(2, generator=np_gen).shape == (2,)


def test_manual_seed_seeds_default_generator():
    cr.manual_seed(123)
    a = cr.randn(4).tolist()
    b = cr.randint(0, 100, (3,)).tolist()
    cr.manual_seed(123)
    assert cr.randn(4).tolist() == a and cr.randint(0, 100, (3,)).tolist() == b
    state = cr.get_rng_state()
    c = cr.rand(3).tolist()
    cr.set_rng_state(state)
    assert cr.rand(3).tolist() == c


def test_bad_generator():
    with pytest.raises(TypeError, match="generator must be"):
        cr.randn(2, generator="seed")
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        cr.manual_seed(1.5)


def test_randint_and_randperm():
    x = cr.randint(3, 7, (200,), generator=0)
    assert x.dtype == np.int64 and x.shape == (200,)
    assert set(x.tolist()) == {3, 4, 5, 6}
    assert cr.randint(5, size=(2, 2), generator=0).numpy().max() < 5
    assert cr.randint(0, 2, 3, generator=0).shape == (3,)
    with pytest.raises(ValueError, match=r"randint: high \(3\) must be greater than low \(3\)"):
        cr.randint(3, 3, (2,))
    p = cr.randperm(10, generator=0)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == np.int64


def test_random_requires_grad():
    x = cr.randn(3, dtype="float64", requires_grad=True, generator=0)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


@pytest.mark.parametrize("make", [
    lambda d: cr.arange(3, device=d), lambda d: cr.linspace(0, 1, 4, device=d),
    lambda d: cr.eye(2, device=d), lambda d: cr.rand(2, device=d),
    lambda d: cr.randn(2, device=d), lambda d: cr.randint(0, 3, (2,), device=d),
    lambda d: cr.randperm(3, device=d), lambda d: cr.rand_like(cr.ones(2, device=d)),
], ids=["arange", "linspace", "eye", "rand", "randn", "randint", "randperm", "rand_like"])
def test_creation_takes_a_device(make):
    """Every creation function takes ``device=``, as PyTorch's (tests/test_cuda.py runs
    them on a GPU); an unknown device is named in the error."""
    assert make("cpu").device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        make("tpu")


def test_random_fills_draw_from_their_distributions_reproducibly():
    cr.manual_seed(0)
    n = 20000
    assert abs(float(cr.empty(n).bernoulli_(0.3).mean()) - 0.3) < 0.02
    assert abs(float(cr.empty(n).exponential_(2.0).mean()) - 0.5) < 0.02
    assert abs(float(cr.empty(n).geometric_(0.5).mean()) - 2.0) < 0.05
    logs = cr.empty(n, dtype="float64").log_normal_(1.0, 0.5).log()
    assert abs(float(logs.mean()) - 1.0) < 0.02 and abs(float(logs.std()) - 0.5) < 0.02
    c = cr.empty(n).cauchy_(2.0, 1.0)
    assert abs(float(c.median()) - 2.0) < 0.05
    g = cr.empty(n).geometric_(0.5)
    assert float(g.min()) >= 1 and g.dtype == np.float32
    a, b = cr.empty(5).cauchy_(generator=3), cr.empty(5).cauchy_(generator=3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    p = cr.tensor([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(cr.bernoulli(p).numpy(), p.numpy())
    np.testing.assert_array_equal(cr.empty(4).bernoulli_(p).numpy(), p.numpy())
    assert p.bernoulli().dtype == np.float32
    assert cr.poisson(cr.full((3,), 4.0)).dtype == np.float32
    assert cr.tensor([0.0, 1.0]).multinomial(3, True).numpy().tolist() == [1, 1, 1]


def test_random_fills_name_bad_arguments():
    with pytest.raises(ValueError, match=r"bernoulli: input must hold probabilities in \[0, 1\]"):
        cr.bernoulli(cr.tensor([1.5]))
    with pytest.raises(ValueError, match="exponential_: lambd must be positive"):
        cr.empty(2).exponential_(0.0)
    with pytest.raises(ValueError, match=r"geometric_: p must be in \(0, 1\]"):
        cr.empty(2).geometric_(0.0)
    with pytest.raises(ValueError, match="poisson: rates must be non-negative"):
        cr.poisson(cr.tensor([-1.0]))
    w = cr.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="bernoulli_: a leaf tensor that requires grad"):
        w.bernoulli_()
