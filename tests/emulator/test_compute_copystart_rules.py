"""CopyStart rules: api-version, creation order, seeded families, access state, egress bytes."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Snapshot

from emulator.providers.compute import copystart
from emulator.server import ArmEmulator
from tests.plugins.arm import AUTH, arm_id

GIB = 1024**3
DISK = arm_id("disks", "d1")


def _body(source: str, option: str, location: str) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "creationData": {"createOption": option, "sourceResourceId": source},
            "incremental": True,
        },
    }


def _incremental(compute: ComputeManagementClient, name: str) -> Snapshot:
    return compute.snapshots.begin_create_or_update(
        "rg", name, _body(DISK, "Copy", "eastus")
    ).result()


def _copy_start(compute: ComputeManagementClient, name: str, source: str) -> Snapshot:
    return compute.snapshots.begin_create_or_update(
        "rg", name, _body(source, "CopyStart", "westus")
    ).result()


@pytest.fixture
def disk(arm: ArmEmulator) -> str:
    arm.seed({"resources": [{"id": DISK, "location": "eastus", "properties": {"diskSizeGB": 64}}]})
    return DISK


def test_copy_start_with_an_api_version_before_2020_12_01_is_refused(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    source = _incremental(compute, "s1")
    target = arm_id("snapshots", "s1-westus")
    answer = requests.put(
        f"{arm.endpoint}{target}?api-version=2020-09-30",
        json=_body(str(source.id), "CopyStart", "westus"),
        headers=AUTH,
        verify=arm.ca_file,
        timeout=10,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "InvalidParameter" and "2020-12-01" in error["message"]
    assert not arm.state.exists(target)


def test_an_older_snapshot_cannot_be_copied_after_a_newer_one(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    older = _incremental(compute, "s1")
    arm.clock.advance(600)
    newer = _incremental(compute, "s2")
    _copy_start(compute, "s2-westus", str(newer.id))
    arm.clock.advance(3600)
    with pytest.raises(ResourceExistsError) as caught:
        _copy_start(compute, "s1-westus", str(older.id))
    assert caught.value.error is not None and caught.value.error.code == "OperationNotAllowed"
    assert "order" in str(caught.value)
    assert not arm.state.exists(arm_id("snapshots", "s1-westus"))
    # Another region has no copy yet: any order starts there.
    compute.snapshots.begin_create_or_update(
        "rg", "s1-east2", _body(str(older.id), "CopyStart", "eastus2")
    ).result()


def test_seeded_snapshots_share_their_disks_family_and_its_one_copy_rule(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    def seeded(name: str) -> dict[str, Any]:
        return {
            "id": arm_id("snapshots", name),
            "location": "eastus",
            "properties": {
                "incremental": True,
                "creationData": {"createOption": "Copy", "sourceResourceId": DISK},
            },
        }

    # Snapshots listed before their disk still join its family.
    arm.seed({"resources": [seeded("s1"), seeded("s2")]})
    arm.seed({"resources": [{"id": DISK, "location": "eastus"}]})
    later = _incremental(compute, "s3")
    families = {
        compute.snapshots.get("rg", name).incremental_snapshot_family_id for name in ("s1", "s2")
    }
    assert families == {later.incremental_snapshot_family_id}
    _copy_start(compute, "s1-westus", arm_id("snapshots", "s1"))
    with pytest.raises(ResourceExistsError):
        _copy_start(compute, "s2-westus", arm_id("snapshots", "s2"))


def test_a_copy_is_pending_until_complete_and_cannot_be_copied_meanwhile(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    source = _incremental(compute, "s1")
    copy = _copy_start(compute, "s1-westus", str(source.id))
    assert copy.snapshot_access_state == "Pending"
    with pytest.raises(ResourceExistsError) as caught:
        compute.snapshots.begin_create_or_update(
            "rg", "s1-east2", _body(str(copy.id), "CopyStart", "eastus2")
        ).result()
    assert "Pending" in str(caught.value)
    arm.clock.advance(600)
    done = compute.snapshots.get("rg", "s1-westus")
    assert done.completion_percent == 100.0 and done.snapshot_access_state == "Available"


def test_the_copy_keeps_the_sources_security_profile(
    arm: ArmEmulator, compute: ComputeManagementClient
) -> None:
    security = {"securityType": "TrustedLaunch"}
    arm.seed(
        {
            "resources": [
                {
                    "id": arm_id("snapshots", "tl"),
                    "location": "eastus",
                    "properties": {"incremental": True, "securityProfile": security},
                }
            ]
        }
    )
    copy = _copy_start(compute, "tl-westus", arm_id("snapshots", "tl"))
    assert copy.security_profile is not None
    assert copy.security_profile.security_type == "TrustedLaunch"


def test_the_first_copy_of_a_disk_into_a_region_is_full_and_later_ones_incremental(
    arm: ArmEmulator, compute: ComputeManagementClient, disk: str
) -> None:
    first = _incremental(compute, "s1")
    _copy_start(compute, "s1-westus", str(first.id))
    arm.clock.advance(600)
    second = _incremental(compute, "s2")
    arm.state.meta(str(second.id))["_changedBytes"] = 3 * GIB
    _copy_start(compute, "s2-westus", str(second.id))
    third = _incremental(compute, "s3")
    arm.clock.advance(600)
    other_region = compute.snapshots.begin_create_or_update(
        "rg", "s3-east2", _body(str(third.id), "CopyStart", "eastus2")
    ).result()
    answer = requests.get(f"{arm.endpoint}/_emulator/copies", verify=arm.ca_file, timeout=10).json()
    by_id = {entry["id"].rsplit("/", 1)[-1]: entry for entry in answer["value"]}
    assert (by_id["s1-westus"]["kind"], by_id["s1-westus"]["bytes"]) == ("full", 64 * GIB)
    assert (by_id["s2-westus"]["kind"], by_id["s2-westus"]["bytes"]) == ("incremental", 3 * GIB)
    assert by_id[str(other_region.name)]["kind"] == "full"
    assert copystart.ledger(arm.core) == answer["value"]
