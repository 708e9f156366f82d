"""Where datasets live on disk, and checksum-verified downloads into that place.

The data directory is, first found: the ``root`` argument, the ``CHAINRULE_DATA``
environment variable, ``~/.cache/chainrule``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from ..io.atomic import atomic_write

__all__ = ["data_dir", "download_file", "file_md5", "find_file"]


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The data directory: ``root``, else ``$CHAINRULE_DATA``, else ``~/.cache/chainrule``."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"data_dir: root must be a path, got {type(root).__name__}")
        return Path(root).expanduser()
    env = os.environ.get("CHAINRULE_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "chainrule"


def find_file(directory: Path, names: Sequence[str], subdirs: Sequence[str]) -> Path | None:
    """The first of ``names`` found in ``directory`` or one of its ``subdirs``."""
    for folder in [directory, *(directory / s for s in subdirs)]:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def file_md5(path: Path) -> str:
    """The MD5 hex digest of the file at ``path``."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _ChecksumMismatch(Exception):
    pass


def download_file(
    fname: str, mirrors: Sequence[str], name: str, md5: str, directory: Path, timeout: float = 60
) -> Path:
    """Download ``name`` from the first mirror that works into ``directory``, checking its MD5.

    The file appears under its final name only once its checksum matches.
    """
    import urllib.request  # only here: it pulls in ssl, http and email

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name

        def fetch(f, url=url):
            # Hash while writing; a mismatch raises, so the temporary file is discarded.
            h = hashlib.md5(usedforsecurity=False)
            with urllib.request.urlopen(url, timeout=timeout) as r:
                for block in iter(lambda: r.read(1 << 20), b""):
                    h.update(block)
                    f.write(block)
            if h.hexdigest() != md5:
                raise _ChecksumMismatch(f"{url}: md5 {h.hexdigest()}, expected {md5}")

        try:
            atomic_write(target, fetch, fname)
            return target
        except _ChecksumMismatch as e:
            errors.append(str(e))
        except OSError as e:  # URLError is an OSError
            errors.append(f"{url}: {e}")
    raise RuntimeError(f"{fname}: could not download {name}: " + "; ".join(errors))
