"""Composition of the job service from Settings and clients; the local driver may swap the clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from shared.config import Settings
from shared.jobs.clock import Clock, system_clock
from shared.jobs.registry import REGISTRY, Registry
from shared.jobs.service import JobService


@dataclass(frozen=True)
class _Overrides:
    clock: Clock = system_clock
    registry: Registry = field(default_factory=lambda: REGISTRY)
    storage_delays: bool = True


class _Runtime:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.overrides = _Overrides()
        self.service: JobService | None = None
        self.settings: Settings | None = None


_runtime = _Runtime()


def configure(
    *, clock: Clock | None = None, registry: Registry | None = None, storage_delays: bool = True
) -> None:
    """Set the clock, registry and delay mode the job service is built with (None: default).

    `storage_delays=False` sends wake-ups visible at once, with their due time in the body, so a
    local driver on an emulated clock can fast-forward waits instead of sleeping through them.
    """
    with _runtime.lock:
        _runtime.overrides = _Overrides(
            clock=clock or system_clock,
            registry=registry or REGISTRY,
            storage_delays=storage_delays,
        )
        _runtime.service = None


def reset() -> None:
    """Return to the production composition (system clock, process registry, storage delays)."""
    configure()


def get_job_service() -> JobService:
    """Return the process-wide JobService, rebuilt whenever the Settings object changes.

    Raises ConfigurationError (from the settings or clients) when storage is not configured.
    """
    from shared.composition import get_clients, get_settings
    from shared.jobs.store import JobQueue, JobStore

    settings = get_settings()
    with _runtime.lock:
        if _runtime.service is None or _runtime.settings is not settings:
            o = _runtime.overrides
            clients = get_clients()
            store = JobStore(clients, settings.jobs_table, o.clock)
            queue = JobQueue(clients, settings.jobs_queue, o.storage_delays)
            _runtime.service = JobService(store, queue, o.registry, settings, o.clock)
            _runtime.settings = settings
        return _runtime.service
