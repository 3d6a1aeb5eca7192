"""Pure planning for managed images: every disk snapshotted, CopyStart-ed, the DR image built.

Azure cannot create a disk or snapshot from a managed image itself, so each disk's data comes
from the disk or incremental snapshot the image was made from (direct route) or, when that is
gone (Image Builder deletes its build VM), from a temporary disk made FromImage out of a staging
gallery version of the image (staged route). Both routes then take an incremental snapshot in
the primary region, CopyStart it into the DR region and build the DR image from the copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.azure import managed_images
from shared.azure.galleries import TargetRegion
from shared.azure.managed_images import ImageDisk, ManagedImage
from shared.config import Settings
from shared.engine.names import ImageNames
from shared.images.cleanup import image_cleanup
from shared.images.model import (
    ActionState,
    ActionStatus,
    Artifact,
    ArtifactProtection,
    CopySnapshot,
    CreateDisk,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteSnapshot,
    ImageFacts,
    PublishImage,
    SnapshotDisk,
)
from shared.images.policy import dr_region_for, progress_estimate

DONE, READY, IN_PROGRESS, BLOCKED = (
    ActionStatus.DONE,
    ActionStatus.READY,
    ActionStatus.IN_PROGRESS,
    ActionStatus.BLOCKED,
)


def _state(provisioning_state: str) -> ActionStatus:
    return DONE if provisioning_state.lower() == "succeeded" else IN_PROGRESS


def live_source(disk: ImageDisk, facts: ImageFacts) -> bool:
    """True when the disk the image was made from (or its incremental snapshot) still exists."""
    source = facts.sources.get(disk.label)
    if source is None:
        return False
    if disk.managed_disk_id:
        return source.disk is not None
    return (
        disk.snapshot_id is not None and source.snapshot is not None and source.snapshot.incremental
    )


def staged_route(image: ManagedImage, facts: ImageFacts) -> bool:
    """True when some disk has no live source, so the data must come via a staging version."""
    return any(not live_source(d, facts) for d in image.disks)


@dataclass(frozen=True)
class _Ctx:
    image: ManagedImage
    facts: ImageFacts
    region: str
    settings: Settings
    now: datetime
    names: ImageNames

    def started(self, label: str) -> bool:
        return label in self.facts.dr_snapshots

    def copied(self, label: str) -> bool:
        copy = self.facts.dr_snapshots.get(label)
        return copy is not None and copy.copied

    def copy_step(self, label: str, source: str, source_ready: bool) -> ActionState:
        target = str(self.names.dr_snapshot(label))
        action = CopySnapshot(target, self.region, source)
        copy = self.facts.dr_snapshots.get(label)
        if copy is None:
            return ActionState(action, READY if source_ready else BLOCKED)
        if copy.copied:
            return ActionState(action, DONE)
        percent = copy.completion_percent or 0.0
        left = progress_estimate(self.settings, copy.time_created, percent, self.now)
        wait = self.settings.images_copy_poll_seconds if left is None else left
        detail = f"CopyStart {percent:.0f}%"
        return ActionState(action, IN_PROGRESS, detail, wait, left is not None, percent)

    def cleanup(self, action: DeleteSnapshot | DeleteDisk, label: str, exists: bool) -> ActionState:
        if not self.copied(label):
            return ActionState(action, BLOCKED, "after the DR copy completes")
        return ActionState(action, READY if exists else DONE)


def _snapshot_chain(ctx: _Ctx, disk: ImageDisk, source: str, ready: bool) -> list[ActionState]:
    """Incremental snapshot of `source` here, its CopyStart, then the staging snapshot's removal."""
    label, image = disk.label, ctx.image
    staging_id = str(ctx.names.staging_snapshot(label))
    staging = ctx.facts.staging.get(label)
    action = SnapshotDisk(staging_id, image.location, source)
    if ctx.started(label):
        snap = ActionState(action, DONE, "DR copy started")
    elif staging is not None:
        snap = ActionState(action, _state(staging.provisioning_state))
    else:
        snap = ActionState(action, READY if ready else BLOCKED)
    copy = ctx.copy_step(label, staging_id, snap.status is DONE)
    cleanup = ctx.cleanup(DeleteSnapshot(staging_id, image.location), label, staging is not None)
    return [snap, copy, cleanup]


def _direct_chain(ctx: _Ctx, disk: ImageDisk) -> list[ActionState]:
    if disk.managed_disk_id:
        return _snapshot_chain(ctx, disk, disk.managed_disk_id, True)
    return [ctx.copy_step(disk.label, str(disk.snapshot_id), True)]


