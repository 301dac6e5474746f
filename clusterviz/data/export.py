"""Write the points with their clustering as CSV, and animations as GIF (numpy and csv only, never Qt)."""
from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .dataset import DataError

__all__ = ["GifWriter", "write_points_csv"]


def write_points_csv(
    path: str | os.PathLike[str],
    X,
    columns: Sequence[str],
    labels=None,
    responsibilities=None,
    classes: Sequence[str] | None = None,
) -> int:
    """Write one row per point: its coordinates, true class, cluster and
    responsibilities.

    Parameters
    ----------
    path : str or path-like
        The CSV file to write (UTF-8, comma-separated, ``\\n`` line ends).
    X : array_like of shape (n_samples, n_features)
    columns : sequence of str, length n_features
        Header of the coordinate columns.
    labels : array_like of int, shape (n_samples,), optional
        The cluster of each point, 0-based; written 1-based in a ``cluster``
        column, as the app names clusters. Omitted when None (e.g. before
        the first E-step).
    responsibilities : array_like of shape (n_samples, n_clusters), optional
        Written as ``r1 ... rK``.
    classes : sequence of str, optional
        The true class name of each point, written in a ``class`` column.

    Returns
    -------
    int
        The number of rows written (without the header).

    Raises
    ------
    DataError
        If the shapes disagree or the file cannot be written; the message
        names the file.
    """
    path = Path(path)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0] if X.ndim == 2 else -1
    if X.ndim != 2 or len(columns) != X.shape[1]:
        raise DataError(f"{path.name}: {len(columns)} column names for data of shape {X.shape}.")
    header = [str(c) for c in columns]
    extra: list[list[str]] = []
    if classes is not None:
        if len(classes) != n:
            raise DataError(f"{path.name}: {len(classes)} class names for {n} points.")
        header.append(_unique("class", header))
        extra.append([str(c) for c in classes])
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if labels.shape[0] != n:
            raise DataError(f"{path.name}: {labels.shape[0]} cluster labels for {n} points.")
        header.append(_unique("cluster", header))
        extra.append([str(int(k) + 1) for k in labels])
    if responsibilities is not None:
        R = np.asarray(responsibilities, dtype=np.float64)
        if R.ndim != 2 or R.shape[0] != n:
            raise DataError(f"{path.name}: responsibilities of shape {R.shape} for {n} points.")
        for k in range(R.shape[1]):
            header.append(_unique(f"r{k + 1}", header))
            extra.append([repr(float(v)) for v in R[:, k]])
    try:
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            for i in range(n):
                writer.writerow([repr(float(v)) for v in X[i]] + [col[i] for col in extra])
    except OSError as err:
        raise DataError(f"{path.name}: cannot write the file: {err.strerror or err}.") from None
    return n


def _unique(name: str, taken: list[str]) -> str:
    """``name``, or ``name_2``, ... if a data column already has that name."""
    candidate, i = name, 1
    while candidate in taken:
        i += 1
        candidate = f"{name}_{i}"
    return candidate


