"""The Bicep parses, follows the AVM conventions, and redeploys to the same end state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.bicep import INFRA, Scope, bicep_files, function_call, parse, walk

FILES = bicep_files()
IDS = [str(p.relative_to(INFRA)) for p in FILES]

# Object parameters that are free-form maps by nature; every other complex input has a type.
FREE_FORM_OBJECTS = {
    "tags": "Azure tags are an open name → value map.",
    "drRegionOverrides": "An open primary → DR region map (LIFEBOAT_DR_REGION_OVERRIDES).",
    "subnetMap": "An open source → DR subnet id map (LIFEBOAT_SUBNET_MAP).",
    "identityMap": "An open source → DR identity id map (LIFEBOAT_IDENTITY_MAP).",
}
BUILT_IN_TYPES = {"string", "int", "bool", "object", "array"}


def test_infra_has_main_rbac_and_modules() -> None:
    names = set(IDS)
    assert {"main.bicep", "rbac.bicep"} <= names
    assert any(n.startswith("modules/") for n in names)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_bicep_file_parses_with_pycep(path: Path) -> None:
    doc = parse(path)
    assert doc.get("resources") or doc.get("modules"), f"{path.name} declares nothing"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_parameter_says_required_or_optional(path: Path) -> None:
    problems = []
    for name, param in Scope(path).section("parameters").items():
        descriptions = [d["argument"] for d in param["decorators"] if d["type"] == "description"]
        expected = "Required. " if param.get("default") is None else "Optional. "
        if not descriptions or not str(descriptions[0]).startswith(expected):
            problems.append(f"{name}: description must start with {expected!r}")
    assert not problems, f"{path.name}: {problems}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_complex_inputs_use_user_defined_types(path: Path) -> None:
    scope = Scope(path)
    types = set(scope.section("types"))
    for name, param in scope.section("parameters").items():
        kind = param["type"]
        if kind == "object":
            assert name in FREE_FORM_OBJECTS, f"{path.name}: param {name} needs a user-defined type"
        elif isinstance(kind, str):
            assert kind in BUILT_IN_TYPES | types, (
                f"{path.name}: param {name} has unknown type {kind}"
            )


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_user_defined_types_and_outputs_are_described(path: Path) -> None:
    scope = Scope(path)
    for section in ("types", "outputs"):
        for name, item in scope.section(section).items():
            assert any(d["type"] == "description" for d in item["decorators"]), (
                f"{path.name}: {section[:-1]} {name} has no @description"
            )


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_children_are_top_level_resources_because_pycep_reads_one_nested_child(
    path: Path,
) -> None:
    nested = [name for name in Scope(path).section("resources") if "__" in name]
    assert not nested, f"{path.name}: declare {nested} as top-level resources with `parent:`"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_module_call_points_at_a_file(path: Path) -> None:
    for name, module in Scope(path).section("modules").items():
        target = path.parent / module["detail"]["path"]
        assert target.is_file(), f"{path.name}: module {name} -> missing {target}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_redeploy_is_deterministic_no_new_guid_or_clock(path: Path) -> None:
    doc = parse(path)
    calls = {c[0] for c in map(function_call, walk(doc)) if c is not None}
    assert not calls & {"new_guid", "utc_now"}, (
        f"{path.name} uses {calls & {'new_guid', 'utc_now'}}"
    )
    assert not re.search(r"\b(newGuid|utcNow)\(", path.read_text())


def test_role_assignments_exist_only_in_the_modules_rbac_bicep_calls() -> None:
    rbac = Scope(INFRA / "rbac.bicep")
    appliers = {(INFRA / m["detail"]["path"]).resolve() for m in rbac.section("modules").values()}
    for path in FILES:
        scope = Scope(path)
        if any(scope.resources("Microsoft.Authorization/roleAssignments")):
            assert path.resolve() in appliers, f"{path.name} assigns roles outside rbac.bicep"
        if path.resolve() in appliers:
            continue
        for module in scope.section("modules").values():
            target = (path.parent / module["detail"]["path"]).resolve()
            assert target not in appliers or path.name == "rbac.bicep", (
                f"{path.name} calls a role-assignment module directly; go through rbac.bicep"
            )


def _strings_outside_decorators(value: object) -> list[str]:
    if isinstance(value, dict):
        return [
            s for k, v in value.items() if k != "decorators" for s in _strings_outside_decorators(v)
        ]
    if isinstance(value, list):
        return [s for item in value for s in _strings_outside_decorators(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_parameter_and_variable_is_used(path: Path) -> None:
    """What the Bicep linter's no-unused-params / no-unused-vars rules report at deploy time."""
    doc = parse(path)
    used = " ".join(_strings_outside_decorators({k: v for k, v in doc.items() if k != "types"}))
    for section in ("parameters", "variables"):
        for name in doc.get(section) or {}:
            assert re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", used), (
                f"{path.name}: {section[:-1]} {name} is never used"
            )
