"""The drill network plan (pure): names, subnets mirroring the production map, bad choices."""

from __future__ import annotations

import pytest

from shared.drills.network import NetworkChoice, network_name, plan_network
from shared.errors import InvalidInput

SUB = "00000000-0000-0000-0000-000000000001"
NET = f"/subscriptions/{SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks"
MAP = {
    f"{NET}/prod/subnets/web": f"{NET}/prod-dr/subnets/web-dr",
    f"{NET}/prod/subnets/app": f"{NET}/prod-dr/subnets/app-dr",
    f"{NET}/prod/subnets/app2": f"{NET}/prod-dr/subnets/app-dr",
}


def test_a_created_network_mirrors_the_dr_subnet_names_one_24_each() -> None:
    plan = plan_network("ab12cd34", SUB, "lifeboat-dr", "westus", MAP, choice=NetworkChoice())
    assert plan.created_by_drill is True
    assert plan.network_id.endswith(
        "/resourceGroups/lifeboat-dr/providers/"
        "Microsoft.Network/virtualNetworks/vnet-drill-ab12cd34"
    )
    assert plan.subnets == {"app-dr": "10.250.0.0/24", "web-dr": "10.250.1.0/24"}
    assert plan.subnet_map[f"{NET}/prod/subnets/web"] == f"{plan.network_id}/subnets/web-dr"
    assert plan.subnet_map[f"{NET}/prod/subnets/app2"] == f"{plan.network_id}/subnets/app-dr"
    assert plan.owned_network() == plan.network_id
    target = plan.target("lifeboat-dr")
    assert target.drill_id == "ab12cd34" and dict(target.subnet_map) == dict(plan.subnet_map)


def test_the_same_drill_gives_the_same_network() -> None:
    one = plan_network("ab12cd34", SUB, "lifeboat-dr", "westus", MAP, choice=NetworkChoice())
    two = plan_network(
        "ab12cd34",
        SUB,
        "lifeboat-dr",
        "westus",
        dict(reversed(MAP.items())),
        choice=NetworkChoice(),
    )
    assert one == two
    assert network_name("ab12cd34") == "vnet-drill-ab12cd34"


def test_a_configured_network_is_used_and_never_owned() -> None:
    vnet = f"{NET}/isolated"
    plan = plan_network("ab12cd34", SUB, "lifeboat-dr", "westus", MAP, choice=NetworkChoice(vnet))
    assert plan.created_by_drill is False and plan.owned_network() is None
    assert plan.subnet_map[f"{NET}/prod/subnets/web"] == f"{vnet}/subnets/web-dr"


@pytest.mark.parametrize(
    ("choice", "field"),
    [
        (lambda: NetworkChoice(address_space="8.8.0.0/16"), "network.addressSpace"),
        (lambda: NetworkChoice(address_space="10.0.0.0/28"), "network.addressSpace"),
        (lambda: NetworkChoice(address_space="10.0.0.1/16"), "network.addressSpace"),
        (lambda: NetworkChoice(address_space="junk"), "network.addressSpace"),
        (lambda: NetworkChoice(configured_id=f"{NET}/x/subnets/y"), "network.vnetId"),
        (lambda: NetworkChoice(configured_id="not-an-id"), "network.vnetId"),
    ],
)
def test_bad_choices_name_the_field(choice: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        choice()  # type: ignore[operator]
    assert caught.value.field == field


def test_an_address_space_too_small_for_the_subnets_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_network(
            "ab12cd34", SUB, "g", "westus", MAP, choice=NetworkChoice(address_space="10.1.0.0/24")
        )
    assert caught.value.field == "network.addressSpace"


def test_a_bad_drill_id_is_refused() -> None:
    with pytest.raises(InvalidInput):
        plan_network("NOPE", SUB, "g", "westus", MAP, choice=NetworkChoice())
