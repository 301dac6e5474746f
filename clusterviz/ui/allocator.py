"""Process-wide memory tuning, for the application's start-up (not for widgets).

Every raster and every model step allocates and frees arrays of megabytes
(the raster's per-pixel grids alone are ~20 MB at 900 x 700); by default
glibc hands such blocks back to the system at once, and touching fresh
pages again costs page faults and system time on every frame. Raising the
mmap and trim thresholds keeps the memory for reuse. Measured with
tests/benchmarks/bench_render.py on a loaded 2-core machine: the canvas's
CPU time per frame at 10**4 points fell from 42 to 32 ms; at 10**5 and
10**6 points the difference was within the noise.
"""
from __future__ import annotations

_tuned: bool | None = None


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse (Linux only).

    Sets the mmap threshold to 64 MB and the trim threshold to 256 MB, once
    per process. Call it at application start-up.

    Returns
    -------
    bool
        Whether the allocator accepted it; elsewhere (not glibc) nothing is
        done and False is returned.
    """
    global _tuned
    if _tuned is None:
        _tuned = False
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
            _tuned = bool(libc.mallopt(m_mmap_threshold, 64 << 20)) and bool(
                libc.mallopt(m_trim_threshold, 256 << 20))
        except (OSError, AttributeError):  # not glibc
            pass
    return _tuned
