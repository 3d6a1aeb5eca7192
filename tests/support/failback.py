"""Failback fixtures: an outage plan executed through the real routes with the primary region
down, then the incident's Resolved webhook with the primary back (no tests here)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import azure.functions as func
import pytest
import requests

if TYPE_CHECKING:
    from emulator.server import ArmEmulator

PRIMARY, DR = "eastus", "westus"
TRACKING_ID = "LB1-FAILBACK"
INCIDENT = {
    "trackingId": TRACKING_ID,
    "title": "Virtual Machines in East US",
    "regions": [PRIMARY],
    "services": ["Virtual Machines"],
    "stages": [{"stage": "Active"}, {"stage": "Resolved", "after": 3600}],
}
FAILBACK_RG = "lifeboat-failback"


def http(handler: Any, method: str, path: str, body: Any = None, **route: str) -> Any:
    """Call an HTTP function; return (status, JSON body)."""
    req = func.HttpRequest(
        method,
        f"http://localhost/api/{path}",
        body=b"" if body is None else json.dumps(body).encode(),
        route_params=route,
        params={},
    )
    response = handler(req)
    return response.status_code, json.loads(response.get_body())


def _emulator(arm: ArmEmulator, method: str, path: str, body: Any = None) -> Any:
    answer = requests.request(
        method, f"{arm.endpoint}/_emulator/{path}", json=body, verify=arm.ca_file, timeout=10
    )
    assert answer.status_code < 300, answer.text
    return answer.json()


def webhook(arm: ArmEmulator) -> Any:
    """The Service Health webhook of the incident's current stage."""
    return _emulator(arm, "GET", f"incidents/{TRACKING_ID}/webhook")


def alert(body: Any) -> tuple[int, Any]:
    """POST /api/service-health with `body`."""
    from functions.service_health import service_health

    return http(service_health, "POST", "service-health", body)  # type: ignore[no-any-return]


def executed_plan(arm: ArmEmulator, names: Sequence[str], *, drive: bool = True) -> str:
    """Protected VMs `names` (DR snapshots and manifests), the primary down, the incident's
    alert, the plan approved and (unless not `drive`) executed by a local driver; return the
    plan id.

    The settings must already map the subnet (`tests.support.drills.drill_settings`)."""
    from functions.plans import plans_approve
    from shared.bootstrap import get_deps
    from shared.vms.records import write_manifest
    from tests.support.images import driver
    from tests.support.recovery import _manifest, seed_dr

    seed_dr(arm, names)
    for index, name in enumerate(names):
        write_manifest(get_deps().records, _manifest(name, index, 1, static=False))
    arm.faults.region_down(PRIMARY)
    _emulator(arm, "POST", "incidents", INCIDENT)
    status, body = alert(webhook(arm))
    assert status == 200 and body["plan"]["blocked"] == 0, body
    plan_id = str(body["plan"]["planId"])
    status, approved = http(
        plans_approve, "POST", "approve", {"approvedBy": "ops@x"}, plan_id=plan_id
    )
    assert status == 200, approved
    if drive:
        with driver(arm) as d:
            assert d.run() is True
    return plan_id


def resolved(arm: ArmEmulator) -> Any:
    """An hour on: the incident resolved and the primary region back; its Resolved webhook."""
    arm.clock.advance(3600)
    arm.faults.region_up(PRIMARY)
    body = webhook(arm)
    assert "Resolved" in json.dumps(body)
    return body


def failback_copies(arm: ArmEmulator) -> list[Any]:
    """Every snapshot in the failback resource group."""
    from tests.support.recovery import resources_in

    return resources_in(arm, "Microsoft.Compute/snapshots", FAILBACK_RG)


# ---- the chaos scenarios' world (tests/chaos/scenarios.py) ----------------------------------
_ENV = pytest.MonkeyPatch()


def executed_for_chaos(arm: ArmEmulator, names: Sequence[str]) -> Any:
    """`executed_plan` in the chaos stage (its driver unscoped: none of it is under test), the
    composition rebuilt on the emulated clock; return the Resolved webhook. Undo the settings
    with `undo_failback_env`."""
    from shared import bootstrap
    from tests.support.drills import drill_settings

    for key, value in drill_settings(arm).items():
        _ENV.setenv(key, value)
    bootstrap.configure(clock=arm.clock.now, storage_delays=False)
    executed_plan(arm, names)
    bootstrap.configure(clock=arm.clock.now, storage_delays=False)
    return resolved(arm)


def drive_unscoped(arm: ArmEmulator) -> None:
    """Run the jobs to idle outside any chaos scope, then the stage's composition again."""
    from shared import bootstrap
    from tests.support.images import driver

    with driver(arm) as d:
        assert d.run() is True
    bootstrap.configure(clock=arm.clock.now, storage_delays=False)


def undo_failback_env() -> None:
    """Restore the environment `executed_for_chaos` changed (twice is a no-op)."""
    _ENV.undo()


def failback_plan() -> Any:
    """The one stored failback plan."""
    from shared.bootstrap import get_deps
    from shared.outages.plan_model import PlanKind

    (stored,) = [p for p in get_deps().plans.list() if p.plan.kind is PlanKind.FAILBACK]
    return stored
