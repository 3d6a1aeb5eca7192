"""A concurrent local host for run_job: N workers over the Azurite queue, waits fast-forwarded.

The Functions host runs several queue-triggered invocations at once (host.json batchSize +
newBatchThreshold per instance, more instances under load). The local driver of shared/jobs is
sequential; this one keeps `workers` invocations in flight and moves the emulated clock only
when every worker is idle and nothing is due, so real time is spent only on ARM calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

HOLD_SECONDS = 600
RETRY_SECONDS = 30.0


@dataclass
class DriverStats:
    """What a run delivered."""

    delivered: int = 0
    failed: int = 0
    fast_forwarded: float = 0.0
    busy_seconds: float = 0.0  # real seconds spent inside run_job, summed over workers


class ConcurrentDriver:
    """Delivers due job messages to `entry` on `workers` threads; see the module docstring."""

    def __init__(
        self,
        workers: int,
        clock: Callable[[], datetime],
        advance: Callable[[float], Any],
    ) -> None:
        from shared.bootstrap import get_deps

        service = get_deps().clients.queue_service()
        self._queue = service.get_queue_client(get_deps().settings.jobs_queue)
        self._workers = workers
        self._clock = clock
        self._advance = advance
        self._held: dict[str, tuple[Any, datetime]] = {}
        self._lock = threading.Lock()
        self.stats = DriverStats()

    def _receive(self) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        from shared.azure.job_storage import decode_body
        from shared.jobs.messages import parse_job_message

        try:
            batch = self._queue.receive_messages(max_messages=32, visibility_timeout=HOLD_SECONDS)
            for message in batch:
                due = parse_job_message(decode_body(message.content)).not_before or self._clock()
                self._held[message.id] = (message, due)
        except ResourceNotFoundError:
            return

    def _deliver(self, message: Any) -> None:
        from bench.wire import app_call
        from devtools.local_driver import to_function_message
        from functions.jobs import run_job

        started = time.perf_counter()
        try:
            with app_call():
                run_job(to_function_message(message))
        except Exception:  # the host releases the message for redelivery, as here
            with self._lock:
                self.stats.failed += 1
                self.stats.busy_seconds += time.perf_counter() - started
                self._held[message.id] = (message, self._clock() + timedelta(seconds=RETRY_SECONDS))
            return
        with self._lock:
            self.stats.busy_seconds += time.perf_counter() - started
        self._queue.delete_message(message)

    def _due(self, limit: int) -> list[Any]:
        now = self._clock()
        with self._lock:
            ready = sorted(
                ((due, m) for m, due in self._held.values() if due <= now), key=lambda x: x[0]
            )[:limit]
            for _, message in ready:
                del self._held[message.id]
        return [m for _, m in ready]

    def run(self, until: Callable[[], bool] | None = None) -> DriverStats:
        """Deliver until the queue is empty and every worker idle (or `until()` holds)."""
        inflight: set[Future[None]] = set()
        with ThreadPoolExecutor(self._workers) as pool:
            while True:
                if len(inflight) < self._workers:
                    self._receive()
                for message in self._due(self._workers - len(inflight)):
                    self.stats.delivered += 1
                    inflight.add(pool.submit(self._deliver, message))
                if inflight:
                    _, inflight = wait(inflight, timeout=0.05, return_when=FIRST_COMPLETED)
                    continue
                if until is not None and until():
                    return self.stats
                if not self._held:
                    self._receive()
                    if not self._held:
                        return self.stats
                    continue
                self._skip_ahead()

    def _skip_ahead(self) -> None:
        with self._lock:
            due = min((d for _, d in self._held.values()), default=None)
        seconds = (due - self._clock()).total_seconds() if due else 0.0
        if seconds > 0:
            self._advance(seconds)
            self.stats.fast_forwarded += seconds
