"""The playground's setup: parsed from the page's URL query, checked, and written back.

The query string *is* the setup (``?dataset=xor&layers=4,2&act=tanh&lr=0.03``), so a link
reproduces it. ``parse`` turns it into a config dict or raises ``ConfigError`` with a
message naming the parameter, the bad value and what is allowed; ``to_query`` writes the
config back in a canonical order.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

from . import data

ACTIVATIONS = {  # query name -> chainrule.nn class name
    "tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Identity",
    "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
    "softplus": "Softplus",
}  # fmt: skip
SCHEDULES = {
    "none": "constant learning rate",
    "step": "StepLR(step_size=50, gamma=0.5): halve every 50 epochs",
    "exp": "ExponentialLR(gamma=0.99) every epoch",
    "cosine": "CosineAnnealingLR(T_max=epochs or 100) to 0",
}
MAX_LAYERS = 10
MAX_UNITS = 16
#: The evolution strategies the page can train a second copy of the network with.
EVOLUTION = {"off": "no comparison", "openai": "OpenAI-ES (Salimans et al. 2017)",
             "snes": "SNES (Schaul et al. 2011)"}
MAX_POPULATION = 1000

DEFAULTS = {
    "dataset": "circle", "classes": 3, "noise": 0, "ratio": 50, "batch": 10, "seed": 0,
    "features": ["x", "y"], "layers": [{"units": 4}, {"units": 2}], "act": "tanh",
    "opt": "SGD", "lr": 0.03, "l1": 0.0, "l2": 0.0, "sched": "none", "epochs": 0,
    "es": "off", "pop": 50, "sigma": 0.1,
}  # fmt: skip

#: Presets: a label and the query that sets them up.
PRESETS = [
    ("TF Playground default: circle, 4-2 tanh", "dataset=circle"),
    ("XOR with a 4-2 tanh network", "dataset=xor&layers=4,2&act=tanh&lr=0.03&epochs=100"),
    ("vanishing gradients: 8 sigmoid layers",
     "dataset=circle&layers=8,8,8,8,8,8,8,8&act=sigmoid&lr=0.03&epochs=200"),
    ("dead ReLUs at lr 3", "dataset=spiral&layers=8,8,8&act=relu&lr=3&epochs=50"),
    ("two spirals: 8-8-6 relu + Adam", "dataset=spiral&features=x,y,sinx,siny"
     "&layers=8,8,6&act=relu&opt=Adam&lr=0.01&epochs=300"),
    ("3 classes, cross-entropy", "dataset=spirals&classes=3&layers=8,8,8&act=relu&opt=Adam"
     "&lr=0.01&epochs=300"),
    ("per-layer activations and dropout", "dataset=xor&layers=8:relu:0.1,8:tanh,4:sigmoid"
     "&opt=Adam&lr=0.01&epochs=200"),
    ("regression: Gaussian bumps", "dataset=reg-gauss&layers=8,8&act=tanh&opt=Adam&lr=0.01"
     "&epochs=200"),
    ("backprop vs. OpenAI-ES: XOR, 4-2 tanh", "dataset=xor&layers=4,2&act=tanh&lr=0.03"
     "&epochs=100&es=openai&pop=50&sigma=0.1"),
]


class ConfigError(ValueError):
    """A setup the playground cannot run; the message names the parameter and the fix."""


def optimizers() -> dict:
    """Every optimizer class in ``chainrule.optim`` that steps on a batch's gradients, by
    name (built from the module). LBFGS is left out: its ``step`` needs a closure that
    re-evaluates the loss several times, which the playground's one-batch step is not."""
    from .. import optim

    return {name: getattr(optim, name) for name in optim.__all__
            if isinstance(getattr(optim, name), type)
            and issubclass(getattr(optim, name), optim.Optimizer)
            and getattr(optim, name) is not optim.Optimizer and name != "LBFGS"}


def _number(key, text, lo, hi, integer=False, lo_open=False):
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if integer and math.isfinite(v) and v != int(v):
        v = math.nan
    low_ok = v > lo if lo_open else v >= lo
    if not (math.isfinite(v) and low_ok and v <= hi):
        kind = "an integer" if integer else "a number"
        low = f"> {lo:g}" if lo_open else f">= {lo:g}"
        raise ConfigError(f"parameter {key!r} must be {kind} {low} and <= {hi:g}, got "
                          f"{text!r}")
    return int(v) if integer else v


def _choice(key, text, choices):
    if text not in choices:
        raise ConfigError(f"parameter {key!r} must be one of {', '.join(choices)}; got "
                          f"{text!r}")
    return text


