"""Virtual machines through the real SDK: get/list/instance view and power operations."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import VirtualMachine, VirtualMachineInstanceView

from emulator.server import ArmEmulator
from tests.plugins.arm import SUBSCRIPTION, arm_id, vm_resource


def _power(view: VirtualMachineInstanceView) -> str:
    return next(s.code for s in view.statuses or [] if s.code and s.code.startswith("PowerState/"))


@pytest.fixture
def vms(arm: ArmEmulator) -> None:
    arm.seed(
        {
            "resources": [
                vm_resource("web", tags={"lifeboat-protect": "true"}),
                vm_resource("db", power="deallocated"),
                vm_resource("west", location="westus"),
            ]
        }
    )


def test_get_deserialises_into_the_sdk_model_with_managed_disk_references(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    vm = compute.virtual_machines.get("rg", "web")
    assert isinstance(vm, VirtualMachine)
    assert vm.id == arm_id("virtualMachines", "web")
    assert vm.tags == {"lifeboat-protect": "true"}
    assert vm.instance_view is None
    assert vm.storage_profile.os_disk.managed_disk.id == arm_id("disks", "web-os")
    assert vm.storage_profile.data_disks[0].managed_disk.id == arm_id("disks", "web-data")
    assert vm.storage_profile.data_disks[0].lun == 0
    os_disk = compute.disks.get("rg", "web-os")
    assert os_disk.managed_by == vm.id
    assert os_disk.os_type == "Linux"
    assert os_disk.disk_state == "Attached"


def test_expand_instance_view_and_instance_view_report_power_state(
    vms: None, compute: ComputeManagementClient
) -> None:
    vm = compute.virtual_machines.get("rg", "web", expand="instanceView")
    assert vm.instance_view is not None
    assert [s.code for s in vm.instance_view.statuses] == [
        "ProvisioningState/succeeded",
        "PowerState/running",
    ]
    assert _power(compute.virtual_machines.instance_view("rg", "db")) == "PowerState/deallocated"
    assert compute.disks.get("rg", "db-os").disk_state == "Reserved"


def test_list_and_list_all_page_through_every_vm(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    arm.page_size = 1
    assert sorted(v.name for v in compute.virtual_machines.list("rg")) == ["db", "web", "west"]
    every = list(compute.virtual_machines.list_all(status_only="true"))
    assert len(every) == 3
    assert all(v.instance_view is not None for v in every)


def test_deallocate_start_and_power_off_change_power_state(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    compute.virtual_machines.begin_deallocate("rg", "web").result()
    assert _power(compute.virtual_machines.instance_view("rg", "web")) == "PowerState/deallocated"
    assert compute.disks.get("rg", "web-data").disk_state == "Reserved"
    compute.virtual_machines.begin_start("rg", "web").result()
    assert _power(compute.virtual_machines.instance_view("rg", "web")) == "PowerState/running"
    compute.virtual_machines.begin_power_off("rg", "web").result()
    assert _power(compute.virtual_machines.instance_view("rg", "web")) == "PowerState/stopped"
    post = arm.log.find(method="POST")[0]
    assert post.status == 202
    assert post.path.endswith("/virtualMachines/web/deallocate")


def test_power_state_is_transitional_until_the_operation_completes(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    arm.compute.lro_polls = 10**9
    poller = compute.virtual_machines.begin_deallocate("rg", "web")
    view = compute.virtual_machines.instance_view("rg", "web")
    assert _power(view) == "PowerState/deallocating"
    assert not poller.done()
    arm.settle()
    poller.result()
    assert _power(compute.virtual_machines.instance_view("rg", "web")) == "PowerState/deallocated"


def test_power_off_of_a_deallocated_vm_is_a_409(
    vms: None, compute: ComputeManagementClient
) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        compute.virtual_machines.begin_power_off("rg", "db").result()
    assert caught.value.error is not None
    assert caught.value.error.code == "OperationNotAllowed"


def test_seeded_vm_in_another_subscription_is_not_listed(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    other = vm_resource("elsewhere")
    other["id"] = other["id"].replace(SUBSCRIPTION, "00000000-0000-0000-0000-0000000000ff")
    arm.seed({"resources": [other, vm_resource("mine")]})
    assert [v.name for v in compute.virtual_machines.list_all()] == ["mine"]
