"""Pure image-DR planning: facts + settings + now → a plan of typed actions (no I/O, no clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from shared.arm_id import ResourceId
from shared.azure import galleries
from shared.azure.galleries import ImageDefinition, ImageVersion
from shared.config import Settings
from shared.engine import names as naming
from shared.images.cleanup import gallery_cleanup, vhd_cleanup
from shared.images.image_protection import image_protection
from shared.images.model import (
    ActionState,
    ActionStatus,
    AddTargetRegion,
    Artifact,
    ArtifactProtection,
    CopyBlob,
    CopyImageVersion,
    CreateGallery,
    CreateImageDefinition,
    Facts,
    GalleryFacts,
    ImageFacts,
    VhdFacts,
    version_id_of,
)
from shared.images.policy import dr_region_for, dr_target, progress_estimate

DONE, READY, IN_PROGRESS, BLOCKED = (
    ActionStatus.DONE,
    ActionStatus.READY,
    ActionStatus.IN_PROGRESS,
    ActionStatus.BLOCKED,
)


def _replica(version: ImageVersion | None, region: str, settings: Settings) -> ActionState | None:
    """The state of `version`'s replica in `region`, or None when it is not targeted yet."""
    if version is None or not version.targets(region):
        return None
    state = version.replication.get(region)
    wait = settings.images_copy_poll_seconds
    if state is None:
        return ActionState(
            AddTargetRegion(str(version.id), region), IN_PROGRESS, "replication starting", wait
        )
    if state.state.lower() == "completed" and version.provisioning_state.lower() == "succeeded":
        return ActionState(AddTargetRegion(str(version.id), region), DONE)
    detail = f"replication {state.state} {state.progress or 0}%"
    progress = float(state.progress or 0)
    return ActionState(
        AddTargetRegion(str(version.id), region), IN_PROGRESS, detail, wait, False, progress
    )


def _add_region(facts: GalleryFacts, region: str, settings: Settings) -> ActionState:
    version = facts.version
    assert version is not None
    replica = _replica(version, region, settings)
    if replica is not None:
        return replica
    regions = (*version.target_regions, dr_target(settings, region, facts.dr_zonal))
    action = AddTargetRegion(str(version.id), region, regions)
    if version.provisioning_state.lower() != "succeeded":
        detail = f"source version is {version.provisioning_state}"
        return ActionState(action, BLOCKED, detail, settings.images_copy_poll_seconds)
    return ActionState(action, READY, "add the DR region; existing regions kept")


def _gallery_step(facts: GalleryFacts, gallery: ResourceId, region: str) -> ActionState:
    action = CreateGallery(str(gallery), region)
    if facts.dr_gallery is None:
        return ActionState(action, READY)
    if facts.dr_gallery.provisioning_state.lower() == "succeeded":
        return ActionState(action, DONE)
    return ActionState(action, IN_PROGRESS, facts.dr_gallery.provisioning_state)


def _definition_step(
    facts: GalleryFacts, target: ResourceId, region: str, after: ActionState
) -> ActionState:
    assert facts.definition is not None
    body = galleries.definition_body(facts.definition, region)
    action = CreateImageDefinition(str(target), region, body)
    existing = facts.dr_definition
    if existing is not None:
        state = DONE if existing.provisioning_state.lower() == "succeeded" else IN_PROGRESS
        return ActionState(action, state)
    if after.status is not DONE:
        return ActionState(action, BLOCKED, "waits for the DR gallery")
    return ActionState(action, READY)


def _copy_step(
    facts: GalleryFacts,
    target: ResourceId,
    region: str,
    settings: Settings,
    after: tuple[ActionState, ...],
) -> ActionState:
    version = facts.version
    assert version is not None
    spec = dr_target(settings, region, facts.dr_zonal)
    action = CopyImageVersion(str(target), region, str(version.id), (spec,))
    replica = _replica(facts.dr_version, region, settings)
    if replica is not None:
        return replace(replica, action=action)
    if facts.dr_version is not None:
        wait = settings.images_copy_poll_seconds
        return ActionState(action, IN_PROGRESS, facts.dr_version.provisioning_state, wait)
    if any(s.status is not DONE for s in after):
        return ActionState(action, BLOCKED, "waits for the DR replica and the DR image definition")
    return ActionState(action, READY)


def _identity(definition: ImageDefinition) -> tuple[object, ...]:
    """What a version's definition must match: identifier, OS, generation, CPU, security type."""
    props = definition.properties
    features = {
        str(f.get("name", "")).lower(): str(f.get("value", "")).lower()
        for f in props.get("features") or ()
        if isinstance(f, dict)
    }
    return (
        tuple(part.lower() for part in definition.identifier),
        definition.os_type.lower(),
        definition.os_state.lower(),
        (definition.hyper_v_generation or "V1").lower(),
        str(props.get("architecture") or "x64").lower(),
        features.get("securitytype", "standard"),
    )


def _gallery_conflict(facts: GalleryFacts, region: str) -> str | None:
    """Why the DR gallery or definition cannot hold this copy, if it cannot."""
    if facts.dr_gallery is not None and facts.dr_gallery.location != region:
        return f"DR gallery {facts.dr_gallery.id} is in {facts.dr_gallery.location}, not {region}"
    source, existing = facts.definition, facts.dr_definition
    if source is None or existing is None or _identity(existing) == _identity(source):
        return None
    return (
        f"DR image definition {existing.id} exists with another identifier, OS type or state, "
        "generation, architecture or security type"
    )


