"""The emulator over HTTPS: api-version, errors, TLS, request log, paging, control API, seeding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient

from emulator.server import ArmEmulator
from tests.plugins.arm import AUTH, SUBSCRIPTION, arm_id

DISKS = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/disks"


def _get(arm: ArmEmulator, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    return requests.get(arm.endpoint + path, verify=arm.ca_file, timeout=10, **kwargs)


def test_a_request_without_authorization_is_a_401_authentication_failed(arm: ArmEmulator) -> None:
    arm.seed({"resources": [{"id": arm_id("disks", "d1"), "location": "eastus"}]})
    response = _get(arm, DISKS + "/d1?api-version=2026-03-02", headers={})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "AuthenticationFailed",
            "message": "Authentication failed. The 'Authorization' header is missing.",
        }
    }
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert arm.log.entries()[-1].error_code == "AuthenticationFailed"


def test_any_bearer_token_is_accepted_but_not_another_scheme(arm: ArmEmulator) -> None:
    arm.seed({"resources": [{"id": arm_id("disks", "d1"), "location": "eastus"}]})
    path = DISKS + "/d1?api-version=2026-03-02"
    assert _get(arm, path, headers={"authorization": "Bearer anything"}).status_code == 200
    basic = _get(arm, path, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    assert basic.json()["error"]["message"] == (
        "Authentication failed. The 'Authorization' header is provided in an invalid format."
    )
    assert _get(arm, path, headers={"Authorization": "Bearer "}).status_code == 401


def test_the_control_api_needs_no_authorization(arm: ArmEmulator) -> None:
    assert _get(arm, "/_emulator/clock", headers={}).status_code == 200


def test_missing_api_version_is_a_400_with_arms_code(arm: ArmEmulator) -> None:
    response = _get(arm, DISKS + "/d1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


def test_malformed_api_version_is_rejected(arm: ArmEmulator) -> None:
    response = _get(arm, DISKS + "/d1?api-version=latest")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_unknown_resource_type_is_a_404_invalid_resource_type(arm: ArmEmulator) -> None:
    response = _get(arm, DISKS.replace("disks", "widgets") + "/w?api-version=2026-03-02")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "InvalidResourceType"


def test_invalid_json_body_is_a_400(arm: ArmEmulator) -> None:
    response = requests.put(
        arm.endpoint + DISKS + "/d1?api-version=2026-03-02",
        data=b"{not json",
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"


def test_tls_is_verified_only_with_the_emulators_ca(arm: ArmEmulator) -> None:
    assert arm.endpoint.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(arm.endpoint + "/_emulator/clock", verify=True, timeout=10)
    assert _get(arm, "/_emulator/clock", headers={}).status_code == 200


def test_sdk_404_is_resource_not_found_error_with_azures_body(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        compute.snapshots.get("rg", "missing")
    assert caught.value.status_code == 404
    assert caught.value.error is not None
    assert caught.value.error.code == "ResourceNotFound"
    assert "Microsoft.Compute/snapshots/missing' under resource group 'rg'" in str(caught.value)


def test_request_log_records_method_path_version_type_and_emulated_time(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed({"resources": [{"id": arm_id("disks", "d1"), "location": "eastus"}]})
    arm.clock.advance(42)
    compute.disks.get("rg", "d1")
    compute.disks.begin_update("rg", "d1", {"tags": {"a": "b"}}).result()
    first = arm.log.entries()[0]
    assert (first.method, first.path, first.status) == ("GET", DISKS + "/d1", 200)
    assert first.api_version == "2026-03-02"
    assert first.op_type == "read"
    assert first.time == arm.clock.now()
    assert [e.method for e in arm.log.writes()] == ["PATCH"]
    assert arm.log.count(method="GET", path_contains="/DiskOperations/") >= 1
    arm.log.clear()
    assert len(arm.log) == 0


def test_forced_small_pages_are_followed_by_the_sdk(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    arm.seed(
        {"resources": [{"id": arm_id("disks", f"d{i}"), "location": "eastus"} for i in range(5)]}
    )
    arm.page_size = 2
    names = [d.name for d in compute.disks.list_by_resource_group("rg")]
    assert names == ["d0", "d1", "d2", "d3", "d4"]
    assert arm.log.count(method="GET", path_contains="/disks") == 3
    page = _get(arm, DISKS + "?api-version=2026-03-02").json()
    assert page["nextLink"].startswith(arm.endpoint + DISKS + "?")
    assert "api-version=2026-03-02" in page["nextLink"]


def test_seed_from_json_file_and_reset_empties_everything(arm: ArmEmulator, tmp_path: Path) -> None:
    start = arm.clock.now()
    estate = tmp_path / "estate.json"
    estate.write_text(
        json.dumps({"resources": [{"id": arm_id("disks", "d1"), "location": "East US"}]})
    )
    assert arm.seed(str(estate)) == [arm_id("disks", "d1")]
    assert arm.state.require(arm_id("disks", "D1"))["location"] == "eastus"
    arm.clock.advance(10)
    arm.faults.region_down("eastus")
    arm.reset()
    assert arm.state.ids() == []
    assert len(arm.log) == 0
    assert not arm.faults.is_region_down("eastus")
    assert arm.clock.now() == start


def test_control_api_drives_clock_faults_and_seed(arm: ArmEmulator) -> None:
    def post(action: str, body: Any) -> requests.Response:
        # No Authorization: the control API is not ARM.
        return requests.post(
            f"{arm.endpoint}/_emulator/{action}", json=body, verify=arm.ca_file, timeout=10
        )

    before = arm.clock.now()
    assert post("clock/advance", {"seconds": 120}).status_code == 200
    assert (arm.clock.now() - before).total_seconds() == 120
    assert post("faults/region-down", {"region": "West US"}).status_code == 204
    assert arm.faults.is_region_down("westus")
    seeded = post("seed", {"resources": [{"id": arm_id("disks", "d9"), "location": "eastus"}]})
    assert seeded.json() == {"ids": [arm_id("disks", "d9")]}
    assert _get(arm, "/_emulator/resources").json()["value"][0]["name"] == "d9"
