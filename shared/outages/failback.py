"""Failback on Resolved: protect recovered VMs back to the primary, then clean up (gated)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
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


# ---- the failback plan as stored: a plan document of kind failback, and its states ----


def to_document(
    failback: FailbackPlan, source: DrPlan, revision: int, resource_group: str
) -> DrPlan:
    """Return the stored document of `failback` (kind failback, no groups of its own)."""
    from shared.outages.failback_model import FailbackDetail, FailbackResource, FailbackVm
    from shared.outages.plan_model import PlanKind

    detail = FailbackDetail(
        source_plan_id=failback.source_plan_id,
        source_revision=revision,
        resource_group=resource_group,
        reprotect=tuple(
            FailbackVm(r.source_vm_id, r.dr_vm_id, r.from_region, r.to_region)
            for r in failback.reprotect
        ),
        cleanup=tuple(
            FailbackResource(c.kind.value, c.resource_id, c.owner) for c in failback.cleanup
        ),
    )
    return DrPlan(
        plan_id=failback.plan_id,
        kind=PlanKind.FAILBACK,
        incident_key=failback.incident_key,
        scope=source.plan_id,
        dr_region=source.dr_region,
        created_at=failback.created_at,
        groups=(),
        expected_seconds=0.0,
        failback=detail,
    )


def cleanup_of(document: DrPlan) -> tuple[CreatedResource, ...]:
    """The DR-side resources a stored failback plan deletes once approved."""
    from shared.outages.cleanup import CreatedKind

    detail = document.failback
    if detail is None:
        return ()
    return tuple(
        CreatedResource(CreatedKind(c.kind), c.resource_id, c.owner) for c in detail.cleanup
    )


def open_failback(plan_id: str, now: datetime) -> PlanStatus:
    """The first status of a failback plan: reprotecting (nothing to approve yet, no expiry)."""
    from shared.outages.approval import Response
    from shared.outages.plan_model import PlanKind

    return PlanStatus(
        plan_id=plan_id,
        kind=PlanKind.FAILBACK,
        response=Response.APPROVE,
        state=PlanState.REPROTECTING,
        revision=1,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )


def copies_complete(status: PlanStatus, at: datetime, now: datetime) -> PlanStatus:
    """Reprotecting → awaiting approval of the cleanup, recording when the copies completed.

    Any later state is kept as is (a redelivered step changes nothing).
    """
    if status.state is not PlanState.REPROTECTING:
        return status
    return replace(status, state=PlanState.AWAITING_APPROVAL, copies_complete_at=at, updated_at=now)


def reprotect_failed(status: PlanStatus, now: datetime, reason: str) -> PlanStatus:
    """Reprotecting → failed with `reason` (a copy back could not be made); else as is."""
    if status.state is not PlanState.REPROTECTING:
        return status
    return replace(status, state=PlanState.FAILED, finished_at=now, updated_at=now, reason=reason)


def approve_cleanup(status: PlanStatus, who: str, now: datetime, not_copied: int) -> PlanStatus:
    """Approve the cleanup of a failback plan; refused (409, saying why) while copies run."""
    from shared.outages.approval import approve
    from shared.outages.errors import IllegalTransition

    if status.state is PlanState.REPROTECTING:
        raise IllegalTransition(
            status.plan_id,
            f"the copies back to the primary region are not complete ({not_copied} VM(s) "
            "still copying); the cleanup can be approved once the plan is awaiting_approval",
        )
    return approve(status, who, now)


def executed_status(status: PlanStatus, execution_state: str) -> PlanStatus:
    """The source plan's status as its execution tells it (the stored one stays approved)."""
    state = {
        "queued": PlanState.EXECUTING,
        "running": PlanState.EXECUTING,
        "succeeded": PlanState.DONE,
        "failed": PlanState.FAILED,
    }[execution_state]
    return replace(status, state=state)
