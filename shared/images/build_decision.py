"""Pure decision on one build: wait, not replicated (and why), or the artifacts to protect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.azure.image_builds import BuildRun, RunOutput
from shared.config import Settings
from shared.errors import InvalidInput
from shared.images.model import Artifact, ArtifactKind, version_id_of

_KINDS = {k.value.lower(): k for k in ArtifactKind}


class BuildOutcome(StrEnum):
    """What to do about a build."""

    WAIT = "wait"
    PROTECT = "protect"
    NOT_REPLICATED = "not_replicated"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class BuildDecision:
    """The decision, the artifacts to protect, and what will not be protected (with why)."""

    outcome: BuildOutcome
    reason: str
    artifacts: tuple[Artifact, ...] = ()
    not_protected: tuple[str, ...] = ()
    wait_seconds: float | None = None
    run: dict[str, Any] = field(default_factory=dict)


def run_key(template_id: str, start: datetime | None) -> str:
    """Return the idempotency key of one build run: template id (case-folded) and start time."""
    stamp = start.isoformat() if start else "never"
    return f"{template_id.lower()}@{stamp}"


def run_summary(run: BuildRun) -> dict[str, Any]:
    """Return the JSON summary of a build run kept in jobs and records."""
    return {
        "template_id": str(run.template_id),
        "location": run.location,
        "run_state": run.run_state,
        "message": run.message,
        "start_time": run.start_time.isoformat() if run.start_time else None,
        "end_time": run.end_time.isoformat() if run.end_time else None,
    }


def kind_of(artifact: str, field: str = "artifact_id") -> ArtifactKind:
    """Return the kind an artifact id or URL denotes; raise InvalidInput(`field`) if none."""
    if artifact.lower().startswith(("http://", "https://")):
        return ArtifactKind.VHD
    rid = version_id_of(artifact, field)
    if rid.is_type("Microsoft.Compute/galleries/images/versions"):
        return ArtifactKind.GALLERY_VERSION
    if rid.is_type("Microsoft.Compute/images"):
        return ArtifactKind.MANAGED_IMAGE
    raise InvalidInput(
        field, f"not a managed image, gallery image version or VHD URL: {rid.full_type}"
    )


def artifact_of(run: BuildRun, output: RunOutput) -> Artifact | None:
    """Return the artifact a run output holds (kind from the distribute target), or None.

    A VHD URL loses any query (a SAS is never kept). Managed images and VHDs carry the run's
    start as their generation: a later run may write the same image id or blob URL again.
    """
    source = output.artifact_id or output.artifact_uri
    if not source:
        return None
    declared = {d.run_output_name.lower(): d.kind.lower() for d in run.distribute}
    kind = _KINDS.get(declared.get(output.name.lower(), "")) or kind_of(source)
    generation = run.start_time.isoformat() if run.start_time else None
    if kind is ArtifactKind.GALLERY_VERSION:
        source, generation = str(version_id_of(source)), None
    elif kind is ArtifactKind.VHD:
        source = source.split("?", 1)[0]
    return Artifact(kind, source, run.location, str(run.template_id), output.name, generation)


def _outputs(run: BuildRun, outputs: Sequence[RunOutput]) -> BuildDecision:
    artifacts: list[Artifact] = []
    missing: list[str] = []
    for output in outputs:
        artifact = artifact_of(run, output) if output.provisioning_state == "Succeeded" else None
        if artifact is None:
            missing.append(
                f"run output {output.name}: {output.provisioning_state or 'no artifact'}"
            )
        else:
            artifacts.append(artifact)
    produced = {o.name.lower() for o in outputs}
    missing += [
        f"distribute target {d.run_output_name} ({d.kind}): no run output"
        for d in run.distribute
        if d.run_output_name.lower() not in produced
    ]
    if not artifacts:
        reason = f"build {run.run_state} but produced no artifact"
        return BuildDecision(BuildOutcome.NOT_REPLICATED, reason, (), tuple(missing))
    reason = f"build {run.run_state}: protecting {len(artifacts)} artifact(s)"
    return BuildDecision(BuildOutcome.PROTECT, reason, tuple(artifacts), tuple(missing))


def decide_build(
    run: BuildRun | None,
    outputs: Sequence[RunOutput],
    settings: Settings,
    expected_start: datetime | None = None,
) -> BuildDecision:
    """Decide what a build needs: wait while it runs, nothing if it failed, else protection.

    `expected_start` is the run the job was created for; a newer run supersedes it.
    """
    if run is None:
        return BuildDecision(BuildOutcome.NOT_REPLICATED, "the image template no longer exists")
    summary = run_summary(run)
    if run.run_state is None:
        return BuildDecision(BuildOutcome.NOT_REPLICATED, "the template has never run", run=summary)
    if expected_start is not None and run.start_time != expected_start:
        reason = f"superseded by the run started at {summary['start_time']}"
        return BuildDecision(BuildOutcome.SUPERSEDED, reason, run=summary)
    if not run.finished:
        reason = f"build {run.run_state} ({run.run_sub_state or 'no sub-state'})"
        wait = settings.images_build_poll_seconds
        return BuildDecision(BuildOutcome.WAIT, reason, wait_seconds=wait, run=summary)
    if run.run_state in ("Failed", "Canceled"):
        reason = f"build {run.run_state}: {run.message or 'no message'}; nothing replicated"
        return BuildDecision(BuildOutcome.NOT_REPLICATED, reason, run=summary)
    decision = _outputs(run, outputs)
    return BuildDecision(
        decision.outcome, decision.reason, decision.artifacts, decision.not_protected, run=summary
    )
