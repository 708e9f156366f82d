"""The playground's HTTP server: the page, a JSON API and a server-sent event stream.

Standard library only (``http.server.ThreadingHTTPServer``): one thread per request. The
event stream of a session (``GET /api/sessions/ID/events``) is also the thread that trains
it, so when the page goes away the next write fails and training stops; play, pause, step
and reset are small POSTs that wake that thread. Every message is JSON.

    GET  /                                 the page
    GET  /static/NAME                      its script and style sheet
    GET  /api/options                      datasets, features, optimizers, presets, limits
    POST /api/sessions                     body: a setup query string -> {"id", "config"}
    GET  /api/sessions/ID                  the session's config and current state
    GET  /api/sessions/ID/events           event stream: config, dataset, update..., done
                                           (superseded: another page took the session);
                                           with es= set, each update is followed by an
                                           es_update (the evolution strategy's run)
    POST /api/sessions/ID/control          {"action": "play" | "pause" | "step" | "reset"}
    GET  /api/sessions/ID/explain?example=K  one example's backward pass, step by step
    GET  /api/sessions/ID/model.safetensors  the trained weights
    GET  /api/sessions/ID/model.py         Python that rebuilds the network and loads them
    POST /api/upload                       body: CSV text -> {"id", "rows", "task", ...}
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import traceback
import webbrowser
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import config as cfg
from . import data
from .session import Session

STATIC = Path(__file__).parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8"}
MAX_SESSIONS = 32  # the least recently used session is dropped beyond this
MAX_BODY = 2_000_000  # bytes of a request body (a CSV upload)
UPDATE_INTERVAL = 1 / 50  # seconds between updates while training (at most 50/s)
KEEPALIVE = 1.0  # seconds between keep-alive comments while paused


class HTTPError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server holding the sessions (one per page) and uploaded CSV files."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, Handler)
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.uploads: dict[str, dict] = {}
        self.registry_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def create_session(self, query: str) -> tuple[str, Session]:
        try:
            config = cfg.parse(query, self.uploads)
        except cfg.ConfigError as e:
            raise HTTPError(400, str(e)) from None
        session = Session(config, self.uploads)
        sid = secrets.token_hex(8)
        with self.registry_lock:
            self.sessions[sid] = session
            while len(self.sessions) > MAX_SESSIONS:
                _, old = self.sessions.popitem(last=False)
                with old.wake:
                    old.stream = -1  # ends its stream
                    old.wake.notify_all()
        return sid, session

    def session(self, sid: str) -> Session:
        with self.registry_lock:
            s = self.sessions.get(sid)
            if s is None:
                raise HTTPError(404, f"no session {sid!r} on this server (it ended or the "
                                     f"server restarted); create one with POST /api/sessions")
            self.sessions.move_to_end(sid)
            return s


class Handler(BaseHTTPRequestHandler):
    """Routes the playground's requests; errors are JSON ``{"error": ...}``."""

    server: PlaygroundServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the page's requests would flood the terminal
        pass

    # -- plumbing --------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, obj, status: int = 200):
        headers = None
        if status >= 400:  # a request body may be left unread: do not reuse the connection
            self.close_connection = True
            headers = {"Connection": "close"}
        self._send(status, json.dumps(obj).encode(), "application/json", headers)

    def _body(self) -> str:
        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit():
            raise HTTPError(400, f"Content-Length must be a number of bytes, got {raw!r}")
        n = int(raw)
        if n > MAX_BODY:
            raise HTTPError(413, f"request body of {n} bytes is over the {MAX_BODY} byte limit")
        try:
            return self.rfile.read(n).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPError(400, "the request body must be UTF-8 text") from None

    def _route(self, method: str):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        m = re.fullmatch(r"/api/sessions/([0-9a-f]+)(/[a-z.]+)?", path)
        if m:
            sid, tail = m.group(1), m.group(2) or ""
            routes = {("GET", ""): self._state, ("GET", "/events"): self._events,
                      ("POST", "/control"): self._control, ("GET", "/explain"): self._explain,
                      ("GET", "/model.safetensors"): self._safetensors,
                      ("GET", "/model.py"): self._python}
            handler = routes.get((method, tail))
            if handler is None:
                raise HTTPError(404 if not any(t == tail for _, t in routes) else 405,
                                f"no route {method} {path}")
            return handler(self.server.session(sid), query)
        if method == "GET" and path == "/":
            return self._static("index.html")
        if method == "GET" and path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if method == "GET" and path == "/api/options":
            return self._json(_options())
        if method == "POST" and path == "/api/sessions":
            sid, s = self.server.create_session(self._body())
            return self._json({"id": sid, "config": s.config, "query": s.query}, 201)
        if method == "POST" and path == "/api/upload":
            try:
                up = data.parse_csv(self._body())
            except data.CSVError as e:
                raise HTTPError(400, str(e)) from None
            self.server.uploads[up["id"]] = up
            return self._json({k: up[k] for k in ("id", "rows", "task", "classes")}, 201)
        raise HTTPError(404, f"no such path: {path}")

    def _dispatch(self, method: str):
        try:
            self._route(method)
        except HTTPError as e:
            self._json({"error": str(e)}, e.status)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # a bug: answer it rather than drop the connection
            traceback.print_exc()
            self._json({"error": f"{type(e).__name__}: {e}"}, 500)

    def do_GET(self):  # noqa: N802 (http.server's names)
        self._dispatch("GET")

    def do_HEAD(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    # -- routes ----------------------------------------------------------------------

    def _static(self, name: str):
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            raise HTTPError(404, f"no such file: /static/{name}")
        self._send(200, path.read_bytes(),
                   CONTENT_TYPES.get(path.suffix, "application/octet-stream"))

    def _state(self, s: Session, query):
        with s.lock:
            body = {"config": s.config, "query": s.query, "dataset": s.dataset(),
                    "state": s.snapshot(full_history=True)}
            if s.es is not None:
                body["es_state"] = s.es.snapshot(full_history=True)
            self._json(body)

    def _control(self, s: Session, query):
        try:
            action = json.loads(self._body() or "{}").get("action")
        except (json.JSONDecodeError, AttributeError):
            raise HTTPError(400, 'control: the body must be JSON like {"action": "play"}') \
                from None
        if action not in ("play", "pause", "step", "reset"):
            raise HTTPError(400, f"control: action must be one of play, pause, step, reset; "
                                 f"got {action!r}")
        with s.wake:
            if action == "play":
                s.playing = not s.finished  # a finished run stays finished: reset first
            elif action == "pause":
                s.playing = False
            elif action == "step":
                s.playing = False
                s.pending_epochs += 1
            else:
                s.reset()
            s.changed = True
            s.wake.notify_all()
            self._json({"playing": s.playing, "epoch": s.epoch, "finished": s.finished})

    def _explain(self, s: Session, query):
        raw = query.get("example", ["0"])[0]
        try:
            k = int(raw)
        except ValueError:
            raise HTTPError(400, f"explain: example must be an integer, got {raw!r}") from None
        with s.lock:
            try:
                self._json(s.explain(k))
            except IndexError as e:
                raise HTTPError(400, str(e)) from None

    def _safetensors(self, s: Session, query):
        with s.lock:
            body = s.export_safetensors()
        self._send(200, body, "application/octet-stream",
                   {"Content-Disposition": 'attachment; filename="model.safetensors"'})

    def _python(self, s: Session, query):
        with s.lock:
            body = s.export_python().encode()
        self._send(200, body, "text/x-python; charset=utf-8",
                   {"Content-Disposition": 'attachment; filename="model.py"'})

    def _events(self, s: Session, query):
        """The session's event stream, which also runs its training."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")  # the stream ends the connection
        self.end_headers()
        self.close_connection = True
        with s.wake:
            s.stream += 1  # a newer page (a reload) takes the session over
            token = s.stream
            s.wake.notify_all()
            first = [("config", {"config": s.config, "query": s.query}),
                     ("dataset", s.dataset()), ("update", s.snapshot(full_history=True))]
            if s.es is not None:
                first.append(("es_update", s.es.snapshot(full_history=True)))
            s.changed = False
        try:
            for event, payload in first:
                self._event(event, payload)
            _drive(s, token, self._event, self._comment)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with s.wake:
                if s.stream == token:  # the page left: stop training (nobody watches)
                    s.playing = False
                    s.pending_epochs = 0

    def _event(self, event: str, payload) -> None:
        self.wfile.write(f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode())
        self.wfile.flush()

    def _comment(self) -> None:
        self.wfile.write(b": keep-alive\n\n")
        self.wfile.flush()


def _drive(s: Session, token: int, send, keepalive) -> None:
    """Train ``s`` while the page plays it, sending an ``update`` at most every
    UPDATE_INTERVAL seconds and ``done`` when the run reaches its epochs."""
    last = time.monotonic()
    while True:
        with s.wake:
            if s.stream != token:
                return _superseded(send)
            if not (s.playing or s.pending_epochs or s.changed):
                s.wake.wait(KEEPALIVE)
                idle = not (s.playing or s.pending_epochs or s.changed)
            else:
                idle = False
        if idle:
            keepalive()
            continue
        with s.wake:
            if s.stream != token:
                return _superseded(send)
            was_finished = s.finished
            if s.pending_epochs and not s.finished:
                s.train_epoch()
                s.pending_epochs -= 1
            elif s.playing:
                # train until the next update is due (one step at least)
                s.train_step()
                while s.playing and time.monotonic() - last < UPDATE_INTERVAL:
                    s.train_step()
            s.pending_epochs = 0 if s.finished else s.pending_epochs
            now = time.monotonic()
            due = now - last >= UPDATE_INTERVAL or not s.playing or s.finished
            snap = s.snapshot() if due else None
            es_snap = s.es.snapshot() if due and s.es is not None else None
            if due:
                s.changed = False
                last = now  # the interval counts measuring and sending too
        if snap is not None:
            send("update", snap)
            if es_snap is not None:
                send("es_update", es_snap)
            if snap["finished"] and not was_finished:
                done = {"epoch": snap["epoch"], "test_loss": snap["test_loss"],
                        "test_accuracy": snap["test_accuracy"]}
                if es_snap is not None:
                    done["es"] = {k: es_snap[k] for k in ("method", "generation",
                                                          "forward_passes", "test_loss",
                                                          "test_accuracy")}
                send("done", done)


def _superseded(send) -> None:
    # Said before closing, so the page does not reconnect and take the session back (two
    # tabs with one session id, e.g. a duplicated tab, would otherwise trade it forever).
    send("superseded", {"message": "this run is now shown by another page (or was dropped "
                                   "for newer ones); reload to show it here"})


def _options() -> dict:
    return {
        "datasets": {k: {"task": v[1], "classes": v[3]} for k, v in data.DATASETS.items()},
        "features": {k: v[1] for k, v in data.FEATURES.items()},
        "activations": list(cfg.ACTIVATIONS),
        "optimizers": list(cfg.optimizers()),
        "schedules": cfg.SCHEDULES, "evolution": cfg.EVOLUTION,
        "presets": [{"label": label, "query": q} for label, q in cfg.PRESETS],
        "defaults": cfg.DEFAULTS, "max_layers": cfg.MAX_LAYERS, "max_units": cfg.MAX_UNITS,
        "max_classes": data.MAX_CLASSES,
    }


def make_server(host: str = "127.0.0.1", port: int = 8765) -> PlaygroundServer:
    """A playground server bound to ``host:port`` (port 0: a free one), not yet serving.

    >>> server = make_server(port=0)
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> server.url
    'http://127.0.0.1:PORT/'
    """
    return PlaygroundServer((host, port))


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> None:
    """Serve the playground until interrupted (Ctrl-C)."""
    server = make_server(host, port)
    print(f"chainrule playground: {server.url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C is how the playground is meant to stop
        print("chainrule playground: stopped", flush=True)
    finally:
        server.server_close()


def add_arguments(parser):
    """The ``chainrule playground`` options."""
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any "
                                                                "free port)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    return parser


def run(args) -> int:
    """``chainrule playground``: serve until Ctrl-C."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535, got {args.port}")
    serve(args.host, args.port, args.open)
    return 0
