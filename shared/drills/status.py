"""The drills part of GET /api/status: the last drills per scope, and any unfinished cleanup.

Read from the evidence records' metadata in DR-region storage (one listing, no ARM call).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.drills.evidence import RECORD_PREFIX

if TYPE_CHECKING:
    from shared.bootstrap import Deps

LAST_PER_SCOPE = 5


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def drill_status(deps: Deps, now: datetime, last: int = LAST_PER_SCOPE) -> dict[str, Any]:
    """Return `{"scopes": {scope: [newest drills]}, "cleanup_incomplete": [drill ids]}`; each
    drill with its RTO against the strictest tier target of its VMs (None: no target)."""
    listed = deps.records.list_metadata(RECORD_PREFIX)
    by_scope: dict[str, list[dict[str, Any]]] = defaultdict(list)
    incomplete = []
    for name, meta in listed.items():
        entry = {
            "drill_id": meta.get("drillid", ""),
            "finished_at": meta.get("finishedat", ""),
            "passed": meta.get("passed") == "true",
            "cleanup_complete": meta.get("cleancomplete") == "true",
            "evidence": name,
            "rto_seconds": _number(meta.get("rtoseconds")),
            "rto_target_seconds": _number(meta.get("rtotargetseconds")),
            "rto_met": {"true": True, "false": False}.get(meta.get("rtomet") or ""),
        }
        by_scope[meta.get("scope") or ""].append(entry)
        if not entry["cleanup_complete"]:
            incomplete.append(entry["drill_id"])
    scopes = {
        scope: sorted(entries, key=lambda e: e["finished_at"], reverse=True)[:last]
        for scope, entries in sorted(by_scope.items())
    }
    return {"scopes": scopes, "cleanup_incomplete": sorted(incomplete)}
