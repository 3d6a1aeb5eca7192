"""Builders of each Lifeboat event (type, subject, versioned data), for `ctx.emit(*event)`.

Every data object carries `version` ("1"); a change that breaks consumers becomes a new version
with a new schema file. Times are ISO 8601 UTC strings, durations whole seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NamedTuple

from shared.errors import InvalidInput

DATA_VERSION: Final = "1"

IMAGE_DR_READY: Final = "Lifeboat.Image.DrReady"
TEMPLATE_BACKED_UP: Final = "Lifeboat.Template.BackedUp"
VM_SET_READY: Final = "Lifeboat.Vm.SetReady"
RPO_BREACHED: Final = "Lifeboat.Protection.RpoBreached"
RPO_RECOVERED: Final = "Lifeboat.Protection.RpoRecovered"
PLAN_CREATED: Final = "Lifeboat.Plan.Created"
PLAN_AWAITING_APPROVAL: Final = "Lifeboat.Plan.AwaitingApproval"
PLAN_APPROVED: Final = "Lifeboat.Plan.Approved"
PLAN_EXECUTED: Final = "Lifeboat.Plan.Executed"
PLAN_FAILED: Final = "Lifeboat.Plan.Failed"
PLAN_CLOSED: Final = "Lifeboat.Plan.Closed"
DRILL_COMPLETED: Final = "Lifeboat.Drill.Completed"

EVENT_TYPES: Final = (
    IMAGE_DR_READY,
    TEMPLATE_BACKED_UP,
    VM_SET_READY,
    RPO_BREACHED,
    RPO_RECOVERED,
    PLAN_CREATED,
    PLAN_AWAITING_APPROVAL,
    PLAN_APPROVED,
    PLAN_EXECUTED,
    PLAN_FAILED,
    PLAN_CLOSED,
    DRILL_COMPLETED,
)

# How a plan ended without running (Lifeboat.Plan.Closed `state`: the plan's state as
# GET /api/plans/{id} shows it).
CLOSED_STATES: Final = ("cancelled", "expired", "closed")

SCHEMA_DIR: Final = Path(__file__).resolve().parents[2] / "docs" / "events"


class Event(NamedTuple):
    """One event to emit: `ctx.emit(*event)` (type, subject = the ARM id it is about, data)."""

    type: str
    subject: str
    data: Mapping[str, Any]


def schema_file(event_type: str) -> Path:
    """Return the JSON Schema file of `event_type`'s data (version 1)."""
    return SCHEMA_DIR / f"{event_type}.v1.schema.json"


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: float | None) -> int | None:
    return None if value is None else max(0, round(value))


def plan_subject(plan_id: str, scope: str = "") -> str:
    """Return the subject of a plan's events: `<scope>/providers/Lifeboat/plans/<plan id>`
    (`scope`: the Function App's or the affected subscription's ARM id; default none)."""
    return f"{scope.rstrip('/')}/providers/Lifeboat/plans/{plan_id}"


def drill_subject(drill_id: str, scope: str = "") -> str:
    """Return the subject of a drill's events: `<scope>/providers/Lifeboat/drills/<drill id>`."""
    return f"{scope.rstrip('/')}/providers/Lifeboat/drills/{drill_id}"


# ---- what exists on main -------------------------------------------------------------------
def image_dr_ready(
    source: str,
    *,
    kind: str,
    dr_region: str | None,
    dr_artifacts: Sequence[str],
    ready_at: datetime,
    template_id: str | None = None,
) -> Event:
    """An image build output is recoverable in its DR region (its recovery record is written).

    Subject: the artifact's ARM id; for a VHD (a blob URL) the image template's id when known.
    """
    subject = source if source.startswith("/") else (template_id or source.split("?", 1)[0])
    data = {
        "version": DATA_VERSION,
        "source": source.split("?", 1)[0],
        "artifactKind": kind,
        "templateId": template_id,
        "drRegion": dr_region,
        "drArtifacts": list(dr_artifacts),
        "drReadyAt": _iso(ready_at),
    }
    return Event(IMAGE_DR_READY, subject, data)


def template_backed_up(
    template_id: str, *, content_hash: str, blob: str | None, backed_up_at: datetime
) -> Event:
    """A new version of an image template's definition is stored in DR storage."""
    data = {
        "version": DATA_VERSION,
        "templateId": template_id,
        "contentHash": content_hash,
        "blob": blob,
        "backedUpAt": _iso(backed_up_at),
    }
    return Event(TEMPLATE_BACKED_UP, template_id, data)


def vm_set_ready(
    vm_id: str,
    *,
    set_id: str,
    consistency: str,
    captured_at: datetime,
    complete_at: datetime,
    dr_region: str,
    skew_seconds: float | None = None,
) -> Event:
    """A VM's capture set is complete in the DR region (its recovery manifest is written);
    `achievedRpoSeconds` is how old the set's data was when it became recoverable."""
    data = {
        "version": DATA_VERSION,
        "vmId": vm_id,
        "setId": set_id,
        "consistency": consistency,
        "skewSeconds": skew_seconds,
        "capturedAt": _iso(captured_at),
        "completeAt": _iso(complete_at),
        "achievedRpoSeconds": _seconds((complete_at - captured_at).total_seconds()),
        "drRegion": dr_region,
    }
    return Event(VM_SET_READY, vm_id, data)


