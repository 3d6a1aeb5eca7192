"""Local driver: runs the real run_job entry point over the Azurite jobs queue, like the host."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared import bootstrap
from shared.azure.job_storage import decode_body
from shared.errors import InvalidInput
from shared.jobs.clock import Clock, system_clock
from shared.jobs.host import MAX_DEQUEUE_COUNT, VISIBILITY_TIMEOUT_SECONDS
from shared.jobs.messages import parse_job_message
from shared.jobs.registry import Registry

if TYPE_CHECKING:
    import azure.functions as func

log = logging.getLogger(__name__)

Entry = Callable[["func.QueueMessage"], None]
# Messages the driver has received but not yet delivered stay hidden this long (real seconds).
HOLD_SECONDS = 300
POLL_SECONDS = 0.2


@dataclass
class DriverStats:
    """What a driver run did."""

    delivered: int = 0
    completed: int = 0
    failed: int = 0
    poisoned: int = 0
    fast_forwarded: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Held:
    message: Any
    due: datetime


class LocalDriver:
    """Receives job messages, holds each until due, calls the entry point, deletes on success.

    With `advance` (e.g. ManualClock.advance or the ARM emulator's clock hook) waits are
    fast-forwarded: wake-ups are sent visible with their due time in the body, and when only
    future messages remain the driver advances the clock instead of sleeping. Without it,
    Azurite's visibility delays do the waiting and the driver polls with `sleep`.
    """

    def __init__(
        self,
        entry: Entry,
        queue_name: str,
        *,
        clock: Clock = system_clock,
        advance: Callable[[float], None] | None = None,
        poison_entry: Entry | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        service = bootstrap.get_deps().clients.queue_service()
        self._queue = service.get_queue_client(queue_name)
        self._poison = service.get_queue_client(f"{queue_name}-poison")
        self._entry = entry
        self._poison_entry = poison_entry
        self._clock = clock
        self._advance = advance
        self._sleep = sleep
        self._held: dict[str, _Held] = {}
        self._retry_due: dict[str, datetime] = {}
        self.stats = DriverStats()

    @property
    def virtual(self) -> bool:
        """True when waits are fast-forwarded on the injected clock."""
        return self._advance is not None

    def run(
        self,
        until: Callable[[], bool] | None = None,
        max_seconds: float | None = None,
        max_deliveries: int = 10_000,
    ) -> bool:
        """Deliver messages until `until()` holds or the queue is idle; return whether it held.

        Without `until`, returns True once idle. Gives up (False) after `max_seconds` on the
        driver's clock or `max_deliveries`. In real-time mode an `until` keeps it polling.
        Exceptions from the entry point are handled as the host does (release, then poison);
        BaseExceptions (a simulated kill) release the message and propagate.
        """
        deadline = None if max_seconds is None else self._clock() + timedelta(seconds=max_seconds)
        start = self.stats.delivered
        while self.stats.delivered - start < max_deliveries:
            self._receive()
            self._drain_poison()
            if until is not None and until():
                return True
            if self._deliver_due():
                continue
            if deadline is not None and self._clock() >= deadline:
                return False
            if not self._held and (until is None or self.virtual):
                return until is None
            self._wait()
        return False

    def _receive(self) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            batch = list(
                self._queue.receive_messages(max_messages=32, visibility_timeout=HOLD_SECONDS)
            )
        except ResourceNotFoundError:
            return
        for message in batch:
            if (message.dequeue_count or 0) > MAX_DEQUEUE_COUNT:
                self._to_poison(message)
                continue
            self._held[message.id] = _Held(message, self._due(message))

    def _due(self, message: Any) -> datetime:
        due = self._retry_due.pop(message.id, None) or self._clock()
        if self.virtual:
            try:
                wake = parse_job_message(decode_body(message.content)).not_before
            except (ValueError, InvalidInput):
                wake = None
            if wake is not None and wake > due:
                due = wake
        return due

    def _deliver_due(self) -> bool:
        now = self._clock()
        due = sorted((h for h in self._held.values() if h.due <= now), key=lambda h: h.due)
        if not due:
            return False
        self._deliver(due[0].message)
        return True

    def _deliver(self, message: Any) -> None:
        del self._held[message.id]
        self.stats.delivered += 1
        try:
            self._entry(to_function_message(message))
        except Exception as exc:
            self._after_failure(message, exc)
            return
        except BaseException:
            self._release(message)
            raise
        self._queue.delete_message(message)
        self.stats.completed += 1

    def _after_failure(self, message: Any, exc: Exception) -> None:
        self.stats.failed += 1
        self.stats.errors.append(f"{type(exc).__name__}: {exc}")
        log.info("job message %s failed (delivery %s)", message.id, message.dequeue_count)
        if (message.dequeue_count or 0) >= MAX_DEQUEUE_COUNT:
            self._to_poison(message)
        else:
            self._release(message)

    def _release(self, message: Any) -> None:
        """Make a failed (or "killed") message visible again after the host's timeout."""
        hidden = int(VISIBILITY_TIMEOUT_SECONDS)
        if self.virtual:
            self._retry_due[message.id] = self._clock() + timedelta(seconds=hidden)
            hidden = 0
        self._queue.update_message(message, visibility_timeout=hidden)

    def _to_poison(self, message: Any) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self._poison.create_queue()
        self._poison.send_message(message.content, time_to_live=-1)
        self._queue.delete_message(message)
        self.stats.poisoned += 1

    def _drain_poison(self) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        if self._poison_entry is None:
            return
        try:
            batch = list(self._poison.receive_messages(max_messages=32))
        except ResourceNotFoundError:
            return
        for message in batch:
            self._poison_entry(to_function_message(message))
            self._poison.delete_message(message)

    def _wait(self) -> None:
        now = self._clock()
        if self._held and self._advance is not None:
            seconds = (min(h.due for h in self._held.values()) - now).total_seconds()
            self._advance(seconds)
            self.stats.fast_forwarded += seconds
        else:
            self._sleep(POLL_SECONDS)


def to_function_message(message: Any) -> func.QueueMessage:
    """Return the trigger object the Functions host would build for a storage queue message."""
    from azure.functions.queue import QueueMessage

    # azure.functions.queue.QueueMessage (the host's trigger type) is unannotated.
    return QueueMessage(  # type: ignore[no-untyped-call]
        id=message.id,
        body=decode_body(message.content),
        dequeue_count=message.dequeue_count,
        pop_receipt=message.pop_receipt,
        insertion_time=message.inserted_on,
        expiration_time=message.expires_on,
        time_next_visible=message.next_visible_on,
    )


@contextmanager
def local_driver(
    *,
    clock: Clock = system_clock,
    advance: Callable[[float], None] | None = None,
    registry: Registry | None = None,
    wrap: Callable[[Entry], Entry] | None = None,
) -> Iterator[LocalDriver]:
    """Yield a driver over the app's own run_job / run_job_poison, with the runtime configured.

    The job service uses `clock` and `registry` while the driver is open; with `advance`
    it fast-forwards waits. `wrap` wraps both entry points (each call is one invocation, as
    the host makes it). The production composition is restored on exit.
    """
    from functions.jobs import run_job, run_job_poison

    def same(entry: Entry) -> Entry:
        return entry

    around = wrap or same
    deps = bootstrap.configure(clock=clock, registry=registry, storage_delays=advance is None)
    try:
        yield LocalDriver(
            around(run_job),
            deps.settings.jobs_queue,
            clock=clock,
            advance=advance,
            poison_entry=around(run_job_poison),
        )
    finally:
        # Back to the production composition; a transport a test injected stays in place.
        bootstrap.configure()
