"""Least privilege: the custom role is exactly the code's ARM actions; data roles are scoped."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.azure.actions import ARM_ACTIONS, ARM_DATA_ACTIONS, is_arm_action
from tests.infra.bicep import INFRA, Scope, accessor_path, bicep_files, function_call, walk
from tests.infra.sync import ARM_ACTIONS_FILE, arm_actions, render

RBAC = Scope(INFRA / "rbac.bicep")

ROLES = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
BLOB, QUEUE, TABLE, METRICS = ROLES


def _custom_role(field: str) -> list[str]:
    (role,) = [body for _, body in RBAC.resources("Microsoft.Authorization/roleDefinitions")]
    (permission,) = role["properties"]["permissions"]
    assert RBAC.resolve(permission[f"not{field[0].upper()}{field[1:]}"]) == []
    granted = RBAC.resolve(permission[field])
    assert isinstance(granted, list), f"the custom role's {field} must resolve to a list"
    return granted


@pytest.mark.parametrize(
    ("field", "declared"), [("actions", ARM_ACTIONS), ("dataActions", ARM_DATA_ACTIONS)]
)
def test_custom_role_grants_exactly_what_the_code_declares(
    field: str, declared: frozenset[str]
) -> None:
    granted = _custom_role(field)
    assert len(granted) == len({a.lower() for a in granted}), f"duplicate {field} in the role"
    missing = {a.lower() for a in declared} - {a.lower() for a in granted}
    extra = {a.lower() for a in granted} - {a.lower() for a in declared}
    assert not missing and not extra, (
        f"custom role {field} differ from shared/azure declarations (missing {sorted(missing)}, "
        f"extra {sorted(extra)}): run `python -m tests.infra.sync`"
    )


def test_custom_role_exists_once_the_code_performs_any_arm_action() -> None:
    condition = RBAC.section("resources")["armRole"]["config"]["condition"]
    assert condition == "armRoleEnabled"
    assert ARM_ACTIONS, "the code declares ARM actions, so the role must be deployed"


def test_arm_actions_file_is_exactly_what_sync_writes() -> None:
    assert ARM_ACTIONS_FILE.read_text() == render(arm_actions()), "run `python -m tests.infra.sync`"


def test_custom_role_has_no_wildcards() -> None:
    for action in _custom_role("actions") + _custom_role("dataActions"):
        assert "*" not in action and is_arm_action(action), action


def test_custom_role_is_assignable_and_assigned_on_every_subscription_in_scope() -> None:
    assigned_over = RBAC.section("modules")["armRoleAssignments"]["config"]["loop_type"]
    loop_array = RBAC.section("variables")[assigned_over["detail"]["array_name"]]["value"]
    assert "subscriptionIds" in list(walk(loop_array)), "assign the role on subscriptionIds"
    scopes = RBAC.section("variables")["subscriptionScopes"]["value"]
    assert scopes["loop_type"]["detail"]["array_name"] == "subscriptionIds"
    call = RBAC.section("modules")["armRoleAssignments"]["config"]["config"]
    assert function_call(call["scope"]) == ("subscription", {"subscription_id": "sub"})


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
        ("stateStorageAccountName", BLOB, function),
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
    names.append(
        RBAC.section("modules")["armRoleAssignments"]["config"]["config"]["params"]["name"]
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
