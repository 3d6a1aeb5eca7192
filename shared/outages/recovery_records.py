"""Where an execution keeps what was approved and how far it got: DR-region record store.

The approved plan document is stored once per (plan id, revision) before the job starts, so
execution never re-reads the primary region; progress is one document per execution, written
after every round of writes (job data stays small: a 100-VM plan's progress exceeds it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.outages.errors import DamagedPlan
from shared.outages.plan_model import DrPlan

if TYPE_CHECKING:
    from shared.ports import RecordStore

PREFIX = "executions/"


def execution_prefix(plan_id: str) -> str:
    """The record prefix of every revision of one plan's executions."""
    return f"{PREFIX}{plan_id}/"


def plan_record(plan_id: str, revision: int) -> str:
    """The record holding the approved plan of (plan id, revision)."""
    return f"{execution_prefix(plan_id)}r{revision:06d}/plan"


def progress_record(plan_id: str, revision: int) -> str:
    """The record holding the execution's per-write progress."""
    return f"{execution_prefix(plan_id)}r{revision:06d}/progress"


def store_plan(
    records: RecordStore, plan: DrPlan, revision: int, job_id: str, alert: datetime | None
) -> None:
    """Write the approved plan of (plan id, revision) unless it is already stored (first wins)."""
    name = plan_record(plan.plan_id, revision)
    if records.get(name) is not None:
        return
    body = {
        "plan": plan.to_json(),
        "revision": revision,
        "jobId": job_id,
        "alertReceivedAt": alert.isoformat() if alert else None,
    }
    meta = {"kind": "execution", "planid": plan.plan_id, "revision": str(revision), "jobid": job_id}
    records.put(name, body, meta)


def load_plan(records: RecordStore, plan_id: str, revision: int) -> DrPlan | None:
    """Return the approved plan of (plan id, revision), None when none is stored.

    Raises DamagedPlan when the stored document does not parse.
    """
    body = records.get(plan_record(plan_id, revision))
    if body is None:
        return None
    text = body.get("plan")
    if not isinstance(text, str):
        raise DamagedPlan("plan", "the stored execution record holds no plan document")
    return DrPlan.from_json(text)


def latest_revision(records: RecordStore, plan_id: str) -> tuple[int, str] | None:
    """Return (revision, job id) of the newest execution of `plan_id`, None when there is none."""
    found: list[tuple[int, str]] = []
    for name, meta in records.list_metadata(execution_prefix(plan_id)).items():
        if not name.endswith("/plan") or not meta.get("revision", "").isdigit():
            continue
        found.append((int(meta["revision"]), meta.get("jobid", "")))
    return max(found) if found else None


@dataclass
class Progress:
    """Per-write progress by case-folded resource id, and per-item outcomes by subject."""

    done: dict[str, str] = field(default_factory=dict)
    """Write key → when it was seen finished (ISO 8601)."""
    in_flight: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Write key → {"since": ISO time, "job": child job id (templates)}."""
    attempts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """Write key → the last error it met (kept after a retry succeeds, for the record)."""
    failed: dict[str, str] = field(default_factory=dict)
    """Item subject → why it cannot be recovered by this execution."""
    running_at: dict[str, str] = field(default_factory=dict)
    """VM subject → when its recovered VM was seen running."""
    notes: dict[str, str] = field(default_factory=dict)
    """Item subject → what was recorded (images: the DR gallery version they point at)."""
    finished_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the progress as a JSON document."""
        return {
            "done": self.done,
            "inFlight": self.in_flight,
            "attempts": self.attempts,
            "errors": self.errors,
            "failed": self.failed,
            "runningAt": self.running_at,
            "notes": self.notes,
            "finishedAt": self.finished_at,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any] | None) -> Progress:
        """Return the progress in `body` (empty progress for None)."""
        b = body or {}
        return cls(
            done={str(k): str(v) for k, v in (b.get("done") or {}).items()},
            in_flight={str(k): dict(v) for k, v in (b.get("inFlight") or {}).items()},
            attempts={str(k): int(v) for k, v in (b.get("attempts") or {}).items()},
            errors={str(k): str(v) for k, v in (b.get("errors") or {}).items()},
            failed={str(k): str(v) for k, v in (b.get("failed") or {}).items()},
            running_at={str(k): str(v) for k, v in (b.get("runningAt") or {}).items()},
            notes={str(k): str(v) for k, v in (b.get("notes") or {}).items()},
            finished_at=b.get("finishedAt"),
        )


def load_progress(records: RecordStore, plan_id: str, revision: int) -> Progress:
    """Return the execution's progress (empty before its first round)."""
    return Progress.from_json(records.get(progress_record(plan_id, revision)))


def save_progress(records: RecordStore, plan_id: str, revision: int, progress: Progress) -> None:
    """Write the execution's progress (overwrite: one worker holds the job's lease)."""
    meta = {"kind": "execution-progress", "planid": plan_id, "revision": str(revision)}
    records.put(progress_record(plan_id, revision), progress.to_json(), meta)
