"""From a drill plan to its follow-up: every resource the plan may create, the VMs to validate.

Cleanup lists every disk, NIC and VM the drill plan names, created or not: a write the worker
made just before it died is deleted too, and deleting one never made is success (404). The
drill's own vnet is listed last; a configured one never is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from shared.drills.network import NetworkPlan
from shared.drills.spec import DEFAULT_WINDOW, DrillFollowUp, DrillVm
from shared.errors import InvalidInput
from shared.outages.cleanup import created_by
from shared.outages.execution import item_phases
from shared.outages.plan_model import DrPlan, PlanKind


def followup_for_plan(
    plan: DrPlan,
    network: NetworkPlan,
    *,
    started_at: datetime,
    subscriptions: Sequence[str],
    rto_targets: Mapping[str, float] | None = None,
    window: timedelta = DEFAULT_WINDOW,
    timeout: timedelta = timedelta(minutes=15),
    probe: str = "none",
) -> DrillFollowUp:
    """Return the follow-up of drill `plan` (InvalidInput when the plan is not a drill's).

    `rto_targets` maps a tier (case-insensitive) to its target RTO in seconds
    (LIFEBOAT_TIER_RTO_TARGETS); `probe` names the validation probe (LIFEBOAT_DRILL_PROBE).
    """
    if plan.kind is not PlanKind.DRILL or plan.drill_id is None:
        raise InvalidInput("plan", f"{plan.plan_id} is not a drill plan")
    if plan.drill_id != network.drill_id:
        raise InvalidInput("network", f"belongs to drill {network.drill_id}, not {plan.drill_id}")
    targets = {k.lower(): v for k, v in (rto_targets or {}).items()}
    every = [
        w.key for item in plan.items for phase in item_phases(item, plan.dr_region) for w in phase
    ]
    created = created_by(plan, every, network.owned_network())
    vms = [
        DrillVm(
            item.vm.vm.resource_id,
            item.subject,
            item.tier,
            targets.get((item.tier or "").lower()),
            item.rpo_seconds,
        )
        for item in plan.items
        if item.vm is not None and not item.blocked
    ]
    return DrillFollowUp(
        drill_id=plan.drill_id,
        plan_id=plan.plan_id,
        scope=plan.scope,
        started_at=started_at,
        vms=vms,
        created=created,
        window=window,
        timeout=timeout,
        probe=probe,
        subscriptions=tuple(subscriptions),
    )