def _temp_disk_chain(ctx: _Ctx, disk: ImageDisk, version: str, ready: bool) -> list[ActionState]:
    label, image = disk.label, ctx.image
    temp_id = str(ctx.names.temp_disk(label))
    temp = ctx.facts.temp_disks.get(label)
    action = CreateDisk(temp_id, image.location, version, disk.lun)
    if ctx.started(label) or label in ctx.facts.staging:
        create = ActionState(action, DONE, "snapshot taken")
    elif temp is not None:
        create = ActionState(action, _state(temp.provisioning_state))
    else:
        create = ActionState(action, READY if ready else BLOCKED)
    chain = _snapshot_chain(ctx, disk, temp_id, create.status is DONE)
    delete = ctx.cleanup(DeleteDisk(temp_id, image.location), label, temp is not None)
    return [create, *chain, delete]


def _publish_step(
    ctx: _Ctx, before: ActionState, needed: bool
) -> tuple[ActionState | None, str | None]:
    """The staging version: published from the image, replicated in its home region."""
    image, home = ctx.image, ctx.image.location
    version_id = ctx.names.staging_version(home)
    replica_spec = (TargetRegion(home, 1, "Standard_LRS"),)
    publish = PublishImage(str(version_id), home, str(image.id), replica_spec)
    version = ctx.facts.staging_version
    if version is None:
        return _after(publish, before, needed, None), None
    replica = version.replication.get(home)
    if replica is not None and replica.state.lower() == "failed":
        return None, f"staging gallery version {version.id} failed to replicate: {replica.details}"
    if replica is not None and replica.state.lower() == "completed":
        return ActionState(publish, DONE), None
    wait = ctx.settings.images_copy_poll_seconds
    progress = float(replica.progress or 0) if replica is not None else None
    return ActionState(publish, IN_PROGRESS, "publishing the image", wait, False, progress), None


def _staging_prefix(ctx: _Ctx) -> tuple[list[ActionState], str | None]:
    """Staging gallery, definition and version of the image (only while a disk still needs it)."""
    image, facts = ctx.image, ctx.facts
    home = image.location
    needed = any(
        not (ctx.started(d.label) or d.label in facts.staging or d.label in facts.temp_disks)
        for d in image.disks
    )
    gallery_id = ctx.names.staging_gallery(home)
    gallery = ActionState(CreateGallery(str(gallery_id), home), READY)
    if facts.staging_gallery is not None:
        gallery = ActionState(gallery.action, _state(facts.staging_gallery.provisioning_state))
    elif not needed:
        gallery = ActionState(gallery.action, DONE, "no longer needed")
    definition_id = ctx.names.staging_definition(home)
    body = _definition_body(image, definition_id.name)
    existing = facts.staging_definition
    state = existing.provisioning_state if existing is not None else None
    action = CreateImageDefinition(str(definition_id), home, body)
    definition = _after(action, gallery, needed, state)
    publish, failure = _publish_step(ctx, definition, needed)
    if publish is None:
        return [], failure
    return [gallery, definition, publish], None


def _after(
    action: CreateImageDefinition | PublishImage,
    before: ActionState,
    needed: bool,
    state: str | None,
) -> ActionState:
    if state is not None:
        return ActionState(action, _state(state))
    if not needed:
        return ActionState(action, DONE, "no longer needed")
    return ActionState(action, READY if before.status is DONE else BLOCKED)


def _definition_body(image: ManagedImage, name: str) -> dict[str, object]:
    return {
        "location": image.location,
        "properties": {
            "osType": image.os_disk.os_type or "Linux",
            "osState": image.os_disk.os_state or "Generalized",
            "hyperVGeneration": image.hyper_v_generation or "V1",
            "identifier": {"publisher": "Lifeboat", "offer": "staging", "sku": name},
            "description": "Lifeboat staging copy of a managed image (temporary)",
        },
    }


def _staging_suffix(ctx: _Ctx, image_step: ActionState) -> list[ActionState]:
    """Remove the staging version, then its definition, once the DR image exists."""
    home = ctx.image.location
    version_id = str(ctx.names.staging_version(home))
    definition_id = str(ctx.names.staging_definition(home))
    version_exists = ctx.facts.staging_version is not None
    if image_step.status is not DONE:
        return [
            ActionState(DeleteGalleryItem(version_id, home), BLOCKED, "after the DR image exists"),
            ActionState(DeleteGalleryItem(definition_id, home), BLOCKED, "after the version"),
        ]
    version = ActionState(DeleteGalleryItem(version_id, home), READY if version_exists else DONE)
    exists = ctx.facts.staging_definition is not None
    definition_state = (READY if exists else DONE) if not version_exists else BLOCKED
    return [version, ActionState(DeleteGalleryItem(definition_id, home), definition_state)]


