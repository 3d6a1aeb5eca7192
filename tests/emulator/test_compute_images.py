"""Managed images through the real SDK: create from snapshots, disks or blobs; update; delete."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Image

from emulator.server import ArmEmulator
from tests.plugins.arm import arm_id


def _image(os_disk: dict[str, Any], location: str = "eastus", **storage: Any) -> Any:
    disk = {"osType": "Linux", "osState": "Generalized", **os_disk}
    return {
        "location": location,
        "properties": {"storageProfile": {"osDisk": disk, **storage}, "hyperVGeneration": "V2"},
    }


@pytest.fixture
def sources(arm: ArmEmulator) -> None:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", "os"),
                    "location": "eastus",
                    "properties": {"diskSizeGB": 64},
                },
                {
                    "id": arm_id("disks", "data"),
                    "location": "eastus",
                    "properties": {"diskSizeGB": 10},
                },
                {"id": arm_id("snapshots", "far"), "location": "westus"},
            ]
        }
    )


def test_create_from_snapshot_is_201_creating_then_succeeded(
    sources: None, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    image = compute.images.begin_create_or_update(
        "rg",
        "img",
        _image(
            {"snapshot": {"id": arm_id("snapshots", "os")}},
            dataDisks=[{"lun": 0, "managedDisk": {"id": arm_id("disks", "data")}}],
        ),
    ).result()
    assert isinstance(image, Image)
    assert image.provisioning_state == "Succeeded"
    assert image.storage_profile.os_disk.disk_size_gb == 64
    assert image.storage_profile.data_disks[0].disk_size_gb == 10
    assert image.hyper_v_generation == "V2"
    put = arm.log.find(method="PUT")[0]
    assert put.status == 201
    assert arm.log.count(path_contains="/locations/eastus/operations/") >= 2
    assert (
        arm.state.meta(image.id)["content_id"]
        == arm.state.meta(arm_id("snapshots", "os"))["content_id"]
    )


def test_create_from_managed_disk_and_from_blob(
    sources: None, compute: ComputeManagementClient
) -> None:
    from_disk = compute.images.begin_create_or_update(
        "rg", "a", _image({"managedDisk": {"id": arm_id("disks", "data")}})
    ).result()
    from_blob = compute.images.begin_create_or_update(
        "rg", "b", _image({"blobUri": "https://acct.blob.core.windows.net/v/os.vhd"})
    ).result()
    assert from_disk.storage_profile.os_disk.managed_disk.id == arm_id("disks", "data")
    assert from_blob.storage_profile.os_disk.blob_uri.endswith("os.vhd")


def test_os_type_is_required(sources: None, compute: ComputeManagementClient) -> None:
    body = _image({"snapshot": {"id": arm_id("snapshots", "os")}})
    del body["properties"]["storageProfile"]["osDisk"]["osType"]
    with pytest.raises(HttpResponseError) as caught:
        compute.images.begin_create_or_update("rg", "img", body)
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "InvalidParameter"


def test_source_in_another_region_or_missing_is_refused(
    sources: None, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as far:
        compute.images.begin_create_or_update(
            "rg", "img", _image({"snapshot": {"id": arm_id("snapshots", "far")}})
        )
    assert far.value.status_code == 400
    with pytest.raises(ResourceNotFoundError):
        compute.images.begin_create_or_update(
            "rg", "img", _image({"snapshot": {"id": arm_id("snapshots", "nope")}})
        )


def test_update_list_and_delete(
    sources: None, arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    compute.images.begin_create_or_update(
        "rg", "img", _image({"snapshot": {"id": arm_id("snapshots", "os")}})
    ).result()
    updated = compute.images.begin_update("rg", "img", {"tags": {"dr": "yes"}}).result()
    assert updated.tags == {"dr": "yes"}
    assert compute.images.get("rg", "img").tags == {"dr": "yes"}
    assert [i.name for i in compute.images.list()] == ["img"]
    compute.images.begin_delete("rg", "img").result()
    compute.images.begin_delete("rg", "img").result()
    assert [e.status for e in arm.log.find(method="DELETE")] == [202, 204]
    assert list(compute.images.list_by_resource_group("rg")) == []
