"""Job records in Table storage (ETag-guarded) and wake-up messages on the jobs queue."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from shared.errors import TransientError
from shared.jobs.clock import Clock
from shared.jobs.failures import Verdict, classify
from shared.jobs.messages import MAX_QUEUE_DELAY_SECONDS, JobMessage, iso, parse_time
from shared.jobs.model import Job, JobConflict, JobState, StepRecord, StepState, clip, dump_data

if TYPE_CHECKING:
    from datetime import datetime

    from shared.azure.clients import AzureClients

log = logging.getLogger(__name__)

SCHEMA = 1
# One Table string property holds 32K UTF-16 units; the steps column stays under it.
_STEPS_MAX_CHARS = 32_000


def _time(value: datetime | None) -> str:
    return iso(value) if value is not None else ""


def _parse(value: Any) -> datetime | None:
    return parse_time(value) if value else None


def _step_dict(step: StepRecord, error_limit: int) -> dict[str, Any]:
    return {
        "name": step.name,
        "state": step.state.value,
        "attempts": step.attempts,
        "retries": step.retries,
        "started": _time(step.started),
        "finished": _time(step.finished),
        "lastError": clip(step.last_error, error_limit) if step.last_error else "",
        "waitReason": clip(step.wait_reason, min(error_limit, 300)) if step.wait_reason else "",
    }


def _dump_steps(steps: tuple[StepRecord, ...]) -> str:
    text = ""
    for limit in (1000, 200, 20):
        text = json.dumps([_step_dict(s, limit) for s in steps], separators=(",", ":"))
        if len(text) <= _STEPS_MAX_CHARS:
            break
    return text


def _load_step(raw: dict[str, Any]) -> StepRecord:
    return StepRecord(
        name=raw["name"],
        state=StepState(raw["state"]),
        attempts=int(raw["attempts"]),
        retries=int(raw["retries"]),
        started=_parse(raw["started"]),
        finished=_parse(raw["finished"]),
        last_error=raw["lastError"],
        wait_reason=raw["waitReason"],
    )


def to_entity(job: Job) -> dict[str, Any]:
    """Return the Table entity for `job` (every property, so a merge update is a replace)."""
    return {
        "PartitionKey": job.kind,
        "RowKey": job.id,
        "Schema": SCHEMA,
        "Kind": job.kind,
        "Key": job.key,
        "State": job.state.value,
        "Reason": job.reason,
        "Data": dump_data(job.data),
        "Steps": _dump_steps(job.steps),
        "Created": _time(job.created),
        "Updated": _time(job.updated),
        "Finished": _time(job.finished),
        "WakeAt": _time(job.wake_at),
        "WakeToken": job.wake_token,
        "Waker": job.waker,
        "LeaseOwner": job.lease_owner,
        "LeaseUntil": _time(job.lease_until),
    }


def from_entity(entity: Any) -> Job:
    """Return the Job stored in a Table entity (its ETag included)."""
    created = parse_time(entity["Created"])
    return Job(
        id=entity["RowKey"],
        kind=entity["Kind"],
        key=entity["Key"],
        state=JobState(entity["State"]),
        steps=tuple(_load_step(s) for s in json.loads(entity["Steps"])),
        created=created,
        updated=_parse(entity["Updated"]) or created,
        data=json.loads(entity["Data"] or "{}"),
        reason=entity.get("Reason", ""),
        finished=_parse(entity.get("Finished")),
        wake_at=_parse(entity.get("WakeAt")),
        wake_token=entity.get("WakeToken", ""),
        waker=entity.get("Waker", ""),
        lease_owner=entity.get("LeaseOwner", ""),
        lease_until=_parse(entity.get("LeaseUntil")),
        etag=entity.metadata.get("etag", ""),
    )


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextlib.contextmanager
def transient_storage_errors(clock: Clock) -> Iterator[None]:
    """Translate storage throttling, 5xx and connection errors into TransientError."""
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        failure = classify(exc, clock())
        if failure.verdict == Verdict.RETRY:
            raise TransientError(f"job storage: {failure.message}", failure.delay) from exc
        raise


class JobStore:
    """Job records in one table: PartitionKey = kind, RowKey = job id; writes match the ETag."""

    def __init__(self, clients: AzureClients, table_name: str, clock: Clock) -> None:
        self._clock = clock
        self._service = clients.table_service()
        self._name = table_name
        self._table = self._service.get_table_client(table_name)
        self._ready = False

    def ensure(self) -> None:
        """Create the table if it does not exist yet (already there is fine)."""
        from azure.core.exceptions import ResourceExistsError

        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._service.create_table(self._name)
            self._ready = True

    def get(self, job_id: str, kind: str) -> Job | None:
        """Return job `job_id` of `kind`, or None when there is none (or no table yet).

        Raises TransientError when storage is throttled or unavailable.
        """
        from azure.core.exceptions import ResourceNotFoundError

        with transient_storage_errors(self._clock):
            try:
                return from_entity(self._table.get_entity(kind, job_id))
            except ResourceNotFoundError:
                return None

    def create(self, job: Job) -> Job:
        """Store a new job and return it with its ETag.

        Raises JobConflict if it already exists, TransientError if storage is unavailable.
        """
        from azure.core.exceptions import ResourceExistsError

        self.ensure()
        with transient_storage_errors(self._clock):
            try:
                meta = self._table.create_entity(to_entity(job))
            except ResourceExistsError:
                raise JobConflict(job.id) from None
        return _with_etag(job, meta)

    def replace(self, job: Job) -> Job:
        """Write `job` if nobody changed it since it was read; return it with its new ETag.

        Raises JobConflict when the stored ETag differs or the record is gone, TransientError
        when storage is throttled or unavailable.
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        entity = to_entity(job)
        with transient_storage_errors(self._clock):
            try:
                meta = self._table.update_entity(
                    entity, etag=job.etag, match_condition=MatchConditions.IfNotModified
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                raise JobConflict(job.id) from None
        return _with_etag(job, meta)

    def query(self, kind: str | None, state: str | None, limit: int) -> list[Job]:
        """Return up to `limit` jobs, filtered by kind and state (an empty list if none).

        Raises TransientError when storage is throttled or unavailable.
        """
        with transient_storage_errors(self._clock):
            return self._query(kind, state, limit)

    def _query(self, kind: str | None, state: str | None, limit: int) -> list[Job]:
        from azure.core.exceptions import ResourceNotFoundError

        clauses = []
        if kind:
            clauses.append(f"PartitionKey eq {_odata_string(kind)}")
        if state:
            clauses.append(f"State eq {_odata_string(state)}")
        try:
            if clauses:
                pages = self._table.query_entities(" and ".join(clauses), results_per_page=limit)
            else:
                pages = self._table.list_entities(results_per_page=limit)
            out: list[Job] = []
            for entity in pages:
                out.append(from_entity(entity))
                if len(out) >= limit:
                    break
            return out
        except ResourceNotFoundError:
            return []


def _with_etag(job: Job, meta: dict[str, Any]) -> Job:
    from dataclasses import replace

    return replace(job, etag=str(meta.get("etag", "")))


def encode_body(text: str) -> str:
    """Return `text` base64-encoded, as the Functions queue trigger (messageEncoding) expects."""
    return base64.b64encode(text.encode()).decode("ascii")


def decode_body(content: str | bytes) -> bytes:
    """Return the bytes of a base64 queue message body."""
    return base64.b64decode(content, validate=True)


class JobQueue:
    """Sends wake-up messages for jobs; the delay is a visibility timeout, never a sleep."""

    def __init__(self, clients: AzureClients, queue_name: str, storage_delays: bool) -> None:
        # The SDK's get_queue_client does not inherit the service's encode policy, so the
        # body is base64-encoded here; messages stay readable by the Functions queue trigger.
        self._client = clients.queue_service().get_queue_client(queue_name)
        self._storage_delays = storage_delays

    def ensure(self) -> None:
        """Create the queue if it does not exist yet (already there is fine)."""
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self._client.create_queue()

    def send(self, message: JobMessage, delay_seconds: float) -> None:
        """Enqueue `message`, hidden for `delay_seconds` (when the queue honours delays)."""
        from azure.core.exceptions import ResourceNotFoundError

        delay = min(MAX_QUEUE_DELAY_SECONDS, max(0, math.ceil(delay_seconds)))
        visibility = delay if self._storage_delays else 0
        content = encode_body(message.to_json())
        try:
            self._client.send_message(content, visibility_timeout=visibility, time_to_live=-1)
        except ResourceNotFoundError:
            self.ensure()
            self._client.send_message(content, visibility_timeout=visibility, time_to_live=-1)
        log.debug("job %s wake-up in %ss", message.job_id, delay, extra={"job_id": message.job_id})
