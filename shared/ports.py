"""The storage ports services act through: job store and queue, backup store, record store.

Each has one Azure implementation in shared/azure/ (job_storage.JobStore on Table storage and
job_storage.JobQueue on Queue storage, backup_blobs.TemplateStore and blobs.BlobRecordStore on
Blob storage) and an in-memory one in tests/support/fakes.py, held to the same contract by
tests/functional/test_store_contracts.py; shared.bootstrap.bootstrap() accepts either.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from shared.arm_id import ResourceId
    from shared.jobs.messages import JobMessage
    from shared.jobs.model import Job
    from shared.outages.approval import PlanStatus
    from shared.outages.ledger import LedgerEntry
    from shared.outages.plan_model import DrPlan
    from shared.outages.store import StoredPlan
    from shared.templates.backup import Pointer, VersionInfo


class JobStorePort(Protocol):
    """Job records: point reads, ETag-guarded writes (JobConflict on a lost race), queries."""

    def get(self, job_id: str, kind: str) -> Job | None:
        """Return the job, or None when there is none."""
        ...

    def create(self, job: Job) -> Job:
        """Insert a new job (with its ETag); raise JobConflict when it already exists."""
        ...

    def replace(self, job: Job) -> Job:
        """Write `job` if its ETag still matches (raise JobConflict otherwise); return it."""
        ...

    def query(self, kind: str | None, state: str | None, limit: int) -> list[Job]:
        """Return up to `limit` jobs, optionally of one kind and/or state."""
        ...


class JobQueuePort(Protocol):
    """Job wake-up messages; the delay is a visibility timeout, never a sleep."""

    def send(self, message: JobMessage, delay_seconds: float) -> None:
        """Enqueue `message`, hidden for `delay_seconds` (when the queue honours delays)."""
        ...


class BackupStore(Protocol):
    """Template backups: content-addressed versions and an ETag-guarded latest pointer."""

    def read_pointer(self, template_id: ResourceId) -> tuple[Pointer, str] | None:
        """Return the pointer and its ETag, None when there is none; raise BackupDamaged."""
        ...

    def write_pointer(self, template_id: ResourceId, pointer: Pointer, etag: str | None) -> bool:
        """Write the pointer if nobody moved it since `etag` (None: only if absent)."""
        ...

    def pointer_held(self, template_id: ResourceId) -> AbstractContextManager[bool]:
        """Hold the pointer while pruning (True), or False when another pruner holds it."""
        ...

    def has_version(self, template_id: ResourceId, digest: str) -> bool:
        """True when the version for `digest` is stored."""
        ...

    def put_version(
        self, template_id: ResourceId, digest: str, data: bytes, metadata: dict[str, str]
    ) -> bool:
        """Create the version blob if absent; return False when it already existed."""
        ...

    def touch_version(self, template_id: ResourceId, digest: str, metadata: dict[str, str]) -> bool:
        """Refresh an existing version's metadata; False when it is gone (pruned meanwhile)."""
        ...

    def read_version(self, template_id: ResourceId, digest: str) -> bytes | None:
        """Return one version's bytes, or None."""
        ...

    def list_versions(self, template_id: ResourceId) -> list[VersionInfo]:
        """Return the stored versions of one template."""
        ...

    def delete_version(self, template_id: ResourceId, digest: str) -> None:
        """Delete one version (already gone is success)."""
        ...

    def list_pointers(self) -> list[Pointer]:
        """Return every template's pointer."""
        ...


class RecordStore(Protocol):
    """Recovery records: JSON documents with a small string metadata summary, by name."""

    def put(self, name: str, body: Mapping[str, Any], metadata: Mapping[str, str]) -> None:
        """Write (overwrite) record `name`."""
        ...

    def get(self, name: str) -> dict[str, Any] | None:
        """Return record `name`, or None when there is none."""
        ...

    def list_metadata(self, prefix: str) -> dict[str, dict[str, str]]:
        """Return name → metadata of every record under `prefix` (one listing)."""
        ...

    def delete(self, name: str) -> None:
        """Delete record `name`; a record already gone is success."""
        ...


# ---- outages: the alert ledger and the plan store (both in the DR-region account) ----


class LedgerStore(Protocol):
    """Alert ledger entries, one per incident (trackingId), with ETag-guarded writes."""

    def get(self, tracking_id: str) -> tuple[LedgerEntry, str] | None:
        """Return the entry and its ETag, or None; raise DamagedLedgerEntry when unreadable."""
        ...

    def create(self, entry: LedgerEntry) -> str:
        """Insert a new entry, returning its ETag; raise StoreConflict when it already exists."""
        ...

    def replace(self, entry: LedgerEntry, etag: str) -> str:
        """Write `entry` if its ETag still matches (raise StoreConflict otherwise)."""
        ...

    def list(self) -> list[LedgerEntry]:
        """Return every entry (damaged ones left out)."""
        ...


class PlanStore(Protocol):
    """DR plan documents with their PlanStatus, one record per plan, ETag-guarded writes."""

    def get(self, plan_id: str) -> StoredPlan | None:
        """Return the plan, its status and ETag, or None; raise DamagedPlan when unreadable."""
        ...

    def create(self, plan: DrPlan, status: PlanStatus) -> StoredPlan:
        """Store a new plan; raise StoreConflict when one with this id already exists."""
        ...

    def replace(self, plan: DrPlan, status: PlanStatus, etag: str) -> StoredPlan:
        """Write plan and status if nobody changed them since `etag` (StoreConflict otherwise)."""
        ...

    def list(self) -> list[StoredPlan]:
        """Return every plan (damaged ones left out), by plan id."""
        ...
