"""Where each write action of a protection stands (done, ready, in progress, blocked)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.engine.actions import WriteAction


class ActionStatus(StrEnum):
    """Where one write action stands."""

    DONE = "done"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class ActionState:
    """A planned action, where it stands, and when to look again if it is not finished.

    `estimated` says `wait_seconds` is the estimated time left (from progress), not a poll;
    `progress` is the percent done of a wait Azure gives no start time for (replication), from
    which the job estimates a rate between two looks.
    """

    action: WriteAction
    status: ActionStatus
    detail: str = ""
    wait_seconds: float | None = None
    estimated: bool = False
    progress: float | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the step as JSON (dry-run output, job records)."""
        out: dict[str, Any] = {
            "op": self.action.op,
            "target": self.action.target,
            "region": self.action.region,
            "status": self.status.value,
        }
        source = getattr(self.action, "source", None)
        if source:
            out["source"] = source.split("?", 1)[0]
        if self.detail:
            out["detail"] = self.detail
        return out
