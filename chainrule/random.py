"""Random number generation with no hidden global state.

Everything random in chainrule takes ``generator=``: a ``cr.Generator``, a NumPy
``Generator`` or an int seed. When it is omitted, one default generator is used, and
``cr.manual_seed(n)`` resets it, so a script that seeds once is reproducible. As in
PyTorch, the default generator of a process that never calls ``manual_seed`` starts from
a fresh seed (``initial_seed()`` tells which), so unseeded runs differ.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers, like ``torch.Generator``.

    >>> g = cr.Generator().manual_seed(0)
    >>> cr.randn(3, generator=g)
    """

    def __init__(self, device="cpu", seed: int | None = None):
        # torch.Generator(device="cpu"); an int first argument is taken as the seed.
        if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
            device, seed = "cpu", device
        from ._device import device as _device
        from ._errors import ShapeError

        try:
            _device(device)
        except (TypeError, ValueError) as e:
            raise ShapeError(f"Generator: device must be a device such as 'cpu' or 'cuda' "
                             f"(or an int seed), got {device!r} ({e})") from None
        self.device = device
        # PyTorch's Generator() starts from a fixed default seed (67280421310721).
        self.manual_seed(_TORCH_DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        # NumPy needs a non-negative seed; PyTorch takes any 64-bit int (a negative one is
        # read as its two's complement).
        self._seed = int(seed) % 2**64
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from a fresh, non-deterministic seed; returns it."""
        return self.manual_seed(_fresh_seed()).initial_seed()

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (a dict that ``set_state`` restores)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


_TORCH_DEFAULT_SEED = 67280421310721


def _fresh_seed() -> int:
    """A 63-bit seed from the operating system's entropy."""
    return int(np.random.SeedSequence().entropy) % 2**63


_default = Generator(seed=_fresh_seed())


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, like ``torch.manual_seed``; returns it."""
    return _default.manual_seed(seed)


def default_generator() -> Generator:
    return _default


def seed() -> int:
    """Seed the default generator from a fresh, non-deterministic seed; returns it."""
    return _default.seed()


def initial_seed() -> int:
    """The seed the default generator started from (fresh per process unless
    ``manual_seed`` was called)."""
    return _default.initial_seed()


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
