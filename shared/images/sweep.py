"""The reconcile sweep: every succeeded build in scope gets protected, even if events are lost."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.errors import InvalidInput
from shared.images.build_decision import run_key
from shared.images.model import Artifact
from shared.images.records import (
    build_blob,
    list_artifacts,
    list_builds,
    listed_records,
    record_hash,
)
from shared.images.service import Started, start_artifact, start_build

if TYPE_CHECKING:
    from shared.azure.image_builds import BuildRun
    from shared.bootstrap import Deps
    from shared.config import Settings
    from shared.images.records import ArtifactRecord

logger = logging.getLogger(__name__)

_PROTECTED_STATES = ("Succeeded", "PartiallySucceeded")
_FINAL_OUTCOMES = ("protect", "not_replicated", "superseded")
_FINAL_ARTIFACT_STATES = ("dr_ready", "failed", "skipped")


@dataclass(frozen=True)
class SweepReport:
    """What a sweep saw, started, and restarted after a failure (`*_retried` ⊆ `*_started`)."""

    builds_seen: int = 0
    builds_started: tuple[str, ...] = ()
    artifacts_started: tuple[str, ...] = ()
    builds_retried: tuple[str, ...] = ()
    artifacts_retried: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "builds_seen": self.builds_seen,
            "builds_started": list(self.builds_started),
            "artifacts_started": list(self.artifacts_started),
            "builds_retried": list(self.builds_retried),
            "artifacts_retried": list(self.artifacts_retried),
        }


@dataclass
class _Found:
    """What the sweep started, collected while it walks the builds."""

    builds: list[Started]
    artifacts: list[Started]

    def report(self, seen: int) -> SweepReport:
        def ids(items: Sequence[Started], retried: bool = False) -> tuple[str, ...]:
            return tuple(s.job_id for s in items if s.job_id and (s.retried or not retried))

        return SweepReport(
            seen, ids(self.builds), ids(self.artifacts), ids(self.builds, True),
            ids(self.artifacts, True),
        )  # fmt: skip


def _in_scope(run: BuildRun, settings: Settings) -> bool:
    if run.run_state not in _PROTECTED_STATES:
        return False
    return not settings.primary_regions or run.location in settings.primary_regions


def _finished_artifacts(meta: Mapping[str, str], records: Sequence[ArtifactRecord]) -> int:
    """How many of the build's artifacts have a final record (listed ones, else by run)."""
    final = [r for r in records if r.state in _FINAL_ARTIFACT_STATES]
    listed = set(listed_records(meta))
    if listed:
        return len({record_hash(r.name) for r in final} & listed)
    template, start = (meta.get("template") or "").lower(), meta.get("runstart") or ""
    return sum(1 for r in final if r.template_id.lower() == template and r.run_start == start)


def _incomplete(meta: Mapping[str, str], records: Sequence[ArtifactRecord]) -> bool:
    """True for a protected build some of whose artifacts have no final record yet."""
    expected = int(meta.get("artifacts") or 0)
    return meta.get("outcome") == "protect" and _finished_artifacts(meta, records) < expected


def _restart_artifacts(deps: Deps, key: str) -> list[Started]:
    """Re-submit the artifact jobs of a dispatched build (existing jobs are found, not redone).

    A job that failed without writing a record gave up on transient errors (an outage): it is
    restarted.
    """
    record = deps.records.get(build_blob(key)) or {}
    run = record.get("run") or None
    started = []
    for item in record.get("artifact_items") or []:
        try:
            started.append(
                start_artifact(deps, Artifact.from_json(item), key, run, retry_failed=True)
            )
        except InvalidInput as exc:
            # Outside scope (a gallery in another subscription): its job failed saying so.
            logger.info("image sweep skips an artifact: %s", exc, extra={"action": "reconcile"})
    return started


def sweep_images(deps: Deps) -> SweepReport:
    """Find every succeeded build in Settings.subscriptions lacking protection and start it.

    A build job that failed (it gave up on transient errors) is restarted. Reads: one Resource
    Graph query and two listings of the DR account; no ARM writes unless something is
    unprotected. Raises azure.core errors when Resource Graph cannot be read.
    """
    from shared.azure.image_builds import list_builds as list_runs

    settings = deps.settings
    runs = [r for r in list_runs(deps.clients, settings.subscriptions) if _in_scope(r, settings)]
    builds = list_builds(deps.records)
    artifacts = list(list_artifacts(deps.records))
    found = _Found([], [])
    for run in runs:
        key = run_key(str(run.template_id), run.start_time)
        meta = builds.get(build_blob(key))
        if meta is None or meta.get("outcome") not in _FINAL_OUTCOMES:
            found.builds.append(start_build(deps, run.template_id, run, retry_failed=True))
        elif _incomplete(meta, artifacts):
            found.artifacts.extend(_restart_artifacts(deps, key))
    report = found.report(len(runs))
    logger.info("image sweep: %s", report.to_json(), extra={"action": "reconcile"})
    return report
