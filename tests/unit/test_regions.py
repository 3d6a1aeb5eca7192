"""Region names and DR regions: Microsoft's pair table, asymmetric pairs, overrides, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.errors import ConfigurationError, InvalidInput
from shared.regions import dr_region_for, normalize_region, pair_table


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("East US", "eastus"),
        ("east us", "eastus"),
        ("EASTUS", "eastus"),
        ("  Australia Southeast ", "australiasoutheast"),
        ("(US) East US 2", "eastus2"),
        ("Global", "global"),
        ("West US 3", "westus3"),
    ],
)
def test_display_names_map_to_programmatic_names(given: str, expected: str) -> None:
    assert normalize_region(given) == expected


@pytest.mark.parametrize("bad", ["", "   ", "east/us", 42, None, "x" * 65, "eastus;drop"])
def test_non_region_values_raise_invalid_input_naming_the_field(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        normalize_region(bad, "data.region")
    assert err.value.field == "data.region"


def test_every_region_in_the_table_pairs_to_a_region_the_table_knows() -> None:
    table = pair_table()
    assert len(table) >= 57
    for region, paired in table.items():
        assert normalize_region(region) == region
        if paired is not None:
            assert paired in table, f"{region} pairs to unknown {paired}"


@pytest.mark.parametrize(
    ("primary", "dr"),
    [
        ("eastus", "westus"),
        ("westus", "eastus"),
        ("brazilsouth", "southcentralus"),
        ("southcentralus", "northcentralus"),
        ("westus3", "eastus"),
        ("westindia", "southindia"),
        ("southindia", "centralindia"),
        ("North Europe", "westeurope"),
    ],
)
def test_asymmetric_pairs_are_honoured_as_published(primary: str, dr: str) -> None:
    assert dr_region_for(primary) == dr


def test_override_wins_over_the_pair_and_is_matched_by_display_name() -> None:
    assert dr_region_for("East US", {"eastus": "East US 2"}) == "eastus2"
    assert dr_region_for("eastus", {"East US": "centralus"}) == "centralus"


def test_unpaired_region_without_override_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigurationError) as err:
        dr_region_for("italynorth")
    assert "italynorth" in str(err.value)
    assert err.value.setting == "LIFEBOAT_DR_REGION_OVERRIDES"


def test_unpaired_region_with_override_is_fine() -> None:
    assert dr_region_for("italynorth", {"italynorth": "westeurope"}) == "westeurope"


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="moonbase1"):
        dr_region_for("moonbase1")


def test_sovereign_clouds_have_their_own_tables() -> None:
    assert dr_region_for("chinanorth", cloud="AzureChinaCloud") == "chinaeast"
    assert dr_region_for("usgovvirginia", cloud="AzureUSGovernment") == "usgovtexas"
    with pytest.raises(ConfigurationError):
        dr_region_for("eastus", cloud="AzureChinaCloud")


def test_shipped_table_matches_the_published_list_count() -> None:
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "region-pairs.json"
    table = json.loads(data.read_text())
    unpaired = sorted(k for k, v in table.items() if v is None)
    assert "austriaeast" in unpaired and "italynorth" in unpaired
    assert len(unpaired) == 13
