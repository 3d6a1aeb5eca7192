"""creationData for disks and snapshots: validate the source and derive size and lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import Core, errors, type_of
from emulator.providers.compute import access
from emulator.providers.compute.common import (
    DISKS,
    GALLERY_VERSIONS,
    IMAGES,
    RPS,
    SNAPSHOTS,
    Body,
    require_type,
    same_region,
)

SUPPORTED = ("Empty", "Copy", "CopyStart", "FromImage", "Import", "Restore")


@dataclass
class Origin:
    """What a new disk/snapshot inherits: size, lineage, source ids, OS facts."""

    size_gb: int | None
    content_id: str | None = None
    source_unique_id: str | None = None
    source: Body | None = None
    os_type: str | None = None
    hyper_v: str | None = None
    security: Body | None = None


def resolve(core: Core, kind: str, location: str, creation: Body) -> Origin:
    """Return the Origin for `creation` (creationData); raise 400/404 ArmError when invalid."""
    option = str(creation.get("createOption") or "")
    match = next((o for o in SUPPORTED if o.lower() == option.lower()), None)
    if match is None:
        raise errors.invalid_parameter(
            f"The value '{option}' of parameter 'creationData.createOption' is not supported "
            "by the Lifeboat ARM emulator (supported: " + ", ".join(SUPPORTED) + ").",
            "creationData.createOption",
        )
    if match == "Empty":
        if kind == SNAPSHOTS:
            raise errors.invalid_parameter(
                "A snapshot cannot be created with createOption 'Empty'.",
                "creationData.createOption",
            )
        return Origin(None, content_id=core.new_guid())
    if match in ("Copy", "CopyStart"):
        return _copy(core, kind, location, creation, match)
    if match == "FromImage":
        return _from_image(core, location, creation)
    if match == "Import":
        return _import(core, creation)
    return _restore(core, location, creation)


def _source_origin(core: Core, source: Body) -> Origin:
    props = source.get("properties", {})
    meta = core.store.meta(source["id"])
    return Origin(
        props.get("diskSizeGB"),
        content_id=meta.get("content_id") or props.get("uniqueId"),
        source_unique_id=props.get("uniqueId"),
        source=source,
        os_type=props.get("osType"),
        hyper_v=props.get("hyperVGeneration"),
        security=props.get("securityProfile"),
    )


def absolute_id(resource_id: str) -> str:
    """Return an ARM id with its leading '/' (Azure accepts `sourceResourceId` without it)."""
    return resource_id if not resource_id or resource_id.startswith("/") else "/" + resource_id


def _check_copy_complete(source: Body) -> None:
    """A snapshot still being copied across regions cannot be a source (Pending access)."""
    props = source.get("properties", {})
    percent = props.get("completionPercent")
    if props.get("snapshotAccessState") == "Pending" or (percent is not None and percent < 100):
        raise errors.conflict(
            "OperationNotAllowed",
            f"Snapshot '{source['id']}' cannot be used as a source until its background copy "
            f"completes (completionPercent {percent}, snapshotAccessState "
            f"{props.get('snapshotAccessState', 'Pending')}).",
        )


def _copy(core: Core, kind: str, location: str, creation: Body, option: str) -> Origin:
    source_id = absolute_id(
        str(creation.get("sourceResourceId") or creation.get("sourceUri") or "")
    )
    target = "creationData.sourceResourceId"
    allowed = (SNAPSHOTS,) if option == "CopyStart" else (DISKS, SNAPSHOTS)
    if type_of(source_id).lower() not in {t.lower() for t in allowed}:
        raise errors.invalid_parameter(
            f"Resource id '{source_id}' is not a valid source for createOption '{option}'.",
            target,
        )
    source = require_type(core, source_id, type_of(source_id), target)
    if type_of(source_id).lower() == SNAPSHOTS.lower():
        _check_copy_complete(source)
    if option == "Copy":
        same_region(source, location, target)
    elif kind == DISKS:
        raise errors.invalid_parameter(
            "createOption 'CopyStart' is only supported for snapshots.", "creationData"
        )
    return _source_origin(core, source)


def _from_image(core: Core, location: str, creation: Body) -> Origin:
    reference = creation.get("galleryImageReference") or creation.get("imageReference") or {}
    image_id = str(reference.get("id") or reference.get("sharedGalleryImageId") or "")
    if not image_id:
        raise errors.invalid_parameter(
            "Required parameter 'imageReference' is missing (null).", "creationData.imageReference"
        )
    kind = type_of(image_id).lower()
    if kind not in (IMAGES.lower(), GALLERY_VERSIONS.lower()):
        # Platform images (publishers/offers/skus/versions) are not stored: accept them.
        return Origin(30, content_id=image_id.lower())
    image = require_type(core, image_id, type_of(image_id), "creationData.imageReference.id")
    if kind == IMAGES.lower():
        same_region(image, location, "creationData.imageReference.id")
    if reference.get("lun") is not None:
        return _data_disk_origin(core, image, int(reference["lun"]))
    storage = image.get("properties", {}).get("storageProfile", {})
    os_disk = storage.get("osDisk") or storage.get("osDiskImage") or {}
    definition = _definition(core, image) if kind == GALLERY_VERSIONS.lower() else image
    return Origin(
        os_disk.get("diskSizeGB") or os_disk.get("sizeInGB") or 30,
        content_id=core.store.meta(image["id"]).get("content_id") or image_id.lower(),
        source=image,
        os_type=os_disk.get("osType") or definition.get("properties", {}).get("osType"),
        hyper_v=_hyper_v(definition),
    )


def _definition(core: Core, version: Body) -> Body:
    """The gallery image definition of a version: it holds osType and hyperVGeneration."""
    return core.store.get(version["id"].rsplit("/", 2)[0]) or {}


def _hyper_v(image: Body) -> str:
    """A disk made from an image reports the image's generation (images default to V1)."""
    return str(image.get("properties", {}).get("hyperVGeneration") or "V1")


