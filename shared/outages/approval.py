"""Policy per tier and the approval state machine of a plan (pure transitions, typed refusals)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, TypeAdapter
from pydantic.dataclasses import dataclass as model

from shared.errors import InvalidInput
from shared.outages.documents import DOCUMENT_CONFIG, read_document
from shared.outages.errors import (
    DamagedPlan,
    DrillRefused,
    IllegalTransition,
    PlanAlreadyRunning,
    PlanCancelled,
    PlanClosed,
    PlanError,
    PlanExpired,
    PlanNotFound,
)
from shared.outages.plan_model import PlanKind

STATUS_VERSION: Literal[1] = 1


class Response(StrEnum):
    """What a tier asks for when its items are at risk (`lifeboat-tier` → setting)."""

    AUTO = "auto"
    APPROVE = "approve"
    NOTIFY = "notify"


# The strictest response of the tiers in a plan wins: one approve-tier VM gates the plan.
_STRICTNESS = {Response.AUTO: 0, Response.NOTIFY: 1, Response.APPROVE: 2}


@dataclass(frozen=True)
class TierPolicy:
    """Tier name (case-insensitive) → response, and the response of untagged or unknown tiers."""

    responses: Mapping[str, Response] = field(default_factory=dict)
    default: Response = Response.APPROVE

    def response_for(self, tier: str | None) -> Response:
        """The response for one tier."""
        if tier is None:
            return self.default
        return next(
            (r for t, r in self.responses.items() if t.lower() == tier.lower()), self.default
        )

    def plan_response(self, tiers: Iterable[str | None]) -> Response:
        """The response for a plan holding items of `tiers`: the strictest one among them."""
        responses = [self.response_for(t) for t in tiers] or [self.default]
        return max(responses, key=_STRICTNESS.__getitem__)


def parse_tier_policy(text: str, default: str = "approve", setting: str = "tiers") -> TierPolicy:
    """Return the policy in `gold=auto,silver=approve,bronze=notify`.

    Raises InvalidInput naming `setting` for a malformed entry or an unknown response.
    """

    def response(value: str) -> Response:
        try:
            return Response(value.strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in Response)
            raise InvalidInput(setting, f"{value!r} is not one of {allowed}") from None

    responses: dict[str, Response] = {}
    for part in (p for p in text.split(",") if p.strip()):
        tier, sep, value = part.partition("=")
        if not sep or not tier.strip():
            raise InvalidInput(setting, f"expected tier=response, got {part.strip()!r}")
        responses[tier.strip()] = response(value)
    return TierPolicy(responses, response(default))


class PlanState(StrEnum):
    """Where a plan is in its life."""

    PLANNED = "planned"
    """Notify tier: planned and announced; runs only if an operator approves it."""
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CLOSED = "closed"
    """Ended without running: its incident resolved first."""
    REPROTECTING = "reprotecting"
    """A failback plan copying the recovered VMs back to the primary region (no approval yet)."""


PENDING = frozenset({PlanState.PLANNED, PlanState.AWAITING_APPROVAL})
NOT_STARTED = PENDING | {PlanState.APPROVED}
FINAL = frozenset(
    {PlanState.DONE, PlanState.FAILED, PlanState.CANCELLED, PlanState.EXPIRED, PlanState.CLOSED}
)


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlanStatus:
    """The mutable side of a plan, kept beside it: state, revision, who approved and when."""

    plan_id: str
    kind: PlanKind
    response: Response
    state: PlanState
    revision: int
    created_at: AwareDatetime
    updated_at: AwareDatetime
    expires_at: AwareDatetime
    approved_by: str | None = None
    approved_at: AwareDatetime | None = None
    cancelled_by: str | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    reason: str | None = None
    copies_complete_at: AwareDatetime | None = None
    """A failback plan: when every copy back to the primary region was complete."""
    schema_version: Literal[1] = STATUS_VERSION

    def to_json(self) -> str:
        """Return the status as a JSON document (camelCase keys)."""
        return _ADAPTER.dump_json(self, by_alias=True).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> PlanStatus:
        """Return the status in `text`; raise DamagedPlan naming the first bad field."""
        return read_document(_ADAPTER, text, DamagedPlan, "status")


_ADAPTER = TypeAdapter(PlanStatus)


def open_status(
    plan_id: str, kind: PlanKind, response: Response, now: datetime, ttl: timedelta
) -> PlanStatus:
    """Return a new plan's first status: auto → approved, approve → awaiting, notify → planned."""
    state = {
        Response.AUTO: PlanState.APPROVED,
        Response.APPROVE: PlanState.AWAITING_APPROVAL,
        Response.NOTIFY: PlanState.PLANNED,
    }[response]
    approved = "policy:auto" if response is Response.AUTO else None
    return PlanStatus(
        plan_id=plan_id,
        kind=kind,
        response=response,
        state=state,
        revision=1,
        created_at=now,
        updated_at=now,
        expires_at=now + ttl,
        approved_by=approved,
        approved_at=now if approved else None,
    )


