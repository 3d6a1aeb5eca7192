"""Microsoft's documented checks: OS-disk copy identity, usable snapshots, restore-point rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.vms.checks import (
    OsDiskIdentity,
    SnapshotState,
    Usability,
    check_os_disk_copy,
    next_restore_point_allowed,
    snapshot_usability,
)
from shared.vms.findings import FindingCode

T0 = datetime(2026, 3, 10, tzinfo=UTC)
SOURCE = OsDiskIdentity("TrustedLaunch", "V2", "Windows")


def test_an_identical_os_disk_copy_has_no_findings() -> None:
    assert (
        check_os_disk_copy("/dr/os", SOURCE, OsDiskIdentity("trustedlaunch", "v2", "windows")) == ()
    )


def test_a_copy_that_lost_trusted_launch_is_a_finding() -> None:
    (finding,) = check_os_disk_copy("/dr/os", SOURCE, OsDiskIdentity(None, "V2", "Windows"))
    assert finding.code is FindingCode.SECURITY_PROFILE_MISMATCH
    assert finding.subject == "/dr/os"
    assert "securityType" in finding.message


def test_absent_security_type_equals_standard() -> None:
    source = OsDiskIdentity("Standard", "V1", "Linux")
    assert check_os_disk_copy("/dr/os", source, OsDiskIdentity(None, "V1", "Linux")) == ()


def test_generation_and_os_type_changes_are_each_a_finding() -> None:
    findings = check_os_disk_copy("/dr/os", SOURCE, OsDiskIdentity("TrustedLaunch", "V1", "Linux"))
    assert len(findings) == 2


@pytest.mark.parametrize(
    ("state", "cross_region", "expected"),
    [
        (SnapshotState("Premium_LRS", "Succeeded", 0.0), False, Usability.READY),
        (SnapshotState("PremiumV2_LRS", "Succeeded", 40.0), False, Usability.IN_PROGRESS),
        (SnapshotState("UltraSSD_LRS", "Succeeded", 100.0), False, Usability.READY),
        (SnapshotState("Premium_LRS", "Succeeded", 0.0, "Pending"), True, Usability.IN_PROGRESS),
        (SnapshotState("Premium_LRS", "Succeeded", 100.0, "Pending"), True, Usability.IN_PROGRESS),
        (SnapshotState("Premium_LRS", "Succeeded", 100.0, "Available"), True, Usability.READY),
        (SnapshotState("Premium_LRS", "Succeeded", 100.0, None), True, Usability.READY),
        (SnapshotState("Premium_LRS", "Updating", 100.0), True, Usability.IN_PROGRESS),
        (SnapshotState("Premium_LRS", "Failed", None), False, Usability.FAILED),
        (
            SnapshotState("Premium_LRS", "Succeeded", 30.0, None, "CopySourceNotFound"),
            True,
            Usability.FAILED,
        ),
    ],
)
def test_snapshot_usability(state: SnapshotState, cross_region: bool, expected: Usability) -> None:
    assert snapshot_usability(state, cross_region) is expected


def test_three_restore_points_per_hour_then_wait_for_the_oldest_to_age_out() -> None:
    created = [T0 - timedelta(minutes=m) for m in (50, 20, 5)]
    assert next_restore_point_allowed(created, T0) == T0 + timedelta(minutes=10)
    assert next_restore_point_allowed(created[1:], T0) == T0
    assert next_restore_point_allowed([T0 - timedelta(hours=2)] * 5, T0) == T0
