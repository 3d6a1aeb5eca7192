"""Carries out planned image-DR actions through the narrow Azure modules (one write each)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.azure import blobs, disks, galleries, managed_images
from shared.config import Settings
from shared.images.model import (
    Action,
    AddTargetRegion,
    CopyBlob,
    CopyImageVersion,
    CopySnapshot,
    CreateDisk,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    DeleteBlob,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteSnapshot,
    PublishImage,
    SnapshotDisk,
    version_id_of,
)

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

logger = logging.getLogger(__name__)


def _id(value: str) -> ResourceId:
    return ResourceId.parse(value, "action.target")


# What an executed action left behind: the finished resource, GONE after a delete, or None
# when Azure is still working on it (a started copy or replication: read it again later).
GONE = object()
Result = object | None


def _gallery_action(clients: AzureClients, action: Action) -> tuple[bool, Result]:
    target = _id(action.target)
    if isinstance(action, AddTargetRegion):
        galleries.begin_set_target_regions(clients, target, action.regions)
        return True, None
    if isinstance(action, CreateGallery):
        return True, galleries.create_gallery(clients, target, action.region)
    if isinstance(action, CreateImageDefinition):
        return True, galleries.create_image_definition(clients, target, action.body)
    if isinstance(action, CopyImageVersion | PublishImage):
        target, source = version_id_of(action.target), version_id_of(action.source)
        galleries.begin_copy_image_version(clients, target, action.region, source, action.regions)
        return True, None
    if isinstance(action, DeleteGalleryItem):
        galleries.delete_gallery_item(clients, target)
        return True, GONE
    return False, None


def _disk_action(clients: AzureClients, action: Action) -> tuple[bool, Result]:
    target, region = _id(action.target), action.region
    if isinstance(action, SnapshotDisk):
        return True, disks.create_incremental_snapshot(clients, target, region, _id(action.source))
    if isinstance(action, CopySnapshot):
        disks.begin_copy_snapshot(clients, target, region, _id(action.source))
        return True, None
    if isinstance(action, DeleteSnapshot):
        disks.delete_snapshot(clients, target)
        return True, GONE
    if isinstance(action, CreateDisk):
        version = version_id_of(action.source)
        return True, disks.create_disk_from_version(clients, target, region, version, action.lun)
    if isinstance(action, DeleteDisk):
        disks.delete_disk(clients, target)
        return True, GONE
    if isinstance(action, CreateImage):
        return True, managed_images.create_image(clients, target, action.body)
    return False, None


def execute(clients: AzureClients, settings: Settings, action: Action) -> Result:
    """Issue the one idempotent write `action` describes (deterministic names: safe to repeat).

    Returns the finished resource, GONE after a delete, or None for processes that are
    started, not awaited (replication, CopyStart, blob copy). Raises azure.core errors (the
    job layer retries transient ones) and InvalidInput.
    """
    logger.info(
        "image DR %s %s",
        action.op,
        action.target,
        extra={"action": action.op, "resource_id": action.target, "region": action.region},
    )
    if isinstance(action, CopyBlob):
        blobs.start_copy_to_dr(clients, settings, action.source, action.container, action.blob)
        return None
    if isinstance(action, DeleteBlob):
        blobs.delete_dr_blob(clients, action.container, action.blob)
        return GONE
    for handler in (_gallery_action, _disk_action):
        handled, result = handler(clients, action)
        if handled:
            return result
    raise TypeError(f"no executor for {type(action).__name__}")
