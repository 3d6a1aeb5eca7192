"""The job service: submit by idempotency key, read status, advance jobs for the queue worker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.config import Settings
from shared.errors import InvalidInput, TransientError
from shared.jobs.clock import Clock
from shared.jobs.failures import describe
from shared.jobs.host import MAX_DEQUEUE_COUNT
from shared.jobs.messages import JobMessage
from shared.jobs.model import (
    Job,
    JobConflict,
    JobState,
    job_id_for,
    new_job,
    parse_job_id,
    validate_kind,
)
from shared.jobs.registry import Registry
from shared.jobs.runner import Advance, Progress, Runner

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.ports import JobQueuePort, JobStorePort

log = logging.getLogger(__name__)

LIST_LIMIT = 1000


@dataclass(frozen=True)
class Submission:
    """The job a submit resolved to, and whether this call created it."""

    job: Job
    created: bool


class JobService:
    """Durable jobs on Table storage, advanced by queue messages (Scheduler-Agent-Supervisor)."""

    def __init__(
        self,
        store: JobStorePort,
        queue: JobQueuePort,
        registry: Registry,
        settings: Settings,
        clock: Clock,
        *,
        deps: Deps | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._runner = Runner(store, queue, registry, settings, clock, deps=deps)

    def submit(self, kind: str, key: str, data: Mapping[str, Any] | None = None) -> Submission:
        """Return the job for (`kind`, `key`), creating and enqueuing it if it is new.

        Duplicates (also concurrent ones) resolve to the one existing job; its data is kept.
        Raises InvalidInput naming `kind`, `key` or `data`.
        """
        definition = self._registry.get(kind)
        job_id = job_id_for(kind, key)
        existing = self._store.get(job_id, kind)
        if existing is not None:
            self._nudge_if_orphaned(existing)
            return Submission(existing, created=False)
        job = new_job(kind, key, definition.step_names, data or {}, self._clock())
        try:
            job = self._store.create(job)
        except JobConflict:
            winner = self._store.get(job_id, kind)
            if winner is None:  # created and deleted in between: only an operator does that
                raise InvalidInput("key", f"job {job_id} vanished while being submitted") from None
            return Submission(winner, created=False)
        self._queue.send(JobMessage(job.id), 0)
        log.info("job %s submitted", job.id, extra={"job_id": job.id, "job_kind": kind})
        return Submission(job, created=True)

    def _nudge_if_orphaned(self, job: Job) -> None:
        # A submitter that died between creating the record and sending its message leaves a
        # pending job nobody wakes; a later duplicate submit re-sends (duplicates are harmless).
        idle = (self._clock() - job.updated).total_seconds()
        if job.state == JobState.PENDING and idle >= self._settings.jobs_lease_seconds:
            self._queue.send(JobMessage(job.id), 0)
            log.info("job %s re-enqueued (pending for %ss)", job.id, int(idle))

    def get(self, job_id: str) -> Job | None:
        """Return job `job_id`, or None if there is none; raise InvalidInput("id") if malformed."""
        return self._store.get(job_id, parse_job_id(job_id))

    def list(
        self, kind: str | None = None, state: str | None = None, limit: int = LIST_LIMIT
    ) -> list[Job]:
        """Return up to `limit` jobs, optionally of one kind and/or state; raise InvalidInput."""
        if state is not None and state not in {s.value for s in JobState}:
            raise InvalidInput("state", f"not one of {', '.join(s.value for s in JobState)}")
        if kind is not None:
            validate_kind(kind)
        return self._store.query(kind, state, max(1, limit))

    def advance(self, job_id: str, owner: str | None = None, token: str = "") -> Advance:
        """Advance job `job_id` as far as the time budget allows; return what happened.

        `owner` identifies the worker's claim (the queue message id: a redelivered message may
        take over its own claim). Raises InvalidInput("id") for a malformed id, TransientError
        when the record keeps changing, and a step's unexpected exception.
        """
        kind = parse_job_id(job_id)
        return self._runner.advance(job_id, kind, owner or uuid.uuid4().hex, token)

    def handle(self, message: JobMessage, message_id: str, dequeue_count: int) -> Advance:
        """Advance the job a queue message names; on the last delivery a failure fails the job.

        Raises what advance raises, unless this is delivery MAX_DEQUEUE_COUNT: then the job is
        failed with the reason (visible in its status) and the message is consumed.
        """
        try:
            return self.advance(message.job_id, owner=message_id or None, token=message.token)
        except Exception as exc:
            if dequeue_count < MAX_DEQUEUE_COUNT:
                raise
            reason = f"poison: delivery {dequeue_count} of {MAX_DEQUEUE_COUNT} failed: "
            job = self.fail(message.job_id, reason + describe(exc))
            return Advance(message.job_id, Progress.FAILED, job.state if job else None)

    def fail(self, job_id: str, reason: str) -> Job | None:
        """Fail job `job_id` with `reason` unless it already finished; return it (None: no job).
        The events its kind publishes when it ends failed go out as when a step fails it.

        Raises InvalidInput("id") for a malformed id.
        """
        kind = parse_job_id(job_id)
        for _ in range(5):
            job = self._store.get(job_id, kind)
            if job is None or job.terminal:
                return job
            try:
                job, _ = self._runner.end_failed(job, reason)
            except JobConflict:
                continue
            return job
        return self._store.get(job_id, kind)

    def retry(self, job_id: str) -> Job:
        """Restart failed job `job_id` from its failed step (done steps stay done); return it.

        Raises InvalidInput("id") if the id is malformed, unknown, or the job has not failed;
        TransientError if the job changed meanwhile.
        """
        kind = parse_job_id(job_id)
        job = self._store.get(job_id, kind)
        if job is None:
            raise InvalidInput("id", f"no job {job_id}")
        if job.state != JobState.FAILED:
            raise InvalidInput("id", f"job {job_id} is {job.state}, not failed")
        try:
            job = self._store.replace(job.restarted(self._clock()))
        except JobConflict:
            raise TransientError(f"job {job_id} changed while being restarted") from None
        self._queue.send(JobMessage(job.id), 0)
        return job
