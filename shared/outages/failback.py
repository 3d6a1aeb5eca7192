"""Failback on Resolved: protect recovered VMs back to the primary, then clean up (gated)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.outages.approval import NOT_STARTED, PlanState, PlanStatus, close
from shared.outages.cleanup import CreatedResource, created_by
from shared.outages.matching import ItemKind
from shared.outages.names import plan_id
from shared.outages.plan_model import DrPlan

FAILBACK = "failback"


@dataclass(frozen=True)
class ReprotectItem:
    """One recovered VM to protect back: DR region → its primary region (VM protection reversed)."""

    source_vm_id: str
    """The VM that was lost in the primary region."""
    dr_vm_id: str
    """The VM recovery created in the DR region, now the one to protect."""
    from_region: str
    to_region: str


@dataclass(frozen=True)
class FailbackPlan:
    """Protect-back of every recovered VM, then (after approval) cleanup of the DR side."""

    plan_id: str
    source_plan_id: str
    incident_key: str
    created_at: datetime
    reprotect: tuple[ReprotectItem, ...]
    cleanup: tuple[CreatedResource, ...]

    def cleanup_may_start(self, copied_back: Iterable[str], approved: bool) -> bool:
        """True once every DR VM has a complete copy in the primary region and it is approved.

        `copied_back` holds the DR VM ids whose capture set completed its copy to the primary.
        """
        copied = {c.lower() for c in copied_back}
        return approved and all(r.dr_vm_id.lower() in copied for r in self.reprotect)


@dataclass(frozen=True)
class ResolvedOutcome:
    """What an incident's resolution does to the plan it triggered."""

    status: PlanStatus
    failback: FailbackPlan | None


def on_resolved(
    plan: DrPlan, status: PlanStatus, done: Iterable[str], now: datetime
) -> ResolvedOutcome:
    """Return the plan's status and failback plan once its incident resolved.

    A plan that never started simply closes; one that executed (or is executing) gets a
    failback plan covering the VMs it created (`done` holds created resource ids). Drill plans
    never fail back. Deterministic: resolving twice names the same failback plan.
    """
    if status.state in NOT_STARTED:
        return ResolvedOutcome(close(status, now, "incident resolved before execution"), None)
    if status.state not in {PlanState.EXECUTING, PlanState.DONE, PlanState.FAILED}:
        return ResolvedOutcome(status, None)
    if plan.drill_id is not None:
        return ResolvedOutcome(status, None)
    created = created_by(plan, done)
    vms = {c.key for c in created if c.owner is None}
    reprotect = tuple(
        ReprotectItem(i.subject, i.vm.vm.resource_id, plan.dr_region, i.region)
        for i in plan.items
        if i.kind is ItemKind.VM and i.vm is not None and i.vm.vm.resource_id.lower() in vms
    )
    failback = FailbackPlan(
        plan_id=plan_id(FAILBACK, plan.plan_id, plan.scope),
        source_plan_id=plan.plan_id,
        incident_key=plan.incident_key,
        created_at=now,
        reprotect=reprotect,
        cleanup=created,
    )
    return ResolvedOutcome(status, failback)
