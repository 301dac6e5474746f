"""Write a file all at once: readers see the old contents or the new, never half.

`write_bytes_atomic` writes through what the user named: a symlink stays a
link and the file it points to gets the new contents; an existing file keeps
its permission bits, a new file gets the default mode (``0o666`` less the
umask). The bytes go to a uniquely named temporary in the target's folder,
created with ``O_EXCL`` (so a planted file or symlink of that name is never
opened), are flushed to the disk and renamed over the target; the folder is
flushed after the rename where the OS allows it.

A temporary is named ``.NAME.<16 hex digits>.part``. While it is written its
writer holds an exclusive lock on it (POSIX ``flock``); one left behind by a
killed writer holds no lock, and the next save of ``NAME`` removes it. Files
that do not match this pattern, and symlinks that do, are never touched.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

try:  # POSIX only: on Windows an open temporary cannot be deleted anyway
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["write_bytes_atomic", "remove_stale_temporaries", "temporary_pattern"]

_TOKEN_DIGITS = 16
_DEFAULT_MODE = 0o666


def temporary_pattern(name: str) -> re.Pattern[str]:
    """The names of the temporaries `write_bytes_atomic` makes for a file called ``name``."""
    return re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{{_TOKEN_DIGITS}}}\.part")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes | Iterable[bytes]) -> Path:
    """Replace the contents of ``path`` with ``data`` in one step.

    Parameters
    ----------
    path : str or path-like
        The file to write. A symlink is followed (to the end of a chain), and
        the file it points to is replaced; the link itself stays.
    data : bytes or iterable of bytes
        The whole new contents, or its chunks in order (made as they are
        written, so a large file is never held whole). Encode text before
        calling, so an encoding error leaves nothing behind; an exception
        raised while the chunks are made (a cancel) leaves the old file
        untouched and no temporary.

    Returns
    -------
    Path
        The file actually written (``path`` with symlinks resolved).

    Raises
    ------
    OSError
        If the target exists and is not a regular file (`IsADirectoryError`
        for a folder), or the temporary cannot be created, written, flushed
        or renamed. No temporary is left behind.
    """
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = None
    else:
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file (a pipe, device or socket)")
        mode = stat.S_IMODE(info.st_mode)
    folder = target.parent
    _remove_stale(folder, target.name)
    fd, tmp = _create_temporary(folder, target.name)
    try:
        try:
            if mode is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, mode)
                else:  # pragma: no cover - Windows
                    os.chmod(tmp, mode)
            for chunk in ([data] if isinstance(data, (bytes, bytearray, memoryview)) else data):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
            if fcntl is None:  # pragma: no cover - Windows cannot rename an open file
                os.close(fd)
                fd = -1
            os.replace(tmp, target)  # POSIX: still locked, so no cleaner takes it meanwhile
        finally:
            if fd >= 0:
                os.close(fd)  # releases the lock
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)
    return target


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty, locked temporary for ``name`` in ``folder``: (fd, path)."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    while True:
        tmp = folder / f".{name}.{secrets.token_hex(_TOKEN_DIGITS // 2)}.part"
        try:
            fd = os.open(tmp, flags, _DEFAULT_MODE)
        except FileExistsError:
            continue
        if fcntl is None:
            return fd, tmp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A cleaner that locked the file between our create and our lock removed it.
            if os.fstat(fd).st_nlink > 0:
                return fd, tmp
        except OSError:
            os.close(fd)
            raise
        os.close(fd)


def remove_stale_temporaries(path: str | os.PathLike[str]) -> None:
    """Remove the temporaries of ``path`` that killed writers left behind.

    Only regular files named like `write_bytes_atomic`'s temporaries of
    ``path`` (after resolving symlinks) that no writer holds locked are
    removed; anything else in the folder is left alone. Errors are ignored.
    """
    target = Path(os.path.realpath(path))
    _remove_stale(target.parent, target.name)


def _remove_stale(folder: Path, name: str) -> None:
    """Remove temporaries for ``name`` whose writer is gone (no lock held on them)."""
    pattern = temporary_pattern(name)
    try:
        entries = [e for e in os.scandir(folder) if pattern.fullmatch(e.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if fcntl is None:
                os.unlink(entry.path)  # fails while a writer has it open
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.unlink(entry.path)
        except OSError:
            pass  # a writer still holds it, or it went away
        finally:
            os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry of the renamed file, where the OS can open a folder."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
