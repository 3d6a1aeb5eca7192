"""The `vms` section of GET /api/status, from DR-region storage and the copy ledger only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.vms.records import SetSummary, list_sets, read_inventory

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def _in_flight(deps: Deps) -> Counter[str]:
    from shared.azure.copy_ledger import FLYING, CopyLedger

    rows = CopyLedger(deps.clients, deps.settings.copies_table).all_rows()
    return Counter(r.set_id.rsplit("-", 1)[0] for r in rows if r.state == FLYING)


def _newest(sets: list[SetSummary]) -> dict[str, SetSummary]:
    return {s.vm_id.lower(): s for s in sets}  # oldest first: the last one wins


def vm_status(deps: Deps, now: datetime) -> dict[str, Any]:
    """Return every protected VM (newest complete DR set, achieved RPO, consistency, next run,
    copies in flight) and every tagged VM that cannot be protected, with why."""
    from shared.vms.naming import vm_key

    inventory = read_inventory(deps.records) or {"protected": [], "refused": []}
    newest = _newest(list_sets(deps.records))
    flying = _in_flight(deps)
    protected = []
    for vm in inventory["protected"]:
        latest = newest.get(vm["vm_id"].lower())
        rpo = (now - latest.captured_at).total_seconds() if latest else None
        protected.append(
            {
                **vm,
                "newest_set": latest.set_id if latest else None,
                "captured_at": latest.captured_at.isoformat() if latest else None,
                "achieved_rpo_seconds": rpo,
                "rpo_breached": rpo is None or rpo > float(vm["rpo_seconds"]),
                "consistency": latest.consistency if latest else None,
                "skew_seconds": latest.skew_seconds if latest else None,
                "copies_in_flight": flying.get(vm_key(vm["vm_id"]), 0),
            }
        )
    return {
        "protected": protected,
        "unprotected": inventory["refused"],
        "copies_in_flight": sum(flying.values()),
    }
