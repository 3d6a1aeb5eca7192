"""Restore point collections and restore points, incl. cross-region copy and disk restore."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import RestorePoint, RestorePointCollection

from emulator.server import ArmEmulator
from tests.plugins.arm import arm_id, vm_resource


@pytest.fixture
def source_point(arm: ArmEmulator, compute: ComputeManagementClient) -> RestorePoint:
    arm.seed({"resources": [vm_resource("vm1", location="eastus")]})
    compute.restore_point_collections.create_or_update(
        "rg",
        "rpc",
        {"location": "eastus", "properties": {"source": {"id": arm_id("virtualMachines", "vm1")}}},
    )
    return compute.restore_points.begin_create("rg", "rpc", "rp1", {}).result()


def _copy(compute: ComputeManagementClient, source: RestorePoint) -> RestorePoint:
    compute.restore_point_collections.create_or_update(
        "rg",
        "rpc-west",
        {
            "location": "westus",
            "properties": {"source": {"id": arm_id("restorePointCollections", "rpc")}},
        },
    )
    return compute.restore_points.begin_create(
        "rg", "rpc-west", "rp1", {"properties": {"sourceRestorePoint": {"id": source.id}}}
    ).result()


def test_collection_put_is_synchronous_201_then_200(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [vm_resource("vm1")]})
    body = {
        "location": "eastus",
        "properties": {"source": {"id": arm_id("virtualMachines", "vm1")}},
    }
    first = compute.restore_point_collections.create_or_update("rg", "rpc", body)
    again = compute.restore_point_collections.create_or_update("rg", "rpc", body)
    assert isinstance(first, RestorePointCollection)
    assert first.provisioning_state == "Succeeded"
    assert first.source.location == "eastus"
    assert first.restore_point_collection_id == again.restore_point_collection_id
    assert [e.status for e in arm.log.find(method="PUT")] == [201, 200]
    assert arm.log.count(path_contains="/operations/") == 0


def test_restore_point_is_201_with_async_operation_and_describes_the_vm_disks(
    source_point: RestorePoint, arm: ArmEmulator
) -> None:
    assert source_point.provisioning_state == "Succeeded"
    storage = source_point.source_metadata.storage_profile
    assert storage.os_disk.managed_disk.id == arm_id("disks", "vm1-os")
    assert "/restorePoints/rp1/diskRestorePoints/vm1-os_" in storage.os_disk.disk_restore_point.id
    assert len(storage.data_disks) == 1
    put = arm.log.find(method="PUT", path_contains="/restorePoints/")[0]
    assert put.status == 201


def test_collection_expand_lists_its_restore_points(
    source_point: RestorePoint, compute: ComputeManagementClient
) -> None:
    collection = compute.restore_point_collections.get("rg", "rpc", expand="restorePoints")
    assert [p.name for p in collection.restore_points] == ["rp1"]
    assert compute.restore_point_collections.get("rg", "rpc").restore_points is None
    assert [c.name for c in compute.restore_point_collections.list("rg")] == ["rpc"]
    assert [c.name for c in compute.restore_point_collections.list_all()] == ["rpc"]


def test_cross_region_copy_replicates_on_the_emulated_clock(
    source_point: RestorePoint, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.compute.replication_percent_per_minute = 10
    copy = _copy(compute, source_point)
    assert copy.provisioning_state == "Succeeded"
    assert copy.source_restore_point.id == source_point.id
    disk = copy.source_metadata.storage_profile.os_disk.disk_restore_point
    assert disk.source_disk_restore_point.id == (
        source_point.source_metadata.storage_profile.os_disk.disk_restore_point.id
    )
    view = compute.restore_points.get("rg", "rpc-west", "rp1", expand="instanceView").instance_view
    status = view.disk_restore_points[0].replication_status
    assert status.completion_percent == 0
    assert status.status.code == "ReplicationState/replicating"
    arm.clock.advance(5 * 60)
    view = compute.restore_points.get("rg", "rpc-west", "rp1", expand="instanceView").instance_view
    assert view.disk_restore_points[0].replication_status.completion_percent == 50
    arm.clock.advance(3600)
    view = compute.restore_points.get("rg", "rpc-west", "rp1", expand="instanceView").instance_view
    assert {d.replication_status.completion_percent for d in view.disk_restore_points} == {100}
    assert (
        view.disk_restore_points[0].replication_status.status.code == "ReplicationState/succeeded"
    )


def test_disk_restore_from_a_copied_point_waits_for_replication(
    source_point: RestorePoint, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    copy = _copy(compute, source_point)
    drp = copy.source_metadata.storage_profile.os_disk.disk_restore_point.id
    body = {
        "location": "westus",
        "properties": {"creationData": {"createOption": "Restore", "sourceResourceId": drp}},
    }
    with pytest.raises(ResourceExistsError):
        compute.disks.begin_create_or_update("rg", "restored", body)
    arm.clock.advance(3600)
    disk = compute.disks.begin_create_or_update("rg", "restored", body).result()
    assert disk.disk_size_gb == 30
    assert (
        arm.state.meta(disk.id)["content_id"]
        == arm.state.meta(arm_id("disks", "vm1-os"))["content_id"]
    )


def test_restore_point_errors(source_point: RestorePoint, compute: ComputeManagementClient) -> None:
    with pytest.raises(ResourceExistsError):
        compute.restore_points.begin_create("rg", "rpc", "rp1", {})
    with pytest.raises(ResourceNotFoundError) as parent:
        compute.restore_points.begin_create("rg", "missing", "rp1", {})
    assert parent.value.error is not None
    assert parent.value.error.code == "ParentResourceNotFound"
    compute.restore_point_collections.create_or_update(
        "rg",
        "unrelated",
        {"location": "westus", "properties": {"source": {"id": arm_id("virtualMachines", "vm1")}}},
    )
    with pytest.raises(HttpResponseError) as wrong_source:
        compute.restore_points.begin_create(
            "rg",
            "unrelated",
            "rp1",
            {"properties": {"sourceRestorePoint": {"id": source_point.id}}},
        )
    assert wrong_source.value.status_code == 400


def test_exclude_disks_and_delete(
    source_point: RestorePoint, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    point = compute.restore_points.begin_create(
        "rg",
        "rpc",
        "os-only",
        {"properties": {"excludeDisks": [{"id": arm_id("disks", "vm1-data")}]}},
    ).result()
    assert point.source_metadata.storage_profile.data_disks == []
    compute.restore_points.begin_delete("rg", "rpc", "os-only").result()
    compute.restore_point_collections.begin_delete("rg", "rpc").result()
    assert not arm.state.exists(source_point.id)


def _percent(compute: ComputeManagementClient) -> int:
    view = compute.restore_points.get("rg", "rpc-west", "rp1", expand="instanceView").instance_view
    (percent,) = {d.replication_status.completion_percent for d in view.disk_restore_points}
    return int(percent)


def test_cross_region_copy_out_of_a_down_region_is_refused_as_region_down(
    source_point: RestorePoint, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as caught:
        _copy(compute, source_point)
    assert caught.value.status_code == 503
    assert caught.value.error is not None and caught.value.error.code == "ServiceUnavailable"
    assert "location 'eastus'" in caught.value.error.message
    assert not arm.state.exists(source_point.id.replace("/rpc/", "/rpc-west/"))


def test_cross_region_copy_stalls_while_the_source_region_is_down(
    source_point: RestorePoint, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.compute.replication_percent_per_minute = 10
    _copy(compute, source_point)
    arm.clock.advance(120)
    arm.faults.region_down("eastus")
    arm.clock.advance(3600)
    assert _percent(compute) == 20
    arm.faults.region_up("eastus")
    arm.clock.advance(60)
    assert _percent(compute) == 30
