"""The job record: states, steps, deterministic ids and the pure transitions workers apply."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.errors import InvalidInput

JsonDict = dict[str, Any]

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
ID_PATTERN = re.compile(r"^([a-z][a-z0-9_]{0,47})-([0-9a-f]{32})$")
KEY_MAX_CHARS = 1024
# One Table string property holds 64 KiB (32K UTF-16 units); data is stored as ASCII-only JSON.
DATA_MAX_CHARS = 32_000
ERROR_MAX_CHARS = 1000


class JobState(StrEnum):
    """Where a job is: pending → running ⇄ waiting → succeeded | failed."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """True for succeeded and failed: nothing advances the job any more."""
        return self in (JobState.SUCCEEDED, JobState.FAILED)


class StepState(StrEnum):
    """Where a step is; succeeded and skipped steps are never run again."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        """True once the step will not run again."""
        return self in (StepState.SUCCEEDED, StepState.SKIPPED, StepState.FAILED)


def utc(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime (naive values are taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def validate_kind(kind: str) -> str:
    """Return `kind` if it is a valid job kind name; raise InvalidInput("kind") otherwise."""
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
        raise InvalidInput("kind", "must match [a-z][a-z0-9_]{0,47}")
    return kind


def job_id_for(kind: str, key: str) -> str:
    """Return the deterministic job id `<kind>-<32 hex>` for an idempotency key.

    Raises InvalidInput naming `kind` or `key` when either is unusable.
    """
    validate_kind(kind)
    if not isinstance(key, str) or not key or len(key) > KEY_MAX_CHARS:
        raise InvalidInput("key", f"must be a non-empty string of at most {KEY_MAX_CHARS} chars")
    digest = hashlib.sha256(f"{kind}\n{key}".encode()).hexdigest()[:32]
    return f"{kind}-{digest}"


def parse_job_id(job_id: str) -> str:
    """Return the kind encoded in `job_id`; raise InvalidInput("id") if it is not a job id."""
    match = ID_PATTERN.match(job_id) if isinstance(job_id, str) else None
    if match is None:
        raise InvalidInput("id", "not a job id (expected <kind>-<32 hex digits>)")
    return match.group(1)


def clip(text: str, limit: int = ERROR_MAX_CHARS) -> str:
    """Return `text` cut to `limit` characters (errors and reasons are stored bounded)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dump_data(data: Mapping[str, Any]) -> str:
    """Return `data` as compact ASCII JSON; raise InvalidInput("data") if unserialisable or big."""
    try:
        text = json.dumps(dict(data), separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data", f"not JSON-serialisable: {exc}") from None
    if len(text) > DATA_MAX_CHARS:
        raise InvalidInput("data", f"{len(text)} chars of JSON exceeds {DATA_MAX_CHARS}")
    return text


def merged(data: Mapping[str, Any], update: Mapping[str, Any] | None) -> JsonDict:
    """Return `data` updated with `update`; raise InvalidInput("data") if the result is invalid."""
    out = dict(data)
    out.update(update or {})
    return json.loads(dump_data(out))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class StepRecord:
    """One named step of a job and what happened to it."""

    name: str
    state: StepState = StepState.PENDING
    attempts: int = 0
    retries: int = 0
    started: datetime | None = None
    finished: datetime | None = None
    last_error: str = ""
    wait_reason: str = ""


@dataclass(frozen=True)
class Job:
    """A durable job: steps, shared data, and the worker bookkeeping (lease, wake-up)."""

    id: str
    kind: str
    key: str
    state: JobState
    steps: tuple[StepRecord, ...]
    created: datetime
    updated: datetime
    data: JsonDict = field(default_factory=dict)
    reason: str = ""
    finished: datetime | None = None
    wake_at: datetime | None = None
    wake_token: str = ""
    waker: str = ""
    lease_owner: str = ""
    lease_until: datetime | None = None
    etag: str = ""

    @property
    def terminal(self) -> bool:
        """True once the job has succeeded or failed."""
        return self.state.terminal

    def current_step(self) -> StepRecord | None:
        """Return the first step that has not finished, or None when all have."""
        return next((s for s in self.steps if not s.state.finished), None)

    def leased_by_other(self, owner: str, now: datetime) -> bool:
        """True when a different worker holds an unexpired claim on the job."""
        if not self.lease_owner or self.lease_owner == owner or self.lease_until is None:
            return False
        return self.lease_until > now

    def _step(self, name: str, **changes: Any) -> tuple[StepRecord, ...]:
        return tuple(replace(s, **changes) if s.name == name else s for s in self.steps)

    def claimed(self, name: str, owner: str, now: datetime, lease_seconds: float) -> Job:
        """Return the job with step `name` running under `owner`'s lease."""
        step = next(s for s in self.steps if s.name == name)
        steps = self._step(
            name,
            state=StepState.RUNNING,
            attempts=step.attempts + 1,
            started=step.started or now,
        )
        lease_until = now + timedelta(seconds=lease_seconds)
        return replace(
            self,
            state=JobState.RUNNING,
            steps=steps,
            updated=now,
            lease_owner=owner,
            lease_until=lease_until,
            wake_at=None,
        )

    def step_finished(
        self, name: str, now: datetime, update: Mapping[str, Any] | None, skipped: bool = False
    ) -> Job:
        """Return the job with step `name` succeeded (or skipped) and its data merged."""
        state = StepState.SKIPPED if skipped else StepState.SUCCEEDED
        steps = self._step(name, state=state, finished=now, retries=0, wait_reason="")
        return replace(self, steps=steps, data=merged(self.data, update), updated=now)

    def step_waiting(
        self, name: str, now: datetime, reason: str, update: Mapping[str, Any] | None, error: str
    ) -> Job:
        """Return the job with step `name` waiting; `error` set means a transient retry."""
        step = next(s for s in self.steps if s.name == name)
        retries = step.retries + 1 if error else 0
        last_error = clip(error) if error else step.last_error
        steps = self._step(
            name,
            state=StepState.WAITING,
            retries=retries,
            last_error=last_error,
            wait_reason=clip(reason),
        )
        return replace(self, steps=steps, data=merged(self.data, update), updated=now)

    def with_data(self, now: datetime, update: Mapping[str, Any] | None) -> Job:
        """Return the job with `update` merged into its data (InvalidInput if that breaks it)."""
        return replace(self, data=merged(self.data, update), updated=now)

    def step_error(self, name: str, now: datetime, error: str) -> Job:
        """Return the job with `error` noted on step `name` (an unexpected failure, to retry)."""
        return replace(self, steps=self._step(name, last_error=clip(error)), updated=now)

    def scheduled(self, now: datetime, wake_at: datetime, token: str, waker: str) -> Job:
        """Return the job released by its worker, to be woken at `wake_at` by message `token`."""
        waiting = any(s.state == StepState.WAITING for s in self.steps)
        return replace(
            self,
            state=JobState.WAITING if waiting else JobState.RUNNING,
            updated=now,
            wake_at=wake_at,
            wake_token=token,
            waker=waker,
            lease_owner="",
            lease_until=None,
        )

    def succeeded(self, now: datetime) -> Job:
        """Return the job finished successfully."""
        return replace(
            self,
            state=JobState.SUCCEEDED,
            updated=now,
            finished=now,
            wake_at=None,
            lease_owner="",
            lease_until=None,
        )

    def failed(self, now: datetime, reason: str) -> Job:
        """Return the job failed with `reason`; the step in progress (if any) fails with it."""
        current = self.current_step()
        steps = self.steps
        if current is not None:
            steps = self._step(
                current.name, state=StepState.FAILED, finished=now, last_error=clip(reason)
            )
        return replace(
            self,
            state=JobState.FAILED,
            steps=steps,
            reason=clip(reason),
            updated=now,
            finished=now,
            wake_at=None,
            lease_owner="",
            lease_until=None,
        )

    def publish_retry(
        self, now: datetime, wake_at: datetime, token: str, *, waker: str, retry: int, error: str
    ) -> Job:
        """Return a finished job whose events failed to publish, to be woken by `token` to retry
        (its state and steps are unchanged: publishing never fails the work)."""
        data = merged(self.data, {"_outbox_retries": retry, "_outbox_error": clip(error)})
        return replace(self, data=data, updated=now, wake_at=wake_at, wake_token=token, waker=waker)

    def restarted(self, now: datetime) -> Job:
        """Return a failed job made pending again: failed steps start over, done steps stay done."""
        steps = tuple(
            replace(s, state=StepState.PENDING, retries=0, finished=None)
            if s.state == StepState.FAILED
            else s
            for s in self.steps
        )
        return replace(
            self,
            state=JobState.PENDING,
            steps=steps,
            reason="",
            finished=None,
            updated=now,
            wake_at=None,
            lease_owner="",
            lease_until=None,
        )


def new_job(
    kind: str, key: str, step_names: tuple[str, ...], data: Mapping[str, Any], now: datetime
) -> Job:
    """Return a pending job for (`kind`, `key`); raise InvalidInput for a bad key or data."""
    return Job(
        id=job_id_for(kind, key),
        kind=kind,
        key=key,
        state=JobState.PENDING,
        steps=tuple(StepRecord(name) for name in step_names),
        created=now,
        updated=now,
        data=merged({}, data),
    )


class JobConflict(Exception):
    """Another writer changed (or created) the job first: re-read and decide again."""
