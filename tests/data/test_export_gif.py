"""The animated GIF writer: valid files (read back by an independent GIF
decoder written here from the GIF89a specification), faithful colours, and
fast enough for a 900x700 canvas picture (no per-pixel Python loop)."""
from __future__ import annotations


import numpy as np
import pytest

from clusterviz.data import DataError
from clusterviz.data.export import GifWriter, _lzw_encode, _lzw_literal, _quantise


# ---------------------------------------------------------------- a decoder
def _lzw_decode(data: bytes, min_code: int, n_pixels: int) -> list[int]:
    """The textbook GIF LZW decoder (variable width, clear and end codes)."""
    clear, end = 1 << min_code, (1 << min_code) + 1
    pos, out = 0, []
    width, table, prev = min_code + 1, None, None
    n_bits = len(data) * 8
    value = int.from_bytes(data, "little")
    while pos + width <= n_bits:
        code = (value >> pos) & ((1 << width) - 1)
        pos += width
        if code == clear:
            table = [[i] for i in range(clear)] + [None, None]
            width, prev = min_code + 1, None
            continue
        if code == end:
            break
        assert table is not None, "the stream must start with a clear code"
        if code < len(table):
            entry = table[code]
            assert entry is not None, f"code {code} is the clear/end slot"
        else:
            assert code == len(table) and prev is not None, f"code {code} is not in the table ({len(table)})"
            entry = prev + prev[:1]
        out.extend(entry)
        if prev is not None and len(table) < 4096:
            table.append(prev + entry[:1])
            if len(table) == 1 << width and width < 12:
                width += 1
        prev = entry
    assert len(out) == n_pixels, (len(out), n_pixels)
    return out


def read_gif(path) -> tuple[list[np.ndarray], list[int]]:
    """Every frame as shown, an (h, w, 3) uint8 array, and each frame's
    delay in ms. A frame may cover a rectangle of the picture and have a
    transparent index; its disposal method must be "leave in place"."""
    b = path.read_bytes()
    assert b[:6] == b"GIF89a" and b[-1:] == b";"
    w, h = int.from_bytes(b[6:8], "little"), int.from_bytes(b[8:10], "little")
    assert b[10] & 0x80 == 0  # no global table: each frame brings its own
    i, frames, delays = 13, [], []
    shown = np.zeros((h, w, 3), dtype=np.uint8)
    transparent = None
    while b[i] != 0x3B:
        if b[i] == 0x21:  # extension: label, then sub-blocks
            if b[i + 1] == 0xF9:
                flags = b[i + 3]
                assert (flags >> 2) & 7 in (0, 1), "disposal: leave the frame in place"
                delays.append(10 * int.from_bytes(b[i + 4:i + 6], "little"))
                transparent = b[i + 6] if flags & 1 else None
            i += 2
            while b[i]:
                i += b[i] + 1
            i += 1
            continue
        assert b[i] == 0x2C, f"unexpected block {b[i]:#x} at {i}"
        left, top = int.from_bytes(b[i + 1:i + 3], "little"), int.from_bytes(b[i + 3:i + 5], "little")
        fw, fh = int.from_bytes(b[i + 5:i + 7], "little"), int.from_bytes(b[i + 7:i + 9], "little")
        assert left + fw <= w and top + fh <= h and fw * fh > 0
        if not frames:
            assert (left, top, fw, fh) == (0, 0, w, h) and transparent is None  # the first frame is whole
        flags = b[i + 9]
        assert flags & 0x80
        size = 2 << (flags & 7)
        table = np.frombuffer(b[i + 10:i + 10 + 3 * size], dtype=np.uint8).reshape(size, 3)
        i += 10 + 3 * size
        min_code = b[i]
        i += 1
        data = bytearray()
        while b[i]:
            data += b[i + 1:i + 1 + b[i]]
            i += b[i] + 1
        i += 1
        idx = np.array(_lzw_decode(bytes(data), min_code, fw * fh)).reshape(fh, fw)
        assert idx.max(initial=0) < size
        opaque = np.ones(idx.shape, dtype=bool) if transparent is None else idx != transparent
        shown[top:top + fh, left:left + fw][opaque] = table[idx[opaque]]
        frames.append(shown.copy())
        transparent = None
    return frames, delays


