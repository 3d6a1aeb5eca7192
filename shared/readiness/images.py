"""Ledger items of image DR: one per image template (its build lineage), one per artifact
replicated without a build; read through shared.images.status (DR-region records only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.readiness.model import Finding, LedgerItem, measured

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _build_findings(newest: Mapping[str, Any]) -> tuple[Finding, ...]:
    out = []
    if not newest["dr_ready"]:
        reason = newest.get("reason") or newest.get("outcome") or "not replicated yet"
        out.append(
            Finding(
                "newest_build_not_dr_ready",
                f"the newest build ({newest.get('run_start')}) is not DR-ready: {reason}",
                "check the image_build / image_replication jobs of this template",
            )
        )
    elif not newest["complete"]:
        targets = ", ".join(newest.get("not_protected_targets") or ()) or "some targets"
        out.append(
            Finding(
                "build_incomplete",
                f"the newest build is DR-ready but did not produce {targets}",
                "fix the failing distribute targets and run the template again",
            )
        )
    return tuple(out)


def image_items(deps: Deps, now: datetime) -> list[LedgerItem]:
    """Return one item per image template and per artifact replicated without a build."""
    from shared.images.status import image_status

    report = image_status(deps, now)
    target = deps.settings.readiness_image_rpo_hours * 3600
    source = "setting LIFEBOAT_READINESS_IMAGE_RPO_HOURS"
    fraction = deps.settings.readiness_at_risk_fraction
    newest_by_template: dict[str, Mapping[str, Any]] = {}
    for build in report["builds"]:  # newest run first within a template
        newest_by_template.setdefault(str(build["template_id"]).lower(), build)
    items = []
    for build in newest_by_template.values():
        template_id = str(build["template_id"])
        ready = build.get("newest_dr_ready_image")
        findings = _build_findings(build)
        items.append(
            measured(
                "image_build",
                template_id,
                _name(template_id),
                _time(ready["built_at"]) if ready else None,
                now,
                target=target,
                target_source=source,
                at_risk_fraction=fraction,
                findings=findings,
                degraded=bool(findings),
            )
        )
    for artifact in report["artifacts_without_build"]:
        ready = artifact["state"] == "dr_ready"
        problems: tuple[Finding, ...] = ()
        if not ready:
            problems = (
                Finding(
                    "artifact_not_dr_ready",
                    f"replication is {artifact['state']}: {artifact.get('reason') or 'no reason'}",
                    "POST /api/images/replicate with this artifact again once the cause is fixed",
                ),
            )
        items.append(
            measured(
                "image_artifact",
                str(artifact["source"]),
                _name(str(artifact["source"])),
                _time(artifact.get("dr_ready_at")) if ready else None,
                now,
                target=target,
                target_source=source,
                at_risk_fraction=fraction,
                findings=problems,
            )
        )
    return items
