"""What the plan store holds: a plan document beside its status, under one ETag (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.outages.approval import PlanStatus
from shared.outages.errors import DamagedPlan
from shared.outages.plan_model import DrPlan


@dataclass(frozen=True)
class StoredPlan:
    """A stored plan: the document, its mutable status, and the ETag both were read at."""

    plan: DrPlan
    status: PlanStatus
    etag: str

    @property
    def plan_id(self) -> str:
        """The plan's id."""
        return self.plan.plan_id


def encode(plan: DrPlan, status: PlanStatus) -> bytes:
    """Return the stored form: one JSON object holding the plan and its status."""
    if plan.plan_id != status.plan_id:
        raise ValueError(f"status of {status.plan_id} stored with plan {plan.plan_id}")
    return ('{"plan":' + plan.to_json() + ',"status":' + status.to_json() + "}").encode()


def decode(data: bytes | str, etag: str) -> StoredPlan:
    """Return the stored plan in `data`; raise DamagedPlan naming what is wrong."""
    try:
        raw = json.loads(data)
    except ValueError:
        raise DamagedPlan("plan", "not JSON") from None
    if not isinstance(raw, dict) or "plan" not in raw or "status" not in raw:
        raise DamagedPlan("plan", "expected an object with plan and status")
    plan = DrPlan.from_json(json.dumps(raw["plan"]))
    status = PlanStatus.from_json(json.dumps(raw["status"]))
    return StoredPlan(plan, status, etag)


def summary_metadata(plan: DrPlan, status: PlanStatus) -> dict[str, str]:
    """Return the small listing summary kept beside the document (ASCII strings)."""
    return {
        "planid": plan.plan_id,
        "kind": plan.kind.value,
        "state": status.state.value,
        "revision": str(status.revision),
    }
