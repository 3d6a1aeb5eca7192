"""Job kinds: a feature declares its ordered, re-entrant steps; workers look them up by name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from shared.config import Settings
from shared.errors import InvalidInput
from shared.jobs.model import validate_kind

if TYPE_CHECKING:
    from shared.bootstrap import Deps


class Outcome(StrEnum):
    """What a step decided."""

    DONE = "done"
    SKIP = "skip"
    WAIT = "wait"
    FAIL = "fail"


@dataclass(frozen=True)
class StepResult:
    """A step's verdict; `data` (JSON-able) is merged into the job's shared data."""

    outcome: Outcome
    seconds: float = 0.0
    reason: str = ""
    data: Mapping[str, Any] | None = None

    @classmethod
    def done(cls, data: Mapping[str, Any] | None = None) -> StepResult:
        """Return "the step's goal holds": move on to the next step."""
        return cls(Outcome.DONE, data=data)

    @classmethod
    def skip(cls, reason: str, data: Mapping[str, Any] | None = None) -> StepResult:
        """Return "nothing to do here" (recorded as skipped): move on."""
        return cls(Outcome.SKIP, reason=reason, data=data)

    @classmethod
    def wait(cls, seconds: float, reason: str, data: Mapping[str, Any] | None = None) -> StepResult:
        """Return "not yet": run this step again after `seconds`."""
        return cls(Outcome.WAIT, seconds=max(0.0, float(seconds)), reason=reason, data=data)

    @classmethod
    def fail(cls, reason: str, data: Mapping[str, Any] | None = None) -> StepResult:
        """Return "this can never succeed": the job fails with `reason`."""
        return cls(Outcome.FAIL, reason=reason, data=data)


@dataclass(frozen=True)
class StepContext:
    """What a step sees: the job's identity and data, a clock, the settings, a job logger, and
    the app's dependencies (`deps`: clients, stores, the job service) from the composition root."""

    job_id: str
    kind: str
    key: str
    step: str
    attempt: int
    data: Mapping[str, Any]
    clock: Callable[[], datetime]
    settings: Settings
    log: logging.LoggerAdapter[logging.Logger]
    deps: Deps | None = None
    emitted: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def emit(
        self,
        event_type: str,
        subject: str,
        data: Mapping[str, Any],
        *,
        fact: str | None = None,
    ) -> None:
        """Record a CloudEvent to publish once this step's result is written (the outbox).

        `subject` is the ARM id the event is about; the event's id is a hash of the job id,
        `event_type`, `subject` and `fact` (default: `data`), so a redelivered job publishes the
        same id. Publishing never fails the step: a failed publish is retried by the backbone.
        Raises InvalidInput naming `event_type`, `subject` or `data` when one is unusable.
        """
        from shared.jobs.outbox import cloud_event

        event = cloud_event(
            self.job_id, self.kind, event_type, subject, data, now=self.now(), fact=fact
        )
        self.emitted.append(event)

    def now(self) -> datetime:
        """Return the current time from the injected clock."""
        return self.clock()

    @property
    def app(self) -> Deps:
        """The app's dependencies; raise RuntimeError when the step runs without them."""
        if self.deps is None:
            raise RuntimeError(f"step {self.step} of {self.job_id} runs without the app's deps")
        return self.deps


StepFn = Callable[[StepContext], StepResult]


@dataclass(frozen=True)
class Step:
    """One named step and its re-entrant function."""

    name: str
    run: StepFn


@dataclass(frozen=True)
class JobKind:
    """A declared job kind: its name and its ordered steps."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""

    def step(self, name: str) -> Step | None:
        """Return the step called `name`, or None if this kind does not declare it."""
        return next((s for s in self.steps if s.name == name), None)

    @property
    def step_names(self) -> tuple[str, ...]:
        """The step names, in order."""
        return tuple(s.name for s in self.steps)


def _kind(name: str, steps: Sequence[tuple[str, StepFn]], description: str) -> JobKind:
    validate_kind(name)
    if not steps:
        raise InvalidInput("steps", f"job kind {name!r} declares no steps")
    names = [n for n, _ in steps]
    if len(set(names)) != len(names):
        raise InvalidInput("steps", f"job kind {name!r} repeats a step name")
    if any(not n or len(n) > 64 for n in names):
        raise InvalidInput("steps", "step names must have 1 to 64 characters")
    return JobKind(name, tuple(Step(n, fn) for n, fn in steps), description)


KindLoader = Callable[[], Callable[["Registry"], None]]


@dataclass
class Registry:
    """The job kinds a worker process knows. Registering the same kind twice replaces it.

    `loaders` map a kind name to a reference that returns the feature's registration function
    (shared.features.JOB_KINDS): the feature is imported on first use of one of its kinds, so a
    worker needs no feature imported at indexing time (cold start) to run any job.
    """

    loaders: Mapping[str, KindLoader] = field(default_factory=dict)
    _kinds: dict[str, JobKind] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(
        self, name: str, steps: Sequence[tuple[str, StepFn]], description: str = ""
    ) -> JobKind:
        """Declare job kind `name` with its ordered `(step name, function)` pairs; return it.

        Raises InvalidInput for an invalid kind name, no steps or repeated step names.
        """
        kind = _kind(name, steps, description)
        with self._lock:
            self._kinds[name] = kind
        return kind

    def get(self, name: str) -> JobKind:
        """Return the kind called `name`; raise InvalidInput("kind") if none is registered."""
        with self._lock:
            kind = self._kinds.get(name)
        if kind is None and name in self.loaders:
            self.loaders[name]()(self)  # the feature's register() fills this registry
            with self._lock:
                kind = self._kinds.get(name)
        if kind is None:
            raise InvalidInput("kind", f"no job kind {name!r} is registered")
        return kind

    def names(self) -> tuple[str, ...]:
        """Return the registered kind names, sorted."""
        with self._lock:
            return tuple(sorted(self._kinds))


def read_only(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return a read-only view of `data` for a step context."""
    return MappingProxyType(dict(data))
