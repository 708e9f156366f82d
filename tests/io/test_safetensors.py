"""cr.io.save / load: safetensors written by hand, checked against the safetensors package."""

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.io import load, save
from chainrule.io import safetensors as st

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _arrays(seed=0):
    r = np.random.default_rng(seed)
    out = {}
    for dt in DTYPES:
        a = r.normal(size=(3, 4)) * 50
        out[f"layer.{dt}"] = (a > 0) if dt == "bool" else a.astype(dt)
    out["scalar"] = np.array(2.5, np.float32)
    out["empty"] = np.zeros((0, 5), np.float32)
    out["deep.conv.weight"] = r.normal(size=(2, 3, 3, 3)).astype(np.float32)
    return out


def _state(arrays):
    return {k: cr.tensor(v) for k, v in arrays.items()}


def test_flat_state_dict_is_byte_identical_to_safetensors_numpy(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    arrays = _arrays()
    save(_state(arrays), tmp_path / "ours.safetensors")
    sn.save_file(arrays, str(tmp_path / "theirs.safetensors"))
    assert (tmp_path / "ours.safetensors").read_bytes() == (
        tmp_path / "theirs.safetensors"
    ).read_bytes()


def test_flat_with_metadata_read_by_safetensors(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    arrays = _arrays(1)
    path = str(tmp_path / "m.safetensors")
    save(_state(arrays), path, metadata={"format": "pt", "epoch": "3"})
    back = sn.load_file(path)
    assert set(back) == set(arrays)
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k], v)
    with safe_open(path, framework="np") as f:
        assert f.metadata() == {"format": "pt", "epoch": "3"}


def test_written_file_loads_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    stt = pytest.importorskip("safetensors.torch")
    arrays = _arrays(2)
    save(_state(arrays), tmp_path / "m.safetensors")
    back = stt.load_file(str(tmp_path / "m.safetensors"))
    for k, v in arrays.items():
        assert isinstance(back[k], torch.Tensor)
        np.testing.assert_array_equal(back[k].numpy(), v)


def test_torch_state_dict_loads_in_chainrule(tmp_path):
    torch = pytest.importorskip("torch")
    stt = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
        torch.nn.Linear(4 * 26 * 26, 10),
    )
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    sd["half"] = torch.randn(3, 2).half()
    sd["bf16"] = torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16)
    stt.save_file(sd, str(tmp_path / "torch.safetensors"))
    ours = load(tmp_path / "torch.safetensors")
    assert set(ours) == set(sd)
    for k, v in sd.items():
        assert isinstance(ours[k], cr.Tensor)
        expected = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
        assert ours[k].dtype == expected.dtype, k
        np.testing.assert_array_equal(ours[k].numpy(), expected)
    assert ours["1.num_batches_tracked"].dtype == np.int64


def test_round_trip_keeps_dtypes_shapes_and_values(tmp_path):
    arrays = _arrays(3)
    save(_state(arrays), str(tmp_path / "a.safetensors"))
    back = load(str(tmp_path / "a.safetensors"))
    for k, v in arrays.items():
        assert back[k].shape == v.shape and back[k].dtype == v.dtype
        np.testing.assert_array_equal(back[k].numpy(), v)
    # Loaded tensors are independent, writable arrays.
    back["scalar"].array[...] = 7
    assert back["layer.float32"].array.flags.writeable


