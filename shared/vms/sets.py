"""One capture set as a job carries it: the VM, its planned disks and their ids in both regions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.arm_id import ResourceId
from shared.config import Settings
from shared.engine.names import dr_resource_group
from shared.vms.capture import CapturePlan

_COMPUTE = "Microsoft.Compute"
UNRETAINED_SET_TAG = "lifeboat-failback-set"
"""Replaces `lifeboat-set` on the snapshots of a set VM retention must not see (a failback's
copies back to the primary region: they stay until the operator removes them)."""


def source_snapshot_id(vm_id: ResourceId, name: str) -> ResourceId:
    """The source snapshot lives beside the VM (its resource group, its region)."""
    return ResourceId(vm_id.subscription, vm_id.resource_group, _COMPUTE, ("snapshots",), (name,))


def dr_snapshot_id(
    settings: Settings,
    vm_id: ResourceId,
    name: str,
    dr_region: str,
    resource_group: str | None = None,
) -> ResourceId:
    """The DR copy lives in the DR resource group of `dr_region` (located in that region), or
    in `resource_group` when the set copies elsewhere (a failback copies into the primary)."""
    rg = resource_group or dr_resource_group(settings, dr_region)
    return ResourceId(vm_id.subscription, rg, _COMPUTE, ("snapshots",), (name,))


@dataclass(frozen=True)
class SetDisk:
    """One disk of a set: where it comes from and where its snapshot and DR copy go."""

    label: str
    lun: int | None
    name: str
    disk_id: str
    sku: str
    caching: str
    size_gb: int
    family: str
    source_snapshot: str
    dr_snapshot: str
    tags: Mapping[str, str]
    background_copy: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the disk as job data."""
        return {
            "label": self.label,
            "lun": self.lun,
            "name": self.name,
            "disk_id": self.disk_id,
            "sku": self.sku,
            "caching": self.caching,
            "size_gb": self.size_gb,
            "family": self.family,
            "source_snapshot": self.source_snapshot,
            "dr_snapshot": self.dr_snapshot,
            "tags": dict(self.tags),
            "background_copy": self.background_copy,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SetDisk:
        """Return the disk stored by as_json."""
        return cls(**{**data, "tags": dict(data.get("tags") or {})})


def set_disks(
    plan: CapturePlan,
    settings: Settings,
    dr_region: str,
    resource_group: str | None = None,
    *,
    retained: bool = True,
) -> tuple[SetDisk, ...]:
    """Return the planned disks of `plan` with their full snapshot ids (copies in
    `resource_group` when given, else the DR resource group); not `retained`: their set tag
    is UNRETAINED_SET_TAG, so VM retention never finds them."""
    from shared.vms.naming import SET_TAG

    vm = ResourceId.parse(plan.vm_id, "vmId")
    out = []
    for planned in plan.disks:
        tags = dict(planned.tags)
        if not retained and SET_TAG in tags:
            tags[UNRETAINED_SET_TAG] = tags.pop(SET_TAG)
        disk = planned.disk
        out.append(
            SetDisk(
                label=disk.label,
                lun=disk.lun,
                name=disk.name,
                disk_id=str(disk.disk_id),
                sku=disk.sku,
                caching=disk.caching.value,
                size_gb=disk.size_gb,
                family=(disk.unique_id or str(disk.disk_id)).lower(),
                source_snapshot=str(source_snapshot_id(vm, planned.source_snapshot)),
                dr_snapshot=str(
                    dr_snapshot_id(settings, vm, planned.dr_snapshot, dr_region, resource_group)
                ),
                tags=tags,
                background_copy=planned.background_copy,
            )
        )
    return tuple(out)


def restore_point_ids(
    plan: CapturePlan, settings: Settings, dr_region: str
) -> dict[str, str] | None:
    """Return a restore-point set's collections and restore points in both regions (ids).

    The VM's collection lives beside the VM (its resource group and region); the DR collection,
    whose source is the VM's collection, in the DR resource group. One restore point name.
    """
    names = plan.restore_point
    if names is None:
        return None
    vm = ResourceId.parse(plan.vm_id, "vmId")
    types = ("restorePointCollections",)
    collection = ResourceId(
        vm.subscription, vm.resource_group, _COMPUTE, types, (names.collection,)
    )
    rg = dr_resource_group(settings, dr_region)
    dr_collection = ResourceId(vm.subscription, rg, _COMPUTE, types, (names.dr_collection,))
    return {
        "collection": str(collection),
        "dr_collection": str(dr_collection),
        "restore_point": str(collection.child("restorePoints", names.restore_point)),
        "dr_restore_point": str(dr_collection.child("restorePoints", names.restore_point)),
    }


def plan_json(
    plan: CapturePlan,
    location: str,
    settings: Settings,
    *,
    target_region: str | None = None,
    target_resource_group: str | None = None,
    retained: bool = True,
) -> dict[str, Any]:
    """Return the exact set plan of a VM in `location` (dry-run answer and job data).

    The copies go to the DR region of `location` and the DR resource group, unless
    `target_region` / `target_resource_group` say otherwise (a failback: DR → primary); a
    set not `retained` is left out of VM retention (set_disks).
    """
    dr_region = target_region or settings.dr_region(location)
    rp = restore_point_ids(plan, settings, dr_region)
    return {
        **({"restore_point": rp, "excluded_disk_ids": list(plan.excluded_disk_ids)} if rp else {}),
        "vm_id": plan.vm_id,
        "set_id": plan.set_id,
        "slot": plan.slot.isoformat(),
        "mode": plan.mode.value,
        "consistency": plan.consistency.value,
        "location": location,
        "dr_region": dr_region,
        "disks": [
            d.as_json()
            for d in set_disks(plan, settings, dr_region, target_resource_group, retained=retained)
        ],
        "excluded": [e.finding.to_dict() for e in plan.excluded],
        "findings": [f.to_dict() for f in plan.findings],
    }
