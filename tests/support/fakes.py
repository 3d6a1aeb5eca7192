"""In-memory implementations of the storage ports (shared/ports.py), for fast service tests.

Each keeps the semantics its Azure implementation promises (and tests/functional/
test_store_contracts.py holds both to): ETag-guarded writes, "already exists" answered as
False or JobConflict, "already gone" as success, listings by prefix.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from typing import Any

from shared.arm_id import ResourceId
from shared.jobs.messages import JobMessage
from shared.jobs.model import Job, JobConflict
from shared.templates.backup import Pointer, VersionInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Etags:
    """Fresh opaque ETags, as storage hands out."""

    def __init__(self) -> None:
        self._next = count(1)

    def new(self) -> str:
        return f'W/"{next(self._next)}"'


class InMemoryJobStore:
    """The job store port on a dict: (kind, id) → job with its ETag."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[str, str], Job] = {}
        self._etags = _Etags()
        self._lock = threading.Lock()

    def get(self, job_id: str, kind: str) -> Job | None:
        with self._lock:
            return self._jobs.get((kind, job_id))

    def create(self, job: Job) -> Job:
        with self._lock:
            if (job.kind, job.id) in self._jobs:
                raise JobConflict(job.id)
            stored = replace(job, etag=self._etags.new())
            self._jobs[(job.kind, job.id)] = stored
            return stored

    def replace(self, job: Job) -> Job:
        with self._lock:
            current = self._jobs.get((job.kind, job.id))
            if current is None or current.etag != job.etag:
                raise JobConflict(job.id)
            stored = replace(job, etag=self._etags.new())
            self._jobs[(job.kind, job.id)] = stored
            return stored

    def query(self, kind: str | None, state: str | None, limit: int) -> list[Job]:
        with self._lock:
            found = [
                j
                for (k, _), j in sorted(self._jobs.items())
                if (kind is None or k == kind) and (state is None or j.state.value == state)
            ]
        return found[:limit]


class InMemoryBackupStore:
    """The backup store port on dicts: per template a pointer (with ETag) and its versions."""

    def __init__(self) -> None:
        self._pointers: dict[str, tuple[Pointer, str]] = {}
        self._versions: dict[tuple[str, str], tuple[bytes, dict[str, str]]] = {}
        self._held: set[str] = set()
        self._etags = _Etags()
        self._lock = threading.Lock()

    @staticmethod
    def _key(template_id: ResourceId) -> str:
        return str(template_id).lower()

    def read_pointer(self, template_id: ResourceId) -> tuple[Pointer, str] | None:
        with self._lock:
            return self._pointers.get(self._key(template_id))

    def write_pointer(self, template_id: ResourceId, pointer: Pointer, etag: str | None) -> bool:
        key = self._key(template_id)
        with self._lock:
            current = self._pointers.get(key)
            if key in self._held or (current[1] if current else None) != etag:
                return False
            self._pointers[key] = (pointer, self._etags.new())
            return True

    @contextmanager
    def pointer_held(self, template_id: ResourceId) -> Iterator[bool]:
        key = self._key(template_id)
        with self._lock:
            free = key in self._pointers and key not in self._held
            if free:
                self._held.add(key)
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._held.discard(key)

    def has_version(self, template_id: ResourceId, digest: str) -> bool:
        with self._lock:
            return (self._key(template_id), digest) in self._versions

    def put_version(
        self, template_id: ResourceId, digest: str, data: bytes, metadata: dict[str, str]
    ) -> bool:
        key = (self._key(template_id), digest)
        with self._lock:
            if key in self._versions:
                return False
            self._versions[key] = (bytes(data), dict(metadata))
            return True

    def touch_version(self, template_id: ResourceId, digest: str, metadata: dict[str, str]) -> bool:
        key = (self._key(template_id), digest)
        with self._lock:
            if key not in self._versions:
                return False
            self._versions[key] = (self._versions[key][0], dict(metadata))
            return True

    def read_version(self, template_id: ResourceId, digest: str) -> bytes | None:
        with self._lock:
            found = self._versions.get((self._key(template_id), digest))
        return found[0] if found else None

    def list_versions(self, template_id: ResourceId) -> list[VersionInfo]:
        tid = self._key(template_id)
        with self._lock:
            stored = [(d, m) for (t, d), (_, m) in self._versions.items() if t == tid]
        return [VersionInfo(d, _captured_at(m)) for d, m in sorted(stored)]

    def delete_version(self, template_id: ResourceId, digest: str) -> None:
        with self._lock:
            self._versions.pop((self._key(template_id), digest), None)

    def list_pointers(self) -> list[Pointer]:
        with self._lock:
            return [p for p, _ in self._pointers.values()]


