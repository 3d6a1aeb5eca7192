"""VM restore point collections and restore points: local creation and cross-region copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of, region_of, rg

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

logger = logging.getLogger(__name__)

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/restorePointCollections/read",
    "Microsoft.Compute/restorePointCollections/write",
    "Microsoft.Compute/restorePointCollections/restorePoints/read",
    "Microsoft.Compute/restorePointCollections/restorePoints/write",
    "Microsoft.Compute/restorePointCollections/restorePoints/delete",
)

# Sent explicitly: Microsoft's SDK accepts only CrashConsistent as input (the REST doc's default,
# application-consistent, needs the VM agent and is not what Lifeboat promises).
CONSISTENCY_MODE = "CrashConsistent"


@dataclass(frozen=True)
class Collection:
    """A restore point collection: its region, source (a VM, or the primary collection), points."""

    id: str
    location: str
    source_id: str
    tags: Mapping[str, str]
    points: tuple[RestorePoint, ...] = ()


@dataclass(frozen=True)
class DiskPoint:
    """One disk of a restore point: its label (`os`, `lun3`) and disk restore point id."""

    label: str
    disk_restore_point_id: str
    source_disk_id: str | None


@dataclass(frozen=True)
class RestorePoint:
    """A restore point; `replication_percent` is None for a local one (no copy in progress)."""

    id: str
    name: str
    provisioning_state: str
    time_created: datetime | None
    consistency_mode: str | None
    source_restore_point: str | None
    disks: tuple[DiskPoint, ...]
    replication_percent: float | None = None
    replication_state: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def succeeded(self) -> bool:
        """True when ARM reports the restore point Succeeded (for a copy: the copy started)."""
        return self.provisioning_state.lower() == "succeeded"

    @property
    def failed(self) -> bool:
        """True when the restore point or its replication failed (no resume: copy again)."""
        state = (self.replication_state or "").lower()
        return self.provisioning_state.lower() == "failed" or state.endswith("/failed")

    @property
    def replicated(self) -> bool:
        """True when every disk of a copy reached 100 % and replication reports succeeded."""
        state = (self.replication_state or "").lower()
        return (
            self.succeeded
            and self.replication_percent is not None
            and self.replication_percent >= 100
            and state.endswith("/succeeded")
        )


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _disks(props: Mapping[str, Any]) -> tuple[DiskPoint, ...]:
    storage = (props.get("sourceMetadata") or {}).get("storageProfile") or {}
    entries: list[tuple[str, Mapping[str, Any]]] = [("os", storage.get("osDisk") or {})]
    entries += [(f"lun{d.get('lun')}", d) for d in storage.get("dataDisks") or ()]
    out = []
    for label, entry in entries:
        point = (entry.get("diskRestorePoint") or {}).get("id")
        if point:
            disk = (entry.get("managedDisk") or {}).get("id")
            out.append(DiskPoint(label, str(point), str(disk) if disk else None))
    return tuple(out)


def _replication(props: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """The lowest disk completion and the replication status of a copy (None, None if local)."""
    view = props.get("instanceView") or {}
    disks = view.get("diskRestorePoints") or ()
    percents = [
        float((d.get("replicationStatus") or {}).get("completionPercent") or 0.0)
        for d in disks
        if d.get("replicationStatus") is not None
    ]
    codes = [
        str(((d.get("replicationStatus") or {}).get("status") or {}).get("code") or "")
        for d in disks
        if d.get("replicationStatus") is not None
    ]
    if not percents:
        return None, None
    failed = next((c for c in codes if c.lower().endswith("/failed")), None)
    pending = next((c for c in codes if not c.lower().endswith("/succeeded")), None)
    return min(percents), failed or pending or (codes[0] if codes else None)


def parse_restore_point(body: Mapping[str, Any]) -> RestorePoint:
    """Return the restore point an ARM body describes (instanceView read when present)."""
    props = props_of(body)
    percent, state = _replication(props)
    source = (props.get("sourceRestorePoint") or {}).get("id")
    return RestorePoint(
        id=str(body.get("id") or ""),
        name=str(body.get("name") or str(body.get("id") or "").rsplit("/", 1)[-1]),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        time_created=_time(props.get("timeCreated")),
        consistency_mode=props.get("consistencyMode"),
        source_restore_point=str(source) if source else None,
        disks=_disks(props),
        replication_percent=percent,
        replication_state=state,
        body=dict(body),
    )


def parse_collection(body: Mapping[str, Any]) -> Collection:
    """Return the collection an ARM body describes (with its points when expanded)."""
    props = props_of(body)
    return Collection(
        id=str(body.get("id") or ""),
        location=region_of(body.get("location")),
        source_id=str((props.get("source") or {}).get("id") or ""),
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
        points=tuple(parse_restore_point(p) for p in props.get("restorePoints") or ()),
    )


def _point_parts(point: ResourceId) -> tuple[str, str]:
    """(collection name, restore point name) of a restore point id."""
    return point.names[0], point.names[1]


def get_collection(
    clients: AzureClients, collection: ResourceId, *, points: bool = False
) -> Collection | None:
    """Return the collection (with its restore points when `points`), or None when absent."""
    ops = clients.compute(collection.subscription).restore_point_collections
    expand = "restorePoints" if points else None
    body = missing_is_none(lambda: as_json(ops.get(rg(collection), collection.name, expand=expand)))
    return parse_collection(body) if body else None


def create_collection(
    clients: AzureClients,
    collection: ResourceId,
    location: str,
    source: str,
    tags: Mapping[str, str],
) -> Collection | None:
    """Create (or confirm) a collection in `location` whose source is a VM or a collection.

    A synchronous PUT (201, or 200 when it exists); the DR collection's source is the VM's
    primary collection, which is how Azure ties a cross-region copy to its origin. Returns
    None when the source does not exist (404).
    """
    ops = clients.compute(collection.subscription).restore_point_collections
    body = {"location": location, "tags": dict(tags), "properties": {"source": {"id": source}}}
    logger.info(
        "DR write create_restore_point_collection %s",
        collection,
        extra={"action": "create_restore_point_collection", "resource_id": str(collection)},
    )
    from azure.mgmt.compute.models import RestorePointCollection as CollectionModel

    model = CollectionModel(body)
    made = missing_is_none(lambda: ops.create_or_update(rg(collection), collection.name, model))
    return None if made is None else parse_collection(as_json(made))


def list_collections(clients: AzureClients, subscriptions: Iterable[str]) -> list[Collection]:
    """Every restore point collection of the subscriptions (without their points)."""
    found = []
    for sub in subscriptions:
        ops = clients.compute(sub).restore_point_collections
        found += [parse_collection(as_json(c)) for c in ops.list_all()]
    return found


def get_restore_point(
    clients: AzureClients, point: ResourceId, *, instance_view: bool = False
) -> RestorePoint | None:
    """Return the restore point (with replication progress when `instance_view`), or None."""
    ops = clients.compute(point.subscription).restore_points
    collection, name = _point_parts(point)
    expand = "instanceView" if instance_view else None
    body = missing_is_none(lambda: as_json(ops.get(rg(point), collection, name, expand=expand)))
    return parse_restore_point(body) if body else None


def _begin_create(clients: AzureClients, point: ResourceId, body: Mapping[str, Any]) -> bool:
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.mgmt.compute.models import RestorePoint as PointModel

    ops = clients.compute(point.subscription).restore_points
    collection, name = _point_parts(point)
    try:
        # Not polled: the caller's next read tells (a copy is Succeeded once it has started).
        ops.begin_create(rg(point), collection, name, PointModel(body), polling=False)
    except ResourceExistsError:
        # A restore point is never updated: one that exists (an earlier attempt's) is the one.
        logger.info("restore point %s already exists", point)
    except ResourceNotFoundError:
        return False  # the VM, the collection or the source restore point is gone
    return True


def begin_create_restore_point(
    clients: AzureClients, point: ResourceId, exclude_disks: Iterable[str] = ()
) -> bool:
    """Start a crash-consistent restore point of the collection's VM; do not wait.

    Returns False when the VM or its collection is gone (404). Azure accepts 3 per VM per hour
    and answers 429 beyond (the job step waits for it).
    """
    props: dict[str, Any] = {"consistencyMode": CONSISTENCY_MODE}
    excluded = [{"id": d} for d in exclude_disks]
    if excluded:
        props["excludeDisks"] = excluded
    logger.info(
        "DR write create_restore_point %s",
        point,
        extra={"action": "create_restore_point", "resource_id": str(point)},
    )
    return _begin_create(clients, point, {"properties": props})


def begin_copy_restore_point(clients: AzureClients, point: ResourceId, source: str) -> bool:
    """Start the cross-region copy of restore point `source` into `point`'s collection (preview).

    Progress is read with get_restore_point(..., instance_view=True). Returns False when the
    source restore point or the collection is gone (404).
    """
    logger.info(
        "DR write copy_restore_point %s",
        point,
        extra={"action": "copy_restore_point", "resource_id": str(point)},
    )
    return _begin_create(clients, point, {"properties": {"sourceRestorePoint": {"id": source}}})


def delete_restore_point(clients: AzureClients, point: ResourceId) -> None:
    """Delete the restore point and wait; already gone is success."""
    ops = clients.compute(point.subscription).restore_points
    collection, name = _point_parts(point)
    logger.info(
        "DR write delete_restore_point %s",
        point,
        extra={"action": "delete_restore_point", "resource_id": str(point)},
    )
    missing_is_none(lambda: ops.begin_delete(rg(point), collection, name).result())
