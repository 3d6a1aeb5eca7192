"""Restore point bodies: from a VM (disk restore points) or copied from another region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.core import Core, errors
from emulator.providers.compute.common import RPS, VMS, Body, require_type


def _drp_id(point_id: str, disk_name: str, guid: str) -> str:
    return f"{point_id}/diskRestorePoints/{disk_name}_{guid}"


def _vm_disk(core: Core, point_id: str, disk: Body, contents: dict[str, str]) -> Body:
    """Return a restore point's copy of one VM disk entry, with a new disk restore point id."""
    disk_id = disk.get("managedDisk", {}).get("id", "")
    name = disk.get("name") or disk_id.rsplit("/", 1)[-1]
    entry = {k: v for k, v in disk.items() if k not in ("createOption", "deleteOption")}
    entry["name"] = name
    entry["diskRestorePoint"] = {
        "id": _drp_id(point_id, name, core.new_guid()),
        "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
    }
    contents[name.lower()] = core.store.meta(disk_id).get("content_id", disk_id.lower())
    return entry


def new_point(core: Core, point_id: str, collection: Body, props_in: Body) -> tuple[Body, Body]:
    """Return (properties, meta) of a restore point of the collection's source VM."""
    vm = require_type(core, collection["properties"]["source"]["id"], VMS, "properties.source.id")
    excluded = {str(d.get("id", "")).lower() for d in props_in.get("excludeDisks") or []}
    vm_props = vm.get("properties", {})
    storage = vm_props.get("storageProfile", {})
    contents: dict[str, str] = {}
    kept = [
        d
        for d in storage.get("dataDisks", [])
        if str(d.get("managedDisk", {}).get("id", "")).lower() not in excluded
    ]
    metadata = {
        "vmId": vm_props.get("vmId"),
        "location": vm["location"],
        "hardwareProfile": vm_props.get("hardwareProfile", {}),
        "storageProfile": {
            "osDisk": _vm_disk(core, point_id, storage.get("osDisk", {}), contents),
            "dataDisks": [_vm_disk(core, point_id, d, contents) for d in kept],
        },
        "hyperVGeneration": vm_props.get("hyperVGeneration", "V2"),
        **({"osProfile": vm_props["osProfile"]} if vm_props.get("osProfile") else {}),
    }
    props = {
        "sourceMetadata": metadata,
        "provisioningState": "Creating",
        "consistencyMode": props_in.get("consistencyMode", "FileSystemConsistent"),
        "timeCreated": core.clock.iso(),
    }
    if props_in.get("excludeDisks"):
        props["excludeDisks"] = [{"id": d.get("id")} for d in props_in["excludeDisks"]]
    return props, {"content": contents}


def _copied_disk(core: Core, point_id: str, disk: Body) -> Body:
    """Return the copy of a disk entry, pointing back at its source disk restore point."""
    entry = dict(disk)
    old = entry.get("diskRestorePoint", {})
    entry["diskRestorePoint"] = {
        "sourceDiskRestorePoint": {"id": old.get("id")},
        "encryption": old.get("encryption", {"type": "EncryptionAtRestWithPlatformKey"}),
        "id": _drp_id(point_id, entry.get("name", "disk"), core.new_guid()),
    }
    return entry


def copy_point(core: Core, point_id: str, collection: Body, source_id: str) -> tuple[Body, Body]:
    """Return (properties, meta) of a cross-region copy of restore point `source_id`."""
    source = require_type(core, source_id, RPS, "properties.sourceRestorePoint.id")
    source_collection = source_id[: source_id.lower().rindex("/restorepoints/")]
    source_region = str((core.store.get(source_collection) or {}).get("location") or "")
    # The copy reads the source through its region's control plane.
    core.faults.check_region(source_region)
    expected = str(collection["properties"]["source"]["id"])
    if source_collection.lower() != expected.lower():
        raise errors.invalid_parameter(
            f"Source restore point '{source_id}' does not belong to restore point collection "
            f"'{expected}', the source of this collection.",
            "properties.sourceRestorePoint.id",
        )
    metadata = dict(source["properties"]["sourceMetadata"])
    storage = metadata["storageProfile"]
    metadata["storageProfile"] = {
        "osDisk": _copied_disk(core, point_id, storage.get("osDisk", {})),
        "dataDisks": [_copied_disk(core, point_id, d) for d in storage.get("dataDisks", [])],
    }
    props = {
        "sourceMetadata": metadata,
        "provisioningState": "Creating",
        "consistencyMode": source["properties"].get("consistencyMode", "FileSystemConsistent"),
        "sourceRestorePoint": {"id": source["id"]},
        "timeCreated": source["properties"].get("timeCreated", core.clock.iso()),
    }
    meta: dict[str, Any] = {
        "content": dict(core.store.meta(source["id"]).get("content", {})),
        "replication": {
            "elapsed": 0.0,
            "last": core.clock.now(),
            "regions": [source_region, str(collection["location"])],
        },
    }
    return props, meta


def advance(core: Core, meta: dict[str, Any], now: datetime) -> None:
    """Move a copy's replication to `now`; it stalls while its source or target region is down.

    Idempotent for one `now`; down time nobody observed (read or clock advance) counts as up.
    """
    state = meta.get("replication")
    if state is None:
        return
    last = state["last"]
    down = any(core.faults.is_region_down(region) for region in state["regions"])
    if now > last and not down:
        state["elapsed"] += (now - last).total_seconds()
    state["last"] = max(now, last)


def replicated_seconds(meta: dict[str, Any]) -> float | None:
    """Return the seconds a copy has replicated so far, or None for a local restore point."""
    state = meta.get("replication")
    return None if state is None else float(state["elapsed"])


def instance_view(core: Core, point: Body, percent: int) -> Body:
    """Return RestorePointInstanceView: statuses and per-disk replication progress."""
    storage = point["properties"]["sourceMetadata"]["storageProfile"]
    done = percent >= 100
    state = {
        "code": "ReplicationState/succeeded" if done else "ReplicationState/replicating",
        "level": "Info",
        "displayStatus": "Replication succeeded" if done else "Replicating",
    }
    disks = [storage.get("osDisk", {}), *storage.get("dataDisks", [])]
    return {
        "diskRestorePoints": [
            {
                "id": d["diskRestorePoint"]["id"],
                "snapshotAccessState": "Available" if done else "Pending",
                "replicationStatus": {"status": state, "completionPercent": percent},
            }
            for d in disks
            if d.get("diskRestorePoint")
        ],
        "statuses": [
            {
                "code": f"ProvisioningState/{point['properties']['provisioningState'].lower()}",
                "level": "Info",
                "displayStatus": f"Provisioning {point['properties']['provisioningState'].lower()}",
            }
        ],
    }
