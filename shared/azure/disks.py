"""Managed disks, snapshots (incremental, cross-region CopyStart) and managed images."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, rg
from shared.errors import PreconditionNotMet
from shared.regions import normalize_region

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/disks/read",
    "Microsoft.Compute/disks/write",
    "Microsoft.Compute/disks/delete",
    "Microsoft.Compute/snapshots/read",
    "Microsoft.Compute/snapshots/write",
    "Microsoft.Compute/snapshots/delete",
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/write",
)


@dataclass(frozen=True)
class Snapshot:
    """A snapshot; `completion_percent` is the CopyStart progress (100 = usable)."""

    id: ResourceId
    location: str
    provisioning_state: str
    incremental: bool
    source_id: str | None
    completion_percent: float | None
    copy_error: str | None
    time_created: datetime | None

    @property
    def copied(self) -> bool:
        """True when the snapshot's data is complete (CopyStart finished, or not a copy)."""
        return self.provisioning_state.lower() == "succeeded" and (
            self.completion_percent is None or self.completion_percent >= 100
        )


@dataclass(frozen=True)
class Disk:
    """A managed disk (only what a snapshot of it needs)."""

    id: ResourceId
    location: str
    provisioning_state: str


@dataclass(frozen=True)
class ImageDisk:
    """One disk of a managed image: `lun` None for the OS disk; the source it was made from."""

    lun: int | None
    snapshot_id: str | None
    managed_disk_id: str | None
    blob_uri: str | None
    caching: str | None = None
    size_gb: int | None = None
    storage_account_type: str | None = None
    os_type: str | None = None
    os_state: str | None = None

    @property
    def label(self) -> str:
        """'os' or 'lunN', used in derived names."""
        return "os" if self.lun is None else f"lun{self.lun}"


@dataclass(frozen=True)
class ManagedImage:
    """A managed image and the disks it is made of."""

    id: ResourceId
    location: str
    provisioning_state: str
    hyper_v_generation: str | None
    os_disk: ImageDisk
    data_disks: tuple[ImageDisk, ...] = ()

    @property
    def disks(self) -> tuple[ImageDisk, ...]:
        """The OS disk, then the data disks in LUN order."""
        return (self.os_disk, *sorted(self.data_disks, key=lambda d: d.lun or 0))


def _region(value: Any) -> str:
    return normalize_region(value, "location") if value else ""


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("properties")
    return props if isinstance(props, Mapping) else {}


def parse_snapshot(body: Mapping[str, Any]) -> Snapshot:
    """Return the Snapshot described by an ARM body."""
    props = _props(body)
    creation = props.get("creationData") or {}
    error = props.get("copyCompletionError") or {}
    percent = props.get("completionPercent")
    return Snapshot(
        id=ResourceId.parse(body.get("id"), "snapshot.id"),
        location=_region(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        incremental=bool(props.get("incremental")),
        source_id=creation.get("sourceResourceId") or creation.get("sourceUri"),
        completion_percent=float(percent) if percent is not None else None,
        copy_error=(
            f"{error.get('errorCode')}: {error.get('errorMessage', '')}".strip()
            if error.get("errorCode")
            else None
        ),
        time_created=_time(props.get("timeCreated")),
    )


def parse_disk(body: Mapping[str, Any]) -> Disk:
    """Return the Disk described by an ARM body."""
    return Disk(
        ResourceId.parse(body.get("id"), "disk.id"),
        _region(body.get("location")),
        str(_props(body).get("provisioningState") or "Succeeded"),
    )


def _image_disk(body: Mapping[str, Any], lun: int | None) -> ImageDisk:
    return ImageDisk(
        lun=lun,
        snapshot_id=(body.get("snapshot") or {}).get("id"),
        managed_disk_id=(body.get("managedDisk") or {}).get("id"),
        blob_uri=body.get("blobUri"),
        caching=body.get("caching"),
        size_gb=body.get("diskSizeGB"),
        storage_account_type=body.get("storageAccountType"),
        os_type=body.get("osType"),
        os_state=body.get("osState"),
    )


def parse_image(body: Mapping[str, Any]) -> ManagedImage:
    """Return the ManagedImage described by an ARM body."""
    props = _props(body)
    profile = props.get("storageProfile") or {}
    return ManagedImage(
        id=ResourceId.parse(body.get("id"), "image.id"),
        location=_region(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        hyper_v_generation=props.get("hyperVGeneration"),
        os_disk=_image_disk(profile.get("osDisk") or {}, None),
        data_disks=tuple(
            _image_disk(d, int(d.get("lun", 0))) for d in profile.get("dataDisks") or ()
        ),
    )


def image_body(
    source: ManagedImage,
    location: str,
    snapshots: Mapping[str, ResourceId],
    zone_resilient: bool,
) -> dict[str, Any]:
    """Return the PUT body of a copy of `source` built from `snapshots` (label → snapshot id)."""

    def disk(d: ImageDisk) -> dict[str, Any]:
        out: dict[str, Any] = {"snapshot": {"id": str(snapshots[d.label])}}
        for key, value in (
            ("caching", d.caching),
            ("diskSizeGB", d.size_gb),
            ("osType", d.os_type),
            ("osState", d.os_state),
        ):
            if value is not None:
                out[key] = value
        if d.lun is not None:
            out["lun"] = d.lun
        return out

    props: dict[str, Any] = {
        "storageProfile": {
            "osDisk": disk(source.os_disk),
            "dataDisks": [disk(d) for d in source.disks[1:]],
            "zoneResilient": zone_resilient,
        }
    }
    if source.hyper_v_generation:
        props["hyperVGeneration"] = source.hyper_v_generation
    return {"location": location, "properties": props}


def get_snapshot(clients: AzureClients, snapshot: ResourceId) -> Snapshot | None:
    """Return the snapshot, or None when it does not exist."""
    ops = clients.compute(snapshot.subscription).snapshots
    body = missing_is_none(lambda: as_json(ops.get(rg(snapshot), snapshot.name)))
    return parse_snapshot(body) if body else None


def get_disk(clients: AzureClients, disk: ResourceId) -> Disk | None:
    """Return the disk, or None when it does not exist."""
    ops = clients.compute(disk.subscription).disks
    body = missing_is_none(lambda: as_json(ops.get(rg(disk), disk.name)))
    return parse_disk(body) if body else None


def get_image(clients: AzureClients, image: ResourceId) -> ManagedImage | None:
    """Return the managed image, or None when it does not exist."""
    ops = clients.compute(image.subscription).images
    body = missing_is_none(lambda: as_json(ops.get(rg(image), image.name)))
    return parse_image(body) if body else None


def create_incremental_snapshot(
    clients: AzureClients, snapshot: ResourceId, location: str, source_disk: ResourceId
) -> Snapshot:
    """Create (or confirm) an incremental snapshot of a disk in its region; return it."""
    ops = clients.compute(snapshot.subscription).snapshots
    body = {
        "location": location,
        "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": str(source_disk)},
            "incremental": True,
        },
    }
    from azure.mgmt.compute.models import Snapshot as SnapshotModel

    poller = ops.begin_create_or_update(rg(snapshot), snapshot.name, SnapshotModel(body))
    return parse_snapshot(as_json(poller.result()))


