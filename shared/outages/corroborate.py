"""Read Resource Health for the protected VMs of an incident's active regions and corroborate.

Evidence for the operator only: the approval policy never looks at it. Per active impacted
region: `{"corroborated": bool | None, "unavailable": n, "checked": n}`; `corroborated` is None
(and `unknown` true) when a read failed. Only platform-initiated Unavailable counts
(corroboration.py); our own clean-copy stops are Customer Initiated and never count.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from shared.arm_id import ResourceId
from shared.outages.corroboration import HealthSignal, corroborate
from shared.regions import GLOBAL
from shared.scope import in_scope

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.outages.ledger import LedgerEntry

logger = logging.getLogger(__name__)
MAX_VMS_PER_REGION: Final = 50
"""Reads are bounded: at most this many VMs per region are checked (the fraction is of those)."""


def _chosen(deps: Deps, active: set[str]) -> dict[str, list[str]]:
    """Protected VM ids per active region (all regions for a global impact), capped, in scope."""
    from shared.outages.protected import load_estate

    subs = deps.settings.subscriptions
    chosen: dict[str, list[str]] = {}
    for vm in load_estate(deps).vms:
        region = vm.region.lower()
        if GLOBAL not in active and region not in active:
            continue
        try:
            rid = ResourceId.parse(vm.vm_id, "vmId")
        except Exception:  # a damaged record is not evidence either way
            continue
        if not in_scope(rid.subscription, subs):
            continue
        if len(chosen.setdefault(region, [])) < MAX_VMS_PER_REGION:
            chosen[region].append(vm.vm_id)
    return chosen


def _region(deps: Deps, region: str, vm_ids: list[str], now: datetime) -> dict[str, Any]:
    from shared.azure.vm_health import read_vm_health

    signals: list[HealthSignal] = []
    reported: list[datetime] = []
    failed = 0
    for vm_id in vm_ids:
        try:
            health = read_vm_health(deps.clients, ResourceId.parse(vm_id, "vmId"))
        except Exception:  # an unreadable status is "unknown", never a crash
            logger.warning("resource health of %s unreadable", vm_id, exc_info=True)
            failed += 1
            continue
        if health is None:
            continue
        if health.reported_at is not None:
            reported.append(health.reported_at)
        signals.append(HealthSignal(vm_id, health.state, health.cause, health.occurred_at or now))
    # Durations on Resource Health's own clock (reportedTime), ours when it gives none.
    as_of = max(reported, default=now)
    results = corroborate(signals, dict.fromkeys(vm_ids, region), as_of)
    unavailable = results[0].unavailable if results else 0
    corroborated = bool(results and results[0].corroborated)
    return {
        "corroborated": None if failed else corroborated,
        "unknown": failed > 0,
        "unavailable": unavailable,
        "checked": len(vm_ids) - failed,
        "failed": failed,
        "checkedAt": now.astimezone(UTC).isoformat(),
        "reportedAt": as_of.astimezone(UTC).isoformat(),
    }


def region_corroboration(deps: Deps, entry: LedgerEntry) -> dict[str, dict[str, Any]]:
    """Return the per-region corroboration of `entry`'s active regions (DR records only).

    One Resource Health read per protected VM (at most MAX_VMS_PER_REGION per region); a
    failed read makes its region unknown (`corroborated` None), never an error.
    """
    active = {r.lower() for r in entry.latest.active_regions}
    if not active or entry.latest.finished:
        return {}
    now = deps.clock()
    return {
        region: _region(deps, region, vm_ids, now)
        for region, vm_ids in sorted(_chosen(deps, active).items())
    }
