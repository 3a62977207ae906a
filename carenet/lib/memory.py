"""Giving freed memory back to the operating system."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_freed_memory() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``).

    python-calamine parses a sheet into ~120 MB of native cells for a 50,000-row
    register and frees them once the register is validated; glibc keeps such freed
    memory for later C allocations, which Python's own small objects never use. Without
    this, a worker that has read one large register carries that memory until it exits.
    Elsewhere this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
