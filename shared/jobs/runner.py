"""Advancing one job: claim the next step, run it, record its verdict, schedule the wake-up."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.config import Settings
from shared.errors import InvalidInput, TransientError
from shared.jobs.clock import Clock
from shared.jobs.failures import Failure, Verdict, backoff_seconds, classify
from shared.jobs.messages import MAX_QUEUE_DELAY_SECONDS, JobMessage
from shared.jobs.model import Job, JobConflict, JobState, clip, merged
from shared.jobs.outbox import (
    PUBLISH_RETRIES,
    EventPublisher,
    after_publish,
    after_skip,
    cloud_event,
    overflow_name,
    overflow_record,
    pending,
    with_emitted,
)
from shared.jobs.registry import Outcome, Registry, Step, StepContext, StepResult, read_only

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.ports import JobQueuePort, JobStorePort

log = logging.getLogger(__name__)

# Re-reads after an ETag conflict before the worker gives the message back to the host.
_MAX_CONFLICTS = 5


class Progress(StrEnum):
    """What one advance did with a job."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WAITING = "waiting"
    YIELDED = "yielded"
    FINISHED_BEFORE = "finished-before"
    BUSY = "busy"
    DUPLICATE = "duplicate"
    RESCHEDULED = "rescheduled"
    MISSING = "missing"


@dataclass(frozen=True)
class Advance:
    """The result of advancing a job: what happened, the job's state, any wake-up delay."""

    job_id: str
    progress: Progress
    state: JobState | None = None
    delay: float = 0.0


