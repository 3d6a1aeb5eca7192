"""Deterministic DR names: templates, managed image outputs and VHD paths never collide."""

from __future__ import annotations

import hashlib

import pytest

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.templates.backup import template_id_of
from shared.templates.restore import (
    SourceFacts,
    dr_template_name,
    prepare_restore,
    validate_template_name,
)
from tests.unit.test_templates_restore import RG, SUB, TARGET, TID, changed, plan, template


def short(text: str) -> str:
    """8 hex digits of the SHA-256 of a (case-folded) id: the DR names' disambiguator."""
    return hashlib.sha256(text.lower().encode()).hexdigest()[:8]


def test_target_is_the_deterministic_dr_name_in_the_dr_group() -> None:
    p = plan()
    assert p.target_id.resource_group == "lifeboat-dr"
    assert p.target_id.name == f"web-dr-westus-{short(str(TID))}"
    assert p.target_id.subscription == SUB


def test_same_named_templates_in_two_groups_get_distinct_dr_names() -> None:
    one = template_id_of(str(TID).replace("/app/", "/rg1/"))
    two = template_id_of(str(TID).replace("/app/", "/rg2/"))

    names = {
        prepare_restore(t, template(), TARGET, SourceFacts()).target_id.name for t in (one, two)
    }

    assert len(names) == 2
    shouted = template_id_of(str(one).replace("/rg1/", "/RG1/"))
    assert dr_template_name(one, "westus") == dr_template_name(shouted, "westus")


def test_long_names_are_cut_to_the_arm_limit_and_stay_distinct() -> None:
    a = dr_template_name(_named("a" * 64), "southeastasia")
    b = dr_template_name(_named("a" * 63 + "b"), "southeastasia")
    assert len(a) == 64 and len(b) == 64
    assert a != b and a.startswith("aaaa") and "-dr-southeastasia-" in a
    validate_template_name(a)


def _named(name: str) -> ResourceId:
    return template_id_of(str(TID).rsplit("/", 1)[0] + f"/{name}")


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, "-leading", "semi;colon"])
def test_invalid_template_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_template_name(bad)


def test_managed_image_output_goes_to_the_dr_region_and_dr_group() -> None:
    source_image = template()["properties"]["distribute"][0]["imageId"]
    dist = plan().body["properties"]["distribute"][0]
    assert dist["location"] == "westus"
    assert dist["imageId"] == (
        f"{RG}/lifeboat-dr/providers/Microsoft.Compute/images/MyImage-dr-westus-"
        + short(source_image)
    )


def test_managed_image_outputs_of_same_named_images_in_two_groups_stay_distinct() -> None:
    def dr_image(group: str) -> str:
        body = template()
        body["properties"]["distribute"][0]["imageId"] = (
            f"{RG}/{group}/providers/Microsoft.Compute/images/web"
        )
        return str(plan(body).body["properties"]["distribute"][0]["imageId"])

    assert dr_image("rg1") != dr_image("rg2")
    assert dr_image("rg1") == dr_image("RG1")  # ARM ids ignore case
    assert dr_image("rg1").rsplit("/", 1)[1].startswith("web-dr-westus-")


def test_a_long_managed_image_name_is_cut_to_the_80_character_limit() -> None:
    body = template()
    body["properties"]["distribute"][0]["imageId"] = (
        f"{RG}/app/providers/Microsoft.Compute/images/{'i' * 80}"
    )
    name = plan(body).body["properties"]["distribute"][0]["imageId"].rsplit("/", 1)[1]
    assert len(name) == 80 and "-dr-westus-" in name


def test_vhd_output_is_written_to_the_dr_accounts_vhd_container() -> None:
    p = plan()
    dist = p.body["properties"]["distribute"][2]
    assert dist["uri"] == "https://lbdr.blob.core.windows.net/vhd-copies/src/vhds/a/b.vhd"
    assert changed(p)["properties.distribute[2].uri"] == dist["uri"]


def test_vhd_outputs_with_the_same_path_in_two_accounts_stay_distinct() -> None:
    def dr_uri(uri: str) -> str:
        body = template()
        body["properties"]["distribute"][2]["uri"] = uri
        return str(plan(body).body["properties"]["distribute"][2]["uri"])

    one = dr_uri("https://one.blob.core.windows.net/vhds/a.vhd?sv=x")
    two = dr_uri("https://two.blob.core.windows.net/vhds/a.vhd")
    assert one != two
    assert one == "https://lbdr.blob.core.windows.net/vhd-copies/one/vhds/a.vhd"