def rpo_changed(
    vm_id: str,
    *,
    breached: bool,
    target_rpo_seconds: float,
    last_complete_at: datetime | None,
    observed_at: datetime,
) -> Event:
    """A VM's protection crossed its RPO (breached) or came back within it (recovered)."""
    achieved = (
        None if last_complete_at is None else (observed_at - last_complete_at).total_seconds()
    )
    data = {
        "version": DATA_VERSION,
        "vmId": vm_id,
        "targetRpoSeconds": _seconds(target_rpo_seconds),
        "achievedRpoSeconds": _seconds(achieved),
        "lastCompleteAt": _iso(last_complete_at),
        "observedAt": _iso(observed_at),
    }
    return Event(RPO_BREACHED if breached else RPO_RECOVERED, vm_id, data)


# ---- for the outage plans and drills (their branches call these) ---------------------------
def plan_created(
    plan_id: str,
    *,
    region: str,
    dr_region: str,
    resources: int,
    requires_approval: bool,
    created_at: datetime,
    outage_id: str | None = None,
    scope: str = "",
) -> Event:
    """A recovery plan was drafted for an outage of `region`."""
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "outageId": outage_id,
        "region": region,
        "drRegion": dr_region,
        "resources": int(resources),
        "requiresApproval": bool(requires_approval),
        "createdAt": _iso(created_at),
    }
    return Event(PLAN_CREATED, plan_subject(plan_id, scope), data)


def plan_awaiting_approval(
    plan_id: str,
    *,
    region: str,
    dr_region: str,
    resources: int,
    approve_url: str | None,
    since: datetime,
    expires_at: datetime | None = None,
    scope: str = "",
) -> Event:
    """A plan waits for a person to approve it (`approveUrl`: where to POST the approval)."""
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "region": region,
        "drRegion": dr_region,
        "resources": int(resources),
        "approveUrl": approve_url,
        "since": _iso(since),
        "expiresAt": _iso(expires_at),
    }
    return Event(PLAN_AWAITING_APPROVAL, plan_subject(plan_id, scope), data)


def plan_approved(
    plan_id: str, *, approved_by: str, approved_at: datetime, scope: str = ""
) -> Event:
    """A plan was approved and will execute."""
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "approvedBy": approved_by,
        "approvedAt": _iso(approved_at),
    }
    return Event(PLAN_APPROVED, plan_subject(plan_id, scope), data)


def plan_executed(
    plan_id: str,
    *,
    recovered: int,
    failed: int,
    started_at: datetime,
    finished_at: datetime,
    scope: str = "",
) -> Event:
    """A plan ran to its end; `rtoSeconds` is from its start to its end."""
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "recovered": int(recovered),
        "failed": int(failed),
        "startedAt": _iso(started_at),
        "finishedAt": _iso(finished_at),
        "rtoSeconds": _seconds((finished_at - started_at).total_seconds()),
    }
    return Event(PLAN_EXECUTED, plan_subject(plan_id, scope), data)


def plan_failed(
    plan_id: str, *, reason: str, failed_at: datetime, step: str | None = None, scope: str = ""
) -> Event:
    """A plan stopped without finishing (`step`: where)."""
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "reason": reason[:1000],
        "step": step,
        "failedAt": _iso(failed_at),
    }
    return Event(PLAN_FAILED, plan_subject(plan_id, scope), data)


def plan_closed(
    plan_id: str,
    *,
    state: str,
    reason: str | None,
    closed_at: datetime,
    closed_by: str | None = None,
    scope: str = "",
) -> Event:
    """A plan ended without running: `cancelled` (by `closed_by`), `expired` (not approved
    within its time to live) or `closed` (its incident resolved first). It will never run."""
    if state not in CLOSED_STATES:
        raise InvalidInput("state", f"{state!r} is not one of {', '.join(CLOSED_STATES)}")
    data = {
        "version": DATA_VERSION,
        "planId": plan_id,
        "state": state,
        "reason": None if reason is None else reason[:1000],
        "closedBy": closed_by,
        "closedAt": _iso(closed_at),
    }
    return Event(PLAN_CLOSED, plan_subject(plan_id, scope), data)


def drill_completed(
    drill_id: str,
    *,
    passed: bool,
    started_at: datetime,
    finished_at: datetime,
    findings: Sequence[str] = (),
    plan_id: str | None = None,
    target_rto_seconds: float | None = None,
    rto_seconds: float | None = None,
    scope: str = "",
) -> Event:
    """A DR drill finished; `rtoSeconds` is the measured RTO (start to VMs up: `rto_seconds`
    when the drill measured one, else its start to its end)."""
    elapsed = (finished_at - started_at).total_seconds()
    data = {
        "version": DATA_VERSION,
        "drillId": drill_id,
        "planId": plan_id,
        "passed": bool(passed),
        "startedAt": _iso(started_at),
        "finishedAt": _iso(finished_at),
        "rtoSeconds": _seconds(elapsed if rto_seconds is None else rto_seconds),
        "targetRtoSeconds": _seconds(target_rto_seconds),
        "findings": [str(f)[:500] for f in findings][:50],
    }
    return Event(DRILL_COMPLETED, drill_subject(drill_id, scope), data)
