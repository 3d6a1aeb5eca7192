"""The infra's Bicep parsed with pycep, and a resolver that follows values through module calls."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"

_INTERPOLATION = re.compile(r"\$\{([^}]+)\}")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class Unresolved(str):
    """A value only known at deployment time (an output, a function result), kept as text."""


def bicep_files() -> list[Path]:
    """Return every .bicep file under infra/, sorted."""
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    """Return pycep's JSON for `path` (raises on a syntax pycep cannot parse)."""
    return dict(BicepParser().parse(file_path=path))


def unquote(key: str) -> str:
    """Return an object key without the quotes pycep keeps on quoted keys ('azd-env-name')."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == "'" else key


def accessor_path(value: Any) -> list[Any] | None:
    """Return ['a', 'b', 'c'] for pycep's right-nested a.b.c property accessor, else None."""
    if not (isinstance(value, dict) and "operator" in value):
        return None
    operator = value["operator"]
    if operator.get("type") != "property_accessor":
        return None
    head = operator["operands"]["operand_1"]
    tail = operator["operands"]["operand_2"]
    return [head, *(accessor_path(tail) or [tail])]


def function_call(value: Any) -> tuple[str, dict[str, Any]] | None:
    """Return (pycep function type, parameters) when `value` is a function call."""
    if isinstance(value, dict) and "function" in value:
        return value["function"]["type"], value["function"].get("parameters") or {}
    return None


@dataclass(frozen=True)
class Scope:
    """One template as instantiated by a module call: its file and the arguments it received."""

    path: Path
    args: dict[str, Any] = field(default_factory=dict)
    caller: Scope | None = None

    @property
    def doc(self) -> dict[str, Any]:
        """The pycep JSON of the template."""
        return parse(self.path)

    def section(self, name: str) -> dict[str, Any]:
        """Return a top-level section (parameters, variables, resources, modules, types)."""
        return dict(self.doc.get(name) or {})

    def resources(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (symbolic name, resource config) for resources of `resource_type`."""
        for name, resource in self.section("resources").items():
            if resource["type"].lower() == resource_type.lower():
                yield name, _body(resource["config"])

    def calls(self, module_path: str) -> Iterator[tuple[str, Scope]]:
        """Yield (symbolic name, scope) for each module call of `module_path` (relative)."""
        for name, module in self.section("modules").items():
            if module["detail"]["path"] == module_path:
                body = _body(module["config"])
                target = (self.path.parent / module_path).resolve()
                yield name, Scope(target, dict(body.get("params") or {}), self)

    def resolve(self, value: Any) -> Any:
        """Return `value` with references to params, variables and JSON files followed."""
        if isinstance(value, str):
            return self._resolve_text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        path = accessor_path(value)
        if path is not None:
            return self._resolve_path(path)
        call = function_call(value)
        if call is not None:
            return self._resolve_call(*call)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict) and not {"operator", "function"} & value.keys():
            return {unquote(k): self.resolve(v) for k, v in value.items()}
        return Unresolved(json.dumps(value, default=str))

    def _resolve_text(self, text: str) -> Any:
        if text in self.section("variables"):
            return self.resolve(self.section("variables")[text]["value"])
        if text in self.section("parameters"):
            return self._resolve_param(text)
        if "${" not in text:
            return text
        return _INTERPOLATION.sub(lambda m: self._interpolate(m.group(1)), text)

    def _interpolate(self, expression: str) -> str:
        expression = expression.strip()
        if _PATH.match(expression):
            value = self._resolve_path(expression.split("."))
            if isinstance(value, str | int) and not isinstance(value, Unresolved):
                return str(value)
        return "${" + expression + "}"

    def _resolve_param(self, name: str) -> Any:
        if name in self.args and self.caller is not None:
            return self.caller.resolve(self.args[name])
        default = self.section("parameters")[name].get("default")
        return Unresolved(name) if default is None else self.resolve(default)

    def _resolve_path(self, path: list[Any]) -> Any:
        value = self.resolve(path[0])
        for key in path[1:]:
            if not isinstance(value, dict) or not isinstance(key, str) or key not in value:
                return Unresolved(".".join(map(str, path)))
            value = value[key]
        return value

    def _resolve_call(self, kind: str, parameters: dict[str, Any]) -> Any:
        if kind == "load_json_content":
            return json.loads((self.path.parent / parameters["file_path"]).read_text())
        if kind in {"union", "concat"}:
            parts = [self.resolve(v) for v in parameters.values() if v is not None]
            if parts and all(isinstance(p, dict) for p in parts):
                return {k: v for p in parts for k, v in p.items()}
            if parts and all(isinstance(p, list) for p in parts):
                return [item for p in parts for item in p]
        return Unresolved(kind)


def _body(config: dict[str, Any]) -> dict[str, Any]:
    """Return the object of a resource or module, unwrapping pycep's loop / condition layer."""
    inner = config.get("config")
    if isinstance(inner, dict) and ("loop_type" in config or "condition" in config):
        return inner
    return config


def main_scope() -> Scope:
    """Return infra/main.bicep as deployed (no caller)."""
    return Scope(MAIN)


def only_call(scope: Scope, module_path: str) -> Scope:
    """Return the single call of `module_path` in `scope`; fail when there are none or many."""
    calls = [s for _, s in scope.calls(module_path)]
    assert len(calls) == 1, f"{scope.path.name} calls {module_path} {len(calls)} times"
    return calls[0]


def only_resource(scope: Scope, resource_type: str) -> dict[str, Any]:
    """Return the single resource of `resource_type` in `scope`."""
    found = [body for _, body in scope.resources(resource_type)]
    assert len(found) == 1, f"{scope.path.name} has {len(found)} {resource_type}"
    return found[0]


def walk(value: Any) -> Iterator[Any]:
    """Yield `value` and everything nested in it (dict values, list items)."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
