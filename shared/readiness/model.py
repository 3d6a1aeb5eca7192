"""One ledger item: what it is, its newest DR-ready recovery point, achieved and target RPO."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class State(StrEnum):
    """Where one item stands against its target RPO."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    UNPROTECTED = "unprotected"


# Worst first: the order of the ledger and of the dashboard.
SEVERITY: dict[State, int] = {
    State.BREACHED: 0,
    State.UNPROTECTED: 1,
    State.AT_RISK: 2,
    State.OK: 3,
}


@dataclass(frozen=True)
class Finding:
    """Why an item is not plainly ok: a stable code, what is wrong, what to do."""

    code: str
    message: str
    action: str

    def to_json(self) -> dict[str, str]:
        """Return the finding as JSON."""
        return {"code": self.code, "message": self.message, "action": self.action}


@dataclass(frozen=True)
class LedgerItem:
    """One protected item in the one shape the ledger reports."""

    kind: str
    """image_build | image_artifact | vm | template"""
    id: str
    name: str
    recovery_point: datetime | None
    """When the newest DR-ready recovery point was taken (None: there is none)."""
    achieved_rpo_seconds: float | None
    target_rpo_seconds: float | None
    target_source: str
    """Where the target comes from: a schedule, a tier or a setting."""
    state: State
    findings: tuple[Finding, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Return the item as JSON."""
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "recovery_point": self.recovery_point.isoformat() if self.recovery_point else None,
            "achieved_rpo_seconds": self.achieved_rpo_seconds,
            "target_rpo_seconds": self.target_rpo_seconds,
            "target_source": self.target_source,
            "state": self.state.value,
            "findings": [f.to_json() for f in self.findings],
        }


def classify(
    achieved: float | None,
    target: float | None,
    at_risk_fraction: float,
    *,
    degraded: bool = False,
) -> State:
    """Return the state of an item: unprotected without a point, breached past its target,
    at risk past `at_risk_fraction` of it (or when `degraded`: a newer change is not DR-ready)."""
    if achieved is None:
        return State.UNPROTECTED
    if target is not None and achieved > target:
        return State.BREACHED
    if degraded or (target is not None and achieved > target * at_risk_fraction):
        return State.AT_RISK
    return State.OK


def measured(
    kind: str,
    item_id: str,
    name: str,
    point: datetime | None,
    now: datetime,
    *,
    target: float | None,
    target_source: str,
    at_risk_fraction: float,
    findings: tuple[Finding, ...] = (),
    degraded: bool = False,
) -> LedgerItem:
    """Return the item measured at `now`: achieved RPO is now - point (never negative)."""
    achieved = None if point is None else round(max(0.0, (now - point).total_seconds()), 1)
    state = classify(achieved, target, at_risk_fraction, degraded=degraded)
    return LedgerItem(kind, item_id, name, point, achieved, target, target_source, state, findings)