def require(status: PlanStatus | None, plan_id: str) -> PlanStatus:
    """Return `status`; raise PlanNotFound (404) when there is no plan with this id."""
    if status is None:
        raise PlanNotFound(plan_id, "no such plan")
    return status


def _refuse(status: PlanStatus, doing: str) -> PlanError:
    pid, state = status.plan_id, status.state
    if state is PlanState.EXPIRED:
        return PlanExpired(pid, f"expired at {status.expires_at.isoformat()}; cannot {doing}")
    if state is PlanState.CANCELLED:
        return PlanCancelled(pid, f"cancelled by {status.cancelled_by}; cannot {doing}")
    if state is PlanState.CLOSED:
        return PlanClosed(pid, f"closed ({status.reason}); cannot {doing}")
    if state in {PlanState.APPROVED, PlanState.EXECUTING, PlanState.DONE, PlanState.FAILED}:
        return PlanAlreadyRunning(pid, f"already {state.value}; cannot {doing}")
    return IllegalTransition(pid, f"is {state.value}; cannot {doing}")


def _lapsed(status: PlanStatus, now: datetime) -> bool:
    # A failback's cleanup waits for the operator however long traffic takes to come back.
    if status.kind is PlanKind.FAILBACK:
        return False
    return status.state in PENDING and now >= status.expires_at


def expire(status: PlanStatus, now: datetime) -> PlanStatus:
    """Return the status expired when it is still pending past its time to live, else as is."""
    if not _lapsed(status, now):
        return status
    return replace(status, state=PlanState.EXPIRED, updated_at=now, reason="not approved in time")


def approve(status: PlanStatus, who: str, now: datetime) -> PlanStatus:
    """Return the approved status, recording who and when.

    Raises PlanExpired, PlanCancelled, PlanClosed or PlanAlreadyRunning (409) otherwise: a
    second approval never starts anything a second time.
    """
    if not who.strip():
        raise InvalidInput("approvedBy", "required, but missing or empty")
    status = expire(status, now)
    if status.state not in PENDING:
        raise _refuse(status, "approve")
    return replace(
        status, state=PlanState.APPROVED, approved_by=who, approved_at=now, updated_at=now
    )


def cancel(status: PlanStatus, who: str, now: datetime) -> PlanStatus:
    """Return the cancelled status; cancelling a cancelled plan is a no-op.

    Raises PlanAlreadyRunning once it executes or finished, PlanExpired / PlanClosed after those.
    """
    if status.state is PlanState.CANCELLED:
        return status
    status = expire(status, now)
    if status.state not in NOT_STARTED:
        raise _refuse(status, "cancel")
    return replace(status, state=PlanState.CANCELLED, cancelled_by=who, updated_at=now)


def replan(status: PlanStatus, changed: bool, now: datetime, ttl: timedelta) -> PlanStatus:
    """Return the status after an alert update re-planned the plan in place.

    A pending or approved-but-not-started plan takes the new revision; an approval given to
    the old content is withdrawn for approve-tier plans when the content changed. A plan that
    started or ended is left as is (the caller keeps the update in the ledger only).
    """
    if status.state not in NOT_STARTED or not changed:
        return status
    state = status.state
    approved_by, approved_at = status.approved_by, status.approved_at
    if state is PlanState.APPROVED and status.response is not Response.AUTO:
        state, approved_by, approved_at = PlanState.AWAITING_APPROVAL, None, None
    return replace(
        status,
        state=state,
        revision=status.revision + 1,
        updated_at=now,
        expires_at=now + ttl,
        approved_by=approved_by,
        approved_at=approved_at,
    )


def start(status: PlanStatus, now: datetime) -> PlanStatus:
    """Return the executing status; raise PlanAlreadyRunning (or why not) unless approved."""
    if status.state is not PlanState.APPROVED:
        raise _refuse(status, "start")
    return replace(status, state=PlanState.EXECUTING, started_at=now, updated_at=now)


def finish(status: PlanStatus, now: datetime, ok: bool, reason: str | None = None) -> PlanStatus:
    """Return the done (or failed) status; raise IllegalTransition unless it is executing."""
    if status.state is not PlanState.EXECUTING:
        raise IllegalTransition(status.plan_id, f"is {status.state.value}, not executing")
    state = PlanState.DONE if ok else PlanState.FAILED
    return replace(status, state=state, finished_at=now, updated_at=now, reason=reason)


def close(status: PlanStatus, now: datetime, reason: str) -> PlanStatus:
    """Return the status closed when it never started (its incident resolved), else as is."""
    if status.state not in NOT_STARTED:
        return status
    return replace(status, state=PlanState.CLOSED, updated_at=now, reason=reason)


def check_drill_allowed(statuses: Iterable[PlanStatus]) -> None:
    """Raise DrillRefused (409) naming the plan when a real outage plan is executing."""
    for status in statuses:
        if status.kind is PlanKind.OUTAGE and status.state is PlanState.EXECUTING:
            raise DrillRefused(status.plan_id, "a real outage plan is executing; drills wait")
