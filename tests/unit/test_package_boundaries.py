"""What ships: the deployment package leaves dev-only code out, and shipped code never needs it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("shared", "functions")
DEV_ONLY = ("functions", "demo", "bench", "emulator", "devtools", "tests")


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at top level or inside a function (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _funcignore() -> set[str]:
    lines = (ROOT / ".funcignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"}


def _imports_of_package(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in sorted(_imports(path)):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_no_module_in_shared_imports_an_adapter_or_dev_only_code() -> None:
    assert _imports_of_package("shared", DEV_ONLY) == []


def test_no_adapter_imports_dev_only_code() -> None:
    assert _imports_of_package("functions", DEV_ONLY[1:]) == []


@pytest.mark.parametrize("folder", DEV_ONLY[1:])
def test_the_deployment_package_leaves_out_dev_only_folders(folder: str) -> None:
    assert folder in _funcignore()


@pytest.mark.parametrize("shipped", [*SHIPPED, "function_app.py", "host.json", "requirements.txt"])
def test_the_deployment_package_keeps_the_app(shipped: str) -> None:
    assert shipped not in _funcignore()
    assert (ROOT / shipped).exists()


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from functions.jobs import run_job\n    import demo.x\n")
    assert _imports(module) == {"functions.jobs", "demo.x"}
