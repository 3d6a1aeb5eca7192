"""Image DR entry services: ARM events and manual requests start (or find) the durable job."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.events.resource import ResourceEvent
from shared.images import jobs
from shared.images.model import Artifact, ArtifactKind, version_id_of
from shared.images.requests import ReplicateRequest
from shared.scope import require_in_scope

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.image_builds import BuildRun
    from shared.bootstrap import Deps
    from shared.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    """The job an event or request resolved to (None with a reason when there is nothing to do)."""

    job_id: str | None
    created: bool = False
    key: str = ""
    reason: str = ""
    retried: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the answer of a manual request."""
        out: dict[str, Any] = {
            "job_id": self.job_id,
            "created": self.created,
            "retried": self.retried,
            "reason": self.reason,
        }
        if self.job_id:
            out["status_url"] = f"/api/jobs/{self.job_id}"
        return out


@dataclass(frozen=True)
class DryRun:
    """What replication would do now: the build decision and each artifact's plan."""

    build: dict[str, Any] | None = None
    plans: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the dry-run answer."""
        return {"dry_run": True, "build": self.build, "plans": self.plans}


def _submit(deps: Deps, kind: str, key: str, data: dict[str, Any], retry_failed: bool) -> Started:
    """Submit the job; with `retry_failed`, a job that failed before is restarted (its done
    steps stay done; a failed replication cleaned up after itself, images.cleanup)."""
    from shared.jobs.accepted import accept

    if retry_failed:
        accepted = accept(deps.jobs, kind, key, data)
        return Started(accepted.job_id, accepted.created, key, retried=accepted.retried)
    submission = deps.jobs.submit(kind, key, data)
    return Started(submission.job.id, submission.created, key)


def start_build(
    deps: Deps, template_id: ResourceId, run: BuildRun | None = None, retry_failed: bool = False
) -> Started:
    """Start (or find) the job for the template's latest run; return it.

    Reads the template unless `run` is given (the event is only a hint). With `retry_failed`
    a failed job of the run is restarted. Returns Started(None, reason) when the template is
    gone or never ran. Raises InvalidInput("template_id") outside Settings.subscriptions,
    azure.core errors when ARM cannot be read, TransientError when the failed job changed
    while being restarted.
    """
    from shared.azure.image_builds import get_build, run_json
    from shared.images.build_decision import run_key

    require_in_scope(template_id, deps.settings.subscriptions, "template_id")
    run = run or get_build(deps.clients, template_id)
    if run is None or run.run_state is None:
        return Started(None, reason="template not found or never run")
    key = run_key(str(template_id), run.start_time)
    start = run.start_time.isoformat() if run.start_time else None
    data: dict[str, Any] = {"template_id": str(template_id), "start_time": start}
    if run.finished:  # a run that ended stays as it ended: await_build need not read it again
        data["finished_run"] = run_json(run)
    return _submit(deps, jobs.BUILD_KIND, key, data, retry_failed)


def start_artifact(
    deps: Deps,
    artifact: Artifact,
    build_key: str | None = None,
    run: dict[str, Any] | None = None,
    retry_failed: bool = False,
) -> Started:
    """Start (or find) the replication job of one artifact; return it.

    With `retry_failed` a failed job is restarted. Raises InvalidInput("artifact") for an
    artifact outside scope (check_artifact), TransientError when the failed job changed while
    being restarted.
    """
    check_artifact(artifact.source, deps.settings, "artifact")
    data = {"artifact": artifact.as_json(), "build_key": build_key, "run": run}
    return _submit(deps, jobs.REPLICATION_KIND, artifact.job_key, data, retry_failed)


def check_artifact(source: str, settings: Settings, field: str) -> None:
    """Raise InvalidInput naming `field` unless the artifact may be acted on.

    An ARM id must be in Settings.subscriptions; a VHD URL must be an Azure Storage blob URL
    (shared.storage_urls.check_blob_url). Reads nothing: whether the VHD's account is in
    scope is resolved before it is signed, and by `replicate` before it answers.
    """
    from shared.images.build_decision import kind_of
    from shared.storage_urls import check_blob_url

    if kind_of(source, field) is ArtifactKind.VHD:
        check_blob_url(source, settings, field)
        return
    require_in_scope(ResourceId.parse(source, field), settings.subscriptions, field)


def _check_request(request: ReplicateRequest, clients: AzureClients, settings: Settings) -> None:
    """Refuse a request naming anything outside scope, before anything is read."""
    from shared.storage_urls import resolve_blob_url

    scope = settings.subscriptions
    if request.template_id is not None:
        require_in_scope(request.template_id, scope, "templateId")
    elif request.run_output_id is not None:
        require_in_scope(request.run_output_id, scope, "runOutputId")
    elif request.artifact_id is not None:
        check_artifact(request.artifact_id, settings, "artifactId")
        if request.artifact_id.lower().startswith(("http://", "https://")):
            resolve_blob_url(clients, settings, request.artifact_id, "artifactId")


def on_build_event(deps: Deps, event: ResourceEvent) -> Started:
    """Handle an imageTemplates/run/action success or failure: start the build's job."""
    template = event.subject
    if not template.is_type("Microsoft.VirtualMachineImages/imageTemplates"):
        return Started(None, reason=f"subject is a {template.full_type}, not an image template")
    started = start_build(deps, template)
    logger.info(
        "build event %s -> job %s",
        event.event_id,
        started.job_id,
        extra={"event_id": event.event_id, "resource_id": str(template), "job_id": started.job_id},
    )
    return started


