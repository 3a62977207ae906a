"""Chunks of CPU-bound work shared with one forked helper process (the second core).

A large import spends seconds in pure Python (validating cells, encrypting values),
where threads gain nothing: the GIL runs one at a time. ``Split`` forks one helper
process that computes chunks of the work while this process computes others, or
writes the results already computed. The helper inherits everything this process holds
(the sheet read, the validator), so nothing has to be sent to it; each result it
computes comes back pickled through a pipe.

The helper must never touch the database: it shares this process's connection (the
same socket, the same SQLite file lock), so every query in it raises instead (and the
chunk is then computed here). It reports no progress and writes no log lines about
the data; it ends with ``os._exit`` (multiprocessing's fork start method), without
closing anything it inherited. It dies with this process, even one killed by SIGKILL
(``die_with_parent``).

If the helper cannot be started, dies or fails, this process computes the chunks it
did not deliver itself: the results are the same either way, only slower.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections

from carenet.lib.process import die_with_parent, prepare_die_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds this process waits for the helper's next result before it stops the helper and
# computes the rest itself (a chunk takes well under a second; a helper stuck on a lock
# that another thread held at the fork would otherwise hang the import).
PATIENCE = 60.0

_in_helper = False


def in_helper() -> bool:
    """True inside a helper process (for work that must only happen in the parent)."""
    return _in_helper


def helper_available() -> bool:
    """A fork-capable system with a second CPU, and ``settings.HELPER_PROCESS`` on."""
    return (
        settings.HELPER_PROCESS
        and not _in_helper
        and not multiprocessing.current_process().daemon  # may not have children
        and "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
    )


class _DatabaseRefused(RuntimeError):
    pass


def _refuse_queries(execute, sql, params, many, context):
    raise _DatabaseRefused("a helper process does not use the database")


def refuse_database() -> None:
    """In a forked child: every query on an inherited connection raises (it shares the
    parent's socket or SQLite file lock)."""
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers.append(_refuse_queries)


def _helper_main(
    compute: Callable[[int], T], claim: Callable[[], int | None], pipe, parent: int, reader
) -> None:
    global _in_helper
    _in_helper = True
    reader.close()  # the parent's end: with it open here, a send to a dead parent blocks
    # Killed with its parent (even by SIGKILL): a helper left behind would hold the
    # database files and the sheet's memory forever.
    die_with_parent(signal.SIGKILL, parent=parent)
    refuse_database()
    try:
        while (index := claim()) is not None:
            pipe.send((index, compute(index)))
        pipe.send(None)  # all delivered
    except Exception as exc:  # the parent computes the rest itself
        try:
            pipe.send(("failed", type(exc).__name__))
        except OSError:  # the parent has stopped listening
            pass
    finally:
        pipe.close()


def _widen(pipe) -> None:
    """Let the helper write a whole chunk's result without waiting for the reader (Linux:
    1 MiB instead of 64 KiB, the unprivileged maximum); elsewhere the pipe stays as is."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


class Split(Generic[T]):
    """``compute(i)`` for the chunks ``i`` in ``range(n)``, shared with a helper process
    when ``helper`` is true and ``helper_available()``.

    Both processes take the next chunk not yet taken (a counter in shared memory), so
    the faster one does more. ``results()`` yields every ``(i, compute(i))`` exactly
    once, in no set order: the helper's results as they arrive, else a chunk computed
    here. ``compute`` must be a function of the state at the fork and of ``i`` alone,
    and its result picklable.
    """

    def __init__(self, compute: Callable[[int], T], n: int, *, helper: bool = True) -> None:
        self.compute = compute
        self.n = n
        self._next = 0  # the next chunk, when there is no helper
        self.helped = 0  # results delivered by the helper
        self._counter = None
        self._pipe = None
        self._process = None
        if helper and n > 1 and helper_available():
            context = multiprocessing.get_context("fork")
            prepare_die_with_parent()
            self._counter = context.Value("l", 0)
            receive, send = context.Pipe(duplex=False)
            _widen(send)
            try:
                self._process = context.Process(
                    target=_helper_main,
                    args=(compute, self._claim, send, os.getpid(), receive),
                    daemon=True,
                    name="carenet-helper",
                )
                self._process.start()
            except Exception as exc:  # no memory or processes left: no helper
                log.warning("helper process could not start (%s); computing here", exc)
                self._process = None
                receive.close()
            else:
                self._pipe = receive
            send.close()

    def _claim(self) -> int | None:
        """The next chunk not yet taken by either process, or None."""
        if self._counter is None:
            index, self._next = self._next, self._next + 1
        else:
            lock = self._counter.get_lock()
            if not lock.acquire(timeout=PATIENCE):  # a helper killed while holding it
                if _in_helper:
                    return None
                self.close()
                return self._claim()
            try:
                count = self._counter.get_obj()  # the number itself (.value takes the lock)
                index = count.value
                count.value = index + 1
            finally:
                lock.release()
        return index if index < self.n else None

    def results(self) -> Iterator[tuple[int, T]]:
        done: set[int] = set()
        while True:
            if self._pipe is not None and self._pipe.poll():
                item = self._receive()
                if item is not None:
                    done.add(item[0])
                    yield item
                continue
            index = self._claim()
            if index is None:
                break
            done.add(index)
            yield index, self.compute(index)
        while self._pipe is not None:  # the helper's last chunks
            if not self._pipe.poll(PATIENCE):
                log.warning("helper process silent for %s s; computing its chunks here", PATIENCE)
                self.close()
                break
            item = self._receive()
            if item is not None:
                done.add(item[0])
                yield item
        for index in range(self.n):  # what a failed helper did not deliver
            if index not in done:
                yield index, self.compute(index)

    def _receive(self) -> tuple[int, T] | None:
        """The helper's next result; None (and the helper closed) when it has finished or
        failed."""
        assert self._pipe is not None  # called only while the helper's pipe is open
        try:
            item: Any = self._pipe.recv()
        except (EOFError, OSError):
            item = ("failed", "no answer")
        if item is None or item[0] == "failed":
            if item is not None:
                log.warning("helper process failed (%s); computing its chunks here", item[1])
            self.close()
            return None
        self.helped += 1
        return item

    def close(self) -> None:
        """Stop the helper (if it still runs) and release the pipe; the chunks not yet
        taken are counted here from now on."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._counter is not None:  # no one else takes chunks: no lock needed
            self._next = self._counter.get_obj().value
            self._counter = None

    def __enter__(self) -> Split[T]:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
