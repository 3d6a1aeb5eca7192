"""Pure: fold a finished write's result into the facts, so the next round needs no re-read."""

from __future__ import annotations

from dataclasses import replace

from shared.azure.disks import Disk, Snapshot
from shared.azure.galleries import Gallery, ImageDefinition
from shared.azure.managed_images import ManagedImage
from shared.images.model import (
    CreateDisk,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteSnapshot,
    Facts,
    GalleryFacts,
    ImageFacts,
    SnapshotDisk,
    WriteAction,
)

_LABEL_SEPARATORS = ("-src-", "-tmp-")


def _label(facts: ImageFacts, target: str) -> str | None:
    """The image disk a staging snapshot or temporary disk belongs to (from its name)."""
    if facts.image is None:
        return None
    name = target.rsplit("/", 1)[-1]
    for disk in facts.image.disks:
        if any(f"-{disk.label}{sep}" in name for sep in _LABEL_SEPARATORS):
            return disk.label
    return None


def _gallery(facts: GalleryFacts, action: WriteAction, result: object) -> GalleryFacts | None:
    if isinstance(action, CreateGallery) and isinstance(result, Gallery):
        return replace(facts, dr_gallery=result)
    if isinstance(action, CreateImageDefinition) and isinstance(result, ImageDefinition):
        return replace(facts, dr_definition=result)
    return None


def _image_created(facts: ImageFacts, action: WriteAction, result: object) -> ImageFacts | None:
    label = _label(facts, action.target)
    if isinstance(action, CreateGallery) and isinstance(result, Gallery):
        return replace(facts, staging_gallery=result)
    if isinstance(action, CreateImageDefinition) and isinstance(result, ImageDefinition):
        return replace(facts, staging_definition=result)
    if isinstance(action, CreateDisk) and isinstance(result, Disk) and label:
        return replace(facts, temp_disks={**facts.temp_disks, label: result})
    if isinstance(action, SnapshotDisk) and isinstance(result, Snapshot) and label:
        return replace(facts, staging={**facts.staging, label: result})
    if isinstance(action, CreateImage) and isinstance(result, ManagedImage):
        return replace(facts, dr_image=result)
    return None


def _image_deleted(facts: ImageFacts, action: WriteAction) -> ImageFacts | None:
    label = _label(facts, action.target)
    if isinstance(action, DeleteDisk) and label:
        return replace(facts, temp_disks={k: v for k, v in facts.temp_disks.items() if k != label})
    if isinstance(action, DeleteSnapshot) and label:
        return replace(facts, staging={k: v for k, v in facts.staging.items() if k != label})
    if isinstance(action, DeleteGalleryItem):
        if action.target.lower().count("/versions/"):
            return replace(facts, staging_version=None)
        return replace(facts, staging_definition=None)
    return None


def absorb(facts: Facts, action: WriteAction, result: object, gone: object) -> Facts | None:
    """Return `facts` as they are after `action` finished with `result` (`gone`: deleted).

    Returns None when the outcome is not known without reading Azure again (a started copy or
    replication, or an action this module does not model).
    """
    if isinstance(facts, GalleryFacts):
        return _gallery(facts, action, result)
    if isinstance(facts, ImageFacts):
        if result is gone:
            return _image_deleted(facts, action)
        return _image_created(facts, action, result)
    return None
