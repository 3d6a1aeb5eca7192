"""The one path from a Service Health notification to the ledger and a DR plan.

Webhook, Resource Graph poll and (later) the activity log all call `ingest()`. It records the
notification in the alert ledger (ETag retry, so concurrent deliveries merge into one entry),
then makes the plan match the ledger's newest view: create it, re-plan a pending one in place
when the impact changed, close a plan that never started once the incident resolved. The plan
id is deterministic per (incident, DR region), so any number of deliveries make one plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, TypeVar

from shared.engine.names import dr_resource_group
from shared.outages import approval
from shared.outages.approval import PlanState, PlanStatus, TierPolicy, parse_tier_policy
from shared.outages.errors import StoreConflict
from shared.outages.inventory import Inventory
from shared.outages.ledger import ChangeKind, LedgerChange, LedgerEntry, record
from shared.outages.matching import Exposure, match
from shared.outages.notification import Notification
from shared.outages.plan import PlanSettings, build_plan
from shared.outages.plan_model import DrPlan, PlanKind
from shared.outages.store import StoredPlan
from shared.vms.policy import TagNames

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.config import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")
_ATTEMPTS: Final = 25


class Action:
    """What the answer to an alert says Lifeboat is doing (`action` of /api/service-health)."""

    NONE: Final = "none"
    PLANNED: Final = "planned"
    AWAITING_APPROVAL: Final = "awaiting_approval"
    EXECUTING: Final = "executing"
    DONE: Final = "done"
    RESOLVED: Final = "resolved"
    REPROTECTING: Final = "reprotecting"
    """A failback plan copying the recovered VMs back to the primary region."""


_STATE_ACTION: Final = {
    PlanState.PLANNED: Action.PLANNED,
    PlanState.AWAITING_APPROVAL: Action.AWAITING_APPROVAL,
    PlanState.APPROVED: Action.EXECUTING,
    PlanState.EXECUTING: Action.EXECUTING,
    PlanState.DONE: Action.DONE,
    PlanState.FAILED: Action.DONE,
    PlanState.REPROTECTING: Action.REPROTECTING,
}
# When several plans answer one alert, the one furthest along speaks for them.
ACTION_ORDER: Final = (
    Action.NONE,
    Action.PLANNED,
    Action.AWAITING_APPROVAL,
    Action.EXECUTING,
    Action.REPROTECTING,
    Action.DONE,
)


def plan_action(status: PlanStatus) -> str:
    """The action one plan's state stands for (none for cancelled, expired, closed)."""
    return _STATE_ACTION.get(status.state, Action.NONE)


@dataclass(frozen=True)
class IngestResult:
    """The ledger entry after a notification, what it changed, and the incident's plans."""

    entry: LedgerEntry
    change: LedgerChange
    plans: tuple[StoredPlan, ...]
    source: str
    dry_run: bool = False

    @property
    def action(self) -> str:
        """none | planned | awaiting_approval | executing | done | resolved."""
        if self.entry.latest.finished:
            return Action.RESOLVED
        actions = [plan_action(p.status) for p in self.plans]
        return max(actions, key=ACTION_ORDER.index, default=Action.NONE)


def tier_policy(settings: Settings) -> TierPolicy:
    """The tier policy the settings configure (LIFEBOAT_OUTAGE_TIERS)."""
    return parse_tier_policy(
        settings.outage_tiers, settings.outage_default_response, "LIFEBOAT_OUTAGE_TIERS"
    )


def plan_settings(settings: Settings, dr_region: str) -> PlanSettings:
    """The PlanSettings for plans into `dr_region`, from the app's Settings."""
    fallbacks = {
        size: tuple(s.strip() for s in targets.split("|") if s.strip())
        for size, targets in settings.fallback_sizes.items()
    }
    return PlanSettings(
        dr_region=dr_region,
        resource_group=dr_resource_group(settings, dr_region),
        subnet_map=dict(settings.subnet_map),
        fallback_sizes=fallbacks,
        concurrent_vm_creates=settings.vm_create_concurrency,
        tag_names=TagNames(
            protect=settings.protect_tag,
            mode=settings.mode_tag,
            schedule=settings.schedule_tag,
            group=settings.group_tag,
            tier=settings.tier_tag,
        ),
    )


def _retry(what: str, attempt: Callable[[], T]) -> T:
    for _ in range(_ATTEMPTS - 1):
        try:
            return attempt()
        except StoreConflict:
            continue
    try:
        return attempt()
    except StoreConflict:
        logger.warning("%s: lost %d races in a row", what, _ATTEMPTS)
        raise


