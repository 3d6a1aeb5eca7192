"""Azure SDK types stay inside shared/azure/: everything else speaks Lifeboat's error vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
# The SDK packages whose types (clients, models, exceptions) belong to the Azure adapters.
SDK_PACKAGES = ("azure.core", "azure.mgmt", "azure.storage", "azure.data", "azure.identity")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_nothing_outside_shared_azure_imports_the_azure_sdk() -> None:
    offenders = {
        f"{path.relative_to(SHARED.parent)}: {name}"
        for path in SHARED.rglob("*.py")
        if SHARED / "azure" not in path.parents
        for name in _imports(path)
        if name.startswith(SDK_PACKAGES)
    }
    assert sorted(offenders) == []


def test_the_boundary_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from azure.core.exceptions import AzureError\n")
    assert _imports(module) == {"azure.core.exceptions"}
