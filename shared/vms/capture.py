"""Capture set planning: which disks of a VM go in a set, which are excluded and why, names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.vms.consistency import Consistency, declared_consistency
from shared.vms.facts import VmDisk, VmFacts
from shared.vms.findings import Finding, FindingCode
from shared.vms.naming import SetNames, set_id
from shared.vms.policy import Mode


@dataclass(frozen=True)
class PlannedDisk:
    """One disk in the set, with the names and tags of its snapshot and DR copy.

    In restore-point mode the snapshot names are unused: the restore point holds the disk.
    `background_copy` marks Premium SSD v2 / Ultra, usable only once the copy reaches 100 %.
    """

    disk: VmDisk
    source_snapshot: str
    dr_snapshot: str
    tags: dict[str, str]

    @property
    def background_copy(self) -> bool:
        """True when the snapshot fills in the background (Premium SSD v2, Ultra)."""
        return self.disk.background_copy


@dataclass(frozen=True)
class ExcludedDisk:
    """A disk left out of the set, with the finding that says why."""

    disk: VmDisk
    finding: Finding


@dataclass(frozen=True)
class RestorePointNames:
    """The restore point collection (both regions) and restore point of a restore-point set."""

    collection: str
    dr_collection: str
    restore_point: str


@dataclass(frozen=True)
class CapturePlan:
    """What one capture of one VM will take: the set id, disks, exclusions and consistency.

    `capturable` is False when no disk is left to capture (the findings say why).
    """

    vm_id: str
    set_id: str
    slot: datetime
    mode: Mode
    consistency: Consistency
    disks: tuple[PlannedDisk, ...]
    excluded: tuple[ExcludedDisk, ...]
    findings: tuple[Finding, ...]
    restore_point: RestorePointNames | None = None

    @property
    def capturable(self) -> bool:
        """True when at least one disk is in the set."""
        return bool(self.disks)

    @property
    def excluded_disk_ids(self) -> tuple[str, ...]:
        """Ids of excluded managed disks (a restore point's `excludeDisks`)."""
        return tuple(e.disk.disk_id for e in self.excluded if e.disk.disk_id)


def _exclusion(disk: VmDisk, mode: Mode, vm_id: str) -> Finding | None:
    where = f"{vm_id} disk {disk.label} ({disk.name})"
    if disk.ephemeral or disk.disk_id is None:
        why = "is an ephemeral OS disk: it lives on the host and has no managed disk to copy"
        return Finding(FindingCode.EPHEMERAL_DISK_EXCLUDED, where, why)
    if disk.shared:
        why = (
            f"is shared (maxShares={disk.max_shares}): its content belongs to a cluster, "
            "not this VM, and restore points do not support it"
        )
        return Finding(FindingCode.SHARED_DISK_EXCLUDED, where, why)
    if mode is Mode.RESTORE_POINT and (disk.background_copy or disk.write_accelerator):
        kind = "write-accelerated" if disk.write_accelerator else disk.sku
        why = f"is {kind}, which crash-consistent restore points do not support: use snapshot"
        return Finding(FindingCode.UNSUPPORTED_BY_RESTORE_POINT, where, why)
    return None


def plan_capture(vm: VmFacts, mode: Mode, slot: datetime) -> CapturePlan:
    """Return the capture plan of `vm` for `slot` in `mode` (pure; same inputs, same plan).

    Shared and ephemeral disks are excluded and reported; in restore-point mode so are the disk
    types its crash-consistent mode does not support. The OS disk comes first, then data disks
    by LUN.
    """
    sid = set_id(vm.vm_id, slot)
    names = SetNames(vm.vm_id, vm.name, sid)
    planned: list[PlannedDisk] = []
    excluded: list[ExcludedDisk] = []
    for disk in sorted(vm.disks, key=lambda d: -1 if d.lun is None else d.lun):
        finding = _exclusion(disk, mode, vm.vm_id)
        if finding is not None:
            excluded.append(ExcludedDisk(disk, finding))
            continue
        planned.append(
            PlannedDisk(
                disk,
                names.source_snapshot(disk.label),
                names.dr_snapshot(disk.label),
                names.snapshot_tags(disk.lun),
            )
        )
    consistency, limits = declared_consistency(mode, vm, len(planned))
    findings = [e.finding for e in excluded] + list(limits)
    if not planned:
        why = "no disk of this VM can be captured"
        findings.append(Finding(FindingCode.NOTHING_TO_CAPTURE, vm.vm_id, why))
    rp = None
    if mode is Mode.RESTORE_POINT:
        rp = RestorePointNames(
            names.restore_point_collection(),
            names.dr_restore_point_collection(),
            names.restore_point(),
        )
    return CapturePlan(
        vm.vm_id,
        sid,
        slot,
        mode,
        consistency,
        tuple(planned),
        tuple(excluded),
        tuple(findings),
        rp,
    )
