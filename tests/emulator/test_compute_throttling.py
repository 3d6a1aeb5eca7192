"""Compute's VM throttling policies: per-VM and per-subscription-per-region token buckets."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from emulator.core import Core, errors
from emulator.providers.compute import throttle
from emulator.server import ArmEmulator
from tests.plugins.arm import SUBSCRIPTION, arm_id, vm_resource


@pytest.fixture
def vm(arm: ArmEmulator) -> str:
    arm.seed({"resources": [vm_resource("web")]})
    return arm_id("virtualMachines", "web")


def _throttled(call: object) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.status_code == 429
    return caught.value


def test_power_operations_share_the_update_vm_bucket_of_twelve_then_refill_four_a_minute(
    arm: ArmEmulator, compute: ComputeManagementClient, vm: str
) -> None:
    for index in range(12):
        if index % 2:
            compute.virtual_machines.begin_start("rg", "web", retry_total=0).result()
        else:
            compute.virtual_machines.begin_power_off("rg", "web", retry_total=0).result()
    error = _throttled(lambda: compute.virtual_machines.begin_start("rg", "web", retry_total=0))
    assert error.error is not None and error.error.code == "OperationNotAllowed"
    headers = error.response.headers
    assert headers["Retry-After"] == "15"  # 4 tokens a minute
    assert "Microsoft.Compute/UpdateVMResource;0" in headers["x-ms-ratelimit-remaining-resource"]
    detail = error.response.json()["error"]["details"][0]
    assert detail["code"] == "TooManyRequests" and detail["target"] == "UpdateVMResource"
    assert json.loads(detail["message"])["allowedRequestCount"] == 12
    # Deallocate is a "Delete VM" operation: its own bucket is still full.
    compute.virtual_machines.begin_deallocate("rg", "web", retry_total=0).result()
    arm.clock.advance(15)
    compute.virtual_machines.begin_start("rg", "web", retry_total=0).result()
    _throttled(lambda: compute.virtual_machines.begin_start("rg", "web", retry_total=0))


def test_a_throttled_power_operation_changes_nothing(
    arm: ArmEmulator, compute: ComputeManagementClient, vm: str
) -> None:
    for _ in range(12):
        compute.virtual_machines.begin_deallocate("rg", "web", retry_total=0).result()
    compute.virtual_machines.begin_start("rg", "web", retry_total=0).result()
    _throttled(lambda: compute.virtual_machines.begin_deallocate("rg", "web", retry_total=0))
    view = compute.virtual_machines.instance_view("rg", "web")
    assert "PowerState/running" in [s.code for s in view.statuses or []]


def test_restore_points_are_limited_to_three_an_hour_per_vm(
    arm: ArmEmulator, compute: ComputeManagementClient, vm: str
) -> None:
    compute.restore_point_collections.create_or_update(
        "rg", "rpc", {"location": "eastus", "properties": {"source": {"id": vm}}}
    )
    for name in ("rp1", "rp2", "rp3"):
        compute.restore_points.begin_create("rg", "rpc", name, {}, retry_total=0).result()
    error = _throttled(
        lambda: compute.restore_points.begin_create("rg", "rpc", "rp4", {}, retry_total=0)
    )
    assert error.response.headers["Retry-After"] == "1200"
    assert not arm.state.exists(arm_id("restorePointCollections", "rpc") + "/restorePoints/rp4")
    arm.clock.advance(1200)
    compute.restore_points.begin_create("rg", "rpc", "rp4", {}, retry_total=0).result()


def test_the_subscription_bucket_per_region_allows_a_burst_of_1500(arm: ArmEmulator) -> None:
    core: Core = arm.core
    for index in range(1500):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", f"vm{index}", "create")
    with pytest.raises(errors.ArmError) as caught:
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "East US", "another", "create")
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "1"  # 500 tokens a minute
    assert caught.value.body()["error"]["details"][0]["target"] == "PutVMSubscription"
    # Another region and another subscription have their own buckets.
    throttle.throttle_vm_operation(core, SUBSCRIPTION, "westus", "another", "create")
    throttle.throttle_vm_operation(core, "other-sub", "eastus", "another", "create")
    arm.clock.advance(60)
    for index in range(500):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", f"next{index}", "create")
    with pytest.raises(errors.ArmError):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", "last", "create")


def test_throttling_can_be_turned_off_or_refilled_in_real_time(arm: ArmEmulator) -> None:
    core: Core = arm.core
    throttle.configure(core, enabled=False)
    for _ in range(20):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", "web", "start")
    throttle.configure(core, real_time=True)
    for _ in range(12):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", "web", "start")
    arm.clock.advance(3600)  # emulated time does not refill real-time buckets
    with pytest.raises(errors.ArmError):
        throttle.throttle_vm_operation(core, SUBSCRIPTION, "eastus", "web", "start")
    arm.reset()
    assert throttle.state(core).enabled and not throttle.state(core).real_time
