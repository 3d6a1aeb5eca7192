"""Registry of the ARM actions the code performs: the union of each shared/azure module's ACTIONS.

Convention: every module under shared/azure/ that calls Azure declares, at module level, the RBAC
permissions its calls need on the subscriptions in scope::

    ACTIONS: tuple[str, ...] = (          # role `actions` (control plane)
        "Microsoft.Compute/snapshots/read",
        "Microsoft.Compute/snapshots/write",
    )
    DATA_ACTIONS: tuple[str, ...] = (     # role `dataActions`, only when needed
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    )

A module may reuse another's declaration (``*resource_graph.ACTIONS``). Modules are discovered
with pkgutil, so a new module is picked up without registering it here; importing them is cheap
because SDK imports stay inside functions. Access to Lifeboat's own two storage accounts needs no
declaration: built-in data roles on those accounts grant it (infra/rbac.bicep).

infra/arm-actions.json is generated from ARM_ACTIONS and ARM_DATA_ACTIONS
(``python -m tests.infra.sync``) and becomes the custom role the Function App holds on every
subscription in scope; the infra tests fail while they differ.
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
_PACKAGE: Final = "shared.azure"
_SELF: Final = f"{_PACKAGE}.actions"


def is_arm_action(action: str) -> bool:
    """Return True when `action` looks like an ARM RBAC action (no wildcards, known verb)."""
    return bool(_ACTION.match(action))


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


ARM_ACTIONS: Final[frozenset[str]] = union_of(actions_by_module())
"""Every control-plane action the code performs: the custom role's `actions`."""

ARM_DATA_ACTIONS: Final[frozenset[str]] = union_of(actions_by_module(attribute="DATA_ACTIONS"))
"""Every data action the code performs outside its own accounts: the custom role's `dataActions`."""


def role_permissions() -> dict[str, list[str]]:
    """Return the custom role's permissions, sorted: {"actions": [...], "dataActions": [...]}."""
    return {
        "actions": sorted(ARM_ACTIONS, key=str.lower),
        "dataActions": sorted(ARM_DATA_ACTIONS, key=str.lower),
    }


def main(argv: list[str]) -> int:
    """Print the custom role's permissions as JSON (the content of infra/arm-actions.json)."""
    print(json.dumps(role_permissions(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