def test_nested_optimizer_state_round_trip(tmp_path):
    r = np.random.default_rng(4)
    state = {
        "state": {
            0: {"step": cr.tensor(10.0), "exp_avg": cr.tensor(r.normal(size=(3, 2))),
                "exp_avg_sq": cr.tensor(r.random((3, 2)))},
            1: {"step": 10, "momentum_buffer": None},
        },
        "param_groups": [
            {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
             "amsgrad": False, "params": [0, 1], "name": "main", "max_norm": float("inf")},
        ],
        "model": {"fc.weight": cr.randn(4, 3), "fc.bias": cr.zeros(4)},
        "epoch": 7,
        "history": [0.5, 0.25, float("nan")],
        "rng": np.arange(5, dtype=np.uint32),
    }
    save(state, tmp_path / "ckpt.safetensors")
    back = load(tmp_path / "ckpt.safetensors")
    assert set(back) == set(state)
    assert set(back["state"]) == {0, 1}  # int keys survive
    np.testing.assert_array_equal(back["state"][0]["exp_avg"].numpy(),
                                  state["state"][0]["exp_avg"].numpy())
    assert back["state"][0]["exp_avg"].dtype == np.float64
    assert back["state"][1] == {"step": 10, "momentum_buffer": None}
    group = back["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and isinstance(group["betas"], tuple)
    assert group["params"] == [0, 1] and group["amsgrad"] is False
    assert group["max_norm"] == float("inf") and group["name"] == "main"
    assert back["epoch"] == 7
    assert back["history"][:2] == [0.5, 0.25] and np.isnan(back["history"][2])
    assert isinstance(back["rng"], np.ndarray) and back["rng"].dtype == np.uint32
    np.testing.assert_array_equal(back["model"]["fc.weight"].numpy(),
                                  state["model"]["fc.weight"].numpy())


def test_nested_file_is_valid_safetensors_with_dotted_names(tmp_path):
    sn = pytest.importorskip("safetensors.numpy")
    state = {"state": {0: {"exp_avg": cr.ones(2)}}, "param_groups": [{"lr": 0.1}]}
    save(state, tmp_path / "n.safetensors")
    raw = sn.load_file(str(tmp_path / "n.safetensors"))
    assert list(raw) == ["state.0.exp_avg"]
    _, meta = load(tmp_path / "n.safetensors", return_metadata=True)
    assert meta == {}


def test_numpy_values_accepted(tmp_path):
    save({"w": np.eye(3, dtype=np.float32)}, tmp_path / "np.safetensors")
    back = load(tmp_path / "np.safetensors")
    np.testing.assert_array_equal(back["w"].numpy(), np.eye(3))


def test_header_layout(tmp_path):
    save({"a": cr.ones(3)}, tmp_path / "h.safetensors", metadata={"k": "v"})
    raw = (tmp_path / "h.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8 : 8 + n])
    assert header == {"__metadata__": {"k": "v"},
                      "a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}
    assert len(raw) == 8 + n + 12


def test_crash_mid_save_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": cr.ones(4)}, path)
    before = path.read_bytes()

    def broken(f, header, chunks):
        f.write(header[:5])
        raise OSError("disk full")

    monkeypatch.setattr(st, "_write_chunks", broken)
    with pytest.raises(OSError, match="disk full"):
        save({"w": cr.zeros(100)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


def test_crash_at_fsync_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": cr.ones(4)}, path)
    before = path.read_bytes()

    def fail(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(st.os, "fsync", fail)
    with pytest.raises(OSError, match="fsync failed"):
        save({"w": cr.zeros(100)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]
    np.testing.assert_array_equal(load(path)["w"].numpy(), np.ones(4))


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "t.safetensors"
    save({"w": cr.ones(100)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"t\.safetensors is truncated: expected \d+ bytes"):
        load(path)
    path.write_bytes(raw[:6])
    with pytest.raises(ValueError, match="not a safetensors file"):
        load(path)
    path.write_bytes(raw[:20])
    with pytest.raises(ValueError, match="t.safetensors"):
        load(path)


def test_non_safetensors_files_raise(tmp_path):
    pickle_like = tmp_path / "model.pt"
    pickle_like.write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    with pytest.raises(ValueError, match="model.pt is not a safetensors file"):
        load(pickle_like)
    bad_json = tmp_path / "bad.safetensors"
    bad_json.write_bytes(struct.pack("<Q", 8) + b"{not js}")
    with pytest.raises(ValueError, match="bad JSON header"):
        load(bad_json)
    wrong_size = tmp_path / "size.safetensors"
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    wrong_size.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 8)
    with pytest.raises(ValueError, match=r"'w' of dtype F32 and shape \(4,\) needs 16 bytes"):
        load(wrong_size)
    bad_dtype = tmp_path / "dtype.safetensors"
    header = json.dumps({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}).encode()
    bad_dtype.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 8)
    with pytest.raises(ValueError, match="unsupported dtype 'C64'"):
        load(bad_dtype)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "missing.safetensors")


def test_save_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="save: cannot save a set"):
        save({"a": {1, 2}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="dtype complex128"):
        save({"a": np.zeros(2, np.complex128)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        save({"a": cr.ones(1)}, tmp_path / "x.safetensors", metadata={"epoch": 3})
    with pytest.raises(ValueError, match="both be named 'a.b'"):
        save({"a.b": cr.ones(1), "a": {"b": cr.ones(1)}}, tmp_path / "x.safetensors")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({"a": cr.ones(1)}, tmp_path / "nodir" / "x.safetensors")
    with pytest.raises(TypeError, match="save: path must be"):
        save({"a": cr.ones(1)}, 3)
    assert not list(Path(tmp_path).iterdir())


def test_cr_save_load_exported():
    assert cr.save is save and cr.load is load


def test_training_checkpoint_resumes_identically(tmp_path):
    nn = pytest.importorskip("chainrule.nn")
    optim = pytest.importorskip("chainrule.optim")
    x = cr.tensor(np.random.default_rng(0).random((8, 4)).astype(np.float32))

    def make():
        cr.manual_seed(0)
        m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
        return m, optim.Adam(m.parameters(), lr=1e-2)

    def step(m, opt):
        loss = (m(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()

    m, opt = make()
    for _ in range(3):
        step(m, opt)
    save({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 3}, tmp_path / "ck")
    step(m, opt)
    m2, opt2 = make()
    ck = load(tmp_path / "ck")
    m2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    step(m2, opt2)
    assert ck["epoch"] == 3
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_torch_linear_weights_give_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    stt = pytest.importorskip("safetensors.torch")
    nn = pytest.importorskip("chainrule.nn")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    stt.save_file(tm.state_dict(), str(tmp_path / "t.safetensors"))
    m = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2))
    m.load_state_dict(load(tmp_path / "t.safetensors"))
    x = np.random.default_rng(1).random((3, 5)).astype(np.float32)
    np.testing.assert_allclose(m(cr.tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    save(m.state_dict(), tmp_path / "c.safetensors")
    tm2 = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    tm2.load_state_dict(stt.load_file(str(tmp_path / "c.safetensors")))
    for a, b in zip(tm.parameters(), tm2.parameters()):
        assert torch.equal(a, b)