def on_version_event(deps: Deps, event: ResourceEvent) -> Started:
    """Handle a gallery image version write: start its replication job.

    Versions Lifeboat writes itself (DR gallery copies, staging versions: everything in the DR
    resource group) are ignored.
    """
    from shared.engine.names import is_lifeboat_resource

    settings = deps.settings
    version = version_id_of(str(event.subject))
    if not version.is_type("Microsoft.Compute/galleries/images/versions"):
        return Started(None, reason="subject is not a gallery image version")
    if is_lifeboat_resource(version, settings):
        return Started(None, reason="a DR copy or staging version made by Lifeboat")
    return start_artifact(deps, Artifact(ArtifactKind.GALLERY_VERSION, str(version)))


def _vhd_region(request: ReplicateRequest, settings: Settings) -> str:
    if request.region:
        return request.region
    if len(settings.primary_regions) == 1:
        return settings.primary_regions[0]
    raise InvalidInput("region", "required with a VHD URL (the region the build ran in)")


def _run_output_artifact(clients: AzureClients, output_id: ResourceId) -> Artifact:
    from shared.azure.image_builds import get_build, get_run_output
    from shared.images.build_decision import artifact_of

    output = get_run_output(clients, output_id)
    run = get_build(clients, output_id.parent())
    artifact = artifact_of(run, output) if run and output else None
    if artifact is None:
        raise InvalidInput("runOutputId", "no such run output, or it holds no artifact")
    return artifact


def _artifact_for(request: ReplicateRequest, clients: AzureClients, settings: Settings) -> Artifact:
    from shared.engine.names import is_lifeboat_resource
    from shared.images.build_decision import kind_of

    if request.run_output_id is not None:
        artifact = _run_output_artifact(clients, request.run_output_id)
        # Image Builder may distribute into a gallery of another subscription.
        check_artifact(artifact.source, settings, "runOutputId")
        return artifact
    source = str(request.artifact_id)
    kind = kind_of(source)
    if kind is not ArtifactKind.VHD and is_lifeboat_resource(ResourceId.parse(source), settings):
        raise InvalidInput("artifactId", "a DR copy or staging resource made by Lifeboat")
    region = _vhd_region(request, settings) if kind is ArtifactKind.VHD else request.region
    return Artifact(kind, source, region)


def _dry_run_build(deps: Deps, template: ResourceId) -> DryRun:
    from shared.azure.image_builds import get_build, list_run_outputs
    from shared.images.build_decision import decide_build
    from shared.images.protect import dry_run_protection
    from shared.images.records import decision_json

    clients, settings = deps.clients, deps.settings
    run = get_build(clients, template)
    if run is None:
        raise InvalidInput("templateId", "no such image template")
    outputs = list_run_outputs(clients, template) if run.finished else ()
    decision = decide_build(run, outputs, settings)
    now = deps.clock()
    plans = [dry_run_protection(clients, settings, a, now).as_json() for a in decision.artifacts]
    return DryRun(decision_json(decision), plans)


def replicate(deps: Deps, request: ReplicateRequest) -> Started | DryRun:
    """Start replication by hand (or, with dry_run, return the plan without writing).

    A job that failed before is restarted: this is how an operator retries after fixing the
    cause. Raises InvalidInput naming the field when the template, run output or artifact is
    outside scope (its subscription, or a VHD's storage account, not in Settings.subscriptions;
    a VHD URL not on an Azure Storage host), does not exist or cannot be replicated;
    azure.core errors when ARM cannot be read.
    """
    from shared.images.protect import dry_run_protection

    clients, settings = deps.clients, deps.settings
    _check_request(request, clients, settings)
    if request.template_id is not None:
        if request.dry_run:
            return _dry_run_build(deps, request.template_id)
        started = start_build(deps, request.template_id, retry_failed=True)
        if started.job_id is None:
            raise InvalidInput("templateId", started.reason)
        return started
    artifact = _artifact_for(request, clients, settings)
    if request.dry_run:
        return DryRun(
            None, [dry_run_protection(clients, settings, artifact, deps.clock()).as_json()]
        )
    return start_artifact(deps, artifact, retry_failed=True)