class GifWriter:
    """Write an animated GIF frame by frame (numpy only; no Pillow needed).

    The first frame is written whole; each later one only as the rectangle
    around the pixels that changed since the picture shown, with the
    unchanged pixels inside it transparent (so they stay as they are and,
    being long runs of one index, cost next to nothing). Each frame gets its
    own colour table of at most 256 colours (255 and the transparent index
    for later frames): the exact colours when there are few enough, as on
    a canvas picture -- a white background, a few cluster colours and their
    antialiased edges -- else the most frequent colours (after rounding to
    5 bits per channel), every pixel mapped to the nearest of them.

    Parameters
    ----------
    path : str or path-like
    delay_ms : int
        Time each frame is shown, in milliseconds (GIF stores hundredths).
    loop : bool
        Play the animation in a loop (a NETSCAPE2.0 block).

    Use as a context manager, or call `close` (which writes the trailer).
    Frames must all have the size of the first.
    """

    def __init__(self, path: str | os.PathLike[str], delay_ms: int = 500, loop: bool = True) -> None:
        self.path = Path(path)
        self.delay = max(1, int(round(delay_ms / 10)))
        self.loop = loop
        self.n_frames = 0
        self._size: tuple[int, int] | None = None
        self._shown: np.ndarray | None = None  # the picture a viewer shows after the last frame
        try:
            self._file = self.path.open("wb")
        except OSError as err:
            raise DataError(f"{self.path.name}: cannot write the file: {err.strerror or err}.") from None

    def __enter__(self) -> GifWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_frame(self, rgb, delay_ms: int | None = None) -> None:
        """Append one frame.

        Parameters
        ----------
        rgb : array_like of uint8, shape (height, width, 3)
        delay_ms : int, optional
            How long this frame is shown (default: the writer's delay).
        """
        img = np.asarray(rgb)
        if img.ndim != 3 or img.shape[2] < 3 or img.dtype != np.uint8:
            raise DataError(f"{self.path.name}: a frame should be a (height, width, 3) uint8 image; "
                            f"got shape {img.shape} and dtype {img.dtype}.")
        img = img[:, :, :3]
        h, w = img.shape[:2]
        if self._size is None:
            self._size = (w, h)
            self._write_header(w, h)
        elif self._size != (w, h):
            raise DataError(f"{self.path.name}: frame {self.n_frames + 1} is {w}x{h}; "
                            f"the first frame was {self._size[0]}x{self._size[1]}.")
        delay = self.delay if delay_ms is None else max(1, int(round(delay_ms / 10)))
        if self._shown is None:
            palette, indices = _quantise(img)
            self._shown = palette[indices]
            self._write_image(0, 0, palette, indices, delay, transparent=None)
        else:
            self._write_change(img, delay)
        self.n_frames += 1

    def _write_change(self, img: np.ndarray, delay: int) -> None:
        """A later frame: the rectangle around the changed pixels, the
        unchanged ones in it transparent (a single transparent pixel when
        nothing changed, which still shows the picture for ``delay``)."""
        changed = (img != self._shown).any(axis=2)
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:
            self._write_image(0, 0, np.zeros((1, 3), dtype=np.uint8), np.ones((1, 1), dtype=np.uint8), delay,
                              transparent=1)
            return
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        mask = changed[top:bottom, left:right]
        new = img[top:bottom, left:right][mask]
        palette, codes = _quantise(new[None], max_colours=255)
        transparent = palette.shape[0]
        indices = np.full(mask.shape, transparent, dtype=np.uint8)
        indices[mask] = codes[0]
        self._shown[top:bottom, left:right][mask] = palette[codes[0]]
        self._write_image(int(left), int(top), palette, indices, delay, transparent=transparent)

    def _write_image(self, left: int, top: int, palette: np.ndarray, indices: np.ndarray, delay: int,
                     transparent: int | None) -> None:
        """A graphic control extension (``delay``, disposal "leave in place",
        the transparent index if any), an image descriptor at (left, top),
        its colour table and its LZW data."""
        h, w = indices.shape
        out = bytearray()
        flags = 0x04 | (transparent is not None)
        out += b"\x21\xf9\x04" + bytes([flags]) + delay.to_bytes(2, "little")
        out += bytes([transparent or 0]) + b"\x00"
        n_colours = palette.shape[0] + (transparent is not None)
        bits = max(1, int(np.ceil(np.log2(max(n_colours, 2)))))
        table = np.zeros((1 << bits, 3), dtype=np.uint8)
        table[: palette.shape[0]] = palette
        out += (b"\x2c" + left.to_bytes(2, "little") + top.to_bytes(2, "little") + w.to_bytes(2, "little")
                + h.to_bytes(2, "little"))
        out += bytes([0x80 | (bits - 1)]) + table.tobytes()
        min_code = max(2, bits)
        data = _lzw_encode(indices.reshape(-1), min_code)
        out += bytes([min_code])
        for i in range(0, len(data), 255):
            chunk = data[i:i + 255]
            out += bytes([len(chunk)]) + chunk
        out += b"\x00"
        self._write(bytes(out))

    def close(self) -> None:
        """Finish the file (safe to call twice)."""
        if self._file.closed:
            return
        try:
            if self._size is not None:
                self._file.write(b"\x3b")
        finally:
            self._file.close()

    def _write_header(self, w: int, h: int) -> None:
        head = b"GIF89a" + w.to_bytes(2, "little") + h.to_bytes(2, "little") + b"\x00\x00\x00"
        if self.loop:
            head += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
        self._write(head)

    def _write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as err:
            self._file.close()
            raise DataError(f"{self.path.name}: cannot write the file: {err.strerror or err}.") from None


