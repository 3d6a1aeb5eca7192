"""Pure: what a failed protection deletes, so nothing billable is left and a retry starts clean.

Only what Lifeboat made for this artifact is removed: staging snapshots, temporary disks and
the staging gallery version and definition, plus DR copies that never completed. Completed DR
copies are kept (a retry reuses them); the sources and the shared galleries are never touched.
"""

from __future__ import annotations

from shared.azure.managed_images import ManagedImage
from shared.engine.names import ImageNames, strip_query
from shared.images.model import (
    ActionState,
    ActionStatus,
    DeleteBlob,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteSnapshot,
    GalleryFacts,
    ImageFacts,
    VhdFacts,
)

READY, BLOCKED = ActionStatus.READY, ActionStatus.BLOCKED


def image_cleanup(
    names: ImageNames, image: ManagedImage, facts: ImageFacts, region: str
) -> tuple[ActionState, ...]:
    """Deletions of a managed image's staging resources and unfinished DR snapshots."""
    home = image.location
    steps: list[ActionState] = []
    for disk in image.disks:
        label = disk.label
        copy = facts.dr_snapshots.get(label)
        if copy is not None and not copy.copied:
            detail = copy.copy_error or "unfinished DR copy"
            steps.append(
                ActionState(DeleteSnapshot(str(names.dr_snapshot(label)), region), READY, detail)
            )
        if label in facts.staging:
            steps.append(
                ActionState(DeleteSnapshot(str(names.staging_snapshot(label)), home), READY)
            )
        if label in facts.temp_disks:
            steps.append(ActionState(DeleteDisk(str(names.temp_disk(label)), home), READY))
    version = facts.staging_version is not None
    if version:
        steps.append(ActionState(DeleteGalleryItem(str(names.staging_version(home)), home), READY))
    if facts.staging_definition is not None:
        definition = DeleteGalleryItem(str(names.staging_definition(home)), home)
        steps.append(ActionState(definition, BLOCKED if version else READY, "after the version"))
    return tuple(steps)


def gallery_cleanup(facts: GalleryFacts, region: str) -> tuple[ActionState, ...]:
    """Deletion of a DR gallery copy that failed, so that a retry creates it again."""
    copy = facts.dr_version
    if copy is None:
        return ()
    replica = copy.replication.get(region)
    failed = copy.provisioning_state.lower() == "failed" or (
        replica is not None and replica.state.lower() == "failed"
    )
    if not failed:
        return ()
    return (ActionState(DeleteGalleryItem(str(copy.id), region), READY, "failed DR copy"),)


def vhd_cleanup(facts: VhdFacts, container: str, name: str, region: str) -> tuple[ActionState, ...]:
    """Deletion of a DR blob whose copy did not succeed (only a copy of this very VHD)."""
    blob = facts.dr_blob
    if blob is None or blob.status in (None, "success"):
        return ()
    if blob.source and blob.source.lower() != strip_query(facts.source_url).lower():
        return ()
    return (ActionState(DeleteBlob(name, region, container, name), READY, f"copy {blob.status}"),)
