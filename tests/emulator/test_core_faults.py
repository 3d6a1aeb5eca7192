"""Fault injection through the real SDK: 429 storms, token buckets, 5xx, region down, latency."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from emulator.server import ArmEmulator
from tests.plugins.arm import AUTH, SUBSCRIPTION, arm_id, vm_resource

DISK_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"


@pytest.fixture
def disk(arm: ArmEmulator) -> str:
    arm.seed({"resources": [{"id": arm_id("disks", "d1"), "location": "eastus"}]})
    return arm_id("disks", "d1")


def _raw_get(arm: ArmEmulator, path: str) -> requests.Response:
    return requests.get(
        f"{arm.endpoint}{path}?api-version=2026-03-02", headers=AUTH, verify=arm.ca_file, timeout=10
    )


def test_a_429_storm_within_the_retry_budget_is_survived(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    arm.faults.throttle(count=3)
    assert compute.disks.get("rg", "d1").name == "d1"
    assert [e.status for e in arm.log.entries()] == [429, 429, 429, 200]
    assert arm.log.entries()[0].fault == "TooManyRequests"


def test_a_longer_429_storm_surfaces_too_many_requests(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    arm.faults.throttle(count=10)
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.get("rg", "d1")
    assert caught.value.status_code == 429
    assert caught.value.error is not None and caught.value.error.code == "TooManyRequests"


def test_throttled_posts_are_retried_because_retry_after_is_sent(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [vm_resource("vm1")]})
    arm.faults.throttle(count=2, methods=("POST",))
    compute.virtual_machines.begin_deallocate("rg", "vm1").result()
    assert arm.log.count(method="POST", status=429) == 2
    assert arm.log.count(method="POST", status=202) == 1


def test_429_headers_say_retry_after_in_seconds_or_milliseconds(
    arm: ArmEmulator, disk: str
) -> None:
    arm.faults.fast_retries(None)
    arm.faults.throttle(count=1)
    slow = _raw_get(arm, DISK_PATH)
    assert slow.status_code == 429
    assert slow.headers["Retry-After"] == "1"
    assert "retry-after-ms" not in slow.headers
    arm.faults.fast_retries(7)
    arm.faults.throttle(count=1)
    fast = _raw_get(arm, DISK_PATH)
    assert fast.headers["retry-after-ms"] == "7"
    assert fast.headers["Retry-After"] == "0.007"


def test_token_buckets_count_down_per_operation_type_and_then_throttle(
    arm: ArmEmulator, disk: str
) -> None:
    arm.faults.rate_limits(buckets={"reads": (3, 0.01)})
    remaining = [_raw_get(arm, DISK_PATH) for _ in range(4)]
    assert [r.headers.get("x-ms-ratelimit-remaining-subscription-reads") for r in remaining] == [
        "2",
        "1",
        "0",
        "0",
    ]
    assert remaining[3].status_code == 429
    assert remaining[3].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    write = requests.patch(
        f"{arm.endpoint}{DISK_PATH}?api-version=2026-03-02",
        json={},
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    )
    assert write.headers["x-ms-ratelimit-remaining-subscription-writes"] == "199"


def test_token_buckets_throttle_the_sdk_until_the_emulated_clock_refills_them(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    arm.faults.rate_limits(buckets={"reads": (2, 0.5)})
    remaining: list[str] = []

    def hook(response: Any) -> None:
        headers = response.http_response.headers
        remaining.append(headers["x-ms-ratelimit-remaining-subscription-reads"])

    for _ in range(2):
        assert compute.disks.get("rg", "d1", raw_response_hook=hook).name == "d1"
    assert remaining == ["1", "0"]
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.get("rg", "d1", retry_total=0)  # the SDK would honour Retry-After: 2 s
    assert caught.value.status_code == 429
    assert caught.value.error is not None
    assert caught.value.error.code == "SubscriptionRequestsThrottled"
    # The true wait, although the arm fixture asked for fast retries of injected faults.
    assert caught.value.response.headers["Retry-After"] == "2"
    assert "retry-after-ms" not in caught.value.response.headers
    arm.clock.advance(1)
    with pytest.raises(HttpResponseError):
        compute.disks.get("rg", "d1", retry_total=0)
    arm.clock.advance(1)
    assert compute.disks.get("rg", "d1").name == "d1"


def test_token_buckets_can_refill_in_real_time_for_benchmarks(arm: ArmEmulator, disk: str) -> None:
    arm.faults.rate_limits(buckets={"reads": (1, 0.001)}, real_time=True)
    assert _raw_get(arm, DISK_PATH).status_code == 200
    arm.clock.advance(3600)
    throttled = _raw_get(arm, DISK_PATH)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1000"


def test_server_errors_at_a_rate_are_retried_by_the_sdk(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    arm.faults.server_errors(0.3, status=503)
    for _ in range(15):
        assert compute.disks.get("rg", "d1").name == "d1"
    failures = arm.log.count(status=503)
    assert 0 < failures < len(arm.log)
    assert arm.log.count(status=200) == 15


def test_region_down_fails_requests_for_that_regions_resources_only(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [vm_resource("east"), vm_resource("west", location="westus")]})
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as caught:
        compute.virtual_machines.get("rg", "east")
    assert caught.value.status_code == 503
    assert caught.value.error is not None and caught.value.error.code == "ServiceUnavailable"
    assert "unavailable in location 'eastus'" in caught.value.error.message
    with pytest.raises(HttpResponseError):
        compute.disks.begin_create_or_update(
            "rg",
            "new",
            {
                "location": "East US",
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4},
            },
        ).result()
    assert compute.virtual_machines.get("rg", "west").name == "west"
    assert len(list(compute.virtual_machines.list("rg"))) == 2
    assert arm.log.entries()[0].fault == "RegionDown"
    arm.faults.region_up("eastus")
    assert compute.virtual_machines.get("rg", "east").name == "east"


def test_region_down_also_fails_polling_of_operations_in_that_region(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [vm_resource("vm1")]})
    poller = compute.virtual_machines.begin_deallocate("rg", "vm1")
    arm.faults.region_down("eastus")
    with pytest.raises(HttpResponseError) as caught:
        poller.result()
    assert caught.value.status_code == 503


def test_latency_is_added_to_every_call(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    compute.disks.get("rg", "d1")
    arm.faults.latency(0.05)
    started = time.monotonic()
    compute.disks.get("rg", "d1")
    assert time.monotonic() - started >= 0.05


def test_an_operation_can_be_made_to_fail_asynchronously(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.faults.fail_operations(count=1, path_contains="/disks/", code="InternalDiskManagementError")
    body = {
        "location": "eastus",
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4},
    }
    with pytest.raises(HttpResponseError) as caught:
        compute.disks.begin_create_or_update("rg", "d1", body).result()
    assert caught.value.error is not None
    assert caught.value.error.code == "InternalDiskManagementError"
    assert arm.log.find(method="PUT")[0].status == 202
    assert compute.disks.get("rg", "d1").provisioning_state == "Failed"
    assert compute.disks.begin_create_or_update("rg", "d1", body).result().provisioning_state == (
        "Succeeded"
    )


def test_polling_interval_zero_follows_every_in_progress_answer(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.compute.lro_polls = 3
    body = {
        "location": "eastus",
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4},
    }
    started = time.monotonic()
    disk = compute.disks.begin_create_or_update("rg", "d1", body).result()
    assert time.monotonic() - started < 2
    assert disk.provisioning_state == "Succeeded"
    polls = arm.log.find(path_contains="/DiskOperations/")
    assert len(polls) == 4
    assert [e.method for e in arm.log.entries()][-1] == "GET"
    assert arm.log.entries()[-1].path.endswith("/disks/d1")
