"""shared/azure/actions.py: every module's ACTIONS, discovered without registration or SDKs."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from shared.azure import actions
from tests.infra.bicep import ROOT
from tests.infra.sync import ARM_ACTIONS_FILE

AZURE_DIR = ROOT / "shared" / "azure"
ARM_SDKS = ("azure.mgmt",)
ARM_CLIENTS = (
    "clients.compute(",
    "clients.image_builder(",
    "clients.resource_graph(",
    "clients.subscriptions(",
)
# The registry itself, and the client factory, which builds clients but calls nothing.
NOT_CALLERS = {"__init__", "actions", "clients"}
CALLER_FILES = sorted(p for p in AZURE_DIR.glob("*.py") if p.stem not in NOT_CALLERS)


def _module(name: str, **attributes: object) -> ModuleType:
    module = ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def test_discovery_lists_every_module_under_shared_azure_but_itself() -> None:
    on_disk = {
        f"shared.azure.{p.stem}" for p in AZURE_DIR.glob("*.py") if not p.stem.startswith("_")
    }
    assert set(actions.module_names()) == on_disk - {"shared.azure.actions"}


def test_arm_actions_is_the_union_of_every_module_declaration() -> None:
    declared = {a.lower() for a in actions.ASYNC_OPERATION_ACTIONS}
    for name in actions.module_names():
        module = importlib.import_module(name)
        for attribute in ("ACTIONS", "LINKED_ACTIONS"):
            declared |= {a.lower() for a in getattr(module, attribute, ())}
    assert {a.lower() for a in actions.ARM_ACTIONS} == declared


def test_the_three_roles_partition_every_declared_action() -> None:
    parts = (actions.SUBSCRIPTION_ACTIONS, actions.DR_GROUP_ACTIONS, actions.LINKED)
    assert frozenset().union(*parts) == actions.ARM_ACTIONS
    assert sum(len(p) for p in parts) == len(actions.ARM_ACTIONS), "a role overlaps another"


def test_only_reads_and_listed_customer_writes_are_held_subscription_wide() -> None:
    wide = {a.lower(): reason for a, reason in actions.SUBSCRIPTION_WIDE.items()}
    for action in actions.SUBSCRIPTION_ACTIONS:
        assert action.lower().endswith("/read") or action.lower() in wide, action
    for action, reason in wide.items():
        assert actions.is_arm_action(action) and len(reason) > 20, action


def test_writes_deletes_and_actions_are_held_on_the_dr_group_only() -> None:
    assert actions.DR_GROUP_ACTIONS, "the code writes DR copies"
    for action in actions.DR_GROUP_ACTIONS:
        assert not action.lower().endswith("/read"), action
        assert action.lower() not in {w.lower() for w in actions.SUBSCRIPTION_WIDE}


@pytest.mark.parametrize(
    ("action", "linked"),
    [
        ("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", True),
        ("Microsoft.Network/virtualNetworks/subnets/join/action", True),
        ("Microsoft.Compute/snapshots/beginGetAccess/action", False),
        ("Microsoft.Compute/snapshots/write", False),
    ],
)
def test_assign_and_join_actions_are_linked_checks(action: str, linked: bool) -> None:
    assert actions.is_linked(action) is linked


def test_identity_assign_is_a_linked_action_whichever_tuple_declares_it() -> None:
    assign = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
    assert assign.lower() in {a.lower() for a in actions.LINKED}
    assert assign.lower() not in {a.lower() for a in actions.DR_GROUP_ACTIONS}
    linked = _module("fake", LINKED_ACTIONS=(assign,))
    assert actions.declared_actions(linked, "LINKED_ACTIONS") == (assign,)


def test_role_permissions_name_the_three_roles() -> None:
    roles = actions.role_permissions()
    assert set(roles) == {"subscription", "drResourceGroup", "linked"}
    assert roles["subscription"]["dataActions"] == sorted(actions.ARM_DATA_ACTIONS, key=str.lower)
    assert roles["drResourceGroup"]["dataActions"] == roles["linked"]["dataActions"] == []


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


@pytest.mark.parametrize("path", CALLER_FILES, ids=lambda p: p.name)
def test_every_module_that_calls_arm_declares_its_actions(path: Path) -> None:
    source = path.read_text()
    calls_arm = any(m.startswith(ARM_SDKS) for m in _imports(path)) or any(
        c in source for c in ARM_CLIENTS
    )
    module = importlib.import_module(f"shared.azure.{path.stem}")
    assert not calls_arm or actions.declared_actions(module), (
        f"{path.name} calls ARM but declares no ACTIONS (see shared/azure/actions.py)"
    )


def test_importing_the_registry_loads_no_azure_sdk() -> None:
    probe = (
        "import json, sys; import shared.azure.actions as a; "
        "print(json.dumps([len(a.ARM_ACTIONS), sorted(m for m in sys.modules "
        "if m.startswith(('azure.mgmt', 'azure.storage', 'azure.identity', 'azure.data')))]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    count, heavy = json.loads(done.stdout)
    assert count > 0 and heavy == []


@pytest.mark.parametrize(
    "declared",
    [["Microsoft.Compute/disks/read"], ("Microsoft.Compute/disks/read", 3)],
    ids=["list", "non-string"],
)
def test_declaration_that_is_not_a_tuple_of_strings_is_rejected(declared: object) -> None:
    with pytest.raises(TypeError, match=r"fake\.ACTIONS"):
        actions.declared_actions(_module("fake", ACTIONS=declared))


@pytest.mark.parametrize(
    "action",
    ["Microsoft.Compute/*", "read", "Microsoft.Compute/disks", "Microsoft.Compute/disks/run"],
)
def test_malformed_action_is_rejected_naming_the_module(action: str) -> None:
    with pytest.raises(ValueError, match=r"fake\.ACTIONS"):
        actions.declared_actions(_module("fake", ACTIONS=(action,)))


def test_module_without_a_declaration_declares_nothing() -> None:
    assert actions.declared_actions(_module("fake")) == ()


def test_data_actions_are_collected_separately() -> None:
    module = _module(
        "fake",
        ACTIONS=("Microsoft.Storage/storageAccounts/read",),
        DATA_ACTIONS=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",),
    )
    assert actions.declared_actions(module, "DATA_ACTIONS") == (
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    )


def test_union_treats_actions_caselessly_like_arm() -> None:
    merged = actions.union_of(
        {"a": ("Microsoft.Compute/disks/read",), "b": ("microsoft.compute/DISKS/read",)}
    )
    assert len(merged) == 1


def test_module_main_prints_exactly_the_generated_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert actions.main([]) == 0
    assert capsys.readouterr().out == ARM_ACTIONS_FILE.read_text()


def test_a_restore_that_joins_a_dr_subnet_has_the_subnet_checks_declared() -> None:
    """A template with vnetConfig makes ARM check join/action and read on the DR subnet."""
    linked = {a.lower() for a in actions.LINKED}
    for needed in (
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Network/virtualNetworks/subnets/read",
    ):
        assert needed.lower() in linked, needed
        assert needed.lower() not in {a.lower() for a in actions.DR_GROUP_ACTIONS}
    granted = {a.lower() for a in actions.role_permissions()["linked"]["actions"]}
    assert "microsoft.network/virtualnetworks/subnets/join/action" in granted
