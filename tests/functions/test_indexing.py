"""What the Functions host indexes from function_app, and what importing it costs (cold start).

Both run in a fresh interpreter, as the host's worker does: the SDK's app.get_functions() may be
called only once per app object (it rejects a second call as duplicate names), and a cold
import can only be observed in a process that has not imported anything yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "azure.mgmt",
    "azure.storage",
    "azure.data",
    "azure.identity",
    "azure.core.pipeline.transport",
    "pydantic",
    "pydantic_settings",
)
# Indexing imports only the adapters and these small modules; the services load on first call.
INDEXED_SHARED = {"shared", "shared.errors", "shared.logging_setup"}

_PROBE = """
import json, sys, time
started = time.perf_counter()
import function_app
import_seconds = time.perf_counter() - started
heavy = sorted(m for m in sys.modules if m.startswith(tuple(json.loads(sys.argv[1]))))
shared = sorted(m for m in sys.modules if m == "shared" or m.startswith("shared."))
functions = {
    fn.get_function_name(): [json.loads(b) for b in fn.get_raw_bindings()]
    for fn in function_app.app.get_functions()
}
print(json.dumps({"heavy": heavy, "shared": shared, "functions": functions,
                  "import_seconds": import_seconds}))
"""


@pytest.fixture(scope="module")
def indexed() -> dict[str, Any]:
    """Import function_app in a fresh interpreter and return what the host would see."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _trigger(indexed: dict[str, Any], name: str) -> dict[str, Any]:
    bindings = indexed["functions"][name]
    (trigger,) = [b for b in bindings if b["type"].endswith("Trigger")]
    return trigger


def test_service_health_is_a_function_key_post_on_its_route(indexed: dict[str, Any]) -> None:
    trigger = _trigger(indexed, "service_health")

    assert trigger == {
        "direction": "IN",
        "type": "httpTrigger",
        "name": "req",
        "methods": ["POST"],
        "authLevel": "FUNCTION",
        "route": "service-health",
    }
    outputs = [b for b in indexed["functions"]["service_health"] if b["direction"] == "OUT"]
    assert outputs == [{"direction": "OUT", "type": "http", "name": "$return"}]


def test_on_resource_event_is_the_one_event_grid_trigger(indexed: dict[str, Any]) -> None:
    trigger = _trigger(indexed, "on_resource_event")

    assert trigger == {"direction": "IN", "type": "eventGridTrigger", "name": "event"}
    event_grid = [
        n for n in indexed["functions"] if _trigger(indexed, n)["type"] == "eventGridTrigger"
    ]
    assert event_grid == ["on_resource_event"]


def test_every_http_function_requires_a_key(indexed: dict[str, Any]) -> None:
    for name in indexed["functions"]:
        trigger = _trigger(indexed, name)
        if trigger["type"] == "httpTrigger":
            assert trigger["authLevel"] in {"FUNCTION", "ADMIN"}, name


def test_importing_the_app_loads_no_azure_sdk_client_nor_pydantic(indexed: dict[str, Any]) -> None:
    assert indexed["heavy"] == []


def test_importing_the_app_loads_no_service_of_shared(indexed: dict[str, Any]) -> None:
    # The template error classes map to HTTP statuses in the adapter's table: plain classes.
    assert (
        set(indexed["shared"]) - {"shared.templates", "shared.templates.errors"} == INDEXED_SHARED
    )
