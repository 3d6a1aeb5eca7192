"""Snapshots through the real SDK: full/incremental copies and cross-region CopyStart."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Snapshot

from emulator.server import ArmEmulator
from tests.plugins.arm import arm_id


def _snapshot(source: str, option: str = "Copy", location: str = "eastus", **props: Any) -> Any:
    return {
        "location": location,
        "properties": {
            "creationData": {"createOption": option, "sourceResourceId": source},
            **props,
        },
    }


@pytest.fixture
def disk(arm: ArmEmulator) -> str:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("disks", "d1"),
                    "location": "eastus",
                    "properties": {"diskSizeGB": 128},
                }
            ]
        }
    )
    return arm_id("disks", "d1")


def _incremental(compute: ComputeManagementClient, name: str, source: str) -> Snapshot:
    return compute.snapshots.begin_create_or_update(
        "rg", name, _snapshot(source, incremental=True)
    ).result()


def _copy_start(
    compute: ComputeManagementClient, name: str, source: str, **kwargs: Any
) -> Snapshot:
    return compute.snapshots.begin_create_or_update(
        "rg", name, _snapshot(source, "CopyStart", "westus", incremental=True), **kwargs
    ).result()


def test_full_snapshot_of_a_disk(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    snap = compute.snapshots.begin_create_or_update("rg", "s1", _snapshot(disk)).result()
    assert isinstance(snap, Snapshot)
    assert (snap.incremental, snap.disk_size_gb, snap.provisioning_state) == (
        False,
        128,
        "Succeeded",
    )
    assert snap.incremental_snapshot_family_id is None
    assert snap.creation_data.source_resource_id == disk
    assert arm.log.find(method="PUT")[0].status == 202


def test_incremental_snapshots_of_one_disk_share_a_family(
    disk: str, compute: ComputeManagementClient
) -> None:
    first = _incremental(compute, "s1", disk)
    second = _incremental(compute, "s2", disk)
    assert first.incremental and second.incremental
    assert first.incremental_snapshot_family_id == second.incremental_snapshot_family_id
    copy = _incremental(compute, "s3", first.id)
    assert copy.incremental_snapshot_family_id == first.incremental_snapshot_family_id


def test_snapshot_with_create_option_empty_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.snapshots.begin_create_or_update(
            "rg",
            "s1",
            {
                "location": "eastus",
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4},
            },
        )
    assert caught.value.status_code == 400


def test_copy_start_lro_succeeds_while_the_copy_is_still_at_zero(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    source = _incremental(compute, "s1", disk)
    copy = _copy_start(compute, "s1-westus", source.id)
    assert copy.provisioning_state == "Succeeded"
    assert copy.location == "westus"
    assert copy.completion_percent == 0.0
    assert copy.incremental_snapshot_family_id != source.incremental_snapshot_family_id
    assert arm.log.count(path_contains="/locations/westus/DiskOperations/") >= 2


def test_copy_start_progress_advances_only_with_the_emulated_clock(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.compute.copy_percent_per_minute = 4.0
    source = _incremental(compute, "s1", disk)
    _copy_start(compute, "s1-westus", source.id)
    assert compute.snapshots.get("rg", "s1-westus").completion_percent == 0.0
    arm.clock.advance(5 * 60)
    assert compute.snapshots.get("rg", "s1-westus").completion_percent == 20.0
    arm.clock.advance(3600)
    done = compute.snapshots.get("rg", "s1-westus")
    assert done.completion_percent == 100.0
    assert done.copy_completion_error is None


def test_copy_can_be_made_to_fail_with_copy_source_not_found(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    source = _incremental(compute, "s1", disk)
    copy = _copy_start(compute, "s1-westus", source.id)
    arm.compute.fail_copy(copy.id)
    failed = compute.snapshots.get("rg", "s1-westus")
    assert failed.copy_completion_error is not None
    assert failed.copy_completion_error.error_code == "CopySourceNotFound"


def test_deleting_the_source_during_a_copy_fails_the_copy(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    source = _incremental(compute, "s1", disk)
    _copy_start(compute, "s1-westus", source.id)
    arm.clock.advance(60)
    compute.snapshots.begin_delete("rg", "s1").result()
    arm.clock.advance(3600)
    failed = compute.snapshots.get("rg", "s1-westus")
    assert failed.copy_completion_error.error_code == "CopySourceNotFound"
    assert failed.completion_percent == 10.0


def test_only_one_copy_per_disk_family_is_in_flight(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    first = _incremental(compute, "s1", disk)
    second = _incremental(compute, "s2", disk)
    _copy_start(compute, "s1-westus", first.id)
    with pytest.raises(ResourceExistsError) as caught:
        _copy_start(compute, "s2-westus", second.id)
    assert caught.value.status_code == 409
    assert caught.value.error is not None and caught.value.error.code == "OperationNotAllowed"
    arm.clock.advance(3600)
    assert _copy_start(compute, "s2-westus", second.id).completion_percent == 0.0


def test_at_most_100_copies_per_subscription_per_target_region(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", f"s{i}"),
                    "location": "eastus",
                    "properties": {"incremental": True},
                }
                for i in range(101)
            ]
        }
    )
    for i in range(100):
        _copy_start(compute, f"c{i}", arm_id("snapshots", f"s{i}"))
    with pytest.raises(ResourceExistsError) as caught:
        _copy_start(compute, "c100", arm_id("snapshots", "s100"))
    assert "limit of 100" in str(caught.value)
    other_region = compute.snapshots.begin_create_or_update(
        "rg",
        "c100-east2",
        _snapshot(arm_id("snapshots", "s100"), "CopyStart", "eastus2", incremental=True),
    ).result()
    assert other_region.completion_percent == 0.0


def test_copy_start_of_a_full_snapshot_is_refused(
    disk: str, compute: ComputeManagementClient
) -> None:
    full = compute.snapshots.begin_create_or_update("rg", "s1", _snapshot(disk)).result()
    with pytest.raises(HttpResponseError) as caught:
        _copy_start(compute, "s1-westus", full.id)
    assert caught.value.status_code == 400


def test_update_and_delete_snapshot(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    _incremental(compute, "s1", disk)
    assert compute.snapshots.begin_update("rg", "s1", {"tags": {"k": "v"}}).result().tags == {
        "k": "v"
    }
    assert [s.name for s in compute.snapshots.list_by_resource_group("rg")] == ["s1"]
    compute.snapshots.begin_delete("rg", "s1").result()
    assert list(compute.snapshots.list()) == []


def test_copy_start_out_of_a_down_region_is_refused_as_region_down(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    source = _incremental(compute, "s1", disk)
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as caught:
        _copy_start(compute, "s1-westus", source.id)
    assert caught.value.status_code == 503
    assert caught.value.error is not None and caught.value.error.code == "ServiceUnavailable"
    assert "location 'eastus'" in caught.value.error.message
    assert arm.state.get(arm_id("snapshots", "s1-westus")) is None


def test_copy_start_progress_stops_while_the_source_region_is_down(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    source = _incremental(compute, "s1", disk)
    _copy_start(compute, "s1-westus", source.id)
    arm.clock.advance(120)
    arm.faults.region_down("eastus")
    arm.clock.advance(3600)
    stalled = compute.snapshots.get("rg", "s1-westus")
    assert (stalled.completion_percent, stalled.copy_completion_error) == (20.0, None)
    arm.faults.region_up("eastus")
    arm.clock.advance(60)
    assert compute.snapshots.get("rg", "s1-westus").completion_percent == 30.0
    arm.faults.region_down("westus")
    arm.clock.advance(600)
    arm.faults.region_up("westus")
    assert compute.snapshots.get("rg", "s1-westus").completion_percent == 30.0


@pytest.mark.parametrize(
    ("status", "code"), [(409, "Conflict"), (400, "BadRequest"), (429, "TooManyRequests")]
)
def test_copy_limit_refusals_can_answer_with_another_status_and_code(
    disk: str, arm: ArmEmulator, compute: ComputeManagementClient, status: int, code: str
) -> None:
    arm.compute.refuse_copies_with(status, code)
    first = _incremental(compute, "s1", disk)
    second = _incremental(compute, "s2", disk)
    _copy_start(compute, "s1-westus", first.id)
    with pytest.raises(HttpResponseError) as caught:
        _copy_start(compute, "s2-westus", second.id, retry_total=0)
    assert caught.value.status_code == status
    assert caught.value.error is not None and caught.value.error.code == code
    assert "Only one CopyStart copy at a time" in caught.value.error.message
    arm.reset()
    assert arm.compute.copy_refusal == (409, "OperationNotAllowed")
