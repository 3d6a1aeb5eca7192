"""Pure image-DR planning: facts + settings + now → a plan of typed actions (no I/O, no clock)."""

from __future__ import annotations

from datetime import datetime

from shared.arm_id import ResourceId
from shared.azure import galleries
from shared.azure.galleries import ImageVersion
from shared.config import Settings
from shared.images import naming
from shared.images.model import (
    AddTargetRegion,
    Artifact,
    ArtifactPlan,
    CopyBlob,
    CopyImageVersion,
    CreateGallery,
    CreateImageDefinition,
    Facts,
    GalleryFacts,
    ImageFacts,
    Step,
    StepStatus,
    VhdFacts,
    version_id_of,
)
from shared.images.plan_image import plan_image
from shared.images.policy import dr_region_for, dr_target, progress_wait

DONE, READY, IN_PROGRESS, BLOCKED = (
    StepStatus.DONE,
    StepStatus.READY,
    StepStatus.IN_PROGRESS,
    StepStatus.BLOCKED,
)


def _replica(version: ImageVersion | None, region: str, settings: Settings) -> Step | None:
    """The state of `version`'s replica in `region`, or None when it is not targeted yet."""
    if version is None or not version.targets(region):
        return None
    state = version.replication.get(region)
    wait = settings.images_copy_poll_seconds
    if state is None:
        return Step(
            AddTargetRegion(str(version.id), region), IN_PROGRESS, "replication starting", wait
        )
    if state.state.lower() == "completed" and version.provisioning_state.lower() == "succeeded":
        return Step(AddTargetRegion(str(version.id), region), DONE)
    detail = f"replication {state.state} {state.progress or 0}%"
    return Step(AddTargetRegion(str(version.id), region), IN_PROGRESS, detail, wait)


def _add_region(facts: GalleryFacts, region: str, settings: Settings) -> Step:
    version = facts.version
    assert version is not None
    replica = _replica(version, region, settings)
    if replica is not None:
        return replica
    regions = (*version.target_regions, dr_target(settings, region, facts.dr_zonal))
    action = AddTargetRegion(str(version.id), region, regions)
    if version.provisioning_state.lower() != "succeeded":
        detail = f"source version is {version.provisioning_state}"
        return Step(action, BLOCKED, detail, settings.images_copy_poll_seconds)
    return Step(action, READY, "add the DR region; existing regions kept")


def _gallery_step(facts: GalleryFacts, gallery: ResourceId, region: str) -> Step:
    action = CreateGallery(str(gallery), region)
    if facts.dr_gallery is None:
        return Step(action, READY)
    if facts.dr_gallery.provisioning_state.lower() == "succeeded":
        return Step(action, DONE)
    return Step(action, IN_PROGRESS, facts.dr_gallery.provisioning_state)


def _definition_step(facts: GalleryFacts, target: ResourceId, region: str, after: Step) -> Step:
    assert facts.definition is not None
    body = galleries.definition_body(facts.definition, region)
    action = CreateImageDefinition(str(target), region, body)
    existing = facts.dr_definition
    if existing is not None:
        state = DONE if existing.provisioning_state.lower() == "succeeded" else IN_PROGRESS
        return Step(action, state)
    if after.status is not DONE:
        return Step(action, BLOCKED, "waits for the DR gallery")
    return Step(action, READY)


def _copy_step(
    facts: GalleryFacts,
    target: ResourceId,
    region: str,
    settings: Settings,
    after: tuple[Step, ...],
) -> Step:
    version = facts.version
    assert version is not None
    spec = dr_target(settings, region, facts.dr_zonal)
    action = CopyImageVersion(str(target), region, str(version.id), (spec,))
    replica = _replica(facts.dr_version, region, settings)
    if replica is not None:
        return Step(action, replica.status, replica.detail, replica.wait_seconds)
    if facts.dr_version is not None:
        wait = settings.images_copy_poll_seconds
        return Step(action, IN_PROGRESS, facts.dr_version.provisioning_state, wait)
    if any(s.status is not DONE for s in after):
        return Step(action, BLOCKED, "waits for the DR replica and the DR image definition")
    return Step(action, READY)


