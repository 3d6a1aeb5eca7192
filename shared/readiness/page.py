"""The readiness page (GET /api/dashboard): the status report rendered as one HTML page.

Jinja2 is imported on the first render, never at indexing time (cold start stays small).
Sections other branches add (`plans`, `drills`) are rendered generically when present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "templates"
# Plan states after which there is nothing left to approve.
CLOSED_PLAN_STATES = frozenset(
    {"approved", "executing", "running", "done", "succeeded", "failed", "expired", "cancelled",
     "rejected", "superseded", "completed"}
)  # fmt: skip


def _records(section: object, key: str) -> list[Mapping[str, Any]]:
    """The list of records in a section shaped {key: [...]} or [...] (else none)."""
    if isinstance(section, Mapping):
        section = section.get(key)
    if isinstance(section, Sequence) and not isinstance(section, str):
        return [r for r in section if isinstance(r, Mapping)]
    return []


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
    plans = _records(report.get("plans"), "plans")
    open_plans = [p for p in plans if str(p.get("state", "")).lower() not in CLOSED_PLAN_STATES]
    drills = _records(report.get("drills"), "drills")
    ledger = report.get("ledger") or {"items": [], "totals": {"items": 0, "by_state": {}}}
    findings = [(i, f) for i in ledger["items"] for f in i.get("findings") or ()]
    return env.get_template("dashboard.html.j2").render(
        report=report,
        ledger=ledger,
        open_plans=open_plans,
        drills=drills,
        findings=findings,
        has_plans="plans" in report,
        has_drills="drills" in report,
    )