def _image_step(ctx: _Ctx, copies: list[ActionState]) -> ActionState:
    image = ctx.image
    target = ctx.names.dr_image()
    ids = {d.label: ctx.names.dr_snapshot(d.label) for d in image.disks}
    body = managed_images.image_body(image, ctx.region, ids, ctx.facts.dr_zonal)
    action = CreateImage(str(target), ctx.region, body)
    existing = ctx.facts.dr_image
    if existing is not None:
        return ActionState(action, _state(existing.provisioning_state))
    if any(step.status is not DONE for step in copies):
        return ActionState(action, BLOCKED, "waits for every disk's DR snapshot")
    return ActionState(action, READY)


def _copy_failure(ctx: _Ctx) -> str | None:
    for label, copy in ctx.facts.dr_snapshots.items():
        if copy.copy_error:
            return f"CopyStart of the {label} disk failed: {copy.copy_error}"
    return _provisioning_failure(ctx)


def _provisioning_failure(ctx: _Ctx) -> str | None:
    """A quick create that Azure accepted but failed to provision (its PUT is not awaited)."""
    facts = ctx.facts
    found: list[tuple[str, object, str]] = [
        *(
            (f"staging snapshot of the {k} disk", s.id, s.provisioning_state)
            for k, s in sorted(facts.staging.items())
        ),
        *(
            (f"temporary disk of the {k} disk", d.id, d.provisioning_state)
            for k, d in sorted(facts.temp_disks.items())
        ),
    ]
    if facts.staging_definition is not None:
        definition = facts.staging_definition
        found.append(("staging image definition", definition.id, definition.provisioning_state))
    if facts.dr_image is not None:
        found.append(("DR image", facts.dr_image.id, facts.dr_image.provisioning_state))
    for what, rid, state in found:
        if state.lower() == "failed":
            return f"{what} {rid} is in provisioning state Failed"
    return None


def image_protection(
    artifact: Artifact,
    facts: ImageFacts,
    settings: Settings,
    now: datetime,
    failure: str | None = None,
) -> ArtifactProtection:
    """Plan protection of a managed image: a DR image from CopyStart copies of all its disks.

    After a failure (this plan's, or `failure` seen earlier in the pass) the plan is the
    clean-up instead: staging resources and incomplete DR copies are deleted, so a retry starts
    clean and nothing billable is left behind.
    """
    image = facts.image
    if image is None:
        return ArtifactProtection(
            artifact, None, failure=failure or "the source managed image is gone"
        )
    region, skipped = dr_region_for(image.location or artifact.region, settings)
    if region is None:
        return ArtifactProtection(artifact, None, skipped=skipped)
    names = ImageNames(settings, image.id, region, artifact.generation)
    ctx = _Ctx(image, facts, region, settings, now, names)
    steps, failure = _steps(ctx, failure)
    target = (str(names.dr_image()),)
    if failure:
        cleanup = image_cleanup(names, image, facts, region)
        return ArtifactProtection(artifact, region, cleanup, target, failure=failure)
    return ArtifactProtection(artifact, region, tuple(steps), target)


def _steps(ctx: _Ctx, failure: str | None) -> tuple[list[ActionState], str | None]:
    """Every step of the chosen route, and the failure (the given one, or one found here)."""
    image = ctx.image
    steps: list[ActionState] = []
    staged = staged_route(image, ctx.facts)
    if staged:
        prefix, prefix_failure = _staging_prefix(ctx)
        steps.extend(prefix)
        failure = failure or prefix_failure
    version = str(ctx.names.staging_version(image.location))
    ready = bool(steps) and steps[-1].status is DONE
    for disk in image.disks:
        chain = _temp_disk_chain(ctx, disk, version, ready) if staged else _direct_chain(ctx, disk)
        steps.extend(chain)
    copies = [step for step in steps if isinstance(step.action, CopySnapshot)]
    image_step = _image_step(ctx, copies)
    steps.append(image_step)
    if staged:
        steps.extend(_staging_suffix(ctx, image_step))
    return steps, failure or _copy_failure(ctx)
