"""Readiness for GET /api/status: every known build, DR-ready or not, newest DR image age."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.azure.image_builds import parse_time
from shared.images.records import ArtifactRecord, list_artifacts, list_builds

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.config import Settings

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _artifact_json(record: ArtifactRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "source": record.source,
        "state": record.state,
        "dr_ready_at": record.dr_ready_at or None,
        "reason": record.reason or None,
    }


def _newest_ready(records: Sequence[ArtifactRecord], now: datetime) -> dict[str, Any] | None:
    """The newest DR-ready image among `records`: when it was built and how old it is."""
    best: tuple[datetime, ArtifactRecord] | None = None
    for record in records:
        if record.state != "dr_ready":
            continue
        built = parse_time(record.run_end) or parse_time(record.dr_ready_at)
        if built is not None and (best is None or built > best[0]):
            best = (built, record)
    if best is None:
        return None
    built, record = best
    return {
        "source": record.source,
        "built_at": built.isoformat(),
        "age_seconds": round(max(0.0, (now - built).total_seconds()), 1),
    }


def _build_json(
    meta: Mapping[str, str], records: Sequence[ArtifactRecord], newest: dict[str, Any] | None
) -> dict[str, Any]:
    expected = int(meta.get("artifacts") or 0)
    ready = sum(1 for r in records if r.state == "dr_ready")
    outcome = meta.get("outcome", "")
    return {
        "template_id": meta.get("template"),
        "run_start": meta.get("runstart") or None,
        "run_end": meta.get("runend") or None,
        "run_state": meta.get("runstate") or None,
        "outcome": outcome,
        "reason": meta.get("reason") or None,
        "dr_ready": outcome == "protect" and expected > 0 and ready == expected,
        "artifacts_expected": expected,
        "artifacts_dr_ready": ready,
        "not_protected": int(meta.get("notprotected") or 0),
        "artifacts": [_artifact_json(r) for r in records],
        "newest_dr_ready_image": newest,
    }


Groups = tuple[
    dict[tuple[str, str], list[ArtifactRecord]],
    dict[str, list[ArtifactRecord]],
    list[ArtifactRecord],
]


def _grouped(artifacts: Sequence[ArtifactRecord]) -> Groups:
    """Artifact records by (template, run start), by template, and those of no build."""
    by_run: dict[tuple[str, str], list[ArtifactRecord]] = defaultdict(list)
    by_template: dict[str, list[ArtifactRecord]] = defaultdict(list)
    loose = []
    for record in artifacts:
        if not record.template_id:
            loose.append(record)
            continue
        by_run[(record.template_id.lower(), record.run_start)].append(record)
        by_template[record.template_id.lower()].append(record)
    return by_run, by_template, loose


def image_status(clients: AzureClients, settings: Settings, now: datetime) -> dict[str, Any]:
    """Return every recorded build with its DR readiness, from the DR-region account only.

    Two blob listings, no ARM call, so it answers while the primary region is down.
    """
    builds = list_builds(clients, settings)
    by_run, by_template, loose = _grouped(list_artifacts(clients, settings))
    entries = []
    for meta in builds.values():
        template = meta.get("template", "").lower()
        runs = by_run.get((template, meta.get("runstart", "")), [])
        newest = _newest_ready(by_template.get(template, []), now)
        entries.append(_build_json(meta, runs, newest))
    entries.sort(key=lambda b: (str(b["template_id"]).lower(), b["run_start"] or ""), reverse=True)
    ready = sum(1 for b in entries if b["dr_ready"])
    return {
        "builds": entries,
        "artifacts_without_build": [_artifact_json(r) for r in loose],
        "summary": {
            "builds": len(entries),
            "dr_ready": ready,
            "not_dr_ready": len(entries) - ready,
        },
    }


def _template_findings() -> dict[str, Any]:
    from azure.core.exceptions import AzureError

    from shared.templates.status import template_readiness

    try:
        findings = template_readiness()
    except AzureError as exc:
        # Resource Graph may be unreachable in an outage; image readiness still answers.
        return {"available": False, "error": type(exc).__name__, "findings": []}
    return {"available": True, "findings": [f.to_dict() for f in findings]}


def status_report(clock: Clock = _now, templates: bool = True) -> dict[str, Any]:
    """Return the status document: image builds and (optionally) template readiness findings.

    Raises ConfigurationError when the DR storage account is not configured.
    """
    from shared.composition import get_clients, get_settings

    now = clock()
    report = image_status(get_clients(), get_settings(), now)
    report["generated_at"] = now.isoformat()
    if templates:
        report["templates"] = _template_findings()
    return report
