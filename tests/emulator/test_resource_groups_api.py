"""/subscriptions/{sub}/resourcegroups/{rg} through the real ResourceManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.plugins.arm import LifeboatEnv, arm_id

pytestmark = pytest.mark.emulator


def test_a_missing_group_is_404_resource_group_not_found_and_head_says_so(
    lifeboat_env: LifeboatEnv,
) -> None:
    ops = lifeboat_env.clients.resources(lifeboat_env.subscription).resource_groups
    with pytest.raises(ResourceNotFoundError) as err:
        ops.get("nowhere")
    assert err.value.error is not None and err.value.error.code == "ResourceGroupNotFound"
    assert ops.check_existence("nowhere") is False


def test_put_creates_in_the_location_then_get_head_and_a_same_location_put_answer(
    lifeboat_env: LifeboatEnv,
) -> None:
    sub = lifeboat_env.subscription
    ops = lifeboat_env.clients.resources(sub).resource_groups
    created = ops.create_or_update("dr-westus", {"location": "West US", "tags": {"a": "1"}})
    assert created.id == f"/subscriptions/{sub}/resourceGroups/dr-westus"
    assert created.type == "Microsoft.Resources/resourceGroups"
    assert (created.location, created.tags) == ("westus", {"a": "1"})
    assert created.properties is not None
    assert created.properties.provisioning_state == "Succeeded"
    assert ops.get("DR-WESTUS").name == "dr-westus"
    assert ops.check_existence("dr-westus") is True
    again = ops.create_or_update("dr-westus", {"location": "westus", "tags": {"b": "2"}})
    assert again.tags == {"b": "2"}


def test_a_put_in_another_location_is_409_invalid_resource_group_location(
    lifeboat_env: LifeboatEnv,
) -> None:
    ops = lifeboat_env.clients.resources(lifeboat_env.subscription).resource_groups
    ops.create_or_update("home", {"location": "eastus"})
    with pytest.raises(HttpResponseError) as err:
        ops.create_or_update("home", {"location": "westus"})
    assert err.value.status_code == 409
    assert err.value.error is not None and err.value.error.code == "InvalidResourceGroupLocation"
    assert ops.get("home").location == "eastus"


def test_an_unknown_location_is_refused(lifeboat_env: LifeboatEnv) -> None:
    ops = lifeboat_env.clients.resources(lifeboat_env.subscription).resource_groups
    with pytest.raises(HttpResponseError) as err:
        ops.create_or_update("g", {"location": "atlantis"})
    assert err.value.status_code == 400


def test_a_seeded_or_put_resource_creates_its_group_in_its_location(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm, sub = lifeboat_env.arm, lifeboat_env.subscription
    arm.seed({"resources": [{"id": arm_id("disks", "d1", rg="seeded"), "location": "northeurope"}]})
    ops = lifeboat_env.clients.resources(sub).resource_groups
    assert ops.get("seeded").location == "northeurope"
    arm.resource_groups.create(sub, "chosen", "eastus")
    arm.seed({"resources": [{"id": arm_id("disks", "d2", rg="chosen"), "location": "westus"}]})
    assert ops.get("chosen").location == "eastus"  # an existing group keeps its location
    arm.reset()
    assert ops.check_existence("seeded") is False


def test_delete_removes_the_group_and_everything_in_it(lifeboat_env: LifeboatEnv) -> None:
    arm, sub = lifeboat_env.arm, lifeboat_env.subscription
    disk = arm_id("disks", "d1", rg="doomed")
    arm.seed({"resources": [{"id": disk, "location": "eastus"}]})
    ops = lifeboat_env.clients.resources(sub).resource_groups
    ops.begin_delete("doomed").result()
    assert ops.check_existence("doomed") is False
    assert arm.state.get(disk) is None
