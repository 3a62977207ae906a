"""Child processes that end with their parent, and work run in a child that may crash.

``die_with_parent`` (Linux: ``prctl(PR_SET_PDEATHSIG)``) makes the kernel signal a child
when the thread that forked it ends, even by SIGKILL. ``run_isolated`` runs a function in
a forked child under an address-space limit and returns its result: a native abort, a
segfault or an allocation beyond the limit ends only that child, and the caller gets an
``IsolatedCrash`` instead of losing its own process (a web server worker, the queue
worker).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1


class IsolatedCrash(RuntimeError):
    """The child died (a signal, an exit without an answer, too much memory, too long)."""


@cache
def _prctl():
    """libc's ``prctl`` (Linux), looked up once: in a child just forked, looking it up
    (``find_library`` runs ``ldconfig``) would take longer than the child's first work."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # the process's own libc
    except (OSError, AttributeError):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            return libc.prctl
        except (OSError, AttributeError):
            return None


def die_with_parent(sig: int = signal.SIGTERM, *, parent: int | None = None) -> None:
    """In a child: get ``sig`` when the parent dies, even by SIGKILL (Linux only; call
    ``prepare_die_with_parent`` in the parent before the fork).

    With ``parent`` (the parent's pid before the fork), a parent already gone before the
    request was made ends this process at once."""
    prctl = _prctl()
    if prctl is None:
        return  # elsewhere the child outlives a killed parent, as it would anyway
    prctl(_PR_SET_PDEATHSIG, int(sig))
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def prepare_die_with_parent() -> None:
    """In the parent, before forking: look ``prctl`` up here, once."""
    _prctl()


def _address_space() -> int:
    """This process's virtual size in bytes (Linux), else 0."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(extra: int) -> None:
    try:
        import resource

        limit = _address_space() + extra
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def run_isolated(
    fn: Callable[[], T],
    *,
    memory_bytes: int,
    timeout: float,
    prepare: Callable[[], None] | None = None,
) -> T:
    """``fn()`` computed in a forked child allowed ``memory_bytes`` more address space than
    this process has, within ``timeout`` seconds. An exception ``fn`` raises is raised here
    (it must pickle); a child that dies or overruns raises ``IsolatedCrash``. Without
    ``os.fork`` (not POSIX) ``fn`` runs here."""
    if not hasattr(os, "fork"):
        return fn()
    parent = os.getpid()
    prepare_die_with_parent()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            die_with_parent(signal.SIGKILL, parent=parent)
            _limit_memory(memory_bytes)
            if prepare is not None:
                prepare()
            try:
                answer: tuple[str, object] = ("ok", fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the parent
                answer = ("raised", exc)
            try:
                payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                payload = pickle.dumps(("raised", IsolatedCrash(repr(answer[1]))))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise IsolatedCrash(f"no answer within {timeout} s")
            ready, _, _ = select.select([read_end], [], [], left)
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
        raise IsolatedCrash(f"the child ended with status {status}")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "raised":
        if isinstance(value, MemoryError):
            raise IsolatedCrash("out of memory")
        raise value
    return value
