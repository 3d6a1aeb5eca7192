"""The readiness page (GET /api/dashboard): the status report rendered as one HTML page.

Jinja2 is imported on the first render, never at indexing time (cold start stays small).
Open plans and pending approvals come from the `outages` status section
(shared/outages/status.py), drill history from the `drills` section (shared/drills/status.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"


def _open_plans(section: object) -> list[dict[str, Any]]:
    """The outages section's open plans, each marked `pending` when it awaits a decision."""
    if not isinstance(section, Mapping):
        return []
    pending = set(section.get("pending_approvals") or ())
    plans = section.get("open_plans") or ()
    return [{**p, "pending": p.get("planId") in pending} for p in plans if isinstance(p, Mapping)]


def _drills(section: object) -> list[dict[str, Any]]:
    """The drills section's newest drills of every scope, newest first."""
    if not isinstance(section, Mapping):
        return []
    rows = [
        {**entry, "scope": scope}
        for scope, entries in (section.get("scopes") or {}).items()
        for entry in entries
        if isinstance(entry, Mapping)
    ]
    return sorted(rows, key=lambda r: str(r.get("finished_at") or ""), reverse=True)


def _bar(item: Mapping[str, Any]) -> int:
    """How much of its target RPO an item has used, in percent, capped at 100 for the bar."""
    achieved, target = item.get("achieved_rpo_seconds"), item.get("target_rpo_seconds")
    if achieved is None:
        return 100
    if not target:
        return 0
    return min(100, round(100 * float(achieved) / float(target)))


def _duration(seconds: object) -> str:
    if seconds is None:
        return "none"
    value = float(str(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} s"


def render(report: Mapping[str, Any]) -> str:
    """Return the page for one status report."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = _duration
    env.filters["bar"] = _bar
    drills = report.get("drills")
    ledger = report.get("ledger") or {"items": [], "totals": {"items": 0, "by_state": {}}}
    findings = [(i, f) for i in ledger["items"] for f in i.get("findings") or ()]
    return env.get_template("dashboard.html.j2").render(
        report=report,
        ledger=ledger,
        open_plans=_open_plans(report.get("outages")),
        drills=_drills(drills),
        cleanup_incomplete=list((drills or {}).get("cleanup_incomplete") or ()),
        findings=findings,
    )
