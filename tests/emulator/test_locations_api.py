"""GET /subscriptions/{sub}/locations through the real SubscriptionClient."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from shared.regions import pair_table
from tests.plugins.arm import LifeboatEnv
from tests.plugins.payloads import load_payload

pytestmark = pytest.mark.emulator


def locations(env: LifeboatEnv) -> dict[str, Any]:
    client = env.clients.subscriptions()
    return {loc.name: loc for loc in client.subscriptions.list_locations(env.subscription)}


def test_every_public_region_is_listed_with_its_published_pair(lifeboat_env: LifeboatEnv) -> None:
    found = locations(lifeboat_env)
    assert set(found) == set(pair_table("AzureCloud"))
    for name, loc in found.items():
        paired = [p.name for p in loc.metadata.paired_region or []]
        expected = pair_table("AzureCloud")[name]
        assert paired == ([expected] if expected else []), name


def test_asymmetric_and_unpaired_regions_are_reported_as_published(
    lifeboat_env: LifeboatEnv,
) -> None:
    found = locations(lifeboat_env)
    assert found["westus3"].metadata.paired_region[0].name == "eastus"
    assert found["eastus"].metadata.paired_region[0].name == "westus"
    assert found["italynorth"].metadata.paired_region == []


def test_location_matches_the_published_example(lifeboat_env: LifeboatEnv) -> None:
    example = load_payload("arm_rest_example_GetLocations_2022-12-01")
    sample_sub = example["parameters"]["subscriptionId"]
    sub = lifeboat_env.subscription
    client = lifeboat_env.clients.subscriptions()
    got = {loc.name: loc.as_dict() for loc in client.subscriptions.list_locations(sub)}
    for sample in example["responses"]["200"]["body"]:
        expected = json.loads(json.dumps(sample).replace(sample_sub, sub))
        mine = got[sample["name"]]
        assert {k: mine[k] for k in expected if k != "metadata"} == {
            k: v for k, v in expected.items() if k != "metadata"
        }
        assert {k: mine["metadata"][k] for k in expected["metadata"]} == expected["metadata"]


def test_zonal_regions_carry_zone_mappings(lifeboat_env: LifeboatEnv) -> None:
    found = locations(lifeboat_env)
    assert [m.logical_zone for m in found["eastus"].availability_zone_mappings] == ["1", "2", "3"]
    assert found["westus"].availability_zone_mappings is None


def test_malformed_subscription_is_a_400(lifeboat_env: LifeboatEnv) -> None:
    client = lifeboat_env.clients.subscriptions()
    with pytest.raises(HttpResponseError) as err:
        list(client.subscriptions.list_locations("not-a-guid"))
    assert err.value.status_code == 400
    assert err.value.error.code == "InvalidSubscriptionId"