def _data_disks(image: Body) -> list[Body]:
    storage = image.get("properties", {}).get("storageProfile", {})
    found: list[Body] = storage.get("dataDiskImages") or storage.get("dataDisks") or []
    return found


def _data_disk_origin(core: Core, image: Body, lun: int) -> Origin:
    """A data disk made from LUN `lun` of a gallery version or managed image (Azure's
    galleryImageReference.lun): its size and content are that data disk's, not the OS disk's."""
    entry = next((d for d in _data_disks(image) if int(d.get("lun", -1)) == lun), None)
    if entry is None:
        raise errors.invalid_parameter(
            f"The image '{image['id']}' has no data disk with LUN {lun}.",
            "creationData.galleryImageReference.lun",
        )
    return Origin(
        entry.get("diskSizeGB") or entry.get("sizeInGB") or 30,
        content_id=_lun_content(core, image, lun),
        source=image,
    )


def _lun_content(core: Core, image: Body, lun: int) -> str:
    """Lineage of one data disk: the content of the disk or snapshot the managed image's LUN was
    made from (followed through a gallery version's source), else a per-LUN id of the image."""
    base = core.store.meta(image["id"]).get("content_id") or str(image["id"]).lower()
    storage = image.get("properties", {}).get("storageProfile", {})
    source_id = str((storage.get("source") or {}).get("id") or "")
    managed = core.store.get(source_id) if type_of(source_id).lower() == IMAGES.lower() else None
    for entry in _data_disks(managed or image):
        if int(entry.get("lun", -1)) != lun:
            continue
        for key in ("managedDisk", "snapshot"):
            ref = str((entry.get(key) or {}).get("id") or "")
            if ref and core.store.exists(ref):
                return str(core.store.meta(ref).get("content_id") or ref.lower())
    return f"{base}/lun{lun}"


def _import(core: Core, creation: Body) -> Origin:
    uri = str(creation.get("sourceUri") or "")
    if not uri:
        raise errors.invalid_parameter(
            "Required parameter 'sourceUri' is missing (null).", "creationData.sourceUri"
        )
    if not creation.get("storageAccountId"):
        raise errors.invalid_parameter(
            "Required parameter 'storageAccountId' is missing (null).",
            "creationData.storageAccountId",
        )
    exists, content = access.imported_content(core, uri)
    if not exists:
        raise errors.invalid_parameter(
            f"The source blob '{uri.split('?', maxsplit=1)[0]}' does not exist or cannot be read.",
            "creationData.sourceUri",
        )
    return Origin(None, content_id=content or core.new_guid())


def _restore(core: Core, location: str, creation: Body) -> Origin:
    from emulator.providers.compute import restore_points

    point_id = absolute_id(str(creation.get("sourceResourceId") or ""))
    target = "creationData.sourceResourceId"
    if "/diskrestorepoints/" not in point_id.lower():
        raise errors.invalid_parameter(
            f"Resource id '{point_id}' is not a disk restore point id.", target
        )
    rp_id = point_id[: point_id.lower().index("/diskrestorepoints/")]
    point = require_type(core, rp_id, RPS, target)
    disk = _disk_entry(point, point_id)
    if disk is None:
        raise errors.ArmError(404, "NotFound", f"Disk restore point '{point_id}' was not found.")
    percent = restore_points.replication_percent(core, rp_id)
    if percent < 100:
        raise errors.conflict(
            "OperationNotAllowed",
            f"Disk restore point '{point_id}' is still being replicated ({percent}% complete).",
        )
    collection = core.store.get(rp_id[: rp_id.lower().rindex("/restorepoints/")]) or {}
    same_region({"id": rp_id, "location": collection.get("location", "")}, location, target)
    contents: dict[str, Any] = core.store.meta(rp_id).get("content", {})
    return Origin(
        disk.get("diskSizeGB"),
        content_id=contents.get(str(disk.get("name", "")).lower()),
        os_type=disk.get("osType"),
    )


def _disk_entry(point: Body, drp_id: str) -> Body | None:
    storage = point.get("properties", {}).get("sourceMetadata", {}).get("storageProfile", {})
    for disk in [storage.get("osDisk") or {}, *storage.get("dataDisks", [])]:
        if str(disk.get("diskRestorePoint", {}).get("id", "")).lower() == drp_id.lower():
            found: Body = disk
            return found
    return None
