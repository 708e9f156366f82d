"""The playground's datasets, setup parsing and training sessions, without a server."""

import numpy as np
import pytest

from chainrule.playground import PRESETS, ConfigError, Session, data, parse, to_query


@pytest.mark.parametrize("name", list(data.DATASETS))
def test_datasets_are_seeded_in_the_square_with_valid_labels(name):
    p, y = data.generate(name, 0.2, seed=3, classes=4)
    q, z = data.generate(name, 0.2, seed=3, classes=4)
    np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(y, z)
    assert not np.array_equal(p, data.generate(name, 0.2, seed=4, classes=4)[0])
    assert p.shape == (data.DATASETS[name][2], 2) and len(y) == len(p)
    assert np.abs(p).max() <= 2 * data.DOMAIN  # noise may push a point a little out
    if data.DATASETS[name][1] == "regression":
        assert y.dtype == np.float32 and np.abs(y).max() <= 1
    else:
        k = 4 if data.DATASETS[name][3] else 2
        assert set(np.unique(y)) == set(range(k))


def test_clean_datasets_are_what_they_say():
    p, y = data.generate("circle", 0, seed=0)
    assert np.all((np.hypot(p[:, 0], p[:, 1]) < 2.5) == (y == 1))
    p, y = data.generate("xor", 0, seed=0)
    assert np.all((p[:, 0] * p[:, 1] >= 0) == (y == 1))
    p, y = data.generate("plane", 0, seed=0)
    np.testing.assert_allclose(y, (p[:, 0] + p[:, 1]) / 12, atol=1e-6)


def test_features_and_grid():
    g = data.grid(4)
    assert g.shape == (16, 2)
    assert g[0, 0] < 0 < g[0, 1] and g[3, 0] > 0  # top-left first, x grows along a row
    f = data.features(np.array([[3.0, -6.0]]), ["x", "y", "x2", "y2", "xy", "sinx", "siny"])
    np.testing.assert_allclose(f[0], [3, -6, 1.5, 6, -3, np.sin(3), np.sin(-6)], rtol=1e-6)


def test_parse_defaults_round_trip_and_presets():
    c = parse("")
    assert c["dataset"] == "circle" and c["layers"] == [{"units": 4}, {"units": 2}]
    assert c["act"] == "tanh" and c["lr"] == 0.03 and c["opt"] == "SGD" and c["batch"] == 10
    for _, query in PRESETS:
        c = parse(query)
        assert parse(to_query(c)) == c
    c = parse("layers=8:relu:0.1,4::0.2,2:sigmoid&opt=adam")
    assert c["layers"] == [{"units": 8, "act": "relu", "dropout": 0.1},
                           {"units": 4, "dropout": 0.2}, {"units": 2, "act": "sigmoid"}]
    assert c["opt"] == "Adam"
    assert parse("layers=")["layers"] == []
    with pytest.raises(ConfigError, match="'ratio'"):
        parse({"ratio": 95})


def test_the_vanishing_and_dead_relu_presets_produce_their_findings():
    presets = dict(PRESETS)
    s = Session(parse(presets["vanishing gradients: 8 sigmoid layers"]))
    for _ in range(2):
        s.train_epoch()
    snap = s.snapshot()
    norms = [g["norm"] for g in snap["grad_norms"]]
    assert len(norms) == 9 and norms[-1] / norms[0] >= 1e3
    assert "vanishing" in [f["kind"] for f in snap["findings"]]
    s = Session(parse(presets["dead ReLUs at lr 3"]))
    for _ in range(3):
        s.train_epoch()
    assert "dead_units" in [f["kind"] for f in s.snapshot()["findings"]]


def test_a_healthy_run_has_no_findings_and_learns():
    s = Session(parse("dataset=xor&seed=0"))
    loss0 = s.snapshot()["test_loss"]
    for _ in range(100 * 25):
        s.train_step()
        s._update_findings()  # judged after every step: the page's updates come this often
    snap = s.snapshot()
    # single mini-batch losses swing 10x late in XOR's training: that is not "exploding"
    assert snap["findings"] == [] and snap["test_loss"] < loss0 / 2
    assert snap["test_accuracy"] >= 0.9


def test_l1_and_l2_penalise_the_weights_only():
    import chainrule as cr

    s = Session(parse("l1=0.01&l2=0.3"))
    s._penalty(cr.tensor(0.0)).backward()
    for m in s.linears:
        W = m.weight.numpy()
        np.testing.assert_allclose(m.weight.grad.numpy(), 0.3 * W + 0.01 * np.sign(W),
                                   rtol=1e-5)
        assert m.bias.grad is None


