"""Managed disks and snapshots: incremental snapshots, cross-region CopyStart, temporary disks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, conflict_code, missing_is_none, props_of, region_of, rg
from shared.errors import PreconditionNotMet

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/disks/read",
    "Microsoft.Compute/disks/write",
    "Microsoft.Compute/disks/delete",
    "Microsoft.Compute/snapshots/read",
    "Microsoft.Compute/snapshots/write",
    "Microsoft.Compute/snapshots/delete",
)

# Azure's answer while its CopyStart limits are reached (100 copies per subscription and region,
# one per source disk): "not now". Any other 409 is left to the caller (arm_calls).
COPY_LIMIT_CODE = "OperationNotAllowed"
COPY_LIMIT_WAIT_SECONDS = 300.0


class CopyLimitReached(PreconditionNotMet):
    """Azure refused a CopyStart for now because a concurrent-copy limit is reached."""


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
    access_state: str | None = None
    security_type: str | None = None
    hyper_v_generation: str | None = None
    os_type: str | None = None
    tags: Mapping[str, str] | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

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
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def parse_snapshot(body: Mapping[str, Any]) -> Snapshot:
    """Return the Snapshot described by an ARM body."""
    props = props_of(body)
    creation = props.get("creationData") or {}
    error = props.get("copyCompletionError") or {}
    percent = props.get("completionPercent")
    return Snapshot(
        id=ResourceId.parse(body.get("id"), "snapshot.id"),
        location=region_of(body.get("location")),
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
        access_state=props.get("snapshotAccessState"),
        security_type=(props.get("securityProfile") or {}).get("securityType"),
        hyper_v_generation=props.get("hyperVGeneration"),
        os_type=props.get("osType"),
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
        body=dict(body),
    )


def parse_disk(body: Mapping[str, Any]) -> Disk:
    """Return the Disk described by an ARM body."""
    return Disk(
        ResourceId.parse(body.get("id"), "disk.id"),
        region_of(body.get("location")),
        str(props_of(body).get("provisioningState") or "Succeeded"),
        dict(body),
    )


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


def create_incremental_snapshot(
    clients: AzureClients,
    snapshot: ResourceId,
    location: str,
    source_disk: ResourceId,
    tags: Mapping[str, str] | None = None,
    *,
    wait: bool = True,
) -> Snapshot:
    """Create (or confirm) an incremental snapshot of a disk in its region; return it.

    `wait=False` issues the PUT without polling it to completion and returns the snapshot as
    the PUT answered (usually provisioningState Creating), for callers whose next read
    verifies it.
    """
    ops = clients.compute(snapshot.subscription).snapshots
    body = {
        "location": location,
        "tags": dict(tags or {}),
        "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": str(source_disk)},
            "incremental": True,
        },
    }
    from azure.mgmt.compute.models import Snapshot as SnapshotModel

    if not wait:
        # The PUT's own answer (provisioningState Creating): the caller's next read tells.
        started = ops.begin_create_or_update(
            rg(snapshot), snapshot.name, SnapshotModel(body), polling=False
        )
        return parse_snapshot(as_json(started.result()))
    poller = ops.begin_create_or_update(rg(snapshot), snapshot.name, SnapshotModel(body))
    return parse_snapshot(as_json(poller.result()))


def begin_copy_snapshot(
    clients: AzureClients,
    snapshot: ResourceId,
    location: str,
    source: ResourceId,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Start a cross-region CopyStart of an incremental snapshot; do not wait.

    The LRO can report Succeeded at 0 %: progress is read with get_snapshot (completion_percent).
    Raises CopyLimitReached (a PreconditionNotMet) when Azure's concurrent-copy limits refuse
    the copy for now; other errors as azure.core raises them.
    """
    ops = clients.compute(snapshot.subscription).snapshots
    body = {
        "location": location,
        "tags": dict(tags or {}),
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
        if not _copy_limit(exc):
            raise
        # The copy limits mean "not now": the job waits (a bounded number of times) and retries.
        message = f"CopyStart refused for now: {exc.message}"[:300]
        raise CopyLimitReached(message, COPY_LIMIT_WAIT_SECONDS) from None


def _copy_limit(exc: Exception) -> bool:
    """True for the 409 Azure answers while a CopyStart limit is reached."""
    text = str(getattr(exc, "message", "") or exc).lower()
    return conflict_code(exc) == COPY_LIMIT_CODE and "cop" in text


def create_disk_from_version(
    clients: AzureClients,
    disk: ResourceId,
    location: str,
    version: ResourceId,
    lun: int | None,
    *,
    wait: bool = True,
) -> Disk:
    """Create (or confirm) a disk FromImage of a gallery version's OS disk or data `lun`.

    `wait=False` returns the disk as the PUT answered, without polling it to completion.
    """
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
    if not wait:
        started = ops.begin_create_or_update(rg(disk), disk.name, DiskModel(body), polling=False)
        return parse_disk(as_json(started.result()))
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


def get_disk_owner(clients: AzureClients, disk: ResourceId) -> str | None:
    """Return the id of the VM a disk is attached to (`managedBy`), or None."""
    ops = clients.compute(disk.subscription).disks
    body = missing_is_none(lambda: as_json(ops.get(rg(disk), disk.name)))
    owner = (body or {}).get("managedBy")
    return str(owner) if owner else None
