"""Plan operations behind the routes: list, read, approve, cancel; start and announce.

Every write goes through the plan store's ETag, so two approvals racing leave one approval and
one execution; the other answers PlanAlreadyRunning (409).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.outages import approval
from shared.outages.approval import PENDING, PlanState, PlanStatus
from shared.outages.errors import PlanAlreadyRunning, PlanNotFound, StoreConflict
from shared.outages.plan_model import PlanKind
from shared.outages.store import StoredPlan

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.outages.run import ExecutionView

logger = logging.getLogger(__name__)
_ATTEMPTS = 25


def execution_of(deps: Deps, plan_id: str) -> ExecutionView | None:
    """The plan's ExecutionView (progress, RTO), or None before it was submitted."""
    from shared.outages.run import execution_view

    return execution_view(deps, plan_id)


def _received_at(deps: Deps, stored: StoredPlan) -> datetime | None:
    found = deps.ledger.get(stored.plan.incident_key)
    return found[0].first_received_at if found else None


def start_if_approved(deps: Deps, stored: StoredPlan, alert_received_at: datetime | None) -> bool:
    """Submit the plan's execution when it is approved (idempotent per plan and revision)."""
    from shared.outages.run import submit_execution

    if stored.status.state is not PlanState.APPROVED:
        return False
    if stored.plan.kind is PlanKind.FAILBACK:
        from shared.outages.failback_run import submit_cleanup

        job_id = submit_cleanup(deps, stored)
        logger.info("plan %s cleanup %s", stored.plan_id, job_id, extra={"job_id": job_id})
        return True
    job_id = submit_execution(
        deps, stored.plan, revision=stored.status.revision, alert_received_at=alert_received_at
    )
    logger.info("plan %s execution %s", stored.plan_id, job_id, extra={"job_id": job_id})
    return True


def approve_url(deps: Deps, plan_id: str) -> str | None:
    """The bare approval route of a plan (no key), or None without LIFEBOAT_PUBLIC_BASE_URL."""
    base = deps.settings.public_base_url
    return None if not base else f"{base.rstrip('/')}/api/plans/{plan_id}/approve"


def announce(deps: Deps, stored: StoredPlan) -> bool:
    """Send the plan's webhook notification when one is configured; never raises."""
    from shared.outages.notify import webhook_body
    from shared.outages.webhook import post_json

    url = deps.settings.outage_webhook_url
    link = approve_url(deps, stored.plan_id)
    if not url:
        return False
    if link is None:
        logger.warning("outage webhook skipped: LIFEBOAT_PUBLIC_BASE_URL is not set")
        return False
    try:
        body = webhook_body(stored.plan, stored.status, link)
    except ValueError as exc:
        logger.warning("outage webhook skipped: %s", exc)
        return False
    return post_json(url, body)


def get_plan(deps: Deps, plan_id: str) -> StoredPlan:
    """Return the plan (a pending one past its TTL reads as expired); raise PlanNotFound."""
    found = deps.plans.get(plan_id)
    if found is None:
        raise PlanNotFound(plan_id, "no such plan")
    return _expired(deps, found)


def _expired(deps: Deps, stored: StoredPlan) -> StoredPlan:
    status = approval.expire(stored.status, deps.clock())
    if status == stored.status:
        return stored
    try:
        expired = deps.plans.replace(stored.plan, status, stored.etag)
    except StoreConflict:
        return StoredPlan(stored.plan, status, stored.etag)
    from shared.publish.plans import plan_was_closed

    plan_was_closed(deps, expired)
    return expired


def list_plans(deps: Deps) -> list[StoredPlan]:
    """Every plan, expiry applied."""
    return [_expired(deps, p) for p in deps.plans.list()]


def _transition(deps: Deps, plan_id: str, change: Any) -> tuple[StoredPlan, bool]:
    """Apply `change(status) -> status` under the ETag; return the plan and whether it moved."""
    for _ in range(_ATTEMPTS):
        current = deps.plans.get(plan_id)
        status: PlanStatus = change(
            approval.require(None if current is None else current.status, plan_id)
        )
        assert current is not None
        if status == current.status:
            return current, False
        try:
            return deps.plans.replace(current.plan, status, current.etag), True
        except StoreConflict:
            continue
    raise StoreConflict(plan_id)


def approve_plan(deps: Deps, plan_id: str, who: str) -> StoredPlan:
    """Approve a pending plan (recording who and when) and start its execution.

    Raises PlanNotFound (404), PlanExpired / PlanCancelled / PlanClosed / PlanAlreadyRunning
    (409): of two racing approvals exactly one wins and only it submits the execution.
    """
    now = deps.clock()
    found = deps.plans.get(plan_id)
    if found is not None and found.plan.kind is PlanKind.FAILBACK:
        from shared.outages.failback import approve_cleanup
        from shared.outages.failback_run import not_copied

        left = not_copied(deps, found.plan)
        try:
            stored, moved = _transition(deps, plan_id, lambda s: approve_cleanup(s, who, now, left))
        except PlanAlreadyRunning:
            _finish_lost_approval(deps, plan_id)
            raise
    else:
        stored, moved = _transition(deps, plan_id, lambda s: approval.approve(s, who, now))
    if moved:
        from shared.publish.plans import plan_was_approved

        plan_was_approved(deps, stored)
        start_if_approved(deps, stored, _received_at(deps, stored))
    return stored


