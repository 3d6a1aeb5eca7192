"""Carries out write actions through the narrow Azure modules: one table, action type → handler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId, version_id_of
from shared.azure import blobs, disks, galleries, managed_images, nics, recovery, vms
from shared.config import Settings
from shared.engine.actions import (
    AddTargetRegion,
    CopyBlob,
    CopyImageVersion,
    CopySnapshot,
    CreateDisk,
    CreateDiskFromSnapshot,
    CreateGallery,
    CreateImage,
    CreateImageDefinition,
    CreateNic,
    CreateVm,
    DeleteBlob,
    DeleteDisk,
    DeleteGalleryItem,
    DeleteNic,
    DeleteSnapshot,
    DeleteVm,
    PowerOffVm,
    PublishImage,
    SnapshotDisk,
    StartVm,
    WriteAction,
)
from shared.engine.placement import ensure_dr_group

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

logger = logging.getLogger(__name__)

# What an executed action left behind: the finished resource, GONE after a delete, or None
# when Azure is still working on it (a started copy or replication: the next pass reads it).
GONE = object()
Result = object | None
Handler = Callable[["AzureClients", Settings, Any], Result]


def _id(value: str) -> ResourceId:
    return ResourceId.parse(value, "action.target")


def _add_target_region(clients: AzureClients, _: Settings, action: AddTargetRegion) -> Result:
    galleries.begin_set_target_regions(clients, _id(action.target), action.regions)
    return None


def _create_gallery(clients: AzureClients, _: Settings, action: CreateGallery) -> Result:
    return galleries.create_gallery(clients, _id(action.target), action.region)


def _create_definition(clients: AzureClients, _: Settings, action: CreateImageDefinition) -> Result:
    return galleries.create_image_definition(clients, _id(action.target), action.body)


def _copy_version(
    clients: AzureClients, _: Settings, action: CopyImageVersion | PublishImage
) -> Result:
    target, source = version_id_of(action.target), version_id_of(action.source)
    galleries.begin_copy_image_version(clients, target, action.region, source, action.regions)
    return None


def _delete_gallery_item(clients: AzureClients, _: Settings, action: DeleteGalleryItem) -> Result:
    galleries.delete_gallery_item(clients, _id(action.target))
    return GONE


def _snapshot_disk(clients: AzureClients, _: Settings, action: SnapshotDisk) -> Result:
    target, source = _id(action.target), _id(action.source)
    return disks.create_incremental_snapshot(clients, target, action.region, source, action.tags)


def _copy_snapshot(clients: AzureClients, _: Settings, action: CopySnapshot) -> Result:
    target, source = _id(action.target), _id(action.source)
    disks.begin_copy_snapshot(clients, target, action.region, source, action.tags)
    return None


def _power_off_vm(clients: AzureClients, _: Settings, action: PowerOffVm) -> Result:
    vms.begin_power_off(clients, _id(action.target))
    return None


def _start_vm(clients: AzureClients, _: Settings, action: StartVm) -> Result:
    vms.begin_start(clients, _id(action.target))
    return None


def _delete_snapshot(clients: AzureClients, _: Settings, action: DeleteSnapshot) -> Result:
    disks.delete_snapshot(clients, _id(action.target))
    return GONE


def _create_disk(clients: AzureClients, _: Settings, action: CreateDisk) -> Result:
    version = version_id_of(action.source)
    return disks.create_disk_from_version(
        clients, _id(action.target), action.region, version, action.lun
    )


def _delete_disk(clients: AzureClients, _: Settings, action: DeleteDisk) -> Result:
    disks.delete_disk(clients, _id(action.target))
    return GONE


def _create_image(clients: AzureClients, _: Settings, action: CreateImage) -> Result:
    return managed_images.create_image(clients, _id(action.target), action.body)


def _copy_blob(clients: AzureClients, settings: Settings, action: CopyBlob) -> Result:
    blobs.start_copy_to_dr(clients, settings, action.source, action.container, action.blob)
    return None


def _delete_blob(clients: AzureClients, _: Settings, action: DeleteBlob) -> Result:
    blobs.delete_dr_blob(clients, action.container, action.blob)
    return GONE


def _create_recovered_disk(
    clients: AzureClients, _: Settings, action: CreateDiskFromSnapshot
) -> Result:
    return recovery.begin_create_disk(
        clients,
        _id(action.target),
        action.region,
        action.source,
        sku=action.sku,
        zone=action.zone,
        tags=action.tags,
    )


def _create_nic(clients: AzureClients, _: Settings, action: CreateNic) -> Result:
    spec = nics.NicSpec(
        action.subnet,
        action.allocation,
        action.private_ip,
        action.accelerated_networking,
        tuple(sorted(action.tags.items())),
    )
    return nics.begin_create_nic(clients, _id(action.target), action.region, spec)


def _create_vm(clients: AzureClients, _: Settings, action: CreateVm) -> Result:
    spec = recovery.VmSpec(
        size=action.size,
        os_type=action.os_type,
        disks=tuple(recovery.AttachedDisk(d, lun, c) for d, lun, c in action.disks),
        nics=action.nics,
        security_type=action.security_type,
        secure_boot_enabled=action.secure_boot_enabled,
        vtpm_enabled=action.vtpm_enabled,
        zone=action.zone,
        tags=action.tags,
    )
    return recovery.begin_create_vm(clients, _id(action.target), action.region, spec)


def _delete_vm(clients: AzureClients, _: Settings, action: DeleteVm) -> Result:
    recovery.delete_vm(clients, _id(action.target))
    return GONE


def _delete_nic(clients: AzureClients, _: Settings, action: DeleteNic) -> Result:
    nics.delete_nic(clients, _id(action.target))
    return GONE


# The one place an action type meets its write: a new action type adds its handler here
# (tests/unit/test_engine_executor.py proves every WriteAction subclass has one).
HANDLERS: Mapping[type[WriteAction], Handler] = MappingProxyType(
    {
        AddTargetRegion: _add_target_region,
        CreateGallery: _create_gallery,
        CreateImageDefinition: _create_definition,
        CopyImageVersion: _copy_version,
        PublishImage: _copy_version,
        DeleteGalleryItem: _delete_gallery_item,
        SnapshotDisk: _snapshot_disk,
        CopySnapshot: _copy_snapshot,
        DeleteSnapshot: _delete_snapshot,
        PowerOffVm: _power_off_vm,
        StartVm: _start_vm,
        CreateDisk: _create_disk,
        DeleteDisk: _delete_disk,
        CreateImage: _create_image,
        CopyBlob: _copy_blob,
        DeleteBlob: _delete_blob,
        CreateDiskFromSnapshot: _create_recovered_disk,
        CreateNic: _create_nic,
        CreateVm: _create_vm,
        DeleteVm: _delete_vm,
        DeleteNic: _delete_nic,
    }
)


def _snapshot_disk_started(clients: AzureClients, _: Settings, action: SnapshotDisk) -> Result:
    target, source = _id(action.target), _id(action.source)
    return disks.create_incremental_snapshot(
        clients, target, action.region, source, action.tags, wait=False
    )


def _create_disk_started(clients: AzureClients, _: Settings, action: CreateDisk) -> Result:
    version = version_id_of(action.source)
    return disks.create_disk_from_version(
        clients, _id(action.target), action.region, version, action.lun, wait=False
    )


def _create_definition_started(
    clients: AzureClients, _: Settings, action: CreateImageDefinition
) -> Result:
    return galleries.create_image_definition(clients, _id(action.target), action.body, wait=False)


def _create_image_started(clients: AzureClients, _: Settings, action: CreateImage) -> Result:
    return managed_images.create_image(clients, _id(action.target), action.body, wait=False)


# Quick creates issued without polling them to completion (`execute(..., wait=False)`): the
# handler returns the resource as the PUT answered (provisioningState Creating), for callers
# whose next pass reads its state anyway. Other action types behave as in HANDLERS.
STARTED_HANDLERS: Mapping[type[WriteAction], Handler] = MappingProxyType(
    {
        SnapshotDisk: _snapshot_disk_started,
        CreateDisk: _create_disk_started,
        CreateImage: _create_image_started,
        CreateImageDefinition: _create_definition_started,
    }
)


def execute(
    clients: AzureClients, settings: Settings, action: WriteAction, *, wait: bool = True
) -> Result:
    """Issue the one idempotent write `action` describes (deterministic names: safe to repeat).

    Returns the finished resource, GONE after a delete, or None for processes that are
    started, not awaited (replication, CopyStart, blob copy). With `wait=False` the quick
    creates of STARTED_HANDLERS are not polled to completion: they return the resource as
    Azure accepted it (not yet Succeeded; a failed provisioning shows on the next read).
    Raises azure.core errors (the job layer retries transient ones), InvalidInput, and
    TypeError for an action type with no handler, ConfigurationError (nothing written) when
    the target's DR resource group is located outside its DR region.
    """
    handler = (None if wait else STARTED_HANDLERS.get(type(action))) or HANDLERS.get(type(action))
    if handler is None:
        raise TypeError(f"no handler for {type(action).__name__}")
    if not action.op.startswith("delete"):
        # Before the first write into a DR group: the group exists in its DR region.
        ensure_dr_group(clients, settings, action.target)
    logger.info(
        "DR write %s %s",
        action.op,
        action.target,
        extra={"action": action.op, "resource_id": action.target, "region": action.region},
    )
    return handler(clients, settings, action)
