"""Managed disks through the real SDK: every supported createOption, update, list, delete."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Disk

from emulator.server import ArmEmulator
from tests.plugins.arm import AUTH, arm_id, vm_resource


def _disk(location: str = "eastus", **creation: Any) -> dict[str, Any]:
    size = creation.pop("diskSizeGB", None)
    props: dict[str, Any] = {"creationData": creation}
    if size:
        props["diskSizeGB"] = size
    return {"location": location, "sku": {"name": "Premium_LRS"}, "properties": props}


def test_empty_disk_is_accepted_with_202_and_succeeds(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    poller = compute.disks.begin_create_or_update(
        "rg", "d1", _disk(createOption="Empty", diskSizeGB=128)
    )
    disk = poller.result()
    assert isinstance(disk, Disk)
    assert disk.provisioning_state == "Succeeded"
    assert disk.disk_size_gb == 128
    assert disk.disk_size_bytes == 128 * 1024**3
    assert disk.sku.name == "Premium_LRS" and disk.sku.tier == "Premium"
    assert disk.disk_state == "Unattached"
    put = arm.log.find(method="PUT")[0]
    assert put.status == 202
    assert put.api_version == "2026-03-02"
    assert arm.log.count(path_contains="/locations/eastus/DiskOperations/") >= 2


def test_initial_response_carries_absolute_polling_urls_and_updating_state(
    arm: ArmEmulator,
) -> None:
    import requests

    response = requests.put(
        arm.endpoint + arm_id("disks", "d1") + "?api-version=2026-03-02",
        json=_disk(createOption="Empty", diskSizeGB=8),
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    )
    assert response.status_code == 202
    assert response.json()["properties"]["provisioningState"] == "Updating"
    aao = response.headers["Azure-AsyncOperation"]
    assert aao.startswith(arm.endpoint + "/subscriptions/")
    assert "/providers/Microsoft.Compute/locations/eastus/DiskOperations/" in aao
    assert response.headers["Location"].endswith("&monitor=true&api-version=2026-03-02")
    assert "Retry-After" not in response.headers


def test_empty_disk_without_size_is_invalid_parameter(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update("rg", "d1", _disk(createOption="Empty"))
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "InvalidParameter"
    assert caught.value.error.target == "diskSizeGB"


def test_copy_from_snapshot_inherits_size_and_source_unique_id(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", "s1"),
                    "location": "eastus",
                    "properties": {"diskSizeGB": 64, "osType": "Linux"},
                }
            ]
        }
    )
    source = compute.snapshots.get("rg", "s1")
    disk = compute.disks.begin_create_or_update(
        "rg", "restored", _disk(createOption="Copy", sourceResourceId=source.id)
    ).result()
    assert disk.disk_size_gb == 64
    assert disk.os_type == "Linux"
    assert disk.creation_data.source_unique_id == source.unique_id
    assert arm.state.meta(disk.id)["content_id"] == arm.state.meta(source.id)["content_id"]


def test_copy_from_another_region_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [{"id": arm_id("snapshots", "s1"), "location": "westus"}]})
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update(
            "rg", "d1", _disk(createOption="Copy", sourceResourceId=arm_id("snapshots", "s1"))
        )
    assert caught.value.status_code == 400
    assert "CopyStart" in str(caught.value)


def test_copy_from_a_missing_source_is_not_found(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError):
        compute.disks.begin_create_or_update(
            "rg", "d1", _disk(createOption="Copy", sourceResourceId=arm_id("disks", "gone"))
        )


def test_from_image_takes_os_type_and_size_from_a_managed_image(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", "s1"),
                    "location": "eastus",
                    "properties": {"diskSizeGB": 40},
                }
            ]
        }
    )
    image = compute.images.begin_create_or_update(
        "rg",
        "img",
        {
            "location": "eastus",
            "properties": {
                "storageProfile": {
                    "osDisk": {
                        "snapshot": {"id": arm_id("snapshots", "s1")},
                        "osType": "Windows",
                        "osState": "Generalized",
                    }
                }
            },
        },
    ).result()
    disk = compute.disks.begin_create_or_update(
        "rg", "d1", _disk(createOption="FromImage", imageReference={"id": image.id})
    ).result()
    assert (disk.os_type, disk.disk_size_gb) == ("Windows", 40)


def test_import_requires_storage_account_id(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update(
            "rg", "d1", _disk(createOption="Import", sourceUri="https://x.blob/v/a.vhd")
        )
    assert caught.value.error is not None
    assert caught.value.error.target == "creationData.storageAccountId"


def test_unsupported_create_option_is_invalid_parameter(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update("rg", "d1", _disk(createOption="Upload"))
    assert caught.value.status_code == 400


def test_put_again_is_idempotent_but_changing_the_source_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    body = _disk(createOption="Empty", diskSizeGB=8)
    first = compute.disks.begin_create_or_update("rg", "d1", body).result()
    body["tags"] = {"v": "2"}
    again = compute.disks.begin_create_or_update("rg", "d1", body).result()
    assert again.unique_id == first.unique_id
    assert again.tags == {"v": "2"}
    arm.seed({"resources": [{"id": arm_id("disks", "other"), "location": "eastus"}]})
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update(
            "rg", "d1", _disk(createOption="Copy", sourceResourceId=arm_id("disks", "other"))
        )
    assert caught.value.error is not None and caught.value.error.code == "BadRequest"


def test_update_merges_tags_and_grows_the_disk(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    compute.disks.begin_create_or_update(
        "rg", "d1", _disk(createOption="Empty", diskSizeGB=8)
    ).result()
    updated = compute.disks.begin_update(
        "rg", "d1", {"tags": {"a": "b"}, "properties": {"diskSizeGB": 16}}
    ).result()
    assert updated.tags == {"a": "b"} and updated.disk_size_gb == 16
    with pytest.raises(HttpResponseError):
        compute.disks.begin_update("rg", "d1", {"properties": {"diskSizeGB": 4}})


def test_list_by_group_and_subscription(arm: ArmEmulator, compute: ComputeManagementClient) -> None:
    arm.seed(
        {
            "resources": [
                {"id": arm_id("disks", "a"), "location": "eastus"},
                {"id": arm_id("disks", "b", rg="other"), "location": "westus"},
            ]
        }
    )
    assert [d.name for d in compute.disks.list_by_resource_group("rg")] == ["a"]
    assert sorted(d.name for d in compute.disks.list()) == ["a", "b"]


def test_delete_is_202_then_204_once_gone(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [{"id": arm_id("disks", "d1"), "location": "eastus"}]})
    compute.disks.begin_delete("rg", "d1").result()
    compute.disks.begin_delete("rg", "d1").result()
    assert [e.status for e in arm.log.find(method="DELETE")] == [202, 204]
    assert not arm.state.exists(arm_id("disks", "d1"))


def test_deleting_an_attached_disk_is_a_409(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [vm_resource("vm1")]})
    with pytest.raises(ResourceExistsError) as caught:
        compute.disks.begin_delete("rg", "vm1-os")
    assert caught.value.error is not None
    assert caught.value.error.code == "OperationNotAllowed"
    assert "is attached to VM" in caught.value.error.message
