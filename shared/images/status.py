"""Readiness for GET /api/status: every known build, DR-ready or not, newest DR image age."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.azure.image_builds import parse_time
from shared.images.records import (
    ArtifactRecord,
    list_artifacts,
    list_builds,
    listed_records,
    record_hash,
)

if TYPE_CHECKING:
    from shared.bootstrap import Deps


def _artifact_json(record: ArtifactRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "source": record.source,
        "state": record.state,
        "dr_ready_at": record.dr_ready_at or None,
        "reason": record.reason or None,
    }


def _built_at(meta: Mapping[str, str], record: ArtifactRecord) -> datetime | None:
    """When the image was built: the run's end (build record, else artifact record)."""
    for value in (meta.get("runend"), record.run_end, record.dr_ready_at):
        moment = parse_time(value)
        if moment is not None:
            return moment
    return None


Candidate = tuple[datetime, ArtifactRecord]


def _newest(candidates: Sequence[Candidate], now: datetime) -> dict[str, Any] | None:
    """The newest DR-ready image among `candidates`: when it was built and how old it is."""
    if not candidates:
        return None
    built, record = max(candidates, key=lambda c: c[0])
    return {
        "source": record.source,
        "built_at": built.isoformat(),
        "age_seconds": round(max(0.0, (now - built).total_seconds()), 1),
    }


def _build_json(meta: Mapping[str, str], records: Sequence[ArtifactRecord]) -> dict[str, Any]:
    expected = int(meta.get("artifacts") or 0)
    ready = sum(1 for r in records if r.state == "dr_ready")
    outcome = meta.get("outcome", "")
    missing = [t for t in (meta.get("notprotectedlist") or "").split(" | ") if t]
    dr_ready = outcome == "protect" and expected > 0 and ready == expected
    return {
        "template_id": meta.get("template"),
        "run_start": meta.get("runstart") or None,
        "run_end": meta.get("runend") or None,
        "run_state": meta.get("runstate") or None,
        "outcome": outcome,
        "reason": meta.get("reason") or None,
        "dr_ready": dr_ready,
        # DR-ready covers what the build produced; complete also needs every distribute target.
        "complete": dr_ready and int(meta.get("notprotected") or 0) == 0,
        "artifacts_expected": expected,
        "artifacts_dr_ready": ready,
        "not_protected": int(meta.get("notprotected") or 0),
        "not_protected_targets": missing,
        "artifacts": [_artifact_json(r) for r in records],
    }


class _Join:
    """Artifact records by their hash, and by (template, run start) for records of old builds."""

    def __init__(self, artifacts: Sequence[ArtifactRecord]) -> None:
        self.by_hash = {record_hash(r.name): r for r in artifacts}
        self.by_run: dict[tuple[str, str], list[ArtifactRecord]] = defaultdict(list)
        for record in artifacts:
            if record.template_id:
                self.by_run[(record.template_id.lower(), record.run_start)].append(record)
        self.used: set[str] = set()

    def of(self, meta: Mapping[str, str]) -> list[ArtifactRecord]:
        """The records of one build: those its record lists (else matched by template and run)."""
        listed = listed_records(meta)
        if listed:
            found = [self.by_hash[h] for h in listed if h in self.by_hash]
        else:
            found = self.by_run.get(
                (meta.get("template", "").lower(), meta.get("runstart", "")), []
            )
        self.used.update(r.name for r in found)
        return found


def image_status(deps: Deps, now: datetime) -> dict[str, Any]:
    """Return every recorded build with its DR readiness, from the DR-region account only.

    Two blob listings, no ARM call, so it answers while the primary region is down.
    """
    artifacts = list_artifacts(deps.records)
    join = _Join(artifacts)
    entries: list[tuple[str, dict[str, Any]]] = []
    ready_by_template: dict[str, list[Candidate]] = defaultdict(list)
    for meta in list_builds(deps.records).values():
        records = join.of(meta)
        template = meta.get("template", "").lower()
        for record in (r for r in records if r.state == "dr_ready"):
            built = _built_at(meta, record)
            ready_by_template[template].extend([(built, record)] if built else [])
        entries.append((template, _build_json(meta, records)))
    builds = [
        {**b, "newest_dr_ready_image": _newest(ready_by_template[t], now)} for t, b in entries
    ]
    builds.sort(key=lambda b: (str(b["template_id"]).lower(), b["run_start"] or ""), reverse=True)
    manual = [_artifact_json(r) for r in artifacts if r.name not in join.used]
    return {
        "builds": builds,
        "artifacts_without_build": manual,
        "summary": _summary(builds, manual),
    }


def _summary(
    builds: Sequence[Mapping[str, Any]], manual: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Counts over everything listed: builds and artifacts replicated without a build record."""
    builds_ready = sum(1 for b in builds if b["dr_ready"])
    manual_ready = sum(1 for a in manual if a["state"] == "dr_ready")
    listed = len(builds) + len(manual)
    return {
        "listed": listed,
        "dr_ready": builds_ready + manual_ready,
        "not_dr_ready": listed - builds_ready - manual_ready,
        "builds": len(builds),
        "builds_dr_ready": builds_ready,
        "artifacts_without_build": len(manual),
        "artifacts_without_build_dr_ready": manual_ready,
    }
