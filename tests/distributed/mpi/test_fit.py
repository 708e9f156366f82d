"""``fit`` under mpirun: global logs on every rank, rank 0 alone prints and writes."""

import os
import shutil
import tempfile

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributed as dist
import chainrule.nn as nn
from chainrule.train import CSVLogger, ModelCheckpoint, evaluate, fit


def _shared_dir():
    box = [tempfile.mkdtemp(prefix="cr-dist-") if dist.get_rank() == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _problem(n=203):
    g = np.random.default_rng(0)
    X = g.standard_normal((n, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def test_fit_logs_are_global_and_rank_0_alone_writes(world, capsys):
    rank, size, _ = world
    d = _shared_dir()
    X, y = _problem()
    cr.manual_seed(rank)  # the DDP broadcast gives every rank rank 0's weights
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 2))
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    h = fit(model, nn.CrossEntropyLoss(), opt, (X[:160], y[:160]), epochs=3, batch_size=16,
            validation_data=(X[160:], y[160:]), metrics=["accuracy"], seed=0, verbose=2,
            callbacks=[CSVLogger(os.path.join(d, f"log-{rank}.csv")),
                       ModelCheckpoint(os.path.join(d, f"ckpt-{rank}.safetensors"))])
    printed = capsys.readouterr().out
    if rank == 0:
        assert printed.count("epoch ") == 3, printed
    else:
        assert printed == ""
    dist.barrier()
    assert sorted(os.listdir(d)) == ["ckpt-0.safetensors", "log-0.csv"]
    dist.barrier()
    if rank == 0:
        shutil.rmtree(d)

    everyone = [None] * size
    dist.all_gather_object(everyone, h.history)
    assert all(e == everyone[0] for e in everyone)  # same logs on every rank
    assert h.history["loss"][-1] < h.history["loss"][0]
    # the validation figures are those of the whole validation set
    full = evaluate(model, nn.CrossEntropyLoss(), (X[160:], y[160:]), metrics=["accuracy"])
    assert abs(full["loss"] - h.history["val_loss"][-1]) < 1e-5
    assert full["accuracy"] == h.history["val_accuracy"][-1]
    weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    dist.all_gather_object(everyone, weights.tobytes())
    assert all(e == everyone[0] for e in everyone)


def test_a_nonfinite_loss_on_one_rank_raises_on_every_rank_at_the_same_step(world):
    rank, size, _ = world
    X, y = _problem(64)
    X[13, 0] = np.nan  # one sample, in one rank's share: that rank's loss is NaN first

    class Plain(cr.data.Dataset):  # not checked up front, so the NaN reaches a step
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return cr.tensor(X[i]), cr.tensor(y[i])

    model = nn.Linear(5, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match="epoch 1, batch") as e:
        fit(model, nn.CrossEntropyLoss(), opt, Plain(), epochs=5, batch_size=8, seed=0,
            verbose=0)
    everyone = [None] * size
    import re

    dist.all_gather_object(everyone, re.search(r"batch (\d+)", str(e.value)).group(1))
    assert len(set(everyone)) == 1  # the same step on every rank
    # raised before the step: the weights are those of the last good step, on every rank
    assert all(np.isfinite(p.numpy()).all() for p in model.parameters())
    weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    dist.all_gather_object(everyone, weights.tobytes())
    assert all(w == everyone[0] for w in everyone)
