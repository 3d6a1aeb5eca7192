"""The webhook notification of a plan (Slack- and Teams-compatible JSON), free of secrets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from shared.errors import InvalidInput
from shared.outages.approval import PlanState, PlanStatus
from shared.outages.matching import ItemKind
from shared.outages.plan_model import DrPlan

_MAX_LISTED = 10


def _check_link(url: str) -> str:
    """The approval link names the route only: a query (`?code=`), fragment or user is refused."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise InvalidInput("approveUrl", "expected an https URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInput("approveUrl", "must carry no query, fragment or credentials")
    return url


def _lines(plan: DrPlan) -> list[str]:
    counts = {k: sum(1 for i in plan.items if i.kind is k) for k in ItemKind}
    blocked = [i for i in plan.items if i.blocked]
    lines = [
        f"Recover {counts[ItemKind.VM]} VM(s), {counts[ItemKind.TEMPLATE]} template(s) and "
        f"{counts[ItemKind.IMAGE]} image(s) in {plan.dr_region}; expected "
        f"{round(plan.expected_seconds / 60)} min.",
    ]
    for group in plan.groups:
        lines.append(f"- {group.name}: {len(group.items)} item(s)")
    for item in blocked[:_MAX_LISTED]:
        codes = ", ".join(f.code.value for f in item.findings if f.blocking)
        lines.append(f"- cannot recover {item.subject.rsplit('/', 1)[-1]}: {codes}")
    if len(blocked) > _MAX_LISTED:
        lines.append(f"- and {len(blocked) - _MAX_LISTED} more that cannot be recovered")
    return lines


def webhook_body(plan: DrPlan, status: PlanStatus, approve_url: str) -> dict[str, Any]:
    """Return the JSON body announcing a plan: `text` (Slack, Teams connectors) plus an
    Adaptive Card attachment (Teams workflows), with the link to approve it when it waits.

    The link must be the bare route: the function key travels in a header, never in the body.
    Raises InvalidInput (`approveUrl`) otherwise.
    """
    link = _check_link(approve_url)
    kind = "Drill" if plan.drill_id else "Outage"
    head = f"Lifeboat {kind.lower()} plan {plan.plan_id} ({status.state.value})"
    lines = [f"Incident {plan.incident_key}.", *_lines(plan)]
    waiting = status.state in {PlanState.AWAITING_APPROVAL, PlanState.PLANNED}
    if waiting:
        lines.append(
            f"Approve with POST {link} before {status.expires_at.isoformat()} (function key in "
            "the x-functions-key header)."
        )
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": True},
            *({"type": "TextBlock", "text": line, "wrap": True} for line in lines),
        ],
    }
    return {
        "text": "\n".join([head, *lines]),
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