def record_notification(
    deps: Deps, notification: Notification, now: datetime
) -> tuple[LedgerEntry, LedgerChange]:
    """Merge `notification` into its ledger entry (ETag retry); return the entry and change."""

    def attempt() -> tuple[LedgerEntry, LedgerChange]:
        found = deps.ledger.get(notification.tracking_id)
        current, etag = found if found else (None, None)
        outcome = record(current, notification, now)
        if current is None:
            deps.ledger.create(outcome.entry)
        elif outcome.entry != current:
            assert etag is not None
            deps.ledger.replace(outcome.entry, etag)
        return outcome.entry, outcome.change

    return _retry(f"ledger {notification.tracking_id}", attempt)


def record_corroboration(deps: Deps, entry: LedgerEntry) -> LedgerEntry:
    """Read Resource Health for the entry's active regions and keep it on the entry (ETag retry).

    Evidence for the operator; the approval policy never reads it.
    """
    from shared.outages.corroborate import region_corroboration

    evidence = region_corroboration(deps, entry) or None

    def attempt() -> LedgerEntry:
        found = deps.ledger.get(entry.tracking_id)
        if found is None:
            return entry
        current, etag = found
        if current.corroboration == evidence:
            return current
        updated = replace(current, corroboration=evidence)
        deps.ledger.replace(updated, etag)
        return updated

    return _retry(f"ledger {entry.tracking_id}", attempt)


def _dr_region_of(deps: Deps, region: str) -> str:
    return deps.settings.dr_region(region)


def split_by_dr_region(deps: Deps, exposure: Exposure) -> dict[str, Exposure]:
    """Return one exposure per DR region: VMs by their newest set's DR region, templates and
    images by their region's DR pair."""
    regions: set[str] = set()
    vm_dr = {}
    for vm in exposure.vms:
        newest = vm.newest_complete
        vm_dr[vm.vm_id] = (newest.dr_region if newest else _dr_region_of(deps, vm.region)).lower()
    regions.update(vm_dr.values())
    t_dr = {t.template_id: _dr_region_of(deps, t.region) for t in exposure.templates}
    i_dr = {i.image_id: _dr_region_of(deps, i.region) for i in exposure.images}
    regions.update(t_dr.values(), i_dr.values())
    return {
        dr: replace(
            exposure,
            vms=tuple(v for v in exposure.vms if vm_dr[v.vm_id] == dr),
            templates=tuple(t for t in exposure.templates if t_dr[t.template_id] == dr),
            images=tuple(i for i in exposure.images if i_dr[i.image_id] == dr),
        )
        for dr in sorted(regions)
    }


def make_plans(
    deps: Deps, entry: LedgerEntry, now: datetime, inventory: Inventory | None = None
) -> list[DrPlan]:
    """Return the plans the entry's newest view calls for (one per DR region), from DR-region
    data only. Pure apart from the reads; nothing is stored."""
    from shared.outages.protected import load_dr_facts, load_estate

    exposure = match(entry.latest, inventory if inventory is not None else load_estate(deps))
    if exposure.empty:
        return []
    plans = []
    for dr_region, part in split_by_dr_region(deps, exposure).items():
        facts = load_dr_facts(deps, dr_region)
        plans.append(
            build_plan(
                entry.tracking_id,
                dr_region,
                part,
                facts,
                plan_settings(deps.settings, dr_region),
                now=now,
                as_of=entry.first_received_at,
            )
        )
    return plans


def _ttl(deps: Deps) -> timedelta:
    return timedelta(minutes=deps.settings.plan_ttl_minutes)


def open_plan(deps: Deps, plan: DrPlan, now: datetime) -> PlanStatus:
    """The first status of `plan` under the tier policy."""
    response = tier_policy(deps.settings).plan_response(i.tier for i in plan.items)
    return approval.open_status(plan.plan_id, plan.kind, response, now, _ttl(deps))


def _upsert(deps: Deps, plan: DrPlan, now: datetime) -> tuple[StoredPlan, bool]:
    """Create the plan, or re-plan a pending one in place when its content changed.

    Returns the stored plan and whether this call changed it.
    """

    def attempt() -> tuple[StoredPlan, bool]:
        current = deps.plans.get(plan.plan_id)
        if current is None:
            return deps.plans.create(plan, open_plan(deps, plan, now)), True
        changed = current.plan.content_key != plan.content_key
        status = approval.replan(current.status, changed, now, _ttl(deps))
        if status == current.status:
            return current, False
        return deps.plans.replace(plan, status, current.etag), True

    return _retry(f"plan {plan.plan_id}", attempt)


