"""Least privilege: three custom roles split the code's ARM actions by scope; data roles scoped."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.azure.actions import ARM_ACTIONS, ARM_DATA_ACTIONS, is_arm_action, role_permissions
from tests.infra.bicep import (
    INFRA,
    Scope,
    accessor_path,
    bicep_files,
    function_call,
    main_scope,
    walk,
)
from tests.infra.sync import ARM_ACTIONS_FILE, arm_actions, render

RBAC = Scope(INFRA / "rbac.bicep")
MAIN = main_scope()

ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    # Publishing Lifeboat's events to its topic; reading the activity log from its workspace.
    "d5a91429-5739-47e2-a06b-3470a27159e7": "EventGrid Data Sender",
    "73c42c96-874c-492b-b04d-ab87d138a893": "Log Analytics Reader",
}
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
OWNER, BLOB, QUEUE, TABLE, METRICS = list(ROLES)[:5]
# Custom role resource in rbac.bicep -> its part of shared.azure.actions.role_permissions().
CUSTOM_ROLES = {
    "readRole": "subscription",
    "drWriteRole": "drResourceGroup",
    "identityRole": "linked",
}


def _permission(role: str) -> dict[str, Any]:
    body = RBAC.section("resources")[role]["config"]["config"]
    (permission,) = body["properties"]["permissions"]
    assert RBAC.resolve(permission["notActions"]) == []
    assert RBAC.resolve(permission["notDataActions"]) == []
    return dict(permission)


def _granted(role: str, field: str) -> list[str]:
    granted = RBAC.resolve(_permission(role)[field])
    assert isinstance(granted, list), f"{role} {field} must resolve to a list"
    return granted


@pytest.mark.parametrize("role", CUSTOM_ROLES)
@pytest.mark.parametrize("field", ["actions", "dataActions"])
def test_each_custom_role_grants_exactly_its_part_of_the_code_declarations(
    role: str, field: str
) -> None:
    granted = _granted(role, field)
    declared = role_permissions()[CUSTOM_ROLES[role]][field]
    assert len(granted) == len({a.lower() for a in granted}), f"duplicate {field} in {role}"
    assert {a.lower() for a in granted} == {a.lower() for a in declared}, (
        f"{role} {field} differ from shared/azure/actions.py: run `python -m tests.infra.sync`"
    )


def test_the_roles_together_grant_every_declared_action_and_nothing_more() -> None:
    granted = {a.lower() for role in CUSTOM_ROLES for a in _granted(role, "actions")}
    assert granted == {a.lower() for a in ARM_ACTIONS}
    data = {a.lower() for role in CUSTOM_ROLES for a in _granted(role, "dataActions")}
    assert data == {a.lower() for a in ARM_DATA_ACTIONS}


@pytest.mark.parametrize("role", CUSTOM_ROLES)
def test_a_custom_role_exists_only_while_it_has_permissions(role: str) -> None:
    condition = RBAC.section("resources")[role]["config"]["condition"]
    assert condition == f"{role}Enabled"
    assert "armPermissions" in str(RBAC.section("variables")[condition]["value"])


def test_arm_actions_file_is_exactly_what_sync_writes() -> None:
    assert ARM_ACTIONS_FILE.read_text() == render(arm_actions()), "run `python -m tests.infra.sync`"


@pytest.mark.parametrize("role", CUSTOM_ROLES)
def test_custom_roles_have_no_wildcards(role: str) -> None:
    for action in _granted(role, "actions") + _granted(role, "dataActions"):
        assert "*" not in action and is_arm_action(action), action


def _loop(module: str) -> tuple[dict[str, Any], Any]:
    config = RBAC.section("modules")[module]["config"]
    array = config["loop_type"]["detail"]["array_name"]
    return config["config"], RBAC.section("variables")[array]["value"]


def test_read_role_is_assignable_and_assigned_on_every_subscription_in_scope() -> None:
    call, over = _loop("readRoleAssignments")
    assert over["operator"]["operands"]["true_value"] == "subscriptionIds"
    scopes = RBAC.section("variables")["subscriptionScopes"]["value"]
    assert scopes["loop_type"]["detail"]["array_name"] == "subscriptionIds"
    assert function_call(call["scope"]) == ("subscription", {"subscription_id": "sub"})
    assert "readRoleName" in str(call["params"]["roleDefinitionId"])


def _dr_write_loop() -> dict[str, Any]:
    config: dict[str, Any] = RBAC.section("modules")["drWriteRoleAssignments"]["config"]
    return config


def test_dr_write_role_is_assigned_only_on_each_dr_resource_group_of_each_subscription() -> None:
    config = _dr_write_loop()
    over = RBAC.section("variables")["drWriteRoleSubscriptionIds"]["value"]
    assert over["operator"]["operands"]["true_value"] == "subscriptionIds"
    # One assignment per (subscription, DR group): range over their product, i / n and i % n.
    count = config["loop_type"]["detail"]["array_name"]["function"]["parameters"]["count"]
    product = count["operator"]["operands"]
    assert function_call(product["operand_1"]) == (
        "length",
        {"arg_1": "drWriteRoleSubscriptionIds"},
    )
    assert product["operand_2"] == "drGroupCount"
    call = config["config"]
    scope = function_call(call["scope"])
    assert scope is not None and scope[0] == "resource_group"
    sub, group = (scope[1][k]["operator"] for k in ("subscription_id", "resource_group_name"))
    assert (sub["type"], sub["operands"]["operand_1"]) == (
        "index_accessor",
        "drWriteRoleSubscriptionIds",
    )
    assert sub["operands"]["operand_2"]["operator"]["type"] == "divide"
    assert (group["type"], group["operands"]["operand_1"]) == (
        "index_accessor",
        "drResourceGroupNames",
    )
    assert group["operands"]["operand_2"]["operator"]["type"] == "modulo"
    (assignment,) = call["params"]["groupAssignments"]
    assert "drWriteRoleName" in str(assignment["roleDefinitionId"])
    # The DR groups, and the failback group (copies back to the primary region) after them.
    passed = MAIN.section("modules")["rbac"]["config"]["params"]["drResourceGroupNames"]
    assert function_call(passed) == (
        "concat",
        {"arg_1": "drResourceGroupNames", "arg_2": ["failbackResourceGroupName"]},
    )
    names = MAIN.section("variables")["drResourceGroupNames"]["value"]
    assert names["loop_type"]["detail"]["array_name"] == "drRegionList"


def test_identity_assign_is_held_on_the_subscriptions_or_only_on_the_mapped_identities() -> None:
    by_sub, subs = _loop("identityRoleSubscriptionAssignments")
    by_identity, identities = _loop("identityRoleIdentityAssignments")
    assert "'subscriptions'" in str(subs) and "subscriptionIds" in str(subs)
    assert "'mappedIdentities'" in str(identities) and "mappedIdentityIds" in str(identities)
    assert function_call(by_sub["scope"]) == ("subscription", {"subscription_id": "sub"})
    (assignment,) = by_identity["params"]["identityAssignments"]
    assert "identityRoleName" in str(assignment["roleDefinitionId"])
    assert "identityId" in str(by_identity["scope"]) and "split" in str(by_identity["scope"])
    mapped = MAIN.section("variables")["mappedIdentityValues"]["value"]
    assert mapped["loop_type"]["detail"] in (
        {"item_name": "item", "object_name": "identityMap"},
        {"item_name": "item", "array_name": {"function": {"type": "items", "parameters": {
            "arg_1": "identityMap"}}}},
    )  # fmt: skip
    assert RBAC.section("parameters")["identityAssignScope"]["default"] == "subscriptions"


def test_with_mapped_identities_the_role_is_also_held_on_each_mapped_dr_subnet() -> None:
    # vnetConfig: ARM checks subnets/join/action and subnets/read on the DR subnet itself.
    by_subnet, subnets = _loop("identityRoleSubnetAssignments")
    assert "'mappedIdentities'" in str(subnets) and "mappedSubnetIds" in str(subnets)
    (assignment,) = by_subnet["params"]["subnetAssignments"]
    assert "identityRoleName" in str(assignment["roleDefinitionId"])
    assert function_call(assignment["name"])[0] == "guid"  # type: ignore[index]
    assert "subnetId" in str(by_subnet["scope"]) and "split" in str(by_subnet["scope"])
    params = MAIN.section("modules")["rbac"]["config"]["params"]
    assert params["mappedSubnetIds"] == "mappedSubnetIds"
    mapped = MAIN.section("variables")["mappedSubnetValues"]["value"]
    assert "subnetMap" in str(mapped["loop_type"]["detail"])
    module = Scope(INFRA / "modules" / "role-assignments-group.bicep").section("resources")
    subnet = module["subnets"]["type"]
    assert subnet == "Microsoft.Network/virtualNetworks/subnets"


def _assignments(variable: str) -> list[dict[str, Any]]:
    value = RBAC.section("variables")[variable]["value"]
    if isinstance(value, dict) and "loop_type" in value:
        return [value["config"]]
    return list(value)


def _role_of(assignment: dict[str, Any]) -> str:
    paths = [accessor_path(v) for v in walk(assignment["roleDefinitionId"])]
    (role,) = {RBAC.resolve(p[0])[p[1]] for p in paths if p and p[0] == "builtInRoles"}
    return str(role)


def test_function_identity_holds_data_roles_on_exactly_the_two_storage_accounts() -> None:
    granted = {
        (a["storageAccountName"], _role_of(a), a["principalId"])
        for a in _assignments("storageAccountAssignments")
    }
    function = "functionPrincipalId"
    assert granted == {
        ("stateStorageAccountName", OWNER, function),
        ("stateStorageAccountName", QUEUE, function),
        ("stateStorageAccountName", TABLE, function),
        ("drStorageAccountName", BLOB, function),
    }
    (metrics,) = _assignments("appInsightsAssignments")
    assert (_role_of(metrics), metrics["principalId"]) == (METRICS, function)


def test_system_topics_may_write_only_to_the_dead_letter_container() -> None:
    (assignment,) = _assignments("containerAssignments")
    assert assignment["containerName"] == "deadLetterContainerName"
    assert _role_of(assignment) == BLOB
    assert "systemTopicPrincipalIds" in list(walk(assignment["principalId"]))


def test_every_role_assignment_name_is_a_guid_of_scope_principal_and_role() -> None:
    names = [
        a["name"]
        for v in ("storageAccountAssignments", "containerAssignments", "appInsightsAssignments")
        for a in _assignments(v)
    ]
    for module in ("readRoleAssignments", "identityRoleSubscriptionAssignments"):
        names.append(_loop(module)[0]["params"]["name"])
    names.append(_dr_write_loop()["config"]["params"]["groupAssignments"][0]["name"])
    names.append(
        _loop("identityRoleIdentityAssignments")[0]["params"]["identityAssignments"][0]["name"]
    )
    for name in names:
        call = function_call(name)
        assert call is not None and call[0] == "guid", name
        inputs = list(walk(call[1]))
        assert any("rincipal" in str(i) for i in inputs), f"guid() without the principal: {name}"


def test_only_least_privilege_built_in_roles_are_used() -> None:
    built_in = RBAC.resolve("builtInRoles")
    assert set(built_in.values()) <= set(ROLES), built_in
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
    for path in bicep_files():
        broad = {
            BROAD_ROLES[g.lower()]
            for g in guid.findall(path.read_text())
            if g.lower() in BROAD_ROLES
        }
        assert not broad, f"{path.name} mentions {broad}"


def test_the_failback_group_is_created_in_the_first_primary_region() -> None:
    """Failback copies land in LIFEBOAT_FAILBACK_RESOURCE_GROUP in a primary region: the
    deployment creates it there (and the DR write role above covers it)."""
    scope = Scope(INFRA / "modules" / "subscription-scope.bicep")
    group = scope.section("resources")["failbackRg"]["config"]["config"]
    assert group["location"] == "failbackLocation"
    params = MAIN.section("modules")["subscriptionScopes"]["config"]["config"]["params"]
    where = params["failbackLocation"]["operator"]
    assert where["type"] == "index_accessor"
    assert where["operands"] == {"operand_1": "primaryRegions", "operand_2": 0}
    assert params["failbackResourceGroupName"] == "failbackResourceGroupName"
