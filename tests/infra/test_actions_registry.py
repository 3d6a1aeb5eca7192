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
    declared = set()
    for name in actions.module_names():
        declared |= {a.lower() for a in getattr(importlib.import_module(name), "ACTIONS", ())}
    assert {a.lower() for a in actions.ARM_ACTIONS} == declared


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
