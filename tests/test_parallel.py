"""Work shared with a forked helper process: every chunk exactly once, the same results
as in one process, and nothing lost when the helper fails or touches the database."""

from __future__ import annotations

import os
import time

from carenet.children.models import Child
from carenet.lib import parallel
from carenet.lib.parallel import Split, in_helper


def _slow_square(index: int) -> tuple[int, int, bool]:
    time.sleep(0.01)  # long enough that the helper takes some of the chunks
    return index * index, os.getpid(), in_helper()


def test_every_chunk_comes_once_and_the_helper_computes_some():
    with Split(_slow_square, 40) as split:
        results = dict(split.results())
    assert sorted(results) == list(range(40))
    assert all(square == i * i for i, (square, _pid, _helper) in results.items())
    by_helper = [r for r in results.values() if r[1] != os.getpid()]
    assert by_helper and all(helper for _square, _pid, helper in by_helper)
    assert split.helped == len(by_helper)
    assert not in_helper()


def test_without_a_helper_the_chunks_come_in_order_from_this_process(settings):
    settings.HELPER_PROCESS = False
    with Split(_slow_square, 5) as split:
        results = list(split.results())
    assert [i for i, _r in results] == list(range(5))
    assert {pid for _i, (_s, pid, _h) in results} == {os.getpid()}
    assert split.helped == 0


def test_a_failing_helper_leaves_its_chunks_to_this_process():
    def fails_in_helper(index: int) -> int:
        if in_helper() and index >= 3:
            raise ValueError("boom")
        time.sleep(0.005)
        return index

    with Split(fails_in_helper, 30) as split:
        results = dict(split.results())
    assert results == {i: i for i in range(30)}


def test_a_helper_that_dies_leaves_its_chunks_to_this_process():
    def dies_in_helper(index: int) -> int:
        if in_helper():
            os._exit(7)
        time.sleep(0.005)
        return -index

    with Split(dies_in_helper, 10) as split:
        results = dict(split.results())
    assert results == {i: -i for i in range(10)}
    assert split.helped == 0


def test_the_helper_never_queries_the_database_and_the_connection_survives(world):
    before = Child.objects.count()

    def counts(index: int) -> tuple[int, bool]:
        time.sleep(0.01)
        return Child.objects.count(), in_helper()

    with Split(counts, 12) as split:
        results = dict(split.results())
    # Every chunk was computed here: the helper's query was refused before reaching the
    # database, so it handed its chunks back.
    assert results == {i: (before, False) for i in range(12)}
    assert split.helped == 0
    assert Child.objects.count() == before  # this process's connection still works


def test_helper_available_needs_the_setting(settings):
    settings.HELPER_PROCESS = False
    assert not parallel.helper_available()


def test_a_helper_that_hangs_is_stopped_and_its_chunks_computed_here(monkeypatch):
    monkeypatch.setattr(parallel, "PATIENCE", 0.5)

    def hangs_in_helper(index: int) -> int:
        if in_helper():
            time.sleep(3600)
        time.sleep(0.005)
        return index + 1

    started = time.monotonic()
    with Split(hangs_in_helper, 8) as split:
        results = dict(split.results())
    assert results == {i: i + 1 for i in range(8)}
    assert time.monotonic() - started < 30
    assert split._process is None  # stopped


def test_a_daemonic_process_computes_alone(monkeypatch):
    monkeypatch.setattr(parallel.multiprocessing.current_process(), "daemon", True, raising=False)
    assert not parallel.helper_available()


class _HangsHoldingTheCounter(Split):
    def _claim(self):
        if in_helper():  # a helper stopped (or stuck) while it holds the shared counter
            self._counter.get_lock().acquire()
            time.sleep(3600)
        return super()._claim()


def test_a_helper_holding_the_chunk_counter_cannot_stall_the_work(monkeypatch):
    monkeypatch.setattr(parallel, "PATIENCE", 0.5)
    started = time.monotonic()
    with _HangsHoldingTheCounter(lambda index: index * 3, 6) as split:
        time.sleep(0.2)  # the helper takes the lock first
        results = dict(split.results())
    assert results == {i: i * 3 for i in range(6)}
    assert split.helped == 0 and split._process is None  # stopped
    assert time.monotonic() - started < 30
