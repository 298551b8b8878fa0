"""Give freed heap back to the operating system after big one-off jobs (a 100,000-row file, a group insert).

CPython frees its objects, but glibc keeps the freed pages in its arenas (one per thread that ever allocated),
so a process's RSS would stay at its peak. malloc_trim(0) returns them; elsewhere (musl, macOS) it is a no-op.
"""

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from typing import Any

from nameko.timer import timer

_libc: Any = None  # the C library once loaded; False where it cannot be


def _trim_function() -> Callable[[int], int] | None:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    return _libc.malloc_trim if _libc else None


def release() -> bool:
    """Collect cyclic garbage, then trim every malloc arena. Returns True when the heap was trimmed."""
    gc.collect()
    trim = _trim_function()
    return bool(trim and trim(0))


class ReleasesMemory:
    """Mixin for a nameko service that handles big one-off payloads: trims its heap every RELEASE_SECONDS."""

    RELEASE_SECONDS = 20

    @timer(interval=RELEASE_SECONDS)
    def release_memory(self) -> None:
        release()