def _quantise(img: np.ndarray, max_colours: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(palette (P, 3) uint8 with P <= max_colours, indices (h, w) uint8), vectorised."""
    flat = img.reshape(-1, 3)
    r, g, b = (flat[:, i].astype(np.int32) for i in range(3))
    bins = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3)
    counts = np.bincount(bins, minlength=1 << 15)
    used = np.flatnonzero(counts)
    if used.size <= max_colours:  # maybe few enough exact colours: keep them exactly
        colours, inverse = np.unique((r << 16) | (g << 8) | b, return_inverse=True)
        if colours.size <= max_colours:
            palette = np.stack([colours >> 16, (colours >> 8) & 0xFF, colours & 0xFF], axis=1)
            return palette.astype(np.uint8), inverse.reshape(img.shape[:2]).astype(np.uint8)
    # Too many colours: keep the most frequent 5-bit bins (their mean colour).
    keep = used[np.argsort(counts[used], kind="stable")[::-1][:max_colours]]
    sums = np.stack([np.bincount(bins, weights=c, minlength=1 << 15) for c in (r, g, b)], axis=1)
    palette = np.rint(sums[keep] / counts[keep, None]).astype(np.int32)
    # Every used bin -> the nearest palette colour (by the bin's own mean colour).
    means = sums[used] / counts[used, None]
    lookup = np.zeros(1 << 15, dtype=np.uint8)
    for start in range(0, used.size, 4096):
        block = means[start:start + 4096]
        d2 = ((block[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
        lookup[used[start:start + 4096]] = np.argmin(d2, axis=1)
    return palette.astype(np.uint8), lookup[bins].reshape(img.shape[:2])


def _pack_codes(codes, widths) -> bytes:
    """GIF's bit stream: code i in ``widths[i]`` bits (<= 12), least significant bit first."""
    as_bytes = np.asarray(codes, dtype="<u2").view(np.uint8).reshape(-1, 2)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :12]
    bits = bits[np.arange(12)[None, :] < np.asarray(widths, dtype=np.int64)[:, None]]  # row by row
    return np.packbits(bits, bitorder="little").tobytes()


#: The encoder clears the code table before it holds this many entries (the limit is 4096).
_TABLE_LIMIT = 4093


def _lzw_encode(indices: np.ndarray, min_code: int) -> bytes:
    """A GIF LZW stream of ``indices`` (values below ``2**min_code``).

    The dictionary coder of the GIF specification: the longest string seen
    before is sent as one code and, extended by the next pixel, becomes a
    new entry; code widths grow from ``min_code + 1`` to 12 bits as the
    table fills, and a clear code starts a new table before it holds 4096
    entries. Repeated patterns -- a marker's antialiased rim in row after
    row, runs of the background -- thus cost one code each. Noisy pictures
    (runs shorter than 3 pixels on average) are sent as literal codes only
    (`_lzw_literal`), smaller and faster for them.
    """
    x = np.asarray(indices).reshape(-1)
    clear, end = 1 << min_code, (1 << min_code) + 1
    if x.size and 3 * (1 + np.count_nonzero(x[1:] != x[:-1])) > x.size:
        return _lzw_literal(x, min_code)
    data = x.astype(np.uint8).tobytes()
    codes: list[int] = [clear]
    marks = [(0, min_code + 1)]  # (index of the first code of a width, the width)
    width, next_code = min_code + 1, end + 1
    if data:
        table: dict[int, int] = {}
        append = codes.append
        prefix = data[0]
        for pixel in data[1:]:
            key = prefix << 8 | pixel
            code = table.get(key)
            if code is not None:
                prefix = code
                continue
            append(prefix)
            if next_code >= _TABLE_LIMIT:  # a new table, announced at the current width
                append(clear)
                table = {}
                width, next_code = min_code + 1, end + 1
                marks.append((len(codes), width))
            else:
                table[key] = next_code
                next_code += 1
                # the decoder adds its entry one code later: it widens when its
                # table (next_code - 1 entries) reaches 2**width
                if next_code - 1 == 1 << width and width < 12:
                    width += 1
                    marks.append((len(codes), width))
            prefix = pixel
        append(prefix)
        if next_code - (1 << width) == 0 and width < 12:  # the decoder's entry for the last code
            width += 1
            marks.append((len(codes), width))
    codes.append(end)
    starts = [m[0] for m in marks] + [len(codes)]
    widths = np.repeat([m[1] for m in marks], np.diff(starts))
    return _pack_codes(codes, widths)


def _lzw_literal(indices: np.ndarray, min_code: int) -> bytes:
    """A valid GIF LZW stream of literal codes only, built with numpy.

    Every pixel is its own code, and a clear code follows each
    ``2**min_code - 2`` of them, before the decoder's table would widen the
    codes; so every code has ``min_code + 1`` bits and nothing is searched.
    """
    x = np.asarray(indices, dtype=np.int64).reshape(-1)
    clear, end = 1 << min_code, (1 << min_code) + 1
    per_block = (1 << min_code) - 2
    n_blocks = max(1, -(-x.size // per_block))
    codes = np.empty(x.size + n_blocks + 1, dtype=np.int64)
    starts = np.arange(n_blocks) * (per_block + 1)  # a clear code opens every block
    is_pixel = np.ones(codes.size, dtype=bool)
    is_pixel[starts] = False
    is_pixel[-1] = False
    codes[starts] = clear
    codes[is_pixel] = x
    codes[-1] = end
    return _pack_codes(codes, np.full(codes.size, min_code + 1))
