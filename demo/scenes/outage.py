"""Scene: the primary region goes down, the Service Health alert arrives, Lifeboat plans the
recovery from DR-region data, an operator approves, and the VMs run in the DR region."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

TITLE = "Outage response: alert → DR plan → approval → VMs running in the DR region"

Say = Callable[[str], None]
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
VMS = ("web1", "web2", "web3")


def _settings() -> dict[str, str]:
    from tests.unit.outage_builders import DR_SUBNET, SRC_SUBNET

    return {"LIFEBOAT_SUBNET_MAP": f"{SRC_SUBNET}={DR_SUBNET}"}


def _control(arm: Any, method: str, path: str, body: Any = None) -> Any:
    import requests

    answer = requests.request(
        method, f"{arm.endpoint}{path}", json=body, verify=arm.ca_file, timeout=30
    )
    answer.raise_for_status()
    return answer.json()


def _call(handler: Any, method: str, plan_id: str, body: Any = None) -> tuple[int, Any]:
    import azure.functions as func

    req = func.HttpRequest(
        method,
        "http://localhost/api/plans",
        body=b"" if body is None else json.dumps(body).encode(),
        route_params={"plan_id": plan_id},
    )
    response = handler(req)
    return int(response.status_code), json.loads(response.get_body())


def _alert(payload: Any) -> tuple[int, Any]:
    import azure.functions as func

    from functions.service_health import service_health

    req = func.HttpRequest(
        "POST", "http://localhost/api/service-health", body=json.dumps(payload).encode()
    )
    response = service_health(req)
    return int(response.status_code), json.loads(response.get_body())


def _protected(arm: Any) -> None:
    from shared.bootstrap import get_deps
    from shared.vms.records import write_manifest
    from tests.support.recovery import _manifest, seed_dr

    seed_dr(arm, list(VMS))
    for index, name in enumerate(VMS):
        write_manifest(get_deps().records, _manifest(name, index, 1, static=True))


def run(say: Say) -> bool:
    """Declare an outage of eastus, answer its alert with a plan, approve it, execute it."""
    import function_app  # noqa: F401  (the app as the host loads it: blueprints, handlers)
    from devtools.local_driver import local_driver
    from emulator.stack import local_azure
    from functions.plans import plans_approve, plans_get
    from tests.support.recovery import vms_in

    with local_azure(SUBSCRIPTION, _settings()) as local:
        arm = local.arm
        _protected(arm)
        say(f"{len(VMS)} VMs in eastus protected: their DR copies and manifests are in westus.")
        spec = {
            "trackingId": "DEMO-OUT",
            "title": "Virtual Machines unavailable in East US",
            "regions": ["eastus"],
            "services": ["Virtual Machines"],
            "regionDown": True,
        }
        _control(arm, "POST", "/_emulator/incidents", spec)
        say("\nAzure declares an incident; eastus is down (every call there fails).")
        payload = _control(arm, "GET", "/_emulator/incidents/DEMO-OUT/webhook")
        for delivery in (1, 2):
            status, body = _alert(payload)
            ledger = body.get("ledger") or {}
            say(
                f"  webhook delivery {delivery} → {status}, action {body['action']}, "
                f"ledger {ledger.get('change')}"
            )
        plan = body["plan"]
        if plan is None:
            say("  no plan was made")
            return False
        plan_id = plan["planId"]
        status, full = _call(plans_get, "GET", plan_id)
        say(
            f"\nGET /api/plans/{plan_id} → {status}: {plan['items']} item(s), state {plan['state']}"
        )
        for group in full["plan"]["groups"]:
            for item in group["items"]:
                vm = item["vm"]["vm"]
                say(
                    f"  {group['name']}: {item['subject'].rsplit('/', 1)[-1]} → {vm['name']} "
                    f"({vm['size']}), RPO {round(item['rpoSeconds'] or 0)} s"
                )
        status, approved = _call(plans_approve, "POST", plan_id, {"approvedBy": "ops@contoso"})
        say(f"\nPOST /api/plans/{plan_id}/approve → {status}, approved by {approved['approvedBy']}")
        again, _ = _call(plans_approve, "POST", plan_id, {"approvedBy": "someone-else"})
        say(f"  a second approval → {again} (nothing runs twice)")
        with local_driver(clock=arm.clock.now, advance=arm.clock.advance) as driver:
            driver.run()
        status, after = _call(plans_get, "GET", plan_id)
        execution = after.get("execution") or {}
        running = vms_in(arm)
        say(
            f"\nExecution {execution.get('state')}: {len(running)} VM(s) in westus/lifeboat-dr, "
            f"RTO {execution.get('rtoSeconds')} s (emulated)"
        )
        for vm in sorted(running, key=lambda v: v["name"]):
            say(f"  {vm['name']}: {vm['properties']['provisioningState']}")
        return after["action"] == "done" and len(running) == len(VMS) and again == 409