def _captured_at(metadata: Mapping[str, str]) -> datetime:
    try:
        return datetime.fromisoformat(metadata["capturedat"])
    except (KeyError, ValueError):
        return _EPOCH


class InMemoryRecordStore:
    """The record store port on a dict: name → (JSON body, metadata)."""

    def __init__(self) -> None:
        self._records: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
        self._lock = threading.Lock()

    def put(self, name: str, body: Mapping[str, Any], metadata: Mapping[str, str]) -> None:
        # A round trip through JSON, as the blob store does: callers get copies, never aliases.
        with self._lock:
            self._records[name] = (json.loads(json.dumps(body, default=str)), dict(metadata))

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._records.get(name)
        return json.loads(json.dumps(found[0])) if found else None

    def list_metadata(self, prefix: str) -> dict[str, dict[str, str]]:
        with self._lock:
            return {n: dict(m) for n, (_, m) in self._records.items() if n.startswith(prefix)}

    def delete(self, name: str) -> None:
        with self._lock:
            self._records.pop(name, None)


class InMemoryJobQueue:
    """The job queue on a list: every message sent, with the delay it was sent with."""

    def __init__(self) -> None:
        self.sent: list[tuple[JobMessage, float]] = []
        self._lock = threading.Lock()

    def send(self, message: JobMessage, delay_seconds: float) -> None:
        with self._lock:
            self.sent.append((message, delay_seconds))


# ---- outages: alert ledger and plan store ----


class InMemoryLedgerStore:
    """The ledger port on a dict: tracking id (upper-cased) → (entry JSON, ETag)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, str]] = {}
        self._etags = _Etags()
        self._lock = threading.Lock()

    def get(self, tracking_id: str) -> tuple[Any, str] | None:
        from shared.outages.ledger import LedgerEntry

        with self._lock:
            found = self._entries.get(tracking_id.strip().upper())
        return None if found is None else (LedgerEntry.from_json(found[0]), found[1])

    def create(self, entry: Any) -> str:
        from shared.outages.errors import StoreConflict

        key = entry.tracking_id.strip().upper()
        with self._lock:
            if key in self._entries:
                raise StoreConflict(entry.tracking_id)
            etag = self._etags.new()
            self._entries[key] = (entry.to_json(), etag)
            return etag

    def replace(self, entry: Any, etag: str) -> str:
        from shared.outages.errors import StoreConflict

        key = entry.tracking_id.strip().upper()
        with self._lock:
            current = self._entries.get(key)
            if current is None or current[1] != etag:
                raise StoreConflict(entry.tracking_id)
            new = self._etags.new()
            self._entries[key] = (entry.to_json(), new)
            return new

    def list(self) -> list[Any]:
        from shared.outages.ledger import LedgerEntry

        with self._lock:
            texts = [text for _, (text, _) in sorted(self._entries.items())]
        return [LedgerEntry.from_json(t) for t in texts]


class InMemoryPlanStore:
    """The plan store port on a dict: plan id → (stored bytes, ETag)."""

    def __init__(self) -> None:
        self._plans: dict[str, tuple[bytes, str]] = {}
        self._etags = _Etags()
        self._lock = threading.Lock()

    def get(self, plan_id: str) -> Any:
        from shared.outages.store import decode

        with self._lock:
            found = self._plans.get(plan_id)
        return None if found is None else decode(*found)

    def create(self, plan: Any, status: Any) -> Any:
        from shared.outages.errors import StoreConflict
        from shared.outages.store import StoredPlan, encode

        with self._lock:
            if plan.plan_id in self._plans:
                raise StoreConflict(plan.plan_id)
            etag = self._etags.new()
            self._plans[plan.plan_id] = (encode(plan, status), etag)
        return StoredPlan(plan, status, etag)

    def replace(self, plan: Any, status: Any, etag: str) -> Any:
        from shared.outages.errors import StoreConflict
        from shared.outages.store import StoredPlan, encode

        with self._lock:
            current = self._plans.get(plan.plan_id)
            if current is None or current[1] != etag:
                raise StoreConflict(plan.plan_id)
            new = self._etags.new()
            self._plans[plan.plan_id] = (encode(plan, status), new)
        return StoredPlan(plan, status, new)

    def list(self) -> list[Any]:
        from shared.outages.store import decode

        with self._lock:
            items = sorted(self._plans.items())
        return [decode(data, etag) for _, (data, etag) in items]