def _gallery_conflict(facts: GalleryFacts, region: str) -> str | None:
    """Why the DR gallery or definition cannot hold this copy, if it cannot."""
    if facts.dr_gallery is not None and facts.dr_gallery.location != region:
        return f"DR gallery {facts.dr_gallery.id} is in {facts.dr_gallery.location}, not {region}"
    source, existing = facts.definition, facts.dr_definition
    if source is None or existing is None:
        return None
    if (existing.identifier, existing.os_type.lower()) != (
        source.identifier,
        source.os_type.lower(),
    ):
        return f"DR image definition {existing.id} exists with another identifier or OS type"
    return None


def _replication_failed(facts: GalleryFacts, region: str) -> str | None:
    for which, version in (("source", facts.version), ("DR copy", facts.dr_version)):
        state = version.replication.get(region) if version else None
        if version is not None and version.provisioning_state.lower() == "failed":
            return f"{which} version {version.id} is in provisioning state Failed"
        if state is not None and state.state.lower() == "failed":
            return f"{which} version replication to {region} failed: {state.details or ''}".strip()
    return None


def plan_gallery(artifact: Artifact, facts: GalleryFacts, settings: Settings) -> ArtifactPlan:
    """Plan protection of a gallery image version: DR replica, DR gallery copy, both Completed."""
    if facts.version is None or facts.definition is None:
        return ArtifactPlan(artifact, None, failure="the source gallery image version is gone")
    region, skipped = dr_region_for(facts.version.location or artifact.region, settings)
    if region is None:
        return ArtifactPlan(artifact, None, skipped=skipped)
    source = version_id_of(artifact.source)
    gallery = naming.dr_gallery_id(settings, source.subscription)
    definition = naming.dr_definition_id(settings, source)
    target = naming.dr_version_id(settings, source)
    add = _add_region(facts, region, settings)
    gallery_step = _gallery_step(facts, gallery, region)
    definition_step = _definition_step(facts, definition, region, gallery_step)
    copy = _copy_step(facts, target, region, settings, (add, definition_step))
    failure = _gallery_conflict(facts, region) or _replication_failed(facts, region)
    steps = (add, gallery_step, definition_step, copy)
    dr = (f"{source}@{region}", str(target))
    return ArtifactPlan(artifact, region, steps, dr, failure=failure)


def plan_vhd(
    artifact: Artifact, facts: VhdFacts, settings: Settings, now: datetime
) -> ArtifactPlan:
    """Plan protection of a VHD: one server-side copy into the DR account, finished."""
    region, skipped = dr_region_for(artifact.region, settings)
    if region is None:
        return ArtifactPlan(artifact, None, skipped=skipped)
    name = naming.dr_blob_name(facts.source_url)
    action = CopyBlob(
        name, region, naming.strip_query(facts.source_url), settings.vhd_container, name
    )
    blob = facts.dr_blob
    failure = None
    if blob is None:
        step = Step(action, READY)
    elif blob.source and blob.source.lower() != naming.strip_query(facts.source_url).lower():
        step, failure = Step(action, BLOCKED), f"DR blob {blob.url} holds a copy of another blob"
    elif blob.status in (None, "success"):
        step = Step(action, DONE)
    elif blob.status == "pending":
        wait = progress_wait(settings, None, blob.percent, now)
        step = Step(action, IN_PROGRESS, f"copy {blob.percent or 0:.0f}%", wait)
    else:
        step, failure = Step(action, BLOCKED), f"blob copy {blob.status}: {blob.description or ''}"
    dr = (blob.url,) if blob else (f"{settings.vhd_container}/{name}",)
    return ArtifactPlan(artifact, region, (step,), dr, failure=failure)


def plan_artifact(
    artifact: Artifact, facts: Facts, settings: Settings, now: datetime
) -> ArtifactPlan:
    """Return the protection plan of one artifact from what Azure says about it."""
    if isinstance(facts, GalleryFacts):
        return plan_gallery(artifact, facts, settings)
    if isinstance(facts, ImageFacts):
        return plan_image(artifact, facts, settings, now)
    return plan_vhd(artifact, facts, settings, now)