def _layers(text):
    if text.strip() == "":
        return []
    layers = []
    parts = text.split(",")
    if len(parts) > MAX_LAYERS:
        raise ConfigError(f"parameter 'layers': at most {MAX_LAYERS} hidden layers, got "
                          f"{len(parts)}")
    for i, part in enumerate(parts):
        bits = part.split(":")
        if len(bits) > 3:
            raise ConfigError(f"parameter 'layers': layer {i + 1} is {part!r}; write "
                              f"UNITS[:ACTIVATION[:DROPOUT]], e.g. 8:relu:0.1")
        layer = {"units": _number(f"layers (layer {i + 1} units)", bits[0], 1, MAX_UNITS,
                                  integer=True)}
        if len(bits) > 1 and bits[1]:
            layer["act"] = _choice(f"layers (layer {i + 1} activation)", bits[1], ACTIVATIONS)
        if len(bits) > 2 and bits[2]:
            p = _number(f"layers (layer {i + 1} dropout)", bits[2], 0, 0.9)
            if p > 0:
                layer["dropout"] = p
        layers.append(layer)
    return layers


def parse(query: str | dict, csv_store: dict | None = None) -> dict:
    """The config that a URL query (``"a=1&b=2"`` or a dict) describes, checked.

    ``csv_store`` maps uploaded CSV ids to their parsed data (``dataset=csv:ID``).
    """
    if isinstance(query, str):
        pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise ConfigError(f"parameter {k!r} is given twice")
            seen.add(k)
        raw = dict(pairs)
    else:
        raw = {k: str(v) for k, v in query.items()}
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown parameter {unknown[0]!r}; the parameters are "
                          f"{', '.join(DEFAULTS)}")
    c = {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
    c["layers"] = [dict(layer) for layer in DEFAULTS["layers"]]
    if "dataset" in raw:
        name = raw["dataset"]
        if name.startswith("csv:"):
            if csv_store is None or name[4:] not in csv_store:
                raise ConfigError(f"parameter 'dataset': no uploaded CSV with id {name[4:]!r} "
                                  f"on this server (upload the file again)")
            c["dataset"] = name
        else:
            c["dataset"] = _choice("dataset", name, list(data.DATASETS) + ["csv:ID"])
    if "classes" in raw:
        c["classes"] = _number("classes", raw["classes"], 2, data.MAX_CLASSES, integer=True)
    if "noise" in raw:
        c["noise"] = _number("noise", raw["noise"], 0, 50, integer=True)
    if "ratio" in raw:
        c["ratio"] = _number("ratio", raw["ratio"], 10, 90, integer=True)
    if "batch" in raw:
        c["batch"] = _number("batch", raw["batch"], 1, 1000, integer=True)
    if "seed" in raw:
        c["seed"] = _number("seed", raw["seed"], 0, 2**31 - 1, integer=True)
    if "features" in raw:
        names = [f for f in raw["features"].split(",") if f]
        for f in names:
            _choice("features", f, FEATURES_ORDER)
        if not names:
            raise ConfigError("parameter 'features': choose at least one input feature of "
                              f"{', '.join(FEATURES_ORDER)}")
        if len(set(names)) != len(names):
            raise ConfigError(f"parameter 'features' lists a feature twice: {raw['features']!r}")
        c["features"] = [f for f in FEATURES_ORDER if f in names]
    if "act" in raw:
        c["act"] = _choice("act", raw["act"], ACTIVATIONS)
    if "layers" in raw:
        c["layers"] = _layers(raw["layers"])
    if "opt" in raw:
        by_lower = {n.lower(): n for n in optimizers()}
        c["opt"] = by_lower.get(raw["opt"].lower()) or _choice("opt", raw["opt"],
                                                                list(optimizers()))
    if "lr" in raw:
        c["lr"] = _number("lr", raw["lr"], 0, 100, lo_open=True)
    for key in ("l1", "l2"):
        if key in raw:
            c[key] = _number(key, raw[key], 0, 10)
    if "sched" in raw:
        c["sched"] = _choice("sched", raw["sched"], SCHEDULES)
    if "epochs" in raw:
        c["epochs"] = _number("epochs", raw["epochs"], 0, 100000, integer=True)
    if "es" in raw:
        c["es"] = _choice("es", raw["es"], EVOLUTION)
    if "pop" in raw:
        c["pop"] = _number("pop", raw["pop"], 2, MAX_POPULATION, integer=True)
    if "sigma" in raw:
        c["sigma"] = _number("sigma", raw["sigma"], 0, 10, lo_open=True)
    if c["es"] == "openai" and c["pop"] % 2:
        # OpenAI-ES samples mirrored pairs (theta + sigma eps, theta - sigma eps)
        raise ConfigError(f"parameter 'pop' must be even with es=openai (mirrored pairs of "
                          f"candidates), got {c['pop']}")
    return c


FEATURES_ORDER = list(data.FEATURES)


def _layer_text(layer: dict) -> str:
    text = str(layer["units"])
    if "dropout" in layer:
        return f"{text}:{layer.get('act', '')}:{layer['dropout']:g}"
    return f"{text}:{layer['act']}" if "act" in layer else text


def to_query(config: dict) -> str:
    """The canonical query string of ``config``: every parameter, in a fixed order."""
    out = {}
    for k in DEFAULTS:
        v = config[k]
        if k == "features":
            v = ",".join(v)
        elif k == "layers":
            v = ",".join(_layer_text(layer) for layer in v)
        elif isinstance(v, float):
            v = f"{v:g}"
        out[k] = v
    return urlencode(out, safe=",:")
