"""Checks Microsoft documents: preserved OS-disk identity, usable snapshots, restore-point rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.vms.facts import BACKGROUND_COPY_SKUS
from shared.vms.findings import Finding, FindingCode

# Azure accepts 3 restore-point creations per VM per hour; the 4th is refused with 429.
RESTORE_POINTS_PER_WINDOW = 3
RESTORE_POINT_WINDOW = timedelta(hours=1)
_NOT_READY_ACCESS = frozenset({"pending", "instantaccess"})


@dataclass(frozen=True)
class OsDiskIdentity:
    """What a VM built on an OS disk depends on: security type, Hyper-V generation, OS type."""

    security_type: str | None
    hyper_v_generation: str | None
    os_type: str | None


def _norm_security(value: str | None) -> str:
    # An absent security type reads as Standard (Azure returns "Standard" from api 2025-11-01).
    return (value or "Standard").strip().lower()


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def check_os_disk_copy(
    copy_id: str, source: OsDiskIdentity, copy: OsDiskIdentity
) -> tuple[Finding, ...]:
    """Return a finding per property the DR copy of an OS disk lost or changed.

    CLI and PowerShell copies have dropped Trusted Launch before; a VM built from such a copy
    fails with "Security type of VM is not compatible with the security type of attached OS
    Disk". Values compare case-insensitively.
    """
    pairs = (
        ("securityType", _norm_security(source.security_type), _norm_security(copy.security_type)),
        ("hyperVGeneration", _norm(source.hyper_v_generation), _norm(copy.hyper_v_generation)),
        ("osType", _norm(source.os_type), _norm(copy.os_type)),
    )
    findings = []
    for name, want, got in pairs:
        if want != got:
            message = f"DR copy has {name}={got or 'absent'!r}, source has {want or 'absent'!r}"
            findings.append(Finding(FindingCode.SECURITY_PROFILE_MISMATCH, copy_id, message))
    return tuple(findings)


class Usability(StrEnum):
    """Whether a snapshot (or a DR copy) can be used to create a disk now."""

    READY = "ready"
    IN_PROGRESS = "in-progress"
    FAILED = "failed"


@dataclass(frozen=True)
class SnapshotState:
    """The snapshot properties that say whether its data is all there."""

    sku_of_source: str
    provisioning_state: str
    completion_percent: float | None
    access_state: str | None = None
    copy_error: str | None = None


def snapshot_usability(state: SnapshotState, cross_region_copy: bool = False) -> Usability:
    """Return whether a snapshot is usable: provisioned, filled to 100 % where that applies.

    Premium SSD v2 / Ultra snapshots and cross-region copies fill in the background and are
    usable only at 100 % with an access state other than Pending or InstantAccess; other
    snapshots are instant (their completionPercent is 100 or absent).
    """
    provisioning = _norm(state.provisioning_state)
    if provisioning == "failed" or state.copy_error:
        return Usability.FAILED
    if provisioning != "succeeded":
        return Usability.IN_PROGRESS
    background = cross_region_copy or _norm(state.sku_of_source) in BACKGROUND_COPY_SKUS
    if not background:
        return Usability.READY
    if state.completion_percent is None or state.completion_percent < 100:
        return Usability.IN_PROGRESS
    if _norm(state.access_state) in _NOT_READY_ACCESS:
        return Usability.IN_PROGRESS
    return Usability.READY


def next_restore_point_allowed(
    created: Iterable[datetime],
    now: datetime,
    limit: int = RESTORE_POINTS_PER_WINDOW,
    window: timedelta = RESTORE_POINT_WINDOW,
) -> datetime:
    """Return when the VM's next restore point may be created (`now` if it may be now).

    `created` holds the creation requests of the VM's restore points; at most `limit` may fall
    within any `window`.
    """
    recent = sorted(t for t in created if now - window < t <= now)
    if len(recent) < limit:
        return now
    return recent[-limit] + window