def test_l2_shrinks_the_weights():
    def weight_sum(query):
        s = Session(parse(query))
        for _ in range(10):
            s.train_epoch()
        return sum(float(np.abs(m.weight.numpy()).sum()) for m in s.linears)

    assert weight_sum("seed=2&l2=0.3") < 0.8 * weight_sum("seed=2")


def test_schedules_change_the_learning_rate():
    s = Session(parse("sched=exp&lr=0.1"))
    s.train_epoch()
    s.train_epoch()
    assert s.snapshot()["lr"] == pytest.approx(0.1 * 0.99 ** 2)
    s = Session(parse("sched=cosine&lr=0.1&epochs=4"))
    for _ in range(4):
        s.train_epoch()
    snap = s.snapshot()
    assert snap["finished"] and snap["lr"] == pytest.approx(0.0, abs=1e-9)


def test_parse_csv_classification_and_regression():
    up = data.parse_csv("x,y,label\n" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(10)))
    assert up["task"] == "classification" and up["classes"] == 3 and up["rows"] == 10
    assert np.abs(up["points"]).max() <= data.DOMAIN
    up2 = data.parse_csv("".join(f"{i},{-i},{i / 3:.3f}\n" for i in range(10)))
    assert up2["task"] == "regression" and up2["labels"].min() == -1 and \
        up2["labels"].max() == 1
    assert up2["id"] != up["id"]
    with pytest.raises(data.CSVError, match="classes 0..7"):
        data.parse_csv("".join(f"{i},{i},{i}\n" for i in range(10)))
    with pytest.raises(data.CSVError, match="3 columns"):
        data.parse_csv("1,2\n" * 5)


def test_a_diverging_run_stays_valid_json_and_reports_nan():
    import json

    s = Session(parse("lr=100&act=linear&layers=8,8&features=x,y,x2,y2"))
    for _ in range(5):
        s.train_epoch()
    snap = s.snapshot(full_history=True)
    json.dumps(snap, allow_nan=False)  # NaN and Inf become null: the page's JSON.parse
    assert snap["train_loss"] is None
    assert "nan" in [f["kind"] for f in snap["findings"]]


def test_the_es_fitness_is_backprops_objective_with_the_weight_penalty():
    s = Session(parse("dataset=xor&layers=3,2&l1=0.01&l2=0.3&es=snes&pop=4"))
    X = np.stack([s.es.space.get(), s.es.space.get() * 2])
    weights = [m.weight.numpy() for m in s.linears]  # the same initial weights
    expect = [sum(0.01 * np.abs(k * W).sum() + 0.15 * ((k * W) ** 2).sum() for W in weights)
              for k in (1, 2)]
    np.testing.assert_allclose(s.es._penalty(X), expect, rtol=1e-6)  # biases excluded
    xb, yb = s.es.problem.batch(0)
    assert len(xb) == 10 and yb.dtype == np.int64  # a mini-batch of the page's batch size


def test_a_non_finite_es_fitness_counts_as_the_worst_candidate():
    s = Session(parse("es=snes&pop=6"))
    evaluate = s.es.problem.evaluate
    s.es.problem.evaluate = lambda X, g: np.where(np.arange(len(X)) == 0, np.nan,
                                                  evaluate(X, g))
    s.train_step()  # the strategy's tell takes finite numbers only
    assert s.es.generation == 1 and s.es.forward_passes == 6
    assert np.isfinite(s.es.strategy.best_fitness)


@pytest.mark.parametrize("query", [
    "dataset=reg-gauss&layers=8,8&es=openai&pop=10",
    "dataset=spirals&classes=3&layers=8:relu:0.1,4&es=snes&pop=9",
])
def test_the_es_run_handles_regression_multiclass_and_dropout(query):
    import json

    s = Session(parse(query))
    for _ in range(2):
        s.train_epoch()
    es = s.es.snapshot(full_history=True)
    json.dumps(es, allow_nan=False)
    assert es["generation"] == s.step_count and es["epoch"] == 2
    assert len(es["heatmap"]["value"]) == 50 * 50
    assert ("class" in es["heatmap"]) == (s.classes > 2)
    assert not s.es.model.training  # the population is evaluated without dropout
