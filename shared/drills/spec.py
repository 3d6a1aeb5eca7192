"""What a drill hands its follow-up job: the recovered VMs, what it created, window and timeout.

`DrillFollowUp.to_data()` is the job's input data (JSON); `from_data` reads it back and raises
InvalidInput naming the field, so a damaged job fails instead of deleting the wrong thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.jobs.messages import iso, parse_time
from shared.outages.cleanup import CreatedKind, CreatedResource
from shared.outages.names import check_drill_id

DEFAULT_WINDOW = timedelta(minutes=30)
"""How long recovered drill VMs stay up after validation before cleanup deletes them."""


@dataclass(frozen=True)
class DrillVm:
    """One VM the drill recovered: its DR id, the protected VM, the tier's target RTO, its RPO."""

    vm_id: str
    source_vm_id: str
    tier: str | None = None
    rto_target_seconds: float | None = None
    rpo_seconds: float | None = None
    """Achieved RPO of the recovery point used (capture time → drill start)."""

    def to_json(self) -> dict[str, Any]:
        """The VM as job data."""
        return {
            "vm_id": self.vm_id,
            "source_vm_id": self.source_vm_id,
            "tier": self.tier,
            "rto_target_seconds": self.rto_target_seconds,
            "rpo_seconds": self.rpo_seconds,
        }


@dataclass(frozen=True)
class DrillFollowUp:
    """Validate, hold for the window, delete what was created, keep the evidence."""

    drill_id: str
    plan_id: str
    scope: str
    started_at: datetime
    vms: Sequence[DrillVm]
    created: Sequence[CreatedResource]
    window: timedelta = DEFAULT_WINDOW
    timeout: timedelta = timedelta(minutes=15)
    probe: str = "none"
    subscriptions: Sequence[str] = field(default_factory=tuple)
    """The subscriptions in scope (LIFEBOAT_SUBSCRIPTIONS): nothing outside them is deleted."""

    def __post_init__(self) -> None:
        check_drill_id(self.drill_id)
        allowed = {s.lower() for s in self.subscriptions}
        for r in self.created:
            rid = ResourceId.parse(r.resource_id, "created")
            if allowed and rid.subscription.lower() not in allowed:
                raise InvalidInput("created", f"{r.resource_id} is outside the subscriptions")
            marked = f"drill-{self.drill_id}" in r.key or rid.name.lower().startswith(self.drill_id)
            if r.kind is not CreatedKind.NETWORK and not marked:
                raise InvalidInput(
                    "created", f"{r.resource_id} does not carry drill id {self.drill_id}"
                )
        for name, value in (("window", self.window), ("timeout", self.timeout)):
            if value < timedelta(0):
                raise InvalidInput(name, "must not be negative")

    def to_data(self) -> dict[str, Any]:
        """The job's input data."""
        return {
            "drill_id": self.drill_id,
            "plan_id": self.plan_id,
            "scope": self.scope,
            "started_at": iso(self.started_at),
            "vms": [v.to_json() for v in self.vms],
            "created": [
                {"kind": r.kind.value, "id": r.resource_id, "owner": r.owner} for r in self.created
            ],
            "window_seconds": self.window.total_seconds(),
            "timeout_seconds": self.timeout.total_seconds(),
            "probe": self.probe,
        }


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(key, "required text, missing or empty")
    return value


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(key, f"expected a number, got {value!r}")
    return float(value)


def created_of(data: Mapping[str, Any]) -> list[CreatedResource]:
    """The created resources in job data; raise InvalidInput("created") when damaged."""
    out = []
    for entry in data.get("created") or []:
        try:
            kind = CreatedKind(entry["kind"])
            rid = str(ResourceId.parse(entry["id"], "created"))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("created", f"bad entry {entry!r}") from exc
        owner = entry.get("owner")
        out.append(CreatedResource(kind, rid, str(owner) if owner else None))
    return out


def vms_of(data: Mapping[str, Any]) -> list[DrillVm]:
    """The drill VMs in job data; raise InvalidInput naming the bad field."""
    out = []
    for entry in data.get("vms") or []:
        if not isinstance(entry, Mapping):
            raise InvalidInput("vms", f"bad entry {entry!r}")
        tier = entry.get("tier")
        out.append(
            DrillVm(
                _text(entry, "vm_id"),
                _text(entry, "source_vm_id"),
                str(tier) if tier else None,
                _number(entry, "rto_target_seconds"),
                _number(entry, "rpo_seconds"),
            )
        )
    return out


def started_of(data: Mapping[str, Any]) -> datetime:
    """The drill's start in job data; raise InvalidInput("started_at") when damaged."""
    try:
        return parse_time(_text(data, "started_at"))
    except ValueError as exc:
        raise InvalidInput("started_at", str(exc)) from exc
