"""Consistency labels: what a capture mode can promise for a VM, and what a set achieved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.vms.facts import Caching, VmFacts, is_azure_boost_size
from shared.vms.findings import Finding, FindingCode
from shared.vms.policy import Mode


class Consistency(StrEnum):
    """How consistent a set of disk captures is, as a whole.

    `app`: taken with the VM cleanly shut down (or by an application-consistent restore point).
    `crash`: every disk as of one instant, as after a power loss.
    `per-disk`: each disk crash-consistent on its own, the disks taken up to `skew` apart.
    """

    APP = "app"
    CRASH = "crash"
    PER_DISK = "per-disk"


@dataclass(frozen=True)
class AchievedConsistency:
    """The consistency a set reached; `skew_seconds` set for `per-disk` when it was measured."""

    kind: Consistency
    skew_seconds: float | None = None


def declared_consistency(
    mode: Mode, vm: VmFacts, captured_disks: int
) -> tuple[Consistency, tuple[Finding, ...]]:
    """Return the consistency a mode can honestly promise for `vm`, with findings that limit it.

    Independent snapshots of several running disks are taken moments apart, so a multi-disk
    snapshot set is `per-disk`; one disk is `crash`. A crash-consistent restore point covers
    every disk at one instant, except where Microsoft says it is not guaranteed: disks with
    read/write host caching, and Intel v6+/AMD v7+ sizes with more than one data disk.
    """
    if mode is Mode.CLEAN:
        return Consistency.APP, ()
    if mode is Mode.SNAPSHOT:
        return (Consistency.CRASH if captured_disks <= 1 else Consistency.PER_DISK), ()
    reasons = _restore_point_limits(vm)
    if not reasons or captured_disks <= 1:
        return Consistency.CRASH, ()
    message = "crash consistency across disks is not guaranteed: " + "; ".join(reasons)
    finding = Finding(FindingCode.CRASH_CONSISTENCY_NOT_GUARANTEED, vm.vm_id, message)
    return Consistency.PER_DISK, (finding,)


def _restore_point_limits(vm: VmFacts) -> list[str]:
    reasons: list[str] = []
    cached = [d.label for d in vm.disks if d.caching is Caching.READ_WRITE and not d.ephemeral]
    if cached:
        reasons.append("read/write host caching on " + ", ".join(cached))
    if is_azure_boost_size(vm.size) and len(vm.data_disks) > 1:
        reasons.append(f"size {vm.size} (Intel v6+/AMD v7+) with more than one data disk")
    return reasons


def achieved_consistency(
    mode: Mode, declared: Consistency, captured_at: Sequence[datetime]
) -> AchievedConsistency:
    """Return what a finished set achieved, given when each of its disks was captured.

    `per-disk` carries the skew between the first and the last snapshot; one disk is `crash`.
    A restore point stamps every disk with one time, so its skew is unknown (None), not 0.
    """
    if declared is not Consistency.PER_DISK:
        return AchievedConsistency(declared)
    if len(captured_at) <= 1:
        return AchievedConsistency(Consistency.CRASH)
    if mode is Mode.RESTORE_POINT:
        return AchievedConsistency(Consistency.PER_DISK)
    skew = (max(captured_at) - min(captured_at)).total_seconds()
    return AchievedConsistency(Consistency.PER_DISK, skew)
