"""Image Builder runs as a pure state machine on the emulated clock (lastRunStatus, outcomes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Emulated phase lengths (seconds): 38 min in all; real builds take ~7 to 50+ minutes.
PHASES: tuple[tuple[str, float], ...] = (
    ("Queued", 60.0),
    ("Building", 300.0),
    ("Customizing", 900.0),
    ("Optimizing", 120.0),
    ("Validating", 300.0),
    ("Distributing", 600.0),
)
OUTCOMES = ("Succeeded", "PartiallySucceeded", "Failed")
OUTCOME_TAG = "emulator-run-outcome"
NOT_ENDED = "0001-01-01T00:00:00Z"
FAILED_MESSAGE = (
    "During the image build, a failure has occurred. Please review the build log to identify "
    "which build/customization step failed. For more troubleshooting steps go to "
    "https://aka.ms/azvmimagebuilderts. Image Build log location: "
    "https://lifeboatemulatorlogs.blob.core.windows.net/packerlogs/{run}/customization.log. "
    "OperationId: {run}. Use this operationId to search packer logs."
)


def total_seconds() -> float:
    """Return the emulated length of a whole build."""
    return sum(seconds for _, seconds in PHASES)


def phase_start(name: str) -> float:
    """Return the offset (seconds from run start) at which phase `name` begins."""
    offset = 0.0
    for phase, seconds in PHASES:
        if phase == name:
            return offset
        offset += seconds
    raise KeyError(name)


@dataclass
class Run:
    """One run's facts, kept in the template's meta as a plain dict (see to_dict/from_dict)."""

    run_id: str
    started: datetime
    outcome: str = "Succeeded"
    canceling_since: datetime | None = None
    canceled_at: datetime | None = None
    failed_at: datetime | None = None
    failure_message: str = ""
    distributed: bool = False
    final_state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (datetimes as ISO strings)."""
        out: dict[str, Any] = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """Rebuild a Run from to_dict() output."""
        values = dict(data)
        for key in ("started", "canceling_since", "canceled_at", "failed_at"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    def at(self, offset: float) -> datetime:
        """Return the moment `offset` seconds after the start."""
        return self.started + timedelta(seconds=offset)

    def failure_time(self) -> datetime | None:
        """Return when the run fails: a recorded failure, else the end of Customizing if Failed."""
        if self.failed_at is not None:
            return self.failed_at
        if self.outcome == "Failed":
            return self.at(phase_start("Optimizing") - 1)
        return None

    def end_time(self) -> datetime:
        """Return when a run that is not canceled or failed ends."""
        return self.at(total_seconds())


def sub_state(run: Run, moment: datetime) -> str:
    """Return the runSubState at `moment` (the last phase reached, at most Distributing)."""
    elapsed = (moment - run.started).total_seconds()
    current = PHASES[0][0]
    for name, _ in PHASES:
        if elapsed >= phase_start(name):
            current = name
    return current


def status(run: Run, now: datetime) -> dict[str, Any]:
    """Return lastRunStatus at `now` (final_state is set once distribution has finished)."""
    failed = run.failure_time()
    canceled = run.canceled_at
    if canceled is not None and canceled <= now and (failed is None or canceled < failed):
        return _ended(run, "Canceled", canceled, "", canceled)
    if failed is not None and failed <= now:
        message = run.failure_message or FAILED_MESSAGE.format(run=run.run_id.upper())
        return _ended(run, "Failed", failed, message, failed)
    if run.canceling_since is not None and run.canceling_since <= now:
        return _live(run, "Canceling", run.canceling_since)
    if now >= run.end_time() and run.final_state is not None:
        message = run.failure_message if run.final_state != "Succeeded" else ""
        return _ended(run, run.final_state, run.end_time(), message, run.end_time())
    return _live(run, "Running", now)


def _live(run: Run, state: str, moment: datetime) -> dict[str, Any]:
    return {
        "startTime": _iso(run.started),
        "endTime": NOT_ENDED,
        "runState": state,
        "runSubState": sub_state(run, moment),
        "message": "",
    }


def _ended(run: Run, state: str, end: datetime, message: str, moment: datetime) -> dict[str, Any]:
    return {
        "startTime": _iso(run.started),
        "endTime": _iso(end),
        "runState": state,
        "runSubState": sub_state(run, min(moment, run.at(phase_start("Distributing")))),
        "message": message,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_running(run: Run | None, now: datetime) -> bool:
    """True while the run has neither ended, failed nor been canceled."""
    if run is None:
        return False
    return status(run, now)["runState"] in {"Running", "Canceling"}


def outcome_of(tags: dict[str, Any] | None, override: str | None) -> str:
    """Return the wanted outcome: a control override, else the emulator tag, else Succeeded."""
    wanted = override or (tags or {}).get(OUTCOME_TAG) or "Succeeded"
    for outcome in OUTCOMES:
        if outcome.lower() == str(wanted).lower():
            return outcome
    return "Succeeded"
