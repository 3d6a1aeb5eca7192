"""What the code exposes to Azure, read from the code itself: functions, bindings, settings."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Function:
    """One indexed function: its name, trigger type and bindings as function.json would hold."""

    name: str
    trigger: str
    bindings: tuple[dict[str, Any], ...]

    @property
    def trigger_binding(self) -> dict[str, Any]:
        """The binding of the trigger."""
        return next(b for b in self.bindings if b["type"] == self.trigger)


# app.get_functions() may run once per app object (a second call rejects every name as a
# duplicate), so the index is read in a fresh interpreter, as the host's worker reads it.
_PROBE = """
import json, function_app
print(json.dumps({
    fn.get_function_name(): [fn.get_trigger().type, [json.loads(b) for b in fn.get_raw_bindings()]]
    for fn in function_app.app.get_functions()
}))
"""


@functools.cache
def functions() -> dict[str, Function]:
    """Return every function the app indexes (function_app.app.get_functions()), by name."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"indexing function_app failed:\n{done.stderr}"
    indexed = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        name: Function(name, trigger, tuple(bindings))
        for name, (trigger, bindings) in indexed.items()
    }


def by_trigger(trigger: str) -> dict[str, Function]:
    """Return the functions whose trigger type is `trigger` (e.g. eventGridTrigger)."""
    return {n: f for n, f in functions().items() if f.trigger == trigger}


def route_prefix() -> str:
    """Return host.json's HTTP route prefix ('api' unless set)."""
    host = json.loads((ROOT / "host.json").read_text())
    return str(host.get("extensions", {}).get("http", {}).get("routePrefix", "api"))


def env_names(field_name: str) -> tuple[str, ...]:
    """Return the environment names Settings reads `field_name` from (alias choices or prefix)."""
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    if isinstance(alias, str):
        return (alias,)
    return (f"LIFEBOAT_{field_name.upper()}",)


def default(field_name: str) -> Any:
    """Return the default of a Settings field."""
    return Settings.model_fields[field_name].get_default(call_default_factory=True)
