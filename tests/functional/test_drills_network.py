"""The drill network in Azure (emulator): created once with mirrored subnets, or checked."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.drills.network import DRILL_TAG, NetworkChoice, ensure_network, plan_network
from shared.errors import InvalidInput
from tests.plugins.arm import SUBSCRIPTION
from tests.support.drills import DRILL, SUBNET_ID, VNET_ID, seed_drill

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

NET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod/providers/Microsoft.Network"
MAP = {
    f"{NET}/virtualNetworks/prod/subnets/app": f"{NET}/virtualNetworks/prod-dr/subnets/app",
    f"{NET}/virtualNetworks/prod/subnets/web": f"{NET}/virtualNetworks/prod-dr/subnets/web",
}


def _puts(arm: Any) -> int:
    return sum(1 for e in arm.log.entries() if e.method == "PUT" and "virtualNetworks" in e.path)


def test_the_drill_creates_its_network_once_with_the_mirrored_subnets(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    plan = plan_network(DRILL, SUBSCRIPTION, "lifeboat-dr", "westus", MAP, choice=NetworkChoice())
    made = ensure_network(get_deps().clients, plan)
    assert made.network_id.lower() == plan.network_id.lower()
    assert made.location == "westus"
    assert set(made.subnets) == {"app", "web"}
    assert made.tags == {DRILL_TAG: DRILL}
    stored = arm.state.get(plan.network_id)
    assert stored is not None
    assert stored["properties"]["addressSpace"]["addressPrefixes"] == ["10.250.0.0/16"]
    assert _puts(arm) == 1
    again = ensure_network(get_deps().clients, plan)  # a retried step writes nothing
    assert again.subnets == made.subnets
    assert _puts(arm) == 1


def test_a_configured_network_is_checked_and_never_written(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ())  # vnet-drill-<id> with subnet `app`, standing in for a configured one
    app_only = {k: v for k, v in MAP.items() if k.endswith("/app")}
    plan = plan_network(
        DRILL, SUBSCRIPTION, "lifeboat-dr", "westus", app_only, choice=NetworkChoice(VNET_ID)
    )
    found = ensure_network(get_deps().clients, plan)
    assert found.subnets["app"].lower() == SUBNET_ID.lower()
    assert _puts(arm) == 0
    assert plan.owned_network() is None


def test_a_configured_network_without_a_mirrored_subnet_is_refused(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ())
    plan = plan_network(
        DRILL, SUBSCRIPTION, "lifeboat-dr", "westus", MAP, choice=NetworkChoice(VNET_ID)
    )
    with pytest.raises(InvalidInput) as caught:
        ensure_network(get_deps().clients, plan)
    assert caught.value.field == "network.vnetId"
    assert "web" in caught.value.message
    assert _puts(arm) == 0


def test_a_configured_network_that_does_not_exist_is_refused(lifeboat_env: Any) -> None:
    plan = plan_network(
        DRILL, SUBSCRIPTION, "lifeboat-dr", "westus", MAP, choice=NetworkChoice(VNET_ID)
    )
    with pytest.raises(InvalidInput) as caught:
        ensure_network(get_deps().clients, plan)
    assert "does not exist" in caught.value.message
