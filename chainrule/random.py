"""Random number generation with no hidden global state.

Everything random in chainrule takes ``generator=``: a ``cr.Generator``, a NumPy
``Generator`` or an int seed. When it is omitted, one default generator is used, and
``cr.manual_seed(n)`` resets it, so a script that seeds once is reproducible.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers, like ``torch.Generator``.

    >>> g = cr.Generator().manual_seed(0)
    >>> cr.randn(3, generator=g)
    """

    def __init__(self, seed: int | None = None):
        self.manual_seed(0 if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        # PyTorch accepts any int and keeps its low 64 bits (manual_seed(-1) is valid, and
        # initial_seed() then says 2**64 - 1).
        self._seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (a dict that ``set_state`` restores)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


_default = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, like ``torch.manual_seed``; returns it."""
    return _default.manual_seed(seed)


def default_generator() -> Generator:
    return _default


def get_rng_state() -> dict:
    return _default.get_state()


def set_rng_state(state: dict) -> None:
    _default.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (None: the default; int: a fresh seeded one)."""
    if generator is None:
        return _default.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be a chainrule.Generator, a numpy Generator or an int seed, "
        f"got {type(generator).__name__}"
    )
