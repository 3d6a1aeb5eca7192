"""The bench's concurrent host over Azurite: shared slots, batched reads, waits fast-forwarded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import pytest

from bench.driver import ConcurrentDriver
from emulator.azurite import Azurite
from shared.jobs import JobState
from shared.jobs.service import JobService
from tests.support.jobs import KIND, START, DemoWorld, demo_env, queue_depth

pytestmark = pytest.mark.azurite

WORKERS = 4


class Gauge:
    """How many invocations run at once (the most seen)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    @contextmanager
    def held(self, seconds: float = 0.05) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(seconds)  # long enough for the other slots to start
            yield
        finally:
            with self._lock:
                self.now -= 1


@contextmanager
def queue_reads(port: int) -> Iterator[list[str]]:
    """Record the Get Messages requests (GET .../messages) sent to the queue port."""
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send
    seen: list[str] = []

    def send(adapter: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        url = urlparse(request.url)
        if url.port == port and request.method == "GET" and url.path.endswith("/messages"):
            seen.append(url.query)
        return original(adapter, request, *args, **kwargs)

    HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        HTTPAdapter.send = original  # type: ignore[method-assign]


@pytest.fixture
def env(storage_env: Azurite) -> Iterator[tuple[DemoWorld, JobService, Azurite]]:
    with demo_env() as (world, service):
        yield world, service, storage_env


def _event(service: JobService, gauge: Gauge, key: str, ids: list[str]) -> Callable[[], float]:
    """An Event Grid delivery that starts one job, as the resource event handler does."""

    def invoke() -> float:
        started = time.perf_counter()
        with gauge.held():
            ids.append(service.submit(KIND, key, {}).job.id)
        return time.perf_counter() - started

    return invoke


def test_events_and_jobs_share_the_slots_and_every_job_finishes(env) -> None:
    world, service, _ = env
    gauge, ids = Gauge(), []
    world.hooks["copy"] = _held_hook(gauge)
    events = [_event(service, gauge, f"img@{i}", ids) for i in range(12)]

    stats = ConcurrentDriver(WORKERS, world.clock, world.clock.advance).run(invocations=events)

    assert stats.invocations == 12
    assert [service.get(i).state for i in ids] == [JobState.SUCCEEDED] * 12
    assert gauge.peak == WORKERS, "events and run_job never exceed the slots, and fill them"
    # Every job waits 30 s to settle; the clock jumps once, when every slot is idle.
    assert stats.fast_forwarded == pytest.approx(30)
    assert world.clock() == START.replace(second=30)
    assert stats.failed == 0
    assert queue_depth() == 0, "the host deleted every completed message"


def test_the_queue_is_read_in_batches_not_a_request_per_message(env) -> None:
    world, service, azurite = env
    for i in range(20):
        service.submit(KIND, f"img@{i}", {})

    with queue_reads(azurite.queue_port) as reads:
        stats = ConcurrentDriver(WORKERS, world.clock, world.clock.advance).run()

    assert stats.delivered >= 40  # each job: its first step, then its wake-up after settling
    assert reads and all("numofmessages=32" in q.lower() for q in reads)
    assert len(reads) < stats.delivered / 2
    assert queue_depth() == 0


def _held_hook(gauge: Gauge) -> Callable[[], None]:
    def hook() -> None:
        with gauge.held():
            pass

    return hook
