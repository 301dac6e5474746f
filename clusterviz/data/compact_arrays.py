"""Large arrays in a JSON file, compactly and bit for bit: array blocks.

A block is a JSON object holding the array's raw little-endian bytes in
base64, with its element type and shape::

    {"dtype": "<f8", "shape": [1000000, 2], "base64": "AAAAAAAA8D8..."}

Why base64 inside the JSON rather than a zip of raw blocks: the session file
stays one UTF-8 JSON text, read by the same checked reader as before (size
limit, regular files only, every field named in messages), with no archive
format whose declared and real sizes could disagree (a zip bomb). A float64
takes 10.7 bytes instead of about 20 as decimal text, and the bytes are the
IEEE 754 bits themselves, so every value -- 5e-324, -9e307, -0.0 -- comes back
exactly; encoding and decoding run in C, in chunks, without building a
Python object per number.

`encode_block` gives the block's header and its base64 text as a stream of
chunks (written straight to the file, never joined); `decode_block` checks a
block read from a file -- element type, shape, and that the base64 text has
exactly the length the shape needs -- *before* decoding anything, so a
crafted block cannot make the reader allocate more than the file's own size.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["BLOCK_DTYPES", "BLOCK_KEYS", "is_block", "encode_block", "block_chunks", "decode_block",
           "base64_length"]

#: The element types a block may hold: little-endian float64 and int64.
BLOCK_DTYPES = {"<f8": np.dtype("<f8"), "<i8": np.dtype("<i8")}
#: The keys of a block object.
BLOCK_KEYS = frozenset({"dtype", "shape", "base64"})
#: Largest size of one dimension of a block (far beyond any file the reader accepts).
MAX_DIMENSION = 2**40
#: Bytes encoded per chunk (a multiple of 3, so chunks join into one valid base64 text).
CHUNK_BYTES = 3 << 18


def is_block(value) -> bool:
    """Whether ``value`` (read from JSON) is meant as an array block: an object with a "base64" key."""
    return isinstance(value, dict) and "base64" in value


def base64_length(n_bytes: int) -> int:
    """Length of the padded base64 text of ``n_bytes`` bytes."""
    return 4 * ((n_bytes + 2) // 3)


def _little_endian(array: np.ndarray, dtype: str) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=BLOCK_DTYPES[dtype])


def encode_block(array, dtype: str) -> tuple[dict, np.ndarray]:
    """The header of a block for ``array`` (without its base64 text) and the
    array as contiguous little-endian ``dtype`` ("<f8" or "<i8").

    The conversion copies only when ``array`` is not already contiguous
    little-endian ``dtype`` (a `clusterviz.data.Dataset`'s arrays are).
    """
    data = _little_endian(np.asarray(array), dtype)
    return {"dtype": dtype, "shape": [int(n) for n in data.shape]}, data


def block_chunks(data: np.ndarray, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The base64 text of ``data``'s bytes, chunk by chunk (ASCII bytes).

    ``progress(n_bytes)`` is called after each chunk with the number of the
    array's bytes encoded so far.
    """
    raw = memoryview(data).cast("B") if data.size else memoryview(b"")
    for start in range(0, len(raw), CHUNK_BYTES):
        yield base64.b64encode(raw[start:start + CHUNK_BYTES])
        if progress is not None:
            progress(min(start + CHUNK_BYTES, len(raw)))


def decode_block(value, field: str, dtype: str, ndim: int, fail: Callable[[str, str], Exception],
                 shape_limits: tuple[int | None, ...] | None = None) -> np.ndarray:
    """The read-only array a block read from a file holds.

    Parameters
    ----------
    value : dict
        The block object from the JSON text.
    field : str
        The field's name, for messages (``"dataset.X"``).
    dtype : str
        The element type the field must have ("<f8" or "<i8").
    ndim : int
        The number of dimensions the field must have.
    fail : callable
        ``fail(field, problem)`` returns the exception to raise.
    shape_limits : tuple of (int or None), optional
        The exact size each dimension must have (None: any).

    Raises
    ------
    Exception
        What ``fail`` returns, when a key is missing or unknown, the element
        type or shape is wrong, or the base64 text is not exactly as long as
        the shape needs, or is not valid base64.
    """
    keys = set(value)
    if keys != BLOCK_KEYS:
        missing, extra = sorted(BLOCK_KEYS - keys), sorted(keys - BLOCK_KEYS)
        problem = f"is missing {', '.join(map(repr, missing))}" if missing else \
            f"has unknown keys {', '.join(map(repr, extra))}"
        raise fail(field, f"is an array block that {problem}; expected exactly 'dtype', 'shape' and 'base64'.")
    if value["dtype"] != dtype:
        raise fail(field, f"is an array block of element type {value['dtype']!r}; expected {dtype!r}.")
    shape = value["shape"]
    if (not isinstance(shape, list) or len(shape) != ndim
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_DIMENSION for n in shape)):
        shown = repr(shape) if len(repr(shape)) <= 60 else repr(shape)[:57] + "..."
        raise fail(field, f"has the array shape {shown}; expected {ndim} whole numbers 0..{MAX_DIMENSION}.")
    for axis, (n, want) in enumerate(zip(shape, shape_limits or (None,) * ndim)):
        if want is not None and n != want:
            raise fail(field, f"has {n} entries along axis {axis} of its array block; expected {want}.")
    text = value["base64"]
    if not isinstance(text, str):
        raise fail(field, "has an array block whose 'base64' is not text.")
    n_bytes = BLOCK_DTYPES[dtype].itemsize
    for n in shape:
        n_bytes *= n  # Python ints: a crafted shape cannot overflow, and nothing is allocated yet
    if len(text) != base64_length(n_bytes):
        raise fail(field, f"has an array block of shape {tuple(shape)} that needs {n_bytes} bytes "
                          f"({base64_length(n_bytes)} base64 characters), but its 'base64' text has "
                          f"{len(text)} characters; the block is corrupt or was edited.")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise fail(field, "has an array block whose 'base64' text is not valid base64; "
                          "the block is corrupt or was edited.") from None
    if len(raw) != n_bytes:  # padding characters in the wrong place
        raise fail(field, f"has an array block that decodes to {len(raw)} bytes; its shape {tuple(shape)} "
                          f"needs {n_bytes}.")
    array = np.frombuffer(raw, dtype=BLOCK_DTYPES[dtype]).reshape(shape)
    array = array.astype(array.dtype.newbyteorder("="), copy=False)
    array.setflags(write=False)
    return array
