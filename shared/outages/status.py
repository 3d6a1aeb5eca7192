"""The `outages` section of GET /api/status: open plans and pending approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.outages.approval import FINAL

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def outage_status(deps: Deps) -> dict[str, Any]:
    """Open plans (not final) with their action, and the ids of plans waiting for approval."""
    from shared.outages.service import list_plans, pending, view
    from shared.telemetry import record_plan_states

    plans = list_plans(deps)
    record_plan_states(str(p.status.state) for p in plans)
    open_plans = [view(deps, p).summary() for p in plans if p.status.state not in FINAL]
    return {
        "open_plans": open_plans,
        "pending_approvals": [p.plan_id for p in pending(plans)],
        "incidents": [e.tracking_id for e in deps.ledger.list() if not e.latest.finished],
    }
