"""Ledger items of template DR: one per backed-up template, from its latest-backup pointer in the
DR-region backup store (deps.backups); templates without any backup show in the ARM-reading
`templates` section of /api/status, not here."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.readiness.model import Finding, LedgerItem, State, measured

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def template_items(deps: Deps, now: datetime) -> list[LedgerItem]:
    """Return one item per template pointer; a deleted source's backup is kept, so it is ok."""
    target = deps.settings.readiness_template_rpo_hours * 3600
    fraction = deps.settings.readiness_at_risk_fraction
    source = "setting LIFEBOAT_READINESS_TEMPLATE_RPO_HOURS"
    items = []
    for pointer in deps.backups.list_pointers():
        name = pointer.template_id.rstrip("/").rsplit("/", 1)[-1]
        if pointer.deleted:
            gone = pointer.deleted_at.isoformat() if pointer.deleted_at else "an unknown time"
            items.append(
                LedgerItem(
                    "template",
                    pointer.template_id,
                    name,
                    pointer.captured_at,
                    None,
                    None,
                    "none: source deleted",
                    State.OK,
                    (
                        Finding(
                            "source_deleted",
                            f"the template was deleted at {gone}; its last backup is kept",
                            "restore it with POST /api/templates/restore if it is still needed",
                        ),
                    ),
                )
            )
            continue
        items.append(
            measured(
                "template",
                pointer.template_id,
                name,
                pointer.captured_at,
                now,
                target=target,
                target_source=source,
                at_risk_fraction=fraction,
            )
        )
    return items