def _finish_lost_approval(deps: Deps, plan_id: str) -> None:
    """A failback approved by a worker that died before submitting its cleanup: the repeated
    approval (still refused) submits it and publishes Approved (the same job, the same event)."""
    from shared.publish.plans import plan_was_approved

    current = deps.plans.get(plan_id)
    if current is not None and current.status.state is PlanState.APPROVED:
        plan_was_approved(deps, current)
        start_if_approved(deps, current, None)


def cancel_plan(deps: Deps, plan_id: str, who: str) -> StoredPlan:
    """Cancel a plan that has not started; raise PlanNotFound (404) or a 409 PlanError."""
    now = deps.clock()
    stored, _ = _transition(deps, plan_id, lambda s: approval.cancel(s, who, now))
    from shared.publish.plans import plan_was_closed

    plan_was_closed(deps, stored)  # a repeated cancel re-submits the same event: one id
    return stored


def resume_approved(deps: Deps) -> int:
    """Submit the execution of every approved plan (a worker may have died between approval
    and submission; submitting is idempotent per plan and revision), and the job of every
    failback plan still reprotecting. Return how many."""
    count = 0
    for stored in deps.plans.list():
        if stored.status.state is PlanState.REPROTECTING:
            from shared.outages.failback_run import submit_failback

            submit_failback(deps, stored.plan_id)
            count += 1
            continue
        if stored.status.state is PlanState.APPROVED and start_if_approved(
            deps, stored, _received_at(deps, stored)
        ):
            count += 1
    return count


@dataclass(frozen=True)
class PlanView:
    """A plan as the API shows it: the document, its status and its execution (when any)."""

    stored: StoredPlan
    execution: ExecutionView | None = None
    corroboration: dict[str, dict[str, Any]] | None = None
    """The incident's Resource Health evidence per region (from its ledger entry), if any."""
    failback: dict[str, Any] | None = None
    """A failback plan's source, copies back and cleanup (failback_run.failback_view)."""

    @property
    def action(self) -> str:
        """The plan's action, the execution's state taking over once there is one."""
        from shared.outages.ingest import Action, plan_action

        if self.execution is not None:
            state = self.execution.state
            return Action.DONE if state in {"succeeded", "failed"} else Action.EXECUTING
        return plan_action(self.stored.status)

    def summary(self) -> dict[str, Any]:
        """The list entry of GET /api/plans."""
        plan, status = self.stored.plan, self.stored.status
        failback = plan.failback
        return {
            "planId": plan.plan_id,
            "kind": plan.kind.value,
            "incident": plan.incident_key,
            "drRegion": plan.dr_region,
            "state": status.state.value,
            "action": self.action,
            "revision": status.revision,
            "response": status.response.value,
            "items": len(failback.reprotect) if failback else len(plan.items),
            "blocked": sum(1 for i in plan.items if i.blocked),
            "expectedSeconds": plan.expected_seconds,
            "createdAt": status.created_at.isoformat(),
            "expiresAt": None if failback else status.expires_at.isoformat(),
            "approvedBy": status.approved_by,
            "approvedAt": status.approved_at.isoformat() if status.approved_at else None,
        }

    def to_json(self) -> dict[str, Any]:
        """The body of GET /api/plans/{id}: plan, status and execution."""
        import json

        return {
            **self.summary(),
            "plan": json.loads(self.stored.plan.to_json()),
            "status": json.loads(self.stored.status.to_json()),
            "execution": None if self.execution is None else self.execution.to_dict(),
            "corroboration": self.corroboration,
            **({"failback": self.failback} if self.failback is not None else {}),
        }


def view(deps: Deps, stored: StoredPlan) -> PlanView:
    """The API view of a stored plan, with its execution when it has one."""
    evidence = None
    if stored.plan.kind is PlanKind.OUTAGE:
        found = deps.ledger.get(stored.plan.incident_key)
        evidence = found[0].corroboration if found else None
    if stored.plan.kind is PlanKind.FAILBACK:
        from shared.outages.failback_run import failback_view

        return PlanView(stored, None, None, failback_view(deps, stored))
    return PlanView(stored, execution_of(deps, stored.plan_id), evidence)


def pending(plans: list[StoredPlan]) -> list[StoredPlan]:
    """The plans waiting for a decision."""
    return [p for p in plans if p.status.state in PENDING]
