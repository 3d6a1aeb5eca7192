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


def source_snapshot_id(vm_id: ResourceId, name: str) -> ResourceId:
    """The source snapshot lives beside the VM (its resource group, its region)."""
    return ResourceId(vm_id.subscription, vm_id.resource_group, _COMPUTE, ("snapshots",), (name,))


def dr_snapshot_id(settings: Settings, vm_id: ResourceId, name: str, dr_region: str) -> ResourceId:
    """The DR copy lives in the DR resource group of `dr_region` (located in that region)."""
    rg = dr_resource_group(settings, dr_region)
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


def set_disks(plan: CapturePlan, settings: Settings, dr_region: str) -> tuple[SetDisk, ...]:
    """Return the planned disks of `plan` with their full snapshot ids."""
    vm = ResourceId.parse(plan.vm_id, "vmId")
    out = []
    for planned in plan.disks:
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
                dr_snapshot=str(dr_snapshot_id(settings, vm, planned.dr_snapshot, dr_region)),
                tags=planned.tags,
                background_copy=planned.background_copy,
            )
        )
    return tuple(out)


def plan_json(plan: CapturePlan, location: str, settings: Settings) -> dict[str, Any]:
    """Return the exact set plan of a VM in `location` (dry-run answer and job data)."""
    dr_region = settings.dr_region(location)
    return {
        "vm_id": plan.vm_id,
        "set_id": plan.set_id,
        "slot": plan.slot.isoformat(),
        "mode": plan.mode.value,
        "consistency": plan.consistency.value,
        "location": location,
        "dr_region": dr_region,
        "disks": [d.as_json() for d in set_disks(plan, settings, dr_region)],
        "excluded": [e.finding.to_dict() for e in plan.excluded],
        "findings": [f.to_dict() for f in plan.findings],
    }