class Runner:
    """Advances jobs step by step; every write matches the ETag it read (optimistic locking)."""

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
        self._deps = deps

    def advance(self, job_id: str, kind: str, owner: str, token: str = "") -> Advance:
        """Advance the job as far as the time budget allows; return what happened.

        Raises TransientError when the record keeps changing, and re-raises a step's unexpected
        exception (after noting it on the step) so the host redelivers the message.
        """
        deadline = self._clock() + timedelta(seconds=self._settings.jobs_time_budget_seconds)
        job = self._store.get(job_id, kind)
        for _ in range(_MAX_CONFLICTS):
            if job is None:
                return Advance(job_id, Progress.MISSING)
            try:
                if job.terminal and pending(job.data):
                    return self._settle(job, owner, token)
                stop = self._gate(job, owner, token)
                if stop is not None:
                    return stop
                return self._run(job, owner, deadline)
            except JobConflict:
                job = self._store.get(job_id, kind)
        raise TransientError(f"job {job_id} kept changing under this worker")

    def _gate(self, job: Job, owner: str, token: str) -> Advance | None:
        """Return why this delivery must not advance the job, or None when it may."""
        now = self._clock()
        if job.terminal:
            return Advance(job.id, Progress.FINISHED_BEFORE, job.state)
        if job.leased_by_other(owner, now):
            return Advance(job.id, Progress.BUSY, job.state)
        if job.wake_at is None or job.wake_at <= now:
            return None
        remaining = (job.wake_at - now).total_seconds()
        # The scheduled message itself (early: clock skew), or the worker that scheduled the
        # wait redelivered (it may have died before sending): make sure the wake-up is queued.
        if (token and token == job.wake_token) or (job.waker and owner == job.waker):
            self._queue.send(JobMessage(job.id, job.wake_token, job.wake_at), remaining)
            return Advance(job.id, Progress.RESCHEDULED, job.state, remaining)
        return Advance(job.id, Progress.DUPLICATE, job.state, remaining)

    def _run(self, job: Job, owner: str, deadline: datetime) -> Advance:
        kind = self._registry.get(job.kind)
        while True:
            record = job.current_step()
            now = self._clock()
            if record is None:
                job = self._store.replace(job.succeeded(now))
                log.info("job %s succeeded", job.id, extra={"job_id": job.id})
                job, delay = self._publish_or_retry(job, owner)
                return Advance(job.id, Progress.SUCCEEDED, job.state, delay)
            step = kind.step(record.name)
            if step is None:
                reason = f"{record.name}: step is no longer declared by kind {job.kind}"
                return self._fail(job, reason)
            if now >= deadline:
                return self._schedule(job, owner, 0.0)
            job = self._store.replace(
                job.claimed(step.name, owner, now, self._settings.jobs_lease_seconds)
            )
            job, stop = self._execute(job, step, owner)
            if stop is not None:
                return stop

    def _context(self, job: Job, step: str) -> StepContext:
        record = next(s for s in job.steps if s.name == step)
        extra = {"job_id": job.id, "job_kind": job.kind, "step": step}
        return StepContext(
            job_id=job.id,
            kind=job.kind,
            key=job.key,
            step=step,
            attempt=record.attempts,
            data=read_only(job.data),
            clock=self._clock,
            settings=self._settings,
            log=logging.LoggerAdapter(logging.getLogger(f"{__name__}.step"), extra),
            deps=self._deps,
        )

    def _execute(self, job: Job, step: Step, owner: str) -> tuple[Job, Advance | None]:
        context = self._context(job, step.name)
        try:
            result = step.run(context)
        except Exception as exc:
            failure = classify(exc, self._clock())
            if failure.verdict != Verdict.CRASH:
                return job, self._on_failure(job, step.name, failure, owner)
            self._note_crash(job, step.name, failure.message)
            raise
        try:
            update, overflow = self._with_outbox(job, result.data, context.emitted)
        except InvalidInput as exc:
            return job, self._fail(job, f"{step.name}: returned {exc}")
        try:
            self._park(job, overflow)
        except Exception as exc:  # DR storage unreachable: run the step again later
            failure = classify(exc, self._clock())
            if failure.verdict == Verdict.FAIL:
                self._log_unparked(job, overflow, failure.message)
            else:
                message = f"keeping {len(overflow)} large event(s) failed: {failure.message}"
                retry = Failure(Verdict.RETRY, message, failure.delay)
                return job, self._on_failure(job, step.name, retry, owner)
        try:
            job, stop = self._on_result(job, step.name, result, owner, update)
            self._publish_overflow(job, overflow)
            return job, stop
        except InvalidInput as exc:
            return job, self._fail(job, f"{step.name}: returned {exc}")

    def _on_result(
        self, job: Job, name: str, result: StepResult, owner: str, update: Any
    ) -> tuple[Job, Advance | None]:
        """Record the step's verdict with its data (and emitted events: the outbox); events are
        published after that write (a waiting step's go out after the next step's write)."""
        now = self._clock()
        if result.outcome in (Outcome.DONE, Outcome.SKIP):
            skipped = result.outcome == Outcome.SKIP
            job = self._store.replace(job.step_finished(name, now, update, skipped))
            return self._publish(job), None
        if result.outcome == Outcome.WAIT:
            job = job.step_waiting(name, now, result.reason, update, error="")
            return job, self._schedule(job, owner, result.seconds)
        return job, self._fail(job.with_data(now, update), f"{name}: {result.reason}", owner)

    def _on_failure(self, job: Job, name: str, failure: Failure, owner: str) -> Advance:
        s = self._settings
        now = self._clock()
        if failure.verdict == Verdict.FAIL:
            return self._fail(job, f"{name}: {failure.message}")
        if failure.verdict == Verdict.WAIT:
            delay = s.jobs_poll_seconds if failure.delay is None else failure.delay
            job = job.step_waiting(name, now, failure.message, None, error="")
            return self._schedule(job, owner, delay)
        retry = next(r.retries for r in job.steps if r.name == name) + 1
        if retry > s.jobs_max_retries:
            return self._fail(job, f"{name}: gave up after {retry} attempts: {failure.message}")
        delay = backoff_seconds(
            retry, s.jobs_backoff_base_seconds, s.jobs_backoff_max_seconds, failure.delay
        )
        reason = f"retry {retry} of {s.jobs_max_retries} in {delay:g}s"
        job = job.step_waiting(name, now, reason, None, error=failure.message)
        return self._schedule(job, owner, delay)

    def _note_crash(self, job: Job, name: str, error: str) -> None:
        log.warning(
            "job %s step %s crashed: %s",
            job.id,
            name,
            error,
            extra={"job_id": job.id, "step": name},
        )
        try:
            self._store.replace(job.step_error(name, self._clock(), error))
        except JobConflict:
            log.info("job %s changed before its crash was noted", job.id)

    def _fail(self, job: Job, reason: str, owner: str = "") -> Advance:
        job, delay = self.end_failed(job, reason, owner)
        return Advance(job.id, Progress.FAILED, job.state, delay)

    def end_failed(self, job: Job, reason: str, owner: str = "") -> tuple[Job, float]:
        """Write `job` failed with `reason`, with the events its kind publishes when it ends
        failed (shared.features.JOB_FAILED_EVENTS) in its outbox; publish them (or queue a
        retry). Return the job and the retry delay. Raises JobConflict when the job changed."""
        now = self._clock()
        events = self._failure_events(job, reason, now)
        failed = job.failed(now, reason)
        update, overflow = self._with_outbox(failed, None, events)
        if update is not None:
            failed = failed.with_data(now, update)
        try:
            self._park(failed, overflow)
        except Exception as exc:  # the job ends failed anyway; its events go out directly
            self._log_unparked(failed, overflow, f"{type(exc).__name__}: {exc}")
        job = self._store.replace(failed)
        log.warning("job %s failed: %s", job.id, job.reason, extra={"job_id": job.id})
        self._publish_overflow(job, overflow)
        return self._publish_or_retry(job, owner)

    def _failure_events(self, job: Job, reason: str, now: datetime) -> list[dict[str, Any]]:
        """The CloudEvents `job`'s kind publishes when it ends failed (none for most kinds)."""
        from shared.features import JOB_FAILED_EVENTS

        builder = JOB_FAILED_EVENTS.get(job.kind)
        if builder is None:
            return []
        current = job.current_step()
        step = None if current is None else current.name
        try:
            return [
                cloud_event(job.id, job.kind, *event, now=now, fact=fact)
                for event, fact in builder(job.data, reason, step, now)
            ]
        except Exception:  # an event must never keep a job from ending
            log.exception("job %s: its failure event could not be built", job.id)
            return []

    # ---- the outbox ------------------------------------------------------------------------
    def _publisher(self) -> EventPublisher | None:
        return None if self._deps is None else self._deps.publisher

    def _with_outbox(
        self, job: Job, data: Any, emitted: list[dict[str, Any]]
    ) -> tuple[Any, list[dict[str, Any]]]:
        """The data update with the events in the outbox, or (when they would not fit the
        record) without them: those overflow (kept in DR storage, published after the write).
        Raises InvalidInput when `data` itself does not fit."""
        update = with_emitted(job.data, data, emitted)
        if not emitted:
            return update, []
        try:
            merged(job.data, update)
        except InvalidInput:
            merged(job.data, data)
            return data, emitted
        return update, []

    def _park(self, job: Job, events: list[dict[str, Any]]) -> None:
        """Write each overflowing event to the DR record store under its deterministic name,
        before the job record is written (none without a topic: events are then skipped)."""
        if not events or self._publisher() is None or self._deps is None:
            return
        now = self._clock()
        for event in events:
            body, metadata = overflow_record(job.id, job.kind, event, now)
            self._deps.records.put(overflow_name(job.id, event), body, metadata)

    def _log_unparked(self, job: Job, events: list[dict[str, Any]], error: str) -> None:
        log.error(
            "job %s: %d event(s) too large for the record could not be kept: %s",
            job.id,
            len(events),
            error,
            extra={"job_id": job.id},
        )

    def _publish_overflow(self, job: Job, events: list[dict[str, Any]]) -> None:
        """Publish the overflowing events after the job write; delete their records once the
        topic took them. A failure leaves them for the `event_overflow` sweep."""
        publisher = self._publisher()
        if not events or publisher is None:
            return
        try:
            publisher.publish(events)
        except Exception as exc:  # a publish never fails the DR work
            log.warning(
                "job %s: publishing %d large event(s) failed, kept for the sweep: %s",
                job.id,
                len(events),
                exc,
                extra={"job_id": job.id},
            )
            return
        if self._deps is None:
            return
        for event in events:
            try:
                self._deps.records.delete(overflow_name(job.id, event))
            except Exception as exc:  # published: the sweep deletes it (a duplicate, same id)
                log.warning("job %s: overflow record left: %s", job.id, exc)

    def _publish(self, job: Job) -> Job:
        """Publish the record's pending events; on failure they stay in the record (retried)."""
        events = pending(job.data)
        if not events:
            return job
        publisher = self._publisher()
        if publisher is None:  # no topic configured: recorded as skipped
            return self._store.replace(
                job.with_data(self._clock(), after_skip(job.data, len(events)))
            )
        try:
            publisher.publish(events)
        except Exception as exc:  # a publish never fails the DR work
            log.warning(
                "job %s: publishing %d event(s) failed, kept for retry: %s",
                job.id,
                len(events),
                exc,
                extra={"job_id": job.id},
            )
            return job
        return self._store.replace(
            job.with_data(self._clock(), after_publish(job.data, len(events)))
        )

    def _publish_or_retry(self, job: Job, owner: str) -> tuple[Job, float]:
        """Publish a finished job's outbox; if that fails, queue a retry with backoff."""
        job = self._publish(job)
        if not pending(job.data):
            return job, 0.0
        s = self._settings
        retry = int(job.data.get(PUBLISH_RETRIES, 0)) + 1
        delay = backoff_seconds(
            retry, s.jobs_backoff_base_seconds, s.jobs_backoff_max_seconds, None
        )
        delay = min(float(MAX_QUEUE_DELAY_SECONDS), max(0.0, delay))
        now = self._clock()
        wake_at = now + timedelta(seconds=delay)
        token = uuid.uuid4().hex
        reason = clip(f"publishing {len(pending(job.data))} event(s): retry {retry} in {delay:g}s")
        job = self._store.replace(
            job.publish_retry(now, wake_at, token, waker=owner, retry=retry, error=reason)
        )
        self._queue.send(JobMessage(job.id, token, wake_at), delay)
        return job, delay

    def _settle(self, job: Job, owner: str, token: str) -> Advance:
        """A finished job whose events are not all published: publish them when due."""
        now = self._clock()
        if job.wake_at is not None and job.wake_at > now:
            remaining = (job.wake_at - now).total_seconds()
            if (token and token == job.wake_token) or (job.waker and owner == job.waker):
                self._queue.send(JobMessage(job.id, job.wake_token, job.wake_at), remaining)
            return Advance(job.id, Progress.FINISHED_BEFORE, job.state, remaining)
        job, delay = self._publish_or_retry(job, owner)
        return Advance(job.id, Progress.FINISHED_BEFORE, job.state, delay)

    def _schedule(self, job: Job, owner: str, delay: float) -> Advance:
        """Release the job and queue its wake-up; the record is written before the message."""
        now = self._clock()
        delay = min(float(MAX_QUEUE_DELAY_SECONDS), max(0.0, delay))
        wake_at = now + timedelta(seconds=delay)
        token = uuid.uuid4().hex
        job = self._store.replace(job.scheduled(now, wake_at, token, owner))
        self._queue.send(JobMessage(job.id, token, wake_at), delay)
        progress = Progress.WAITING if job.state == JobState.WAITING else Progress.YIELDED
        return Advance(job.id, progress, job.state, delay)
