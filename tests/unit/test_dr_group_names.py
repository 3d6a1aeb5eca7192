"""The DR resource group name: one function derives it; `{region}` gives a group per DR region."""

from __future__ import annotations

import pytest

from shared.arm_id import ResourceId
from shared.config import Settings, load_settings
from shared.engine import names as naming
from shared.engine.placement import dr_group_of
from shared.errors import ConfigurationError

SUB = "00000000-0000-0000-0000-000000000001"
PER_REGION = "lifeboat-dr-{region}"


def _id(group: str) -> ResourceId:
    return ResourceId.parse(
        f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/snapshots/s"
    )


def test_without_placeholder_every_dr_region_shares_the_one_group() -> None:
    settings = Settings(primary_regions=("eastus",))
    assert naming.dr_resource_group(settings, "westus") == "lifeboat-dr"
    assert naming.dr_resource_group(settings, "northeurope") == "lifeboat-dr"
    assert naming.dr_group_region(settings, "LIFEBOAT-DR") == "westus"
    assert naming.dr_group_region(settings, "lifeboat-dr-westus") is None


def test_the_placeholder_is_the_dr_region_and_is_read_back_from_the_name() -> None:
    settings = Settings(primary_regions=("eastus", "westeurope"), dr_resource_group=PER_REGION)
    assert naming.dr_resource_group(settings, "WestUS") == "lifeboat-dr-westus"
    assert naming.dr_group_region(settings, "Lifeboat-DR-NorthEurope") == "northeurope"
    assert naming.dr_group_region(settings, "lifeboat-dr") is None
    assert naming.dr_group_region(settings, "lifeboat-dr-west-us") is None
    gallery = naming.dr_gallery_id(settings, SUB, "northeurope")
    assert gallery.resource_group == "lifeboat-dr-northeurope"
    source = _id("images")
    assert naming.dr_snapshot_id(settings, source, "os", "westus").resource_group == (
        "lifeboat-dr-westus"
    )
    assert naming.ImageNames(settings, source, "westus").staging_gallery(
        "eastus"
    ).resource_group == ("lifeboat-dr-westus")


def test_everything_in_any_dr_group_is_lifeboats_own_and_nothing_else_is() -> None:
    settings = Settings(primary_regions=("eastus", "westeurope"), dr_resource_group=PER_REGION)
    assert naming.is_lifeboat_resource(_id("lifeboat-dr-westus"), settings)
    assert naming.is_lifeboat_resource(_id("LIFEBOAT-DR-NORTHEUROPE"), settings)
    assert not naming.is_lifeboat_resource(_id("lifeboat-dr"), settings)
    assert not naming.is_lifeboat_resource(_id("app-lifeboat-dr-westus"), settings)
    plain = Settings()
    assert naming.is_lifeboat_resource(_id("Lifeboat-DR"), plain)
    assert not naming.is_lifeboat_resource(_id("lifeboat-dr2"), plain)


def test_primaries_mapping_to_two_dr_regions_need_the_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "eastus,westeurope")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_DR_RESOURCE_GROUP"
    assert "{region}" in str(err.value) and "northeurope, westus" in str(err.value)
    monkeypatch.setenv("LIFEBOAT_DR_RESOURCE_GROUP", PER_REGION)
    assert load_settings().dr_resource_group == PER_REGION


def test_primaries_sharing_one_dr_region_keep_one_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "eastus,centralus")
    monkeypatch.setenv("LIFEBOAT_DR_REGION_OVERRIDES", "centralus=westus")
    settings = load_settings()
    assert naming.dr_regions(settings) == ("westus",)
    assert naming.dr_group_region(settings, "lifeboat-dr") == "westus"


@pytest.mark.parametrize("name", ["bad/name", "ends.", "x" * 91, "dr-{zone}"])
def test_a_name_that_cannot_be_a_resource_group_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("LIFEBOAT_DR_RESOURCE_GROUP", name)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_DR_RESOURCE_GROUP"


def test_only_arm_ids_in_a_dr_group_of_known_region_are_checked() -> None:
    settings = Settings(primary_regions=("eastus", "westeurope"), dr_resource_group=PER_REGION)
    target = str(_id("lifeboat-dr-westus"))
    assert dr_group_of(settings, target) == (SUB, "lifeboat-dr-westus", "westus")
    assert dr_group_of(settings, str(_id("app"))) is None
    assert dr_group_of(settings, "https://acct.blob.core.windows.net/vhd-copies/x.vhd") is None
    # No primaries and no placeholder: the group's DR region is unknown, so it is not checked.
    assert dr_group_of(Settings(), str(_id("lifeboat-dr"))) is None
