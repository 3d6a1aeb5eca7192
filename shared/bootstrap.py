"""The one composition root: settings, clients, stores, clock and job service, once per worker.

Only the function adapters (functions/) and the dev tools call `get_deps()`; everything below
receives the `Deps` it needs. Tests call `bootstrap()` with their own settings, clock or store
implementations, or `configure()` the process-wide root with a manual clock and job kinds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.config import Settings, load_settings
from shared.jobs.clock import Clock, system_clock

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.jobs.outbox import EventPublisher
    from shared.jobs.registry import Registry
    from shared.jobs.service import JobService
    from shared.ports import (
        BackupStore,
        JobQueuePort,
        JobStorePort,
        LedgerStore,
        PlanStore,
        RecordStore,
    )


@dataclass(frozen=True)
class Overrides:
    """What a caller may replace; None means the production default, built on first use."""

    settings: Settings | None = None
    clients: AzureClients | None = None
    clock: Clock = system_clock
    registry: Registry | None = None
    storage_delays: bool = True
    job_store: JobStorePort | None = None
    job_queue: JobQueuePort | None = None
    backups: BackupStore | None = None
    records: RecordStore | None = None
    # Where job events are published (None: the Event Grid topic of LIFEBOAT_EVENTS_ENDPOINT).
    publisher: EventPublisher | None = None
    ledger: LedgerStore | None = None
    plans: PlanStore | None = None
    # An azure-core HttpTransport every SDK client sends through (tests inject faults there).
    transport: Any = None


@dataclass(frozen=True, eq=False)
class Deps:
    """The app's dependencies; each is built on first use, once, and SDK modules load lazily.

    Raises ConfigurationError (from the settings or the clients) when what is asked for is
    not configured; asking for nothing costs nothing.
    """

    overrides: Overrides = field(default_factory=Overrides)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def clock(self) -> Clock:
        """The clock every service and job step reads."""
        return self.overrides.clock

    @cached_property
    def settings(self) -> Settings:
        """The Settings, read from the environment on first use."""
        with self._lock:
            return self.overrides.settings or load_settings()

    @cached_property
    def clients(self) -> AzureClients:
        """The Azure SDK clients (each built on first use, sized to the worker's concurrency)."""
        with self._lock:
            if self.overrides.clients is not None:
                return self.overrides.clients
            from shared.azure.clients import AzureClients

            return AzureClients(self.settings, transport=self.overrides.transport)

    @cached_property
    def registry(self) -> Registry:
        """The job kinds: every feature's, registered by reference (shared.features)."""
        with self._lock:
            if self.overrides.registry is not None:
                return self.overrides.registry
            from shared.features import job_registry

            return job_registry()

    @cached_property
    def job_store(self) -> JobStorePort:
        """The job records (Table storage in the Function App's account)."""
        with self._lock:
            if self.overrides.job_store is not None:
                return self.overrides.job_store
            from shared.azure.job_storage import JobStore

            return JobStore(self.clients, self.settings.jobs_table, self.clock)

    @cached_property
    def job_queue(self) -> JobQueuePort:
        """The queue that carries job wake-ups."""
        with self._lock:
            if self.overrides.job_queue is not None:
                return self.overrides.job_queue
            from shared.azure.job_storage import JobQueue

            return JobQueue(self.clients, self.settings.jobs_queue, self.overrides.storage_delays)

    @cached_property
    def jobs(self) -> JobService:
        """The job service; its steps receive these deps in their context."""
        with self._lock:
            from shared.jobs.service import JobService

            return JobService(
                self.job_store, self.job_queue, self.registry, self.settings, self.clock, deps=self
            )

    @cached_property
    def backups(self) -> BackupStore:
        """Template backups in the DR-region account."""
        with self._lock:
            if self.overrides.backups is not None:
                return self.overrides.backups
            from shared.azure.backup_blobs import TemplateStore

            dr = self.clients.blob_service("dr")
            return TemplateStore(dr, self.settings.templates_container)

    @cached_property
    def records(self) -> RecordStore:
        """Recovery records (and sweep markers) in the DR-region account."""
        with self._lock:
            if self.overrides.records is not None:
                return self.overrides.records
            from shared.azure.blobs import BlobRecordStore

            return BlobRecordStore(
                self.clients, self.settings.records_container, self.settings.dry_run
            )

    @cached_property
    def publisher(self) -> EventPublisher | None:
        """The events topic's publisher; None when LIFEBOAT_EVENTS_ENDPOINT is unset."""
        with self._lock:
            if self.overrides.publisher is not None:
                return self.overrides.publisher
            if not self.settings.events_endpoint:
                return None
            from shared.azure.events_publisher import TopicPublisher

            return TopicPublisher(self.clients, self.settings, self.settings.events_endpoint)

    @cached_property
    def ledger(self) -> LedgerStore:
        """The alert ledger (Table storage in the DR-region account)."""
        with self._lock:
            if self.overrides.ledger is not None:
                return self.overrides.ledger
            from shared.azure.ledger_table import TableLedgerStore

            return TableLedgerStore(self.clients.table_service("dr"), self.settings.ledger_table)

    @cached_property
    def plans(self) -> PlanStore:
        """DR plans and their status (Blob storage in the DR-region account)."""
        with self._lock:
            if self.overrides.plans is not None:
                return self.overrides.plans
            from shared.azure.plan_store import BlobPlanStore

            dr = self.clients.blob_service("dr")
            return BlobPlanStore(dr, self.settings.plans_container)


def bootstrap(**overrides: object) -> Deps:
    """Return new Deps with `overrides` (Overrides' field names) over the production defaults."""
    return Deps(Overrides(**overrides))  # type: ignore[arg-type]


class _Root:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.overrides = Overrides()
        self.transport: Any = None
        self.deps: Deps | None = None


_root = _Root()


def get_deps() -> Deps:
    """Return the process-wide Deps (built lazily, once per worker)."""
    with _root.lock:
        if _root.deps is None:
            _root.deps = Deps(_root.overrides)
        return _root.deps


def configure(**overrides: object) -> Deps:
    """Rebuild the process-wide Deps with `overrides` (dev tools and tests); return them."""
    with _root.lock:
        chosen = Overrides(**overrides)  # type: ignore[arg-type]
        if chosen.transport is None:
            chosen = replace(chosen, transport=_root.transport)
        _root.overrides = chosen
        _root.deps = Deps(_root.overrides)
        return _root.deps


def use_transport(transport: Any) -> Deps:
    """Send every SDK client of the process-wide Deps through `transport` (tests inject faults
    there, below all of our code); later `configure()` calls keep it until `reset()`."""
    with _root.lock:
        _root.transport = transport
        _root.overrides = replace(_root.overrides, transport=transport)
        _root.deps = Deps(_root.overrides)
        return _root.deps


def reset() -> None:
    """Return to the production composition (no injected transport), re-reading settings."""
    with _root.lock:
        _root.transport = None
    configure()