def incident_plans(deps: Deps, tracking_id: str) -> list[StoredPlan]:
    """Every stored outage plan of one incident."""
    key = tracking_id.strip().upper()
    return [
        p
        for p in deps.plans.list()
        if p.plan.kind is PlanKind.OUTAGE and p.plan.incident_key.upper() == key
    ]


def _close(deps: Deps, stored: StoredPlan, now: datetime, reason: str) -> StoredPlan:
    def attempt() -> StoredPlan:
        current = deps.plans.get(stored.plan_id) or stored
        status = approval.close(current.status, now, reason)
        if status == current.status:
            return current
        return deps.plans.replace(current.plan, status, current.etag)

    return _retry(f"plan {stored.plan_id}", attempt)


def _resolve(deps: Deps, entry: LedgerEntry, now: datetime) -> list[StoredPlan]:
    """Close every plan of a finished incident that never started; one that executed (or is
    executing, or failed part-way) stays and gets its failback plan (failback_run.py)."""
    from shared.outages.failback_run import fail_back
    from shared.outages.run import execution_view
    from shared.publish.plans import plans_were_closed

    reason = f"incident {entry.tracking_id} {entry.latest.stage.lower()}"
    out: list[StoredPlan] = []
    closed: list[StoredPlan] = []
    for stored in incident_plans(deps, entry.tracking_id):
        execution = execution_view(deps, stored.plan_id)
        if execution is None:
            closed.append(_close(deps, stored, now, reason))
            out.append(closed[-1])
            continue
        out.append(stored)
        failback = fail_back(deps, stored, execution, now)
        if failback is not None:
            out.append(failback)
    plans_were_closed(deps, closed)  # Lifeboat.Plan.Closed, once per plan
    return out


def ingest(
    deps: Deps, notification: Notification, *, source: str, dry_run: bool | None = None
) -> IngestResult:
    """Record one notification and bring the incident's plans in line with the ledger.

    Idempotent: a duplicate or stale notification changes no plan (it still creates one that
    an earlier delivery recorded but did not get to plan, so nothing is lost when a worker
    dies between the two writes). `dry_run` (default: LIFEBOAT_DRY_RUN) writes nothing and
    returns the plans that would be made. Raises InvalidInput for settings-free bad input.
    """
    now = deps.clock()
    dry = deps.settings.dry_run if dry_run is None else dry_run
    if dry:
        return _dry_run(deps, notification, now, source)
    entry, change = record_notification(deps, notification, now)
    entry = record_corroboration(deps, entry)
    if entry.latest.finished:
        plans = _resolve(deps, entry, now)
        return IngestResult(entry, change, tuple(plans), source)
    existing = incident_plans(deps, entry.tracking_id)
    if change.kind in {ChangeKind.DUPLICATE, ChangeKind.STALE} and existing:
        from shared.publish.plans import plan_opened

        for known in existing:  # re-submitting is idempotent: heals a submit lost in a crash
            plan_opened(deps, known)
        return IngestResult(entry, change, tuple(existing), source)
    stored: dict[str, StoredPlan] = {p.plan_id: p for p in existing}
    for plan in make_plans(deps, entry, now):
        saved, changed = _upsert(deps, plan, now)
        stored[saved.plan_id] = saved
        if changed:
            after_change(deps, saved, entry)
    logger.info(
        "ingested %s from %s: %s, %d plan(s)",
        entry.tracking_id,
        source,
        change.kind.value,
        len(stored),
        extra={"tracking_id": entry.tracking_id, "change": change.kind.value, "source": source},
    )
    return IngestResult(entry, change, tuple(stored[k] for k in sorted(stored)), source)


def _dry_run(deps: Deps, notification: Notification, now: datetime, source: str) -> IngestResult:
    found = deps.ledger.get(notification.tracking_id)
    outcome = record(found[0] if found else None, notification, now)
    plans = [] if outcome.entry.latest.finished else make_plans(deps, outcome.entry, now)
    stored = tuple(StoredPlan(p, open_plan(deps, p, now), "") for p in plans)
    return IngestResult(outcome.entry, outcome.change, stored, source, dry_run=True)


def after_change(deps: Deps, stored: StoredPlan, entry: LedgerEntry) -> None:
    """After a plan was created or re-planned: start it when policy approved it, announce it."""
    from shared.outages.service import announce, start_if_approved
    from shared.publish.plans import plan_opened

    plan_opened(deps, stored)
    start_if_approved(deps, stored, entry.first_received_at)
    announce(deps, stored)