def canvas_like(h: int = 120, w: int = 160, seed: int = 0, n_colours: int = 4) -> np.ndarray:
    """A white picture with filled, antialiased-looking discs: what the canvas draws."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 255, dtype=np.uint8)
    colours = rng.integers(0, 200, size=(n_colours, 3))
    yy, xx = np.mgrid[:h, :w]
    for _ in range(40):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(2, 6)
        c = colours[rng.integers(n_colours)]
        d = np.hypot(yy - cy, xx - cx)
        img[d < r] = c
        edge = (d >= r) & (d < r + 1)
        img[edge] = ((c.astype(int) + 255) // 2).astype(np.uint8)  # a lighter rim
    img[h // 2, :] = 40  # an axis line
    return img


# -------------------------------------------------------------------- tests
def test_frames_read_back_exactly_with_their_delays(tmp_path):
    frames = [canvas_like(seed=s) for s in range(3)]
    path = tmp_path / "run.gif"
    with GifWriter(path, delay_ms=500) as gif:
        for i, f in enumerate(frames):
            gif.add_frame(f, delay_ms=2500 if i == 2 else None)
    back, delays = read_gif(path)
    assert len(back) == 3 and delays == [500, 500, 2500]
    for a, b in zip(back, frames):
        np.testing.assert_array_equal(a, b)  # few colours: kept exactly


@pytest.mark.parametrize("n_colours", [1, 2, 3, 5, 16, 17, 200, 256])
@pytest.mark.parametrize("kind", ["noise", "runs"])
def test_any_palette_size_and_texture_decodes(tmp_path, n_colours, kind):
    rng = np.random.default_rng(n_colours)
    palette = rng.integers(0, 256, size=(n_colours, 3), dtype=np.uint8)
    palette[:, 0] = np.arange(n_colours)  # distinct colours
    if kind == "noise":
        idx = rng.integers(0, n_colours, size=(37, 53))
    else:
        lengths = rng.geometric(1 / 40, size=200)
        idx = np.resize(np.repeat(rng.integers(0, n_colours, lengths.size), lengths), (37, 53))
    img = palette[idx]
    path = tmp_path / "p.gif"
    with GifWriter(path) as gif:
        gif.add_frame(img)
    (back,), _ = read_gif(path)
    np.testing.assert_array_equal(back, img)


def test_a_long_flat_picture_clears_the_code_table_and_compresses(tmp_path):
    # 1.4 million white pixels and a few dark ones: many table clears, tiny file.
    img = np.full((1000, 1400, 3), 255, dtype=np.uint8)
    img[::97, ::89] = 0
    path = tmp_path / "flat.gif"
    with GifWriter(path) as gif:
        gif.add_frame(img)
    (back,), _ = read_gif(path)
    np.testing.assert_array_equal(back, img)
    assert path.stat().st_size < img.shape[0] * img.shape[1] / 20  # well under a byte per pixel


def test_many_colours_are_reduced_to_256_close_ones(tmp_path):
    rng = np.random.default_rng(1)
    img = np.clip(canvas_like(seed=2, n_colours=12).astype(int) + rng.integers(-6, 7, (120, 160, 3)), 0, 255)
    img = img.astype(np.uint8)
    assert np.unique(img.reshape(-1, 3), axis=0).shape[0] > 256
    palette, idx = _quantise(img)
    assert palette.shape[0] <= 256 and idx.dtype == np.uint8
    path = tmp_path / "many.gif"
    with GifWriter(path) as gif:
        gif.add_frame(img)
    (back,), _ = read_gif(path)
    np.testing.assert_array_equal(back, palette[idx])
    assert np.abs(back.astype(int) - img).mean() < 6


def test_empty_and_single_pixel_streams_decode():
    for x in (np.empty(0, dtype=np.int64), np.array([3]), np.array([0, 0]), np.array([1, 2, 3])):
        assert _lzw_decode(_lzw_encode(x, 2), 2, x.size) == x.tolist()


def test_a_full_size_canvas_frame_reads_back_exactly(tmp_path):
    """A 900x700 frame (the run-length LZW path on real-sized pictures)."""
    img = canvas_like(700, 900, seed=4, n_colours=12)
    with GifWriter(tmp_path / "big.gif") as gif:
        gif.add_frame(img)
    back, _ = read_gif(tmp_path / "big.gif")
    np.testing.assert_array_equal(back[0], img)


def test_bad_frames_are_refused_with_a_message(tmp_path):
    with GifWriter(tmp_path / "bad.gif") as gif:
        with pytest.raises(DataError, match=r"\(height, width, 3\) uint8"):
            gif.add_frame(np.zeros((4, 4), dtype=np.uint8))
        gif.add_frame(np.zeros((4, 4, 3), dtype=np.uint8))
        with pytest.raises(DataError, match="frame 2 is 5x4; the first frame was 4x4"):
            gif.add_frame(np.zeros((4, 5, 3), dtype=np.uint8))


# ------------------------------------------- later frames, other decoders, size
def moving_frames(n: int = 6, h: int = 150, w: int = 200) -> list[np.ndarray]:
    """A canvas picture in which, from frame to frame, a few discs move and
    a title's digits change: what stepping a run looks like."""
    base = canvas_like(h, w, seed=7, n_colours=5)
    frames = []
    yy, xx = np.mgrid[:h, :w]
    for t in range(n):
        img = base.copy()
        for k in range(3):
            cy, cx = 30 + 40 * k + 3 * t, 40 + 50 * k + 5 * t
            img[np.hypot(yy - cy, xx - cx) < 5] = (200, 40 * k, 90)
        img[2:8, 90 + 6 * t:96 + 6 * t] = 0  # a "digit" of the title
        frames.append(img)
    frames.append(frames[-1].copy())  # a frame that changes nothing
    return frames


