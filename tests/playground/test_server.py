"""The playground server without a browser: routes, errors, event order, grid shapes,
disconnects and separate sessions."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.playground import session as session_mod

from .conftest import EventStream, control, create, request


def test_page_and_static_files_are_served(server):
    status, body = request(server, "GET", "/")
    assert status == 200 and b"<canvas id=\"heatmap\"" in body
    assert b"http" not in body.replace(b"http-equiv", b"")  # no CDN: it works offline
    for name in ("playground.js", "playground.css"):
        status, body = request(server, "GET", f"/static/{name}")
        assert status == 200 and body
        assert b"https://" not in body and b"http://" not in body


@pytest.mark.parametrize("method, path", [
    ("GET", "/nope"), ("GET", "/static/../server.py"), ("GET", "/static/missing.js"),
    ("GET", "/api/sessions/0123456789abcdef"), ("GET", "/api/sessions/0123456789abcdef/events"),
    ("POST", "/api/nothing"),
])
def test_unknown_paths_are_404_with_a_json_message(server, method, path):
    status, body = request(server, method, path)
    assert status == 404
    assert body["error"]


def test_unknown_route_of_a_session_is_404(server):
    sid = create(server)
    status, body = request(server, "GET", f"/api/sessions/{sid}/bogus")
    assert status == 404 and "bogus" in body["error"]


@pytest.mark.parametrize("query, words", [
    ("lr=abc", ["'lr'", "'abc'"]),
    ("lr=0", ["'lr'", "> 0"]),
    ("dataset=moons", ["'dataset'", "circle", "'moons'"]),
    ("foo=1", ["unknown parameter 'foo'"]),
    ("features=x,z", ["'features'", "'z'"]),
    ("features=", ["at least one"]),
    ("noise=70", ["'noise'", "<= 50"]),
    ("batch=0", ["'batch'", ">= 1"]),
    ("layers=4,99", ["layer 2 units", "<= 16"]),
    ("layers=" + ",".join(["2"] * 11), ["at most 10 hidden layers"]),
    ("layers=4:swish", ["layer 1 activation", "'swish'"]),
    ("layers=4:relu:0.95", ["layer 1 dropout", "<= 0.9"]),
    ("opt=LBFGS", ["'opt'", "SGD", "Adam"]),
    ("sched=warm", ["'sched'", "cosine"]),
    ("epochs=-1", ["'epochs'"]),
    ("lr=1&lr=2", ["'lr' is given twice"]),
    ("dataset=csv:feed", ["no uploaded CSV"]),
    ("es=cmaes", ["'es'", "openai", "snes", "'cmaes'"]),
    ("es=snes&pop=1", ["'pop'", ">= 2"]),
    ("es=snes&pop=5000", ["'pop'", "<= 1000"]),
    ("es=openai&pop=51", ["'pop'", "even", "51"]),
    ("es=snes&sigma=0", ["'sigma'", "> 0"]),
    ("es=openai&sigma=nan", ["'sigma'", "'nan'"]),
])
def test_bad_parameters_are_400_with_a_clear_message(server, query, words):
    status, body = request(server, "POST", "/api/sessions", query)
    assert status == 400
    for w in words:
        assert w in body["error"], body["error"]


def test_bad_control_explain_and_upload_are_400(server):
    sid = create(server)
    status, body = request(server, "POST", f"/api/sessions/{sid}/control", '{"action": "fly"}')
    assert status == 400 and "play, pause, step, reset" in body["error"]
    status, body = request(server, "POST", f"/api/sessions/{sid}/control", "not json")
    assert status == 400 and "JSON" in body["error"]
    status, body = request(server, "GET", f"/api/sessions/{sid}/explain?example=x")
    assert status == 400 and "integer" in body["error"]
    status, body = request(server, "GET", f"/api/sessions/{sid}/explain?example=100000")
    assert status == 400 and "example must be in 0.." in body["error"]
    status, body = request(server, "POST", "/api/upload", "x,y,label\n1,2,0\n")
    assert status == 400 and "at least 4 data rows" in body["error"]
    status, body = request(server, "POST", "/api/upload", "1,2,a\n" * 5)
    assert status == 400 and "must be a number" in body["error"]


def test_event_order_grid_shapes_and_done(server):
    sid = create(server, "dataset=xor&layers=4,3&epochs=3&ratio=60")
    stream = EventStream(server, sid)
    try:
        events = [stream.next() for _ in range(3)]
        assert [e for e, _ in events] == ["config", "dataset", "update"]
        config, dataset, first = (p for _, p in events)
        assert config["config"]["layers"] == [{"units": 4}, {"units": 3}]
        assert len(dataset["train_points"]) == 300 and len(dataset["test_points"]) == 200
        assert set(dataset["train_labels"]) == {0, 1}
        assert first["epoch"] == 0 and first["step"] == 0 and not first["playing"]
        control(server, sid, "play")
        seen = []
        item = stream.until(lambda e, p: seen.append((e, p)) or e == "done")
        assert item[0] == "done" and item[1]["epoch"] == 3
    finally:
        stream.close()
    updates = [p for e, p in seen if e == "update"]
    assert [e for e, _ in seen][-2:] == ["update", "done"]
    assert all(e == "update" for e, _ in seen[:-1])
    steps = [u["step"] for u in updates]
    assert steps == sorted(steps) and updates[-1]["finished"] and updates[-1]["epoch"] == 3
    assert updates[-1]["step"] == 3 * 30  # 300 training points in batches of 10
    u = updates[-1]
    n, t = session_mod.HEATMAP, session_mod.THUMB
    assert u["heatmap"]["size"] == n and len(u["heatmap"]["value"]) == n * n
    assert all(-1 <= v <= 1 for v in u["heatmap"]["value"])
    assert [len(layer) for layer in u["neurons"]["layers"]] == [4, 3]
    assert all(len(m) == t * t for layer in u["neurons"]["layers"] for m in layer)
    assert [np.shape(w) for w in u["weights"]] == [(4, 2), (3, 4), (2, 3)]
    assert [np.shape(g) for g in u["weight_grads"]] == [(4, 2), (3, 4), (2, 3)]
    assert [len(b) for b in u["biases"]] == [4, 3, 2]
    assert len(u["grad_norms"]) == 3 and all(g["norm"] > 0 for g in u["grad_norms"])
    assert 0 <= u["test_accuracy"] <= 1


def test_event_order_with_an_evolution_strategy(server):
    sid = create(server, "dataset=xor&layers=4,3&epochs=2&ratio=60&es=snes&pop=12")
    stream = EventStream(server, sid)
    try:
        events = [stream.next() for _ in range(4)]
        assert [e for e, _ in events] == ["config", "dataset", "update", "es_update"]
        assert events[0][1]["config"]["es"] == "snes" and events[0][1]["config"]["pop"] == 12
        first = events[3][1]
        assert first["generation"] == 0 and first["forward_passes"] == 0
        assert first["method"] == "snes" and first["popsize"] == 12
        control(server, sid, "play")
        seen = []
        item = stream.until(lambda e, p: seen.append((e, p)) or e == "done")
    finally:
        stream.close()
    kinds = [e for e, _ in seen]
    assert kinds[-3:] == ["update", "es_update", "done"]
    assert kinds[:-1] == ["update", "es_update"] * (len(kinds) // 2)  # always in pairs
    for (_, u), (_, es) in zip(seen[:-1:2], seen[1:-1:2]):
        # one generation of `pop` forward passes per backprop mini-batch
        assert es["generation"] == u["step"] == u["forward_passes"] == u["backward_passes"]
        assert es["forward_passes"] == 12 * es["generation"] and es["backward_passes"] == 0
        assert es["epoch"] == u["epoch"]
    last = seen[-2][1]
    assert last["finished"] and last["generation"] == 2 * 30
    n = session_mod.HEATMAP
    assert last["heatmap"]["size"] == n and len(last["heatmap"]["value"]) == n * n
    assert [h[0] for h in last["history"]] == [2] and 0 <= last["test_accuracy"] <= 1
    done = item[1]
    assert done["es"]["forward_passes"] == 12 * 60 and done["es"]["method"] == "snes"
    # the session's state has the whole ES curve, one point per update's epoch
    state = request(server, "GET", f"/api/sessions/{sid}")[1]
    assert [h[0] for h in state["es_state"]["history"]] == [0, 1, 2]


def test_the_es_run_starts_from_backprops_initial_weights(server):
    from chainrule.evolve import ParameterVector

    for method, pop in (("openai", 20), ("snes", 7)):
        query = f"dataset=circle&layers=5,3&seed=3&es={method}&pop={pop}&sigma=0.2"
        sid = create(server, query)
        body = request(server, "GET", f"/api/sessions/{sid}")[1]
        # before training both networks draw the same function: the same weights
        assert body["es_state"]["heatmap"] == body["state"]["heatmap"]
        assert body["es_state"]["test_loss"] == body["state"]["test_loss"]
        s = server.sessions[sid]
        initial = ParameterVector(s.model).get()
        assert np.array_equal(ParameterVector(s.es.model).get(), initial)
        assert s.es.space.names == ParameterVector(s.model).names
        stream = EventStream(server, sid)  # the stream runs the training
        try:
            control(server, sid, "step")
            stream.until(lambda e, p: e == "es_update" and p["epoch"] == 1)
        finally:
            stream.close()
        with s.lock:
            moved = ParameterVector(s.es.model).get()
            trained = ParameterVector(s.model).get()
        assert not np.array_equal(moved, initial)  # the strategy trained its own copy
        assert not np.array_equal(moved, trained) and not np.array_equal(trained, initial)
        control(server, sid, "reset")  # a reset restarts both from the same weights
        with s.lock:
            assert np.array_equal(ParameterVector(s.es.model).get(), initial)
            assert s.es.generation == 0 and s.es.forward_passes == 0


def test_multiclass_and_regression_heatmaps(server):
    for query, check in [
        ("dataset=blobs&classes=4", lambda hm: set(hm["class"]) <= {0, 1, 2, 3}
         and all(0.25 - 1e-3 <= v <= 1 for v in hm["value"])),
        ("dataset=plane", lambda hm: "class" not in hm),
    ]:
        status, body = request(server, "GET", f"/api/sessions/{create(server, query)}")
        assert status == 200
        hm = body["state"]["heatmap"]
        assert len(hm["value"]) == session_mod.HEATMAP ** 2 and check(hm), query


def _steps(server, sid):
    return request(server, "GET", f"/api/sessions/{sid}")[1]["state"]["step"]


def test_training_stops_when_the_page_disconnects(server):
    sid = create(server)
    stream = EventStream(server, sid)
    control(server, sid, "play")
    stream.until(lambda e, p: e == "update" and p["step"] > 50)
    stream.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the server notices at its next write
        a = _steps(server, sid)
        time.sleep(0.5)
        if _steps(server, sid) == a:
            break
    time.sleep(0.5)
    assert _steps(server, sid) == a
    assert request(server, "GET", f"/api/sessions/{sid}")[1]["state"]["playing"] is False


def test_two_pages_do_not_share_state(server):
    a, b = create(server, "seed=5"), create(server, "seed=5")
    assert a != b
    before = request(server, "GET", f"/api/sessions/{b}")[1]["state"]
    stream = EventStream(server, a)
    try:
        stream.next(), stream.next(), stream.next()
        control(server, a, "step")
        stream.until(lambda e, p: e == "update" and p["epoch"] == 1)
    finally:
        stream.close()
    after_a = request(server, "GET", f"/api/sessions/{a}")[1]["state"]
    after_b = request(server, "GET", f"/api/sessions/{b}")[1]["state"]
    assert after_a["epoch"] == 1 and after_b["epoch"] == 0
    assert after_b["weights"] == before["weights"] != after_a["weights"]


def test_a_second_stream_takes_the_session_over(server):
    sid = create(server)
    first = EventStream(server, sid)
    first.next()
    second = EventStream(server, sid)
    try:
        assert second.next()[0] == "config"
        assert first.until(lambda e, p: e == "superseded")[0] == "superseded"
        assert first.next() is None  # and then the old stream ends
    finally:
        first.close()
        second.close()


def test_reset_step_and_a_finished_run_stays_finished(server):
    sid = create(server, "epochs=1")
    stream = EventStream(server, sid)
    try:
        control(server, sid, "step")
        stream.until(lambda e, p: e == "done")
        assert control(server, sid, "play")["playing"] is False  # finished: reset first
        assert control(server, sid, "reset") == {"playing": False, "epoch": 0,
                                                 "finished": False}
    finally:
        stream.close()


def test_explain_walks_one_examples_backward_pass(server):
    sid = create(server, "layers=3&act=tanh")
    status, x = request(server, "GET", f"/api/sessions/{sid}/explain?example=7")
    assert status == 200
    ops = [s["op"] for s in x["steps"]]
    assert ops[0].startswith("CrossEntropy") and "Tanh" in ops
    assert ops.count("LinearFunction") == 2
    tanh = next(s for s in x["steps"] if s["op"] == "Tanh")
    assert tanh["outputs"] == ["a1"] and tanh["inputs"] == ["z1"] and tanh["layer"] == 1
    # the chain rule: dL/dz1 = dL/da1 * (1 - a1^2)
    np.testing.assert_allclose(np.array(tanh["downstream"][0]),
                               np.array(tanh["upstream"][0]) * np.array(tanh["local"][0]),
                               rtol=1e-4, atol=1e-7)
    first = next(s for s in x["steps"] if "0.weight" in s["inputs"])
    assert first["layer"] == 1 and "step 1:" in x["text"]


def test_export_safetensors_and_python(server, tmp_path):
    sid = create(server, "dataset=spirals&layers=5:relu:0.2,3&features=x,y,sinx")
    status, weights = request(server, "GET", f"/api/sessions/{sid}/model.safetensors")
    assert status == 200
    (tmp_path / "model.safetensors").write_bytes(weights)
    state = cr.load(str(tmp_path / "model.safetensors"))
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "0.weight": (5, 3), "0.bias": (5,), "3.weight": (3, 5), "3.bias": (3,),
        "5.weight": (3, 3), "5.bias": (3,)}
    status, code = request(server, "GET", f"/api/sessions/{sid}/model.py")
    assert status == 200
    (tmp_path / "model.py").write_bytes(code)
    out = subprocess.run([sys.executable, "model.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    predicted = json.loads(out.stdout)
    # the same network by hand: features x, y, sin x; relu (dropout off); tanh; logits
    p = np.array([[1.0, 2.0], [-3.0, 0.5]])
    W = {k: v.numpy().astype(np.float64) for k, v in state.items()}
    h = np.stack([p[:, 0], p[:, 1], np.sin(p[:, 0])], axis=1)
    h = np.maximum(h @ W["0.weight"].T + W["0.bias"], 0)
    h = np.tanh(h @ W["3.weight"].T + W["3.bias"])
    logits = h @ W["5.weight"].T + W["5.bias"]
    assert predicted == logits.argmax(axis=1).tolist()


def test_upload_csv_and_train_on_it(server):
    rows = ["a,b,label"] + [f"{i % 7},{i % 5},{int(i % 7 > 3)}" for i in range(40)]
    status, up = request(server, "POST", "/api/upload", "\n".join(rows))
    assert status == 201 and up["rows"] == 40 and up["task"] == "classification"
    sid = create(server, f"dataset=csv:{up['id']}&epochs=2")
    status, state = request(server, "GET", f"/api/sessions/{sid}")
    assert state["dataset"]["classes"] == 2
    assert len(state["dataset"]["train_points"]) == 20


def test_cli_serves_and_stops(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "chainrule", "playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("chainrule playground: http://127.0.0.1:"), line
        url = line.split()[2]
        import urllib.request

        with urllib.request.urlopen(url + "api/options", timeout=20) as r:
            options = json.load(r)
        assert "SGD" in options["optimizers"] and "Adam" in options["optimizers"]
        assert len(options["presets"]) >= 2
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_cli_rejects_a_bad_port(capsys):
    from chainrule.cli import main

    assert main(["playground", "--port", "70000"]) == 2
    assert "--port must be in 0..65535" in capsys.readouterr().err
