"""A concurrent local host for run_job: N workers over the Azurite queue, waits fast-forwarded.

The Functions host runs several invocations at once (host.json batchSize + newBatchThreshold
per instance, more instances under load) on the worker's thread pool. The local driver of
shared/jobs is sequential; this one keeps `workers` invocations in flight and moves the
emulated clock only when every worker is idle and nothing is due, so real time is spent only
on the invocations themselves. As in the host:

* a worker slot is one invocation: it is taken when the invocation starts and freed when the
  function returns. Completing the message (the queue DELETE) is the host's own I/O, not the
  function's, so it runs beside the slots (on `HOST_THREADS` threads) and never holds one;
* the queue is read in batches (one Get Messages request returns up to 32), and a freed slot
  takes a message that is already due before the driver asks the queue for more;
* other triggers (Event Grid deliveries, `invocations`) share the same slots as run_job.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

HOLD_SECONDS = 600
RETRY_SECONDS = 30.0
BATCH = 32  # the most messages one Get Messages request returns
HOST_THREADS = 4

# An invocation of another trigger: runs on a worker slot, returns its worker-seconds.
Invocation = Callable[[], float]


@dataclass
class DriverStats:
    """What a run delivered."""

    delivered: int = 0
    failed: int = 0
    fast_forwarded: float = 0.0
    busy_seconds: float = 0.0  # real seconds spent inside the app's entry points, summed
    invocations: int = 0  # other triggers' invocations run on the slots


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
            # One Get Messages request, as the host's listener makes (with max_messages alone
            # the SDK sends one request per message).
            pages = self._queue.receive_messages(
                messages_per_page=BATCH, visibility_timeout=HOLD_SECONDS
            ).by_page()
            for message in next(pages, []):
                due = parse_job_message(decode_body(message.content)).not_before or self._clock()
                with self._lock:
                    self._held[message.id] = (message, due)
        except ResourceNotFoundError:
            return

    def _deliver(self, message: Any) -> bool:
        """Run one message on this slot; True when it completed (the host then deletes it)."""
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
            return False
        with self._lock:
            self.stats.busy_seconds += time.perf_counter() - started
        return True

    def _invoke(self, invocation: Invocation) -> None:
        busy = invocation()
        with self._lock:
            self.stats.busy_seconds += busy
            self.stats.invocations += 1

    def _due(self, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        now = self._clock()
        with self._lock:
            ready = sorted(
                ((due, m) for m, due in self._held.values() if due <= now), key=lambda x: x[0]
            )[:limit]
            for _, message in ready:
                del self._held[message.id]
        return [m for _, m in ready]

    def run(
        self, until: Callable[[], bool] | None = None, invocations: Iterable[Invocation] = ()
    ) -> DriverStats:
        """Deliver until the queue is empty and every worker idle (or `until()` holds).

        `invocations` (other triggers' work, e.g. the Event Grid deliveries that start the
        jobs) take slots first, in order; job messages fill every slot they leave free.
        """
        waiting = deque(invocations)
        completions: list[Future[Any]] = []
        with ThreadPoolExecutor(HOST_THREADS) as host:
            with ThreadPoolExecutor(self._workers) as pool:
                slots = _Slots(self, pool, waiting)
                while True:
                    slots.fill()
                    if slots.free():
                        self._receive()
                        slots.fill()
                    if slots.busy():
                        for message in slots.completed():
                            completions.append(host.submit(self._queue.delete_message, message))
                        continue
                    if (until is not None and until()) or not self._held:
                        break  # received just above: nothing is queued, nothing held
                    self._skip_ahead()
            for completion in completions:
                completion.result()
        return self.stats

    def _skip_ahead(self) -> None:
        with self._lock:
            due = min((d for _, d in self._held.values()), default=None)
        seconds = (due - self._clock()).total_seconds() if due else 0.0
        if seconds > 0:
            self._advance(seconds)
            self.stats.fast_forwarded += seconds


class _Slots:
    """The worker slots of one run: what runs on each, filled from invocations then messages."""

    def __init__(
        self, driver: ConcurrentDriver, pool: ThreadPoolExecutor, waiting: deque[Invocation]
    ) -> None:
        self._driver = driver
        self._pool = pool
        self._waiting = waiting
        self._inflight: dict[Future[Any], Any] = {}  # future -> its message (None: invocation)

    def free(self) -> int:
        return self._driver._workers - len(self._inflight)

    def busy(self) -> bool:
        return bool(self._inflight)

    def fill(self) -> None:
        """Start waiting invocations, then due messages, on every free slot."""
        driver = self._driver
        while self._waiting and self.free():
            self._inflight[self._pool.submit(driver._invoke, self._waiting.popleft())] = None
        for message in driver._due(self.free()):
            driver.stats.delivered += 1
            self._inflight[self._pool.submit(driver._deliver, message)] = message

    def completed(self) -> list[Any]:
        """Wait for a slot to finish (50 ms at most); return the messages that completed."""
        done, _ = wait(self._inflight, timeout=0.05, return_when=FIRST_COMPLETED)
        out = []
        for future in done:
            message = self._inflight.pop(future)
            if future.result() and message is not None:
                out.append(message)
        return out