def write(frames, path, writer=GifWriter):
    with writer(path, delay_ms=300) as gif:
        for f in frames:
            gif.add_frame(f)
    return path


class WholeFrames(GifWriter):
    """Every frame written whole and opaque (as the writer did before)."""

    def _write_change(self, img, delay):
        palette, indices = _quantise(img)
        self._shown = palette[indices]
        self._write_image(0, 0, palette, indices, delay, transparent=None)


def test_later_frames_are_changed_rectangles_that_read_back_exactly(tmp_path):
    frames = moving_frames()
    back, delays = read_gif(write(frames, tmp_path / "moving.gif"))
    assert len(back) == len(frames) and delays == [300] * len(frames)
    for a, b in zip(back, frames):
        np.testing.assert_array_equal(a, b)


def test_files_are_smaller_than_whole_frames_and_than_literal_codes(tmp_path):
    frames = moving_frames()
    ours = write(frames, tmp_path / "ours.gif").stat().st_size
    whole = write(frames, tmp_path / "whole.gif", WholeFrames).stat().st_size
    assert ours < 0.5 * whole
    idx = _quantise(frames[0])[1].reshape(-1)
    assert len(_lzw_encode(idx, 8)) < 0.25 * len(_lzw_literal(idx, 8))  # the dictionary pays on a canvas


def test_qt_reads_every_frame_as_written(tmp_path):
    QtGui = pytest.importorskip("PySide6.QtGui")
    frames = moving_frames()
    reader = QtGui.QImageReader(str(write(frames, tmp_path / "qt.gif")))
    assert reader.imageCount() == len(frames)
    for frame in frames:
        image = reader.read().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        assert not image.isNull(), reader.errorString()
        h, w = frame.shape[:2]
        pixels = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(h, image.bytesPerLine())[:, :3 * w]
        np.testing.assert_array_equal(pixels.reshape(h, w, 3), frame)


def test_pillow_reads_every_frame_as_written(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    frames = moving_frames()
    with Image.open(write(frames, tmp_path / "pil.gif")) as gif:
        assert gif.n_frames == len(frames)
        for i, frame in enumerate(frames):
            gif.seek(i)
            np.testing.assert_array_equal(np.asarray(gif.convert("RGB")), frame)
