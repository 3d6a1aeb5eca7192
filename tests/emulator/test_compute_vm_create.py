"""VM create with Attach, Resource SKUs and disks from recovery points, through the real SDK."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient

from emulator.server import ArmEmulator
from tests.emulator.test_sdk_models import unknown_keys
from tests.plugins.arm import RESOURCE_GROUP, SUBSCRIPTION, arm_id

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Network"
TL = {"securityType": "TrustedLaunch"}


def _disk(name: str, zone: str | None = "1", os: bool = False, trusted: bool = False) -> Any:
    props: dict[str, Any] = {"diskSizeGB": 64}
    if os:
        props.update(osType="Linux", hyperVGeneration="V2")
    if trusted:
        props["securityProfile"] = TL
    return {
        "id": arm_id("disks", name),
        "location": "eastus",
        **({"zones": [zone]} if zone else {}),
        "sku": {"name": "Premium_LRS"},
        "properties": props,
    }


def _nic(name: str) -> Any:
    return {"id": f"{NET}/networkInterfaces/{name}", "location": "eastus", "properties": {}}


@pytest.fixture
def estate(arm: ArmEmulator) -> None:
    arm.seed(
        {
            "resources": [
                _disk("os", os=True, trusted=True),
                _disk("os-std", os=True),
                _disk("data0"),
                _disk("data1"),
                _disk("data-z2", zone="2"),
                _nic("nic1"),
                _nic("nic2"),
            ],
            "resourceSkus": {
                "restrictions": [
                    {"name": "Standard_D4s_v5", "location": "eastus", "zones": ["1"]},
                    {"name": "Standard_E4s_v5", "location": "eastus"},
                ]
            },
        }
    )


def _vm_body(
    *,
    os_disk: str = "os",
    data: tuple[str, ...] = ("data0", "data1"),
    nic: str = "nic1",
    size: str = "Standard_D2s_v5",
    trusted: bool = True,
    delete: str = "Detach",
) -> Any:
    return {
        "location": "eastus",
        "zones": ["1"],
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "osDisk": {
                    "osType": "Linux",
                    "createOption": "Attach",
                    "managedDisk": {"id": arm_id("disks", os_disk)},
                },
                "dataDisks": [
                    {
                        "lun": i,
                        "createOption": "Attach",
                        "deleteOption": delete,
                        "managedDisk": {"id": arm_id("disks", d)},
                    }
                    for i, d in enumerate(data)
                ],
            },
            "networkProfile": {
                "networkInterfaces": [
                    {"id": f"{NET}/networkInterfaces/{nic}", "properties": {"deleteOption": delete}}
                ]
            },
            **(
                {"securityProfile": {**TL, "uefiSettings": {"secureBootEnabled": True}}}
                if trusted
                else {}
            ),
        },
    }


def _create(compute: ComputeManagementClient, name: str = "vm", **kw: Any) -> Any:
    body = _vm_body(**kw)
    return compute.virtual_machines.begin_create_or_update(RESOURCE_GROUP, name, body).result()


def _error(exc: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int | None, str | None]:
    return exc.value.status_code, exc.value.error.code if exc.value.error else None


def test_create_attaches_disks_and_nic_and_runs_on_the_emulated_clock(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    poller = compute.virtual_machines.begin_create_or_update(RESOURCE_GROUP, "vm", _vm_body())
    first = arm.log.find(method="PUT", path_contains="/virtualMachines/vm")[0]
    assert first.status == 201
    assert arm.state.get(arm_id("virtualMachines", "vm"))["properties"]["provisioningState"] == (
        "Creating"
    )
    vm = poller.result()
    assert vm.provisioning_state == "Succeeded"
    view = compute.virtual_machines.instance_view(RESOURCE_GROUP, "vm")
    assert "PowerState/running" in [s.code for s in view.statuses]
    assert vm.storage_profile.os_disk.caching == "ReadWrite"
    assert [d.caching for d in vm.storage_profile.data_disks] == ["None", "None"]
    assert compute.disks.get(RESOURCE_GROUP, "data1").managed_by == vm.id
    assert compute.disks.get(RESOURCE_GROUP, "os").disk_state == "Attached"
    nic = arm.state.get(f"{NET}/networkInterfaces/nic1")
    assert nic["properties"]["virtualMachine"]["id"] == vm.id
    assert unknown_keys(compute.virtual_machines.get(RESOURCE_GROUP, "vm")) == []


def test_a_disk_attached_elsewhere_is_refused_and_nothing_changes(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    _create(compute)
    with pytest.raises(HttpResponseError) as exc:
        _create(compute, "vm2", os_disk="os", data=(), nic="nic2")
    assert _error(exc) == (409, "ConflictingUserInput")
    assert not arm.state.exists(arm_id("virtualMachines", "vm2"))
    assert "virtualMachine" not in arm.state.get(f"{NET}/networkInterfaces/nic2")["properties"]


def test_a_disk_in_another_zone_is_refused(estate: None, compute: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as exc:
        _create(compute, data=("data-z2",))
    assert _error(exc) == (400, "BadRequest")


@pytest.mark.parametrize(("os_disk", "trusted"), [("os", False), ("os-std", True)])
def test_trusted_launch_os_disk_and_vm_security_type_must_match(
    estate: None, compute: ComputeManagementClient, os_disk: str, trusted: bool
) -> None:
    with pytest.raises(HttpResponseError) as exc:
        _create(compute, os_disk=os_disk, trusted=trusted)
    assert _error(exc) == (400, "BadRequest")
    assert "Security type of VM is not compatible" in str(exc.value.message)


@pytest.mark.parametrize("size", ["Standard_D4s_v5", "Standard_E4s_v5", "Standard_Nope"])
def test_a_size_resource_skus_does_not_offer_there_is_sku_not_available(
    estate: None, compute: ComputeManagementClient, size: str
) -> None:
    with pytest.raises(HttpResponseError) as exc:
        _create(compute, size=size)
    assert _error(exc) == (409, "SkuNotAvailable")
    assert "zones '1'" in str(exc.value.message)


def test_if_none_match_star_on_an_existing_vm_is_412(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    _create(compute)
    with pytest.raises(ResourceExistsError):
        compute.virtual_machines.begin_create_or_update(
            RESOURCE_GROUP, "vm", _vm_body(), match_condition=MatchConditions.IfMissing
        ).result()
    assert arm.log.find(method="PUT", status=412)


def test_delete_honours_delete_option_and_releases_managed_by(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    _create(compute, delete="Delete")
    compute.virtual_machines.begin_delete(RESOURCE_GROUP, "vm").result()
    assert not arm.state.exists(arm_id("virtualMachines", "vm"))
    assert not arm.state.exists(arm_id("disks", "data0"))
    assert not arm.state.exists(f"{NET}/networkInterfaces/nic1")
    os_disk = compute.disks.get(RESOURCE_GROUP, "os")  # OS disk Attach defaults to Detach
    assert os_disk.managed_by is None and os_disk.disk_state == "Unattached"
    compute.virtual_machines.begin_delete(RESOURCE_GROUP, "vm").result()  # gone = success


def test_vm_create_in_a_down_region_fails_with_503(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as exc:
        compute.virtual_machines.begin_create_or_update(
            RESOURCE_GROUP, "vm", _vm_body(), retry_total=0
        )
    assert exc.value.status_code == 503


def test_resource_skus_filter_by_location_with_zones_capabilities_restrictions(
    estate: None, compute: ComputeManagementClient
) -> None:
    published = json.loads(
        (
            PAYLOADS / "compute_rest_example_ListAvailableResourceSkusForARegion_2021-07-01.json"
        ).read_text()
    )["responses"]["200"]["body"]["value"][0]
    items = list(compute.resource_skus.list(filter="location eq 'eastus'"))
    assert {i.locations[0] for i in items} == {"eastus"}
    d4 = next(i for i in items if i.name == "Standard_D4s_v5")
    assert d4.location_info[0].zones == ["1", "2", "3"]
    assert d4.restrictions[0].type == "Zone" and d4.restrictions[0].restriction_info.zones == ["1"]
    assert d4.restrictions[0].reason_code == "NotAvailableForSubscription"
    caps = {c.name: c.value for c in d4.capabilities}
    assert caps["MaxDataDiskCount"] == "8" and caps["PremiumIO"] == "True"
    assert set(published) - {"locationInfo"} <= set(d4.as_dict()) | {"resourceType"}
    west = list(compute.resource_skus.list(filter="location eq 'westus'"))
    assert all(not i.location_info[0].zones for i in west)  # westus has no zones
    assert unknown_keys(items) == []


def _snapshot(compute: ComputeManagementClient, disk: str = "os") -> Any:
    source = compute.disks.get(RESOURCE_GROUP, disk)
    body = {
        "location": "eastus",
        "properties": {
            "incremental": True,
            "creationData": {"createOption": "Copy", "sourceResourceId": source.id},
        },
    }
    return compute.snapshots.begin_create_or_update(RESOURCE_GROUP, "snap", body).result()


def test_copy_disk_from_a_snapshot_inherits_security_generation_and_os_type(
    estate: None, compute: ComputeManagementClient
) -> None:
    snap = _snapshot(compute)
    example = json.loads(
        (PAYLOADS / "disks_rest_example_Disk_Create_ByCopyingASnapshot_2024-03-02.json").read_text()
    )["parameters"]["disk"]
    # The published request names the source without its leading '/'.
    example["properties"]["creationData"]["sourceResourceId"] = snap.id.lstrip("/")
    example["location"] = "East US"
    disk = compute.disks.begin_create_or_update(RESOURCE_GROUP, "copy", example).result()
    assert disk.security_profile.security_type == "TrustedLaunch"
    assert (disk.hyper_v_generation, disk.os_type) == ("V2", "Linux")


def test_copy_disk_naming_a_security_type_is_refused_as_azure_refuses_it(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    snap = _snapshot(compute)
    body = {
        "location": "eastus",
        "properties": {
            "securityProfile": TL,
            "creationData": {"createOption": "Copy", "sourceResourceId": snap.id},
        },
    }
    with pytest.raises(HttpResponseError) as exc:
        compute.disks.begin_create_or_update(RESOURCE_GROUP, "copy", body).result()
    assert _error(exc) == (400, "BadRequest")
    assert "not supported for CreateOption 'Copy'" in str(exc.value.message)
    assert not arm.state.exists(arm_id("disks", "copy"))


def test_a_snapshot_still_copying_cannot_be_a_source(
    estate: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    snap = _snapshot(compute)
    body = {
        "location": "westus",
        "properties": {
            "incremental": True,
            "creationData": {"createOption": "CopyStart", "sourceResourceId": snap.id},
        },
    }
    target = compute.snapshots.begin_create_or_update(RESOURCE_GROUP, "snap-dr", body).result()
    copy = {
        "location": "westus",
        "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": target.id}},
    }
    with pytest.raises(HttpResponseError) as exc:
        compute.disks.begin_create_or_update(RESOURCE_GROUP, "dr-disk", copy).result()
    assert _error(exc) == (409, "OperationNotAllowed")
    arm.clock.advance(3600)
    compute.disks.begin_create_or_update(RESOURCE_GROUP, "dr-disk", copy).result()


def test_restore_point_echoes_exclude_disks(estate: None, compute: ComputeManagementClient) -> None:
    vm = _create(compute)
    compute.restore_point_collections.create_or_update(
        RESOURCE_GROUP, "rpc", {"location": "eastus", "properties": {"source": {"id": vm.id}}}
    )
    excluded = [{"id": arm_id("disks", "data1")}]
    point = compute.restore_points.begin_create(
        RESOURCE_GROUP, "rpc", "rp", {"properties": {"excludeDisks": excluded}}
    ).result()
    assert [d.id for d in point.exclude_disks] == [arm_id("disks", "data1")]
    assert len(point.source_metadata.storage_profile.data_disks) == 1


def test_disk_from_a_gallery_image_version_reports_its_hyper_v_generation(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    demo = json.loads(
        (Path(__file__).resolve().parents[2] / "emulator/estates/demo.json").read_text()
    )
    version = next(r["id"] for r in demo["resources"] if r["id"].endswith("/versions/1.0.0"))
    arm.seed(demo)
    body = {
        "location": "eastus",
        "properties": {
            "creationData": {"createOption": "FromImage", "galleryImageReference": {"id": version}}
        },
    }
    disk = compute.disks.begin_create_or_update(RESOURCE_GROUP, "img", body).result()
    assert (disk.hyper_v_generation, disk.os_type) == ("V2", "Linux")
