"""Registry of the ARM actions the code performs, and their split into Lifeboat's three roles.

Convention: every module under shared/azure/ that calls Azure declares, at module level, the RBAC
permissions its calls need on the subscriptions in scope::

    ACTIONS: tuple[str, ...] = (          # role `actions` (control plane)
        "Microsoft.Compute/snapshots/read",
        "Microsoft.Compute/snapshots/write",
    )
    DATA_ACTIONS: tuple[str, ...] = (     # role `dataActions`, only when needed
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    )
    LINKED_ACTIONS: tuple[str, ...] = (   # checked by ARM on a resource the request links to
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    )

A module may reuse another's declaration (``*resource_graph.ACTIONS``). Modules are discovered
with pkgutil, so a new module is picked up without registering it here; importing them is cheap
because SDK imports stay inside functions. Access to Lifeboat's own two storage accounts needs no
declaration: built-in data roles on those accounts grant it (infra/rbac.bicep).

Linked actions never appear as a request of their own: ARM checks them on another resource (the
identity a PUT attaches, the subnet it joins). An `.../assign/action` or `.../join/action` is
linked wherever it is declared (ACTIONS or LINKED_ACTIONS).

`role_permissions()` splits everything into three roles (infra/arm-actions.json, written by
``python -m tests.infra.sync``; infra/rbac.bicep assigns them): reads, LRO status reads and the
few non-reads that reach customer resources (SUBSCRIPTION_WIDE) on each subscription in scope;
every other write, delete and action only on the DR resource group; linked actions on the
subscriptions or on the mapped DR identities. tests/plugins/rbac_audit.py holds this split
against the requests the app really sends to the ARM emulator.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Final

# Provider namespace, resource type segments, then the verb: read | write | delete | <name>/action.
_ACTION = re.compile(r"^[A-Za-z]+\.[A-Za-z.]+(/[A-Za-z0-9.]+)+/(read|write|delete|action)$")
_LINKED_VERB = re.compile(r"/(assign|join)/action$", re.IGNORECASE)
_PACKAGE: Final = "shared.azure"
_SELF: Final = f"{_PACKAGE}.actions"

ASYNC_OPERATION_ACTIONS: Final[tuple[str, ...]] = (
    # ARM authorizes the GET an LRO poller sends to the Azure-AsyncOperation / Location URL like
    # any other request (Microsoft lists these as "Gets the status of an asynchronous ...
    # operation"). Status URLs: disks and snapshots .../locations/{l}/DiskOperations/{id},
    # images .../locations/{l}/operations/{id}, galleries .../locations/{l}/capsOperations/{id}.
    "Microsoft.Compute/locations/operations/read",
    "Microsoft.Compute/locations/diskOperations/read",
    "Microsoft.Compute/locations/capsOperations/read",
    # Network NIC create/delete: .../providers/Microsoft.Network/locations/{l}/operations/{id}.
    "Microsoft.Network/locations/operations/read",
)

SUBSCRIPTION_WIDE: Final[Mapping[str, str]] = {
    # Non-read actions on customer resources outside the DR resource group, with the reason.
    "Microsoft.Compute/galleries/images/versions/write": (
        "replication adds the DR region to the source gallery image version's target regions"
    ),
    "Microsoft.Compute/snapshots/write": (
        "VM protection takes each disk's incremental snapshot in the VM's own resource group"
    ),
    "Microsoft.Compute/snapshots/delete": (
        "VM retention deletes expired source snapshots in the VM's own resource group"
    ),
    "Microsoft.Compute/restorePointCollections/write": (
        "restore-point mode keeps the VM's restore point collection in the VM's resource group"
    ),
    "Microsoft.Compute/restorePointCollections/restorePoints/write": (
        "restore-point mode creates the VM's restore points in its own region"
    ),
    "Microsoft.Compute/restorePointCollections/restorePoints/delete": (
        "VM retention deletes expired restore points in the VM's own region"
    ),
    "Microsoft.Compute/virtualMachines/powerOff/action": (
        "a clean copy shuts the tagged VM down before its disks are snapshotted"
    ),
    "Microsoft.Compute/virtualMachines/start/action": (
        "a clean copy starts the VM it shut down again"
    ),
    "Microsoft.Resources/subscriptions/resourceGroups/write": (
        "creates the DR resource group of each DR region, located in that region, before the "
        "first DR write into it (a group cannot be created from inside itself)"
    ),
    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action": (
        "signs the read-only SAS of a source VHD in the customer's storage account"
    ),
}


def is_arm_action(action: str) -> bool:
    """Return True when `action` looks like an ARM RBAC action (no wildcards, known verb)."""
    return bool(_ACTION.match(action))


def is_linked(action: str) -> bool:
    """Return True for actions ARM checks on a linked resource (identity assign, subnet join)."""
    return bool(_LINKED_VERB.search(action))


def module_names() -> tuple[str, ...]:
    """Return the dotted names of the modules under shared/azure/ (this one excluded), sorted."""
    package = importlib.import_module(_PACKAGE)
    found = (
        f"{_PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.ispkg and not info.name.startswith("_")
    )
    return tuple(sorted(name for name in found if name != _SELF))


def declared_actions(module: ModuleType, attribute: str = "ACTIONS") -> tuple[str, ...]:
    """Return `module.<attribute>` (empty when absent).

    Raises TypeError when it is not a tuple of str, ValueError when an entry is no ARM action.
    """
    actions = getattr(module, attribute, ())
    if not isinstance(actions, tuple) or not all(isinstance(a, str) for a in actions):
        raise TypeError(f"{module.__name__}.{attribute} must be a tuple[str, ...]")
    bad = [a for a in actions if not is_arm_action(a)]
    if bad:
        raise ValueError(f"{module.__name__}.{attribute} has malformed ARM actions: {bad}")
    return actions


def actions_by_module(
    names: Iterable[str] | None = None, attribute: str = "ACTIONS"
) -> dict[str, tuple[str, ...]]:
    """Return {module name: its ACTIONS (or `attribute`)} for the modules that declare any.

    Raises ImportError when a module cannot be imported, TypeError/ValueError when a declaration
    is malformed.
    """
    found: dict[str, tuple[str, ...]] = {}
    for name in module_names() if names is None else names:
        actions = declared_actions(importlib.import_module(name), attribute)
        if actions:
            found[name] = actions
    return found


def union_of(declarations: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """Return the set of all declared actions; ARM compares actions caselessly, so must we."""
    by_lower: dict[str, str] = {}
    for actions in declarations.values():
        for action in actions:
            by_lower.setdefault(action.lower(), action)
    return frozenset(by_lower.values())


_LINKED_DECLARED: Final = union_of(actions_by_module(attribute="LINKED_ACTIONS"))

ARM_ACTIONS: Final[frozenset[str]] = union_of(
    {
        **actions_by_module(),
        "linked": tuple(_LINKED_DECLARED),
        "async operations": ASYNC_OPERATION_ACTIONS,
    }
)
"""Every control-plane action the code needs: its requests, its LRO polls, its linked checks."""

ARM_DATA_ACTIONS: Final[frozenset[str]] = union_of(actions_by_module(attribute="DATA_ACTIONS"))
"""Every data action the code performs outside its own accounts."""

LINKED: Final[frozenset[str]] = frozenset(
    a for a in ARM_ACTIONS if is_linked(a) or a.lower() in {d.lower() for d in _LINKED_DECLARED}
)
"""Actions ARM checks on a resource a request links to; never sent as a request of their own."""

SUBSCRIPTION_ACTIONS: Final[frozenset[str]] = frozenset(
    a
    for a in ARM_ACTIONS - LINKED
    if a.lower().endswith("/read") or a.lower() in {w.lower() for w in SUBSCRIPTION_WIDE}
)
"""Held on each subscription in scope: reads, LRO status reads and SUBSCRIPTION_WIDE actions."""

DR_GROUP_ACTIONS: Final[frozenset[str]] = ARM_ACTIONS - LINKED - SUBSCRIPTION_ACTIONS
"""Held only on the DR resource group of each subscription: every other write, delete, action."""


def _sorted(actions: Iterable[str]) -> list[str]:
    return sorted(actions, key=str.lower)


def role_permissions() -> dict[str, dict[str, list[str]]]:
    """Return the three roles' permissions, sorted: the content of infra/arm-actions.json."""
    return {
        "subscription": {
            "actions": _sorted(SUBSCRIPTION_ACTIONS),
            "dataActions": _sorted(ARM_DATA_ACTIONS),
        },
        "drResourceGroup": {"actions": _sorted(DR_GROUP_ACTIONS), "dataActions": []},
        "linked": {"actions": _sorted(LINKED), "dataActions": []},
    }


def main(argv: list[str]) -> int:
    """Print the roles' permissions as JSON (the content of infra/arm-actions.json)."""
    print(json.dumps(role_permissions(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
