"""The largest sizes the app shows, and safe reading of the files it opens.

Sizes a file holds are checked against these limits *before* anything is
allocated for them, so a small hostile file cannot ask for gigabytes of
memory or hours of work. The session layer re-exports `MAX_CLUSTERS` (its
settings enforce it); the canvas colours at most this many clusters apart.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from .dataset import DataError

__all__ = ["MAX_CLUSTERS", "MAX_CLASS_CODE", "MAX_FEATURES", "MAX_TIMELINE_ENTRIES",
           "MAX_CSV_BYTES", "MAX_N_INIT", "MAX_CSV_COLUMNS", "MAX_SESSION_BYTES", "ReadCancelled", "read_regular_file"]

#: Most clusters a fit may have (K): the number of colours the canvas tells apart.
MAX_CLUSTERS = 12
#: Largest class code a session file may hold without class names (each code
#: below it gets a default name).
MAX_CLASS_CODE = 9_999
#: Most columns a session file's data may have (full covariances hold K x D x D numbers).
MAX_FEATURES = 1_000
#: Most starts (n_init) a (re)initialisation may try: each is a full run.
MAX_N_INIT = 100
#: Most timeline entries a session file may ask to replay.
MAX_TIMELINE_ENTRIES = 10_000
#: Largest CSV file read.
MAX_CSV_BYTES = 1 << 30
#: Most fields the first line of a CSV file may have; a wider file is refused
#: before the rest is parsed (10**6 columns would take minutes and gigabytes).
MAX_CSV_COLUMNS = 200_000
#: Largest session file read.
MAX_SESSION_BYTES = 512 << 20


class ReadCancelled(Exception):
    """A read was cancelled (its ``is_cancelled()`` turned True) before it ended."""


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def read_regular_file(path: str | os.PathLike[str], limit: int, what: str = "file",
                      is_cancelled: Callable[[], bool] | None = None) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    The path is resolved (a symlink is followed) and checked with ``stat``
    before it is opened, and opened without blocking, so a FIFO, a device
    (``/dev/zero``), a socket or a folder is refused at once instead of
    hanging or filling the memory; the read stops after ``limit`` bytes.

    Parameters
    ----------
    path : str or path-like
    limit : int
        The largest size accepted, in bytes.
    what : str
        What the file should be, for messages ("CSV file", "session file").
    is_cancelled : callable, optional
        Asked between chunks of the read; True stops it with `ReadCancelled`.

    Raises
    ------
    DataError
        Naming the file: missing, a folder, not a regular file, larger than
        ``limit`` (with its size), or unreadable.
    ReadCancelled
        If ``is_cancelled()`` turned True.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{name}: no such file ({path}).") from None
    except OSError as err:
        raise DataError(f"{name}: cannot read the {what} ({err.strerror or err}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{name} is a folder, not a {what} ({path}).")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{name} is not a regular file (a pipe, device or socket), so it cannot be "
                        f"read as a {what}.")
    if info.st_size > limit:
        raise DataError(f"{name} is {_size(info.st_size)} ({info.st_size} bytes), larger than the "
                        f"{_size(limit)} a {what} may have.")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        raise DataError(f"{name}: cannot read the {what} ({err.strerror or err}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the stat and the open
            raise DataError(f"{name} is not a regular file (a pipe, device or socket), so it cannot be "
                            f"read as a {what}.")
        chunks, total = [], 0
        while total <= limit:
            if is_cancelled is not None and is_cancelled():
                raise ReadCancelled(f"reading {name} was cancelled")
            chunk = os.read(fd, min(1 << 24, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise DataError(f"{name}: cannot read the {what} ({err.strerror or err}).") from None
    finally:
        os.close(fd)
    if total > limit:
        raise DataError(f"{name} grew beyond the {_size(limit)} a {what} may have while it was read.")
    return b"".join(chunks)