def _replication_failed(facts: GalleryFacts, region: str) -> str | None:
    definition = facts.dr_definition
    if definition is not None and definition.provisioning_state.lower() == "failed":
        # Its PUT is not awaited (the next pass reads it): a failed provisioning shows here.
        return f"DR image definition {definition.id} is in provisioning state Failed"
    for which, version in (("source", facts.version), ("DR copy", facts.dr_version)):
        state = version.replication.get(region) if version else None
        if version is not None and version.provisioning_state.lower() == "failed":
            return f"{which} version {version.id} is in provisioning state Failed"
        if state is not None and state.state.lower() == "failed":
            return f"{which} version replication to {region} failed: {state.details or ''}".strip()
    return None


def plan_gallery(
    artifact: Artifact, facts: GalleryFacts, settings: Settings, failure: str | None = None
) -> ArtifactProtection:
    """Plan protection of a gallery image version: DR replica, DR gallery copy, both Completed.

    After a failure (found here, or `failure` seen earlier in the pass) a failed DR copy is
    deleted, so that a retry creates it again.
    """
    if facts.version is None or facts.definition is None:
        gone = "the source gallery image version is gone"
        return ArtifactProtection(artifact, None, failure=failure or gone)
    region, skipped = dr_region_for(facts.version.location or artifact.region, settings)
    if region is None:
        return ArtifactProtection(artifact, None, skipped=skipped)
    source = version_id_of(artifact.source)
    gallery = naming.dr_gallery_id(settings, source.subscription, region)
    definition = naming.dr_definition_id(settings, source, region)
    target = naming.dr_version_id(settings, source, region)
    add = _add_region(facts, region, settings)
    gallery_step = _gallery_step(facts, gallery, region)
    definition_step = _definition_step(facts, definition, region, gallery_step)
    copy = _copy_step(facts, target, region, settings, (add, definition_step))
    steps: tuple[ActionState, ...] = (add, gallery_step, definition_step, copy)
    failure = failure or _gallery_conflict(facts, region) or _replication_failed(facts, region)
    if failure:
        steps = gallery_cleanup(facts, region) or steps
    dr = (f"{source}@{region}", str(target))
    return ArtifactProtection(artifact, region, steps, dr, failure=failure)


def _vhd_step(action: CopyBlob, facts: VhdFacts, settings: Settings, now: datetime) -> ActionState:
    blob = facts.dr_blob
    if blob is None:
        return ActionState(
            action, READY, f"server-side copy into the DR account's {action.container}"
        )
    if blob.source and blob.source.lower() != naming.strip_query(facts.source_url).lower():
        return ActionState(action, BLOCKED, f"DR blob {blob.url} holds a copy of another blob")
    if blob.status in (None, "success"):
        return ActionState(action, DONE, blob.url)
    if blob.status == "pending":
        left = progress_estimate(settings, blob.started, blob.percent, now)
        wait = settings.images_copy_poll_seconds if left is None else left
        detail = f"copy {blob.percent or 0:.0f}%"
        return ActionState(action, IN_PROGRESS, detail, wait, left is not None, blob.percent)
    return ActionState(
        action, BLOCKED, f"blob copy {blob.status}: {blob.description or ''}".strip()
    )


def plan_vhd(
    artifact: Artifact,
    facts: VhdFacts,
    settings: Settings,
    now: datetime,
    failure: str | None = None,
) -> ArtifactProtection:
    """Plan protection of a VHD: one server-side copy into the DR account, finished.

    There is one DR storage account (in the region the app is deployed to); `dr_region` is the
    pair the policy names, and the step and dr_artifacts name the account's blob. A failed copy
    is deleted, so that a retry copies again.
    """
    region, skipped = dr_region_for(artifact.region, settings)
    if region is None:
        return ArtifactProtection(artifact, None, skipped=skipped)
    name = naming.dr_blob_name(facts.source_url, artifact.generation)
    source = naming.strip_query(facts.source_url)
    step = _vhd_step(
        CopyBlob(name, region, source, settings.vhd_container, name), facts, settings, now
    )
    blob = facts.dr_blob
    if failure is None and step.status is BLOCKED and blob is not None:
        failure = step.detail
    dr = (blob.url,) if blob else (f"{settings.vhd_container}/{name}",)
    if failure:
        cleanup = vhd_cleanup(facts, settings.vhd_container, name, region)
        return ArtifactProtection(artifact, region, cleanup or (step,), dr, failure=failure)
    return ArtifactProtection(artifact, region, (step,), dr)


def protection_for(
    artifact: Artifact,
    facts: Facts,
    settings: Settings,
    now: datetime,
    failure: str | None = None,
) -> ArtifactProtection:
    """Return the protection plan of one artifact from what Azure says about it.

    `failure`, when given, is one seen earlier in the same pass: it stays the outcome, and the
    plan is its clean-up (a copy deleted by the clean-up must not be started again at once).
    """
    if isinstance(facts, GalleryFacts):
        return plan_gallery(artifact, facts, settings, failure)
    if isinstance(facts, ImageFacts):
        return image_protection(artifact, facts, settings, now, failure)
    return plan_vhd(artifact, facts, settings, now, failure)
