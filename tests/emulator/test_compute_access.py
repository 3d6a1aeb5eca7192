"""beginGetAccess/endGetAccess: a real, read-only, short-lived SAS URL served by Azurite."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import AccessUri
from azure.storage.blob import BlobClient, BlobServiceClient

from emulator.azurite import DR_ACCOUNT, Azurite
from emulator.providers.compute.access import read_content_id
from emulator.server import ArmEmulator
from tests.plugins.arm import arm_id, vm_resource

READ = {"access": "Read", "durationInSeconds": 3600}


@pytest.fixture
def snapshot(arm: ArmEmulator) -> str:
    arm.seed({"resources": [{"id": arm_id("snapshots", "s1"), "location": "eastus"}]})
    return arm_id("snapshots", "s1")


def test_grant_access_returns_a_sas_that_azurite_serves(
    snapshot: str, arm: ArmEmulator, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    result = compute.snapshots.begin_grant_access("rg", "s1", READ).result()
    assert isinstance(result, AccessUri)
    assert result.access_sas.startswith(f"http://127.0.0.1:{azurite.blob_port}/lbprimary/")
    blob = BlobClient.from_blob_url(result.access_sas)
    header = blob.download_blob(offset=0, length=512).readall()
    assert read_content_id(header) == arm.state.meta(snapshot)["content_id"]
    assert blob.get_blob_properties().blob_type == "PageBlob"
    assert compute.snapshots.get("rg", "s1").disk_state == "ActiveSAS"
    post = arm.log.find(method="POST")[0]
    assert post.status == 202 and post.path.endswith("/beginGetAccess")
    assert arm.log.find(path_contains="DiskOperations")[-1].query.get("monitor") == "true"


def test_sas_is_read_only_and_short_lived(
    snapshot: str, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    sas = (
        compute.snapshots.begin_grant_access(
            "rg", "s1", {"access": "Read", "durationInSeconds": 600}
        )
        .result()
        .access_sas
    )
    query = parse_qs(urlparse(sas).query)
    assert query["sp"] == ["r"]
    expiry = datetime.fromisoformat(query["se"][0].replace("Z", "+00:00"))
    assert 0 < (expiry - datetime.now(UTC)).total_seconds() <= 600
    with pytest.raises(HttpResponseError) as caught:
        BlobClient.from_blob_url(sas).upload_page(b"\0" * 512, offset=0, length=512)
    assert caught.value.status_code == 403


def test_exported_vhd_copies_to_the_dr_account_and_imports_with_its_lineage(
    snapshot: str, arm: ArmEmulator, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    sas = compute.snapshots.begin_grant_access("rg", "s1", READ).result().access_sas
    dr = BlobServiceClient.from_connection_string(azurite.connection_string(DR_ACCOUNT))
    dr.create_container("vhds")
    target = dr.get_blob_client("vhds", "s1.vhd")
    assert target.start_copy_from_url(sas)["copy_status"] == "success"
    disk = compute.disks.begin_create_or_update(
        "rg",
        "restored",
        {
            "location": "westus",
            "properties": {
                "diskSizeGB": 30,
                "creationData": {
                    "createOption": "Import",
                    "sourceUri": target.url,
                    "storageAccountId": "/subscriptions/x/resourceGroups/rg/providers/"
                    "Microsoft.Storage/storageAccounts/lbdr",
                },
            },
        },
    ).result()
    assert arm.state.meta(disk.id)["content_id"] == arm.state.meta(snapshot)["content_id"]


def test_import_of_a_missing_blob_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update(
            "rg",
            "d1",
            {
                "location": "westus",
                "properties": {
                    "diskSizeGB": 30,
                    "creationData": {
                        "createOption": "Import",
                        "sourceUri": azurite.blob_url(DR_ACCOUNT) + "/v/x.vhd",
                        "storageAccountId": "/subscriptions/x/resourceGroups/rg/providers/"
                        "Microsoft.Storage/storageAccounts/lbdr",
                    },
                },
            },
        )
    assert caught.value.status_code == 400


def test_revoke_access_deletes_the_blob_and_returns_to_unattached(
    snapshot: str, arm: ArmEmulator, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    sas = compute.snapshots.begin_grant_access("rg", "s1", READ).result().access_sas
    assert compute.snapshots.begin_revoke_access("rg", "s1").result() is None
    with pytest.raises(HttpResponseError) as caught:
        BlobClient.from_blob_url(sas).get_blob_properties()
    assert caught.value.status_code == 404
    assert compute.snapshots.get("rg", "s1").disk_state == "Unattached"


def test_deleting_while_exported_is_refused_until_revoked(
    snapshot: str, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    compute.snapshots.begin_grant_access("rg", "s1", READ).result()
    with pytest.raises(ResourceExistsError):
        compute.snapshots.begin_delete("rg", "s1")
    compute.snapshots.begin_revoke_access("rg", "s1").result()
    compute.snapshots.begin_delete("rg", "s1").result()


def test_grant_on_a_disk_of_a_running_vm_is_refused_but_allowed_when_deallocated(
    arm: ArmEmulator, compute: ComputeManagementClient, azurite: Azurite
) -> None:
    arm.seed({"resources": [vm_resource("vm1")]})
    with pytest.raises(ResourceExistsError) as caught:
        compute.disks.begin_grant_access("rg", "vm1-os", READ)
    assert caught.value.error is not None and caught.value.error.code == "OperationNotAllowed"
    compute.virtual_machines.begin_deallocate("rg", "vm1").result()
    assert compute.disks.begin_grant_access("rg", "vm1-os", READ).result().access_sas


def test_grant_requires_a_valid_access_level_and_duration(
    snapshot: str, compute: ComputeManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as bad_access:
        compute.snapshots.begin_grant_access("rg", "s1", {"access": "None", "durationInSeconds": 1})
    assert bad_access.value.status_code == 400
    with pytest.raises(HttpResponseError) as bad_duration:
        compute.snapshots.begin_grant_access("rg", "s1", {"access": "Read"})
    assert bad_duration.value.status_code == 400


def test_grant_on_an_incomplete_copy_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", "s1"),
                    "location": "eastus",
                    "properties": {"incremental": True},
                }
            ]
        }
    )
    compute.snapshots.begin_create_or_update(
        "rg",
        "copy",
        {
            "location": "westus",
            "properties": {
                "incremental": True,
                "creationData": {
                    "createOption": "CopyStart",
                    "sourceResourceId": arm_id("snapshots", "s1"),
                },
            },
        },
    ).result()
    with pytest.raises(ResourceExistsError):
        compute.snapshots.begin_grant_access("rg", "copy", READ)
