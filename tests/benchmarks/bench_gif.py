"""Size of the animated GIF the app exports, against writing every frame
whole (what the writer did before it wrote changed rectangles) and against
Pillow when it is installed (measured only; Pillow is no dependency).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_gif.py [--steps 30] [--algorithm gmm] [--k 4]
                                                                  [--repeats 5]

The frames: ``python main.py --algorithm A --k K --steps S --export-gif`` (the default data set
and window, offscreen), read back frame by frame with the test suite's GIF
decoder. Each encoder writes the same frames; sizes, and medians of R
encoding times.
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's clusterviz, not an installed one
sys.path.insert(0, str(ROOT / "tests" / "data"))
from clusterviz.data.export import GifWriter, _quantise  # noqa: E402
from test_export_gif import read_gif  # noqa: E402


class WholeFrames(GifWriter):
    """Every frame written whole, without transparency (today's LZW)."""

    def _write_change(self, img, delay):
        palette, indices = _quantise(img)
        self._shown = palette[indices]
        self._write_image(0, 0, palette, indices, delay, transparent=None)


def writer_at(rev: str):
    """The GifWriter of ``clusterviz/data/export.py`` at git revision ``rev``
    (None when git or the revision is not at hand)."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:clusterviz/data/export.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    namespace = {"__name__": "export_before"}
    source = source.replace("from .dataset import DataError", "from clusterviz.data.dataset import DataError")
    exec(compile(source, f"{rev}:export.py", "exec"), namespace)
    return namespace["GifWriter"]


def encode(writer_class, frames, delay_ms: int, path: Path) -> int:
    with writer_class(path, delay_ms=delay_ms) as gif:
        for frame in frames:
            gif.add_frame(frame)
    return path.stat().st_size


def pillow_size(frames, delay_ms: int) -> int | None:
    try:
        from PIL import Image
    except ImportError:
        return None
    images = [Image.fromarray(f) for f in frames]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=delay_ms, loop=0,
                   optimize=True)
    return out.tell()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--algorithm", default="gmm")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--before", default="404bc8f", help="git revision of the writer to compare with")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        subprocess.run([sys.executable, "main.py", "--algorithm", args.algorithm, "--k", str(args.k),
                        "--steps", str(args.steps), "--export-gif",
                        str(folder / "app.gif")], cwd=ROOT, env=env, check=True, capture_output=True)
        frames, delays = read_gif(folder / "app.gif")
        h, w = frames[0].shape[:2]
        print(f"{len(frames)} frames of {w}x{h} from `main.py --algorithm {args.algorithm} --k {args.k} "
              f"--steps {args.steps} --export-gif`")
        rows = {}
        encoders = [("clusterviz (changed rectangles, dictionary LZW)", GifWriter),
                    ("whole frames, dictionary LZW", WholeFrames)]
        before = writer_at(args.before)
        if before is not None:
            encoders.append((f"the writer before ({args.before}: whole frames, run-length LZW)", before))
        for name, cls in encoders:
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                size = encode(cls, frames, delays[0], folder / "out.gif")
                times.append(time.perf_counter() - start)
            back, _ = read_gif(folder / "out.gif")
            if cls is GifWriter:  # the changed rectangles keep the frames exactly
                assert all(np.array_equal(a, b) for a, b in zip(back, frames)), name
            rows[name] = (size, float(np.median(times)))
        pillow = pillow_size(frames, delays[0])
    ours = rows["clusterviz (changed rectangles, dictionary LZW)"][0]
    print("| encoder | bytes | encoding time (s), median | size / clusterviz |")
    print("|---|---|---|---|")
    for name, (size, seconds) in rows.items():
        print(f"| {name} | {size:,} | {seconds:.3f} | {size / ours:.2f} |")
    if pillow is None:
        print("| Pillow (optimize=True) | not installed | | |")
    else:
        print(f"| Pillow (optimize=True) | {pillow:,} | | {pillow / ours:.2f} |")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
