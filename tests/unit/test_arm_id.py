"""ARM ids parse once into a value object; bad ids raise InvalidInput naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.arm_id import ResourceId
from shared.errors import InvalidInput

VERSION = (
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute/galleries/g1"
    "/images/img/versions/1.0.0"
)


def test_gallery_image_version_id_parses_into_types_and_names() -> None:
    rid = ResourceId.parse(VERSION)
    assert rid.subscription == "sub1"
    assert rid.resource_group == "rg1"
    assert rid.namespace == "Microsoft.Compute"
    assert rid.types == ("galleries", "images", "versions")
    assert rid.names == ("g1", "img", "1.0.0")
    assert rid.name == "1.0.0"
    assert rid.is_type("microsoft.compute/GALLERIES/images/versions")
    assert str(rid) == VERSION


def test_parent_and_child_walk_the_hierarchy() -> None:
    rid = ResourceId.parse(VERSION)
    image = rid.parent()
    assert image.full_type == "Microsoft.Compute/galleries/images"
    assert image.child("versions", "1.0.0") == rid
    assert image.parent().parent() == ResourceId("sub1", "rg1")


def test_subscription_and_group_ids_parse() -> None:
    assert ResourceId.parse("/subscriptions/s").name == "s"
    assert ResourceId.parse("/subscriptions/s/resourceGroups/rg").name == "rg"


def test_key_is_case_insensitive() -> None:
    assert ResourceId.parse(VERSION).key() == ResourceId.parse(VERSION.upper()).key()


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "abc",
        "/subscriptions",
        "/subscriptions/s/resourceGroups",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks",
        "/subscriptions/s/resourceGroups/rg/nope/x/y",
    ],
)
def test_malformed_ids_raise_invalid_input_naming_the_field(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        ResourceId.parse(bad, "subject")
    assert err.value.field == "subject"


@settings(max_examples=300, derandomize=True)
@given(st.one_of(st.text(max_size=200), st.lists(st.text(max_size=12), max_size=10).map("/".join)))
def test_arbitrary_text_either_parses_or_raises_invalid_input(text: str) -> None:
    try:
        rid = ResourceId.parse(text)
    except InvalidInput:
        return
    assert ResourceId.parse(str(rid)) == rid
