"""Gallery replication state and target-region rules, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator.core.errors import ArmError
from emulator.providers import gallery_replication as replication
from emulator.providers import gallery_versions as versions
from emulator.providers.locations import display_name, has_zones

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def up(_region: str) -> bool:
    return False


def test_home_region_completes_before_remote_regions() -> None:
    meta: dict[str, Any] = {}
    replication.start_regions(meta, "eastus", ["eastus", "westus"], T0)
    replication.advance(meta, "eastus", T0 + timedelta(seconds=replication.HOME_REGION_SECONDS), up)
    status = replication.replication_status(meta, ["eastus", "westus"])
    assert status["aggregatedState"] == "InProgress"
    assert [(s["region"], s["state"]) for s in status["summary"]] == [
        ("East US", "Completed"),
        ("West US", "Replicating"),
    ]
    replication.advance(meta, "eastus", T0 + timedelta(hours=1), up)
    assert replication.replication_status(meta, ["eastus", "westus"])["aggregatedState"] == (
        "Completed"
    )


def test_advance_is_idempotent_for_the_same_moment() -> None:
    meta: dict[str, Any] = {}
    replication.start_regions(meta, "eastus", ["westus"], T0)
    later = T0 + timedelta(seconds=90)
    replication.advance(meta, "eastus", later, up)
    replication.advance(meta, "eastus", later, up)
    assert meta["replication"]["westus"]["elapsed"] == 90


def test_replica_stalls_while_its_region_or_the_home_region_is_down() -> None:
    meta: dict[str, Any] = {}
    replication.start_regions(meta, "eastus", ["westus"], T0)
    replication.advance(meta, "eastus", T0 + timedelta(seconds=100), lambda r: r == "westus")
    replication.advance(meta, "eastus", T0 + timedelta(seconds=200), lambda r: r == "eastus")
    assert meta["replication"]["westus"]["elapsed"] == 0
    replication.advance(meta, "eastus", T0 + timedelta(seconds=260), up)
    assert meta["replication"]["westus"]["elapsed"] == 60


def test_target_regions_come_back_as_display_names_with_defaults() -> None:
    regions = versions.target_regions({"targetRegions": [{"name": "eastus2"}]}, "eastus2")
    assert regions == [
        {
            "name": "East US 2",
            "regionalReplicaCount": 1,
            "storageAccountType": "Standard_LRS",
            "excludeFromLatest": False,
        }
    ]


def test_zone_redundant_storage_needs_a_zonal_region() -> None:
    assert has_zones("eastus") and not has_zones("westus")
    with pytest.raises(ArmError) as err:
        versions.target_regions(
            {"targetRegions": [{"name": "westus", "storageAccountType": "Standard_ZRS"}]}, "westus"
        )
    assert err.value.status == 400
    assert err.value.target and err.value.target.endswith("storageAccountType")


def test_target_regions_must_include_the_version_location() -> None:
    with pytest.raises(ArmError) as err:
        versions.target_regions({"targetRegions": [{"name": "westus"}]}, "eastus")
    assert "East US" in err.value.message


def test_display_names_for_known_and_unknown_regions() -> None:
    assert display_name("(US) East US 2") == "East US 2"
    assert display_name("mars") == "mars"
