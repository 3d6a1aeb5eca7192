"""The RBAC audit (tests/plugins/rbac_audit.py): requests mapped to actions, and what it catches."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError

from shared.arm_id import ResourceId
from shared.azure import disks
from shared.azure.actions import DR_GROUP_ACTIONS, SUBSCRIPTION_ACTIONS
from tests.plugins.arm import SUBSCRIPTION, LifeboatEnv
from tests.plugins.rbac_audit import (
    APP_ROOTS,
    Call,
    Roles,
    action_of,
    attributed,
    recording,
    violations,
)

SUB = f"/subscriptions/{SUBSCRIPTION}"
COMPUTE = f"{SUB}/resourceGroups/lifeboat-dr/providers/Microsoft.Compute"
# Calls sent from this file count as app code when the test says so.
THIS_FILE_IS_APP = (*APP_ROOTS, str(Path(__file__).resolve()))


@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("GET", f"{COMPUTE}/snapshots/s1", "Microsoft.Compute/snapshots/read"),
        ("GET", f"{SUB}/providers/Microsoft.Compute/snapshots", "Microsoft.Compute/snapshots/read"),
        ("PUT", f"{COMPUTE}/galleries/g/images/i", "Microsoft.Compute/galleries/images/write"),
        ("PATCH", f"{COMPUTE}/galleries/g/images/i/versions/1.0.0",
         "Microsoft.Compute/galleries/images/versions/write"),
        ("DELETE", f"{COMPUTE}/disks/d1", "Microsoft.Compute/disks/delete"),
        ("POST", f"{COMPUTE}/snapshots/s1/beginGetAccess",
         "Microsoft.Compute/snapshots/beginGetAccess/action"),
        ("GET", f"{COMPUTE.replace('Compute', 'VirtualMachineImages')}/imageTemplates/t/runOutputs",
         "Microsoft.VirtualMachineImages/imageTemplates/runOutputs/read"),
        ("POST", "/providers/Microsoft.ResourceGraph/resources",
         "Microsoft.ResourceGraph/resources/read"),
        ("GET", f"{SUB}/locations", "Microsoft.Resources/subscriptions/locations/read"),
        ("PUT", f"{SUB}/resourcegroups/lifeboat-dr",
         "Microsoft.Resources/subscriptions/resourcegroups/write"),
        ("GET", f"{SUB}/providers/Microsoft.Compute/locations/eastus/DiskOperations/abc",
         "Microsoft.Compute/locations/DiskOperations/read"),
    ],
)  # fmt: skip
def test_a_request_maps_to_the_rbac_action_arm_checks(method: str, path: str, action: str) -> None:
    assert action_of(method, path).name.lower() == action.lower()


def test_an_lro_status_url_is_a_poll_of_its_provider() -> None:
    status = action_of("GET", f"{SUB}/providers/Microsoft.Compute/locations/x/capsOperations/1")
    assert status.poll and status.namespace == "Microsoft.Compute"
    assert not action_of("GET", f"{COMPUTE}/galleries/g").poll


def test_a_path_outside_arm_is_refused() -> None:
    with pytest.raises(ValueError, match="not an ARM resource path"):
        action_of("GET", "/devstoreaccount1/container/blob")


ROLES = Roles(
    frozenset(
        {"microsoft.compute/snapshots/read", "microsoft.compute/locations/diskoperations/read"}
    ),
    frozenset({"microsoft.compute/snapshots/write"}),
)
OTHER_GROUP = f"{SUB}/resourceGroups/customer-rg/providers/Microsoft.Compute"


def test_undeclared_app_request_is_a_violation_naming_the_action() -> None:
    calls = [Call("DELETE", f"{COMPUTE}/snapshots/s1", "app")]
    (problem,) = violations(calls, ROLES, "lifeboat-dr")
    assert "Microsoft.Compute/snapshots/delete is not declared" in problem


def test_requests_a_test_sends_itself_are_not_held_against_the_roles() -> None:
    calls = [Call("DELETE", f"{COMPUTE}/snapshots/s1", "test")]
    assert violations(calls, ROLES, "lifeboat-dr") == []


def test_a_dr_group_write_outside_the_dr_group_is_a_violation() -> None:
    inside = [Call("PUT", f"{COMPUTE}/snapshots/s1", "app")]
    outside = [Call("PUT", f"{OTHER_GROUP}/snapshots/s1", "app")]
    assert violations(inside, ROLES, "lifeboat-dr") == []
    (problem,) = violations(outside, ROLES, "lifeboat-dr")
    assert "held only on the DR resource group 'lifeboat-dr'" in problem
    assert violations(outside, ROLES, "customer-rg") == []


def test_poller_requests_count_only_for_lros_app_code_started() -> None:
    poll = Call("GET", f"{SUB}/providers/Microsoft.Compute/locations/e/DiskOperations/1", "poller")
    final = Call("GET", f"{COMPUTE}/snapshots/s1", "poller")
    by_test = [Call("PUT", f"{COMPUTE}/snapshots/s1", "test"), poll, final]
    by_app = [Call("PUT", f"{COMPUTE}/snapshots/s1", "app"), poll, final]
    assert attributed(by_test) == []
    assert [c for c, _ in attributed(by_app)] == by_app


def test_the_declared_roles_split_reads_from_dr_group_writes() -> None:
    roles = Roles.declared()
    assert "microsoft.compute/snapshots/read" in roles.subscription
    assert "microsoft.compute/images/write" in roles.dr_group
    # VM protection snapshots disks in the VM's own resource group: a subscription-wide write.
    assert "microsoft.compute/snapshots/write" in roles.subscription
    assert not roles.subscription & roles.dr_group
    assert roles.subscription == {a.lower() for a in SUBSCRIPTION_ACTIONS}
    assert roles.dr_group == {a.lower() for a in DR_GROUP_ACTIONS}
    assert (
        "microsoft.compute/snapshots/read"
        not in Roles.declared(["Microsoft.Compute/snapshots/read"]).subscription
    )


def _snapshot(group: str = "lifeboat-dr") -> ResourceId:
    return ResourceId.parse(
        f"{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/snapshots/s1"
    )


def test_requests_sent_by_app_code_are_recorded_as_app(lifeboat_env: LifeboatEnv) -> None:
    with recording(lifeboat_env.arm.endpoint) as recorder:
        assert disks.get_snapshot(lifeboat_env.clients, _snapshot()) is None
    assert [(c.method, c.origin) for c in recorder.calls] == [("GET", "app")]
    assert violations(recorder.calls, Roles.declared(), "lifeboat-dr") == []


def test_a_test_calling_the_sdk_directly_is_recorded_as_test(lifeboat_env: LifeboatEnv) -> None:
    compute = lifeboat_env.clients.compute(SUBSCRIPTION)
    with recording(lifeboat_env.arm.endpoint) as recorder, pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get("rg", "vm1")
    assert [c.origin for c in recorder.calls] == ["test"]
    assert violations(recorder.calls, Roles.declared(), "lifeboat-dr") == []


def test_app_code_calling_an_undeclared_action_fails_the_audit(lifeboat_env: LifeboatEnv) -> None:
    """The mutation check: this file stands in for app code that calls something new."""
    compute = lifeboat_env.clients.compute(SUBSCRIPTION)
    with recording(lifeboat_env.arm.endpoint, THIS_FILE_IS_APP) as recorder:
        with pytest.raises(ResourceNotFoundError):
            compute.availability_sets.get("rg", "as1")
        compute.galleries.begin_create_or_update("rg", "g1", {"location": "eastus"}).result()
    problems = violations(recorder.calls, Roles.declared(), "lifeboat-dr")
    assert any("availabilitySets/read is not declared" in p for p in problems), problems
    assert any("galleries/write is held only on the DR resource group" in p for p in problems)
    assert {c.origin for c in recorder.calls} == {"app", "poller"}, "the LRO polled in a thread"


def test_app_writes_into_the_dr_group_and_their_polls_pass(lifeboat_env: LifeboatEnv) -> None:
    compute = lifeboat_env.clients.compute(SUBSCRIPTION)
    with recording(lifeboat_env.arm.endpoint, THIS_FILE_IS_APP) as recorder:
        compute.galleries.begin_create_or_update(
            "lifeboat-dr", "g1", {"location": "eastus"}
        ).result()
    polls = [a for _, a in attributed(recorder.calls) if a.poll]
    assert polls and all(a.name.endswith("/capsOperations/read") for a in polls)
    assert violations(recorder.calls, Roles.declared(), "lifeboat-dr") == []


def test_an_app_request_outside_arm_paths_is_reported_not_crashed_on() -> None:
    (problem,) = violations([Call("GET", "/metadata/endpoints", "app")], ROLES, "lifeboat-dr")
    assert "no ARM resource path" in problem
