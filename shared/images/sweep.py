"""The reconcile sweep: every succeeded build in scope gets protected, even if events are lost."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.images.build_plan import run_key
from shared.images.model import Artifact
from shared.images.records import build_blob, list_artifacts, list_builds
from shared.images.service import start_artifact, start_build

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.image_builds import BuildRun
    from shared.config import Settings
    from shared.images.records import ArtifactRecord

logger = logging.getLogger(__name__)

_PROTECTED_STATES = ("Succeeded", "PartiallySucceeded")
_FINAL_OUTCOMES = ("protect", "not_replicated", "superseded")
_FINAL_ARTIFACT_STATES = ("dr_ready", "failed", "skipped")


@dataclass(frozen=True)
class SweepReport:
    """What a sweep saw and started; `templates` is the template sweep's own report."""

    builds_seen: int = 0
    builds_started: tuple[str, ...] = ()
    artifacts_started: tuple[str, ...] = ()
    templates: Mapping[str, Any] | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "builds_seen": self.builds_seen,
            "builds_started": list(self.builds_started),
            "artifacts_started": list(self.artifacts_started),
            "templates": self.templates,
            "errors": list(self.errors),
        }


def _in_scope(run: BuildRun, settings: Settings) -> bool:
    if run.run_state not in _PROTECTED_STATES:
        return False
    return not settings.primary_regions or run.location in settings.primary_regions


def _finished_artifacts(records: list[ArtifactRecord], run: BuildRun) -> int:
    template = str(run.template_id).lower()
    start = run.start_time.isoformat() if run.start_time else ""
    finished = [
        r
        for r in records
        if r.template_id.lower() == template
        and r.run_start == start
        and r.state in _FINAL_ARTIFACT_STATES
    ]
    return len(finished)


def _restart_artifacts(clients: AzureClients, settings: Settings, key: str) -> list[str]:
    """Re-submit the artifact jobs of a dispatched build (existing jobs are found, not redone)."""
    from shared.azure.blobs import get_json
    from shared.jobs import JobState, get_job_service

    record = get_json(clients, settings.records_container, build_blob(key)) or {}
    started = []
    for item in record.get("artifact_items") or []:
        job_id = start_artifact(Artifact.from_json(item)).job_id
        job = get_job_service().get(job_id) if job_id else None
        if job is not None and job.state is JobState.FAILED:
            # Failed without a record: it gave up on transient errors (an outage); try again.
            get_job_service().retry(job.id)
        started.extend([job_id] if job_id else [])
    return started


def sweep_images(clients: AzureClients, settings: Settings) -> SweepReport:
    """Find every succeeded build in Settings.subscriptions lacking protection and start it.

    Reads: one Resource Graph query and two listings of the DR account; no ARM writes unless
    something is unprotected. Raises azure.core errors when Resource Graph cannot be read.
    """
    from shared.azure.image_builds import list_builds as list_runs

    runs = [r for r in list_runs(clients, settings.subscriptions) if _in_scope(r, settings)]
    builds = list_builds(clients, settings)
    artifacts = list(list_artifacts(clients, settings))
    started_builds: list[str] = []
    started_artifacts: list[str] = []
    for run in runs:
        key = run_key(str(run.template_id), run.start_time)
        meta = builds.get(build_blob(key))
        if meta is None or meta.get("outcome") not in _FINAL_OUTCOMES:
            job = start_build(run.template_id, run).job_id
            started_builds.extend([job] if job else [])
        elif meta.get("outcome") == "protect":
            expected = int(meta.get("artifacts") or 0)
            if _finished_artifacts(artifacts, run) < expected:
                started_artifacts.extend(_restart_artifacts(clients, settings, key))
    logger.info(
        "image sweep: %s builds, %s build jobs, %s artifact jobs",
        len(runs),
        len(started_builds),
        len(started_artifacts),
        extra={"action": "reconcile", "builds": len(runs)},
    )
    return SweepReport(len(runs), tuple(started_builds), tuple(started_artifacts))


def reconcile_all() -> SweepReport:
    """The `reconcile` timer's service: sweep builds, then templates (shared.templates)."""
    from shared.composition import get_clients, get_settings
    from shared.templates.service import reconcile_templates

    report = sweep_images(get_clients(), get_settings())
    templates = reconcile_templates()
    return SweepReport(
        report.builds_seen,
        report.builds_started,
        report.artifacts_started,
        templates.to_dict(),
        report.errors,
    )