def begin_copy_snapshot(
    clients: AzureClients, snapshot: ResourceId, location: str, source: ResourceId
) -> None:
    """Start a cross-region CopyStart of an incremental snapshot; do not wait.

    The LRO can report Succeeded at 0 %: progress is read with get_snapshot (completion_percent).
    Raises PreconditionNotMet when Azure's concurrent-copy limits refuse the copy for now.
    """
    ops = clients.compute(snapshot.subscription).snapshots
    body = {
        "location": location,
        "properties": {
            "creationData": {"createOption": "CopyStart", "sourceResourceId": str(source)},
            "incremental": True,
        },
    }
    from azure.core.exceptions import ResourceExistsError
    from azure.mgmt.compute.models import Snapshot as SnapshotModel

    try:
        ops.begin_create_or_update(rg(snapshot), snapshot.name, SnapshotModel(body), polling=False)
    except ResourceExistsError as exc:
        # Azure copies at most 100 snapshots per subscription and region at once, and one per
        # source disk: a 409 here means "not now", so the job waits and tries again.
        raise PreconditionNotMet(f"CopyStart refused for now: {exc.message}"[:300], 300) from None


def create_disk_from_version(
    clients: AzureClients,
    disk: ResourceId,
    location: str,
    version: ResourceId,
    lun: int | None,
) -> Disk:
    """Create (or confirm) a disk FromImage of a gallery version's OS disk or data `lun`."""
    from azure.mgmt.compute.models import Disk as DiskModel

    reference: dict[str, Any] = {"id": str(version)}
    if lun is not None:
        reference["lun"] = lun
    body = {
        "location": location,
        "sku": {"name": "Standard_LRS"},
        "properties": {
            "creationData": {"createOption": "FromImage", "galleryImageReference": reference}
        },
    }
    ops = clients.compute(disk.subscription).disks
    poller = ops.begin_create_or_update(rg(disk), disk.name, DiskModel(body))
    return parse_disk(as_json(poller.result()))


def delete_disk(clients: AzureClients, disk: ResourceId) -> None:
    """Delete the disk and wait; already gone is success."""
    ops = clients.compute(disk.subscription).disks
    missing_is_none(lambda: ops.begin_delete(rg(disk), disk.name).result())


def delete_snapshot(clients: AzureClients, snapshot: ResourceId) -> None:
    """Delete the snapshot and wait; already gone is success."""
    ops = clients.compute(snapshot.subscription).snapshots
    missing_is_none(lambda: ops.begin_delete(rg(snapshot), snapshot.name).result())


def create_image(clients: AzureClients, image: ResourceId, body: Mapping[str, Any]) -> ManagedImage:
    """Create (or confirm) a managed image from `body` (see image_body); return it."""
    ops = clients.compute(image.subscription).images
    from azure.mgmt.compute.models import Image

    poller = ops.begin_create_or_update(rg(image), image.name, Image(dict(body)))
    return parse_image(as_json(poller.result()))
