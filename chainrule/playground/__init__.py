"""``chainrule playground``: watch backpropagation train a small network in the browser.

TensorFlow Playground's page on the real engine: a local standard-library HTTP server
(``server``) trains one ``Session`` per page and streams what it measures to the page
with server-sent events; the page (``static/``) is plain HTML and JavaScript with canvas
drawing and works offline.

>>> from chainrule.playground import make_server
>>> server = make_server(port=0)     # then server.serve_forever() in a thread
"""

from .config import PRESETS, ConfigError, parse, to_query
from .server import make_server, serve
from .session import Session

__all__ = ["PRESETS", "ConfigError", "Session", "make_server", "parse", "serve", "to_query"]
