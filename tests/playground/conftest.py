"""A playground server on 127.0.0.1 and a free port, always shut down, and HTTP helpers."""

import http.client
import json
import socket
import threading

import pytest

from chainrule.playground import make_server


@pytest.fixture
def server():
    srv = make_server("127.0.0.1", 0)
    # a short poll interval: shutdown() waits for the loop to look at its flag
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def request(srv, method, path, body=None):
    """(status, decoded JSON or bytes) of one request."""
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=20)
    try:
        conn.request(method, path, body=body)
        r = conn.getresponse()
        raw = r.read()
        kind = r.getheader("Content-Type", "")
        return r.status, json.loads(raw) if kind.startswith("application/json") else raw
    finally:
        conn.close()


def create(srv, query=""):
    status, body = request(srv, "POST", "/api/sessions", query)
    assert status == 201, body
    return body["id"]


def control(srv, sid, action):
    status, body = request(srv, "POST", f"/api/sessions/{sid}/control",
                           json.dumps({"action": action}))
    assert status == 200, body
    return body


class EventStream:
    """A raw server-sent event stream (a socket, so a test can drop it like a page)."""

    def __init__(self, srv, sid):
        self.sock = socket.create_connection(srv.server_address[:2], timeout=20)
        self.sock.sendall(f"GET /api/sessions/{sid}/events HTTP/1.1\r\nHost: x\r\n\r\n"
                          .encode())
        self.file = self.sock.makefile("rb")
        status = self.file.readline()
        assert b" 200 " in status, status
        while self.file.readline() not in (b"\r\n", b""):
            pass  # the headers

    def next(self):
        """The next (event, payload); keep-alive comments are skipped; None at the end."""
        event = None
        while True:
            line = self.file.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                payload = json.loads(line[6:])
            elif line == "" and event is not None:
                return event, payload

    def until(self, predicate, limit=10000):
        for _ in range(limit):
            item = self.next()
            if item is None or predicate(*item):
                return item
        raise AssertionError("the awaited event never came")

    def close(self):
        self.file.close()
        self.sock.close()
