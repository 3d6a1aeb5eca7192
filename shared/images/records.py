"""Recovery records: JSON in the DR-region storage account, readable when the primary is down."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.engine.names import short_hash
from shared.images.build_decision import BuildDecision
from shared.images.model import Artifact, ArtifactProtection

if TYPE_CHECKING:
    from shared.ports import RecordStore

logger = logging.getLogger(__name__)

SCHEMA = 1
BUILDS = "builds/"
IMAGES = "images/"
_HEADER_SAFE = re.compile(r"[^\x20-\x7e]")


def _meta(value: object, limit: int = 256) -> str:
    """A blob metadata value: printable ASCII only (it travels as an HTTP header)."""
    return _HEADER_SAFE.sub("?", "" if value is None else str(value))[:limit]


def build_blob(build_key: str) -> str:
    """Return the record blob of one build run: `builds/<template hash>/<run hash>.json`."""
    template = build_key.rsplit("@", 1)[0]
    return f"{BUILDS}{short_hash(template, 16)}/{short_hash(build_key, 16)}.json"


def artifact_blob(artifact_key: str) -> str:
    """Return the record blob of one protected artifact: `images/<artifact hash>.json`.

    `artifact_key` is the replication job's key (Artifact.job_key).
    """
    return f"{IMAGES}{artifact_hash(artifact_key)}.json"


def artifact_hash(artifact_key: str) -> str:
    """Return the hash naming an artifact's record (build records list their artifacts' ones)."""
    return short_hash(artifact_key, 24)


def record_hash(blob_name: str) -> str:
    """Return the hash in an artifact record's blob name (`images/<hash>.json`)."""
    return blob_name.rsplit("/", 1)[-1].removesuffix(".json")


def _run_meta(run: Mapping[str, Any], template: str | None = None) -> dict[str, str]:
    return {
        "template": _meta(template or run.get("template_id")),
        "runstart": _meta(run.get("start_time")),
        "runend": _meta(run.get("end_time")),
    }


def write_build(
    records: RecordStore,
    build_key: str,
    decision: Mapping[str, Any],
    now: datetime,
) -> None:
    """Write (overwrite) the record of one build run: its outcome and expected artifacts.

    Its metadata lists the hashes of its artifacts' records, so that status joins a build to
    records written by any job (a gallery version event may have protected one first).
    """
    run = decision.get("run") or {}
    artifacts = decision.get("artifacts") or []
    body = {
        "schema": SCHEMA,
        "build_key": build_key,
        "run": run,
        "outcome": decision.get("outcome"),
        "reason": decision.get("reason"),
        "artifacts": [a["source"] for a in artifacts],
        "artifact_items": list(artifacts),
        "not_protected": list(decision.get("not_protected") or ()),
        "updated": now.isoformat(),
    }
    meta = _build_meta(decision)
    records.put(build_blob(build_key), body, meta)


def _build_meta(decision: Mapping[str, Any]) -> dict[str, str]:
    """The listable summary of a build record (what status reads without opening it)."""
    run = decision.get("run") or {}
    artifacts = decision.get("artifacts") or []
    not_protected = list(decision.get("not_protected") or ())
    return {
        **_run_meta(run),
        "runstate": _meta(run.get("run_state")),
        "outcome": _meta(decision.get("outcome")),
        "reason": _meta(decision.get("reason")),
        "artifacts": str(len(artifacts)),
        "records": " ".join(artifact_hash(Artifact.from_json(a).job_key) for a in artifacts),
        "notprotected": str(len(not_protected)),
        "notprotectedlist": _meta(" | ".join(not_protected), 2048),
    }


def decision_json(decision: BuildDecision) -> dict[str, Any]:
    """Return a build decision as JSON (job data and the build record)."""
    return {
        "outcome": decision.outcome.value,
        "reason": decision.reason,
        "artifacts": [a.as_json() for a in decision.artifacts],
        "not_protected": list(decision.not_protected),
        "run": decision.run,
    }


def _ready_at(plan: Mapping[str, Any], state: str, now: datetime) -> str | None:
    if state != "dr_ready":
        return None
    return str(plan.get("dr_ready_at") or now.isoformat())


@dataclass(frozen=True)
class ArtifactRecord:
    """What one artifact's record says, as status reads it from blob metadata."""

    name: str
    template_id: str
    run_start: str
    run_end: str
    state: str
    kind: str
    source: str
    dr_ready_at: str
    reason: str


def write_artifact(
    records: RecordStore,
    artifact: Artifact,
    plan: Mapping[str, Any],
    *,
    run: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """Write (overwrite) the recovery record of one artifact: source, DR artifacts, state, times."""
    run = run or {}
    state = str(plan.get("state"))
    body = {
        "schema": SCHEMA,
        "artifact": artifact.as_json(),
        "run": dict(run),
        "state": state,
        "reason": plan.get("reason"),
        "dr_region": plan.get("dr_region"),
        "dr_artifacts": list(plan.get("dr_artifacts") or ()),
        "steps": list(plan.get("steps") or ()),
        "recorded": now.isoformat(),
        "dr_ready_at": _ready_at(plan, state, now),
    }
    meta = {
        **_run_meta(run, artifact.template_id),
        "state": _meta(state),
        "kind": _meta(artifact.kind.value),
        "source": _meta(artifact.key, 1024),
        "readyat": _meta(body["dr_ready_at"]),
        "reason": _meta(plan.get("reason")),
    }
    name = artifact_blob(artifact.job_key)
    records.put(name, body, meta)


def plan_record(plan: ArtifactProtection) -> dict[str, Any]:
    """Return the part of a plan kept in job data and the record (no request bodies)."""
    data = plan.as_json()
    return {k: data[k] for k in ("state", "reason", "dr_region", "dr_artifacts", "steps")}


def read_artifact(records: RecordStore, artifact_key: str) -> dict[str, Any] | None:
    """Return one artifact's recovery record (`artifact_key`: Artifact.job_key), or None."""
    return records.get(artifact_blob(artifact_key))


def list_builds(records: RecordStore) -> dict[str, dict[str, str]]:
    """Return build record name → metadata (one listing of the DR account).

    Storage may hand back an empty metadata value as None: every value is a string here.
    """
    found = records.list_metadata(BUILDS)
    return {name: {k: v or "" for k, v in meta.items()} for name, meta in found.items()}


def listed_records(meta: Mapping[str, str]) -> tuple[str, ...]:
    """Return the artifact record hashes a build record's metadata lists (old records: none)."""
    return tuple((meta.get("records") or "").split())


def list_artifacts(records: RecordStore) -> Sequence[ArtifactRecord]:
    """Return every artifact record's summary (one listing of the DR account)."""
    found = records.list_metadata(IMAGES)
    fields = ("template", "runstart", "runend", "state", "kind", "source", "readyat", "reason")
    return [
        ArtifactRecord(name, *(str(m.get(f) or "") for f in fields))
        for name, m in sorted(found.items())
    ]
