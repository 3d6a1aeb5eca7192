"""Scene: a drill. Protected VMs are recreated in the DR region inside an isolated drill
network, validated, kept up for the window, deleted again, and the evidence keeps RTO and RPO."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

TITLE = "Drill: protected VMs → drill plan → isolated drill network → validated → cleaned up"

Say = Callable[[str], None]
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
VMS = ("app1", "app2")
WINDOW_MINUTES = 5


def _call(handler: Any, method: str, body: Any = None, plan_id: str = "") -> tuple[int, Any]:
    import azure.functions as func

    req = func.HttpRequest(
        method,
        f"http://localhost/api/drills/{plan_id}".rstrip("/"),
        body=b"" if body is None else json.dumps(body).encode(),
        params={},
        route_params={"plan_id": plan_id} if plan_id else {},
    )
    response = handler(req)
    return int(response.status_code), json.loads(response.get_body())


def _cleanup_job() -> Any:
    from shared.bootstrap import get_deps

    found = [j for j in get_deps().jobs.list() if j.kind == "drill_cleanup"]
    return found[0] if found else None


def _validated() -> bool:
    job = _cleanup_job()
    return job is not None and bool(job.data.get("validated_at"))


def _subnet_of(arm: Any, vm: Any) -> str:
    nic_id = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    nic = arm.state.get(nic_id) or {}
    configs = nic.get("properties", {}).get("ipConfigurations", [{}])
    return str(configs[0].get("properties", {}).get("subnet", {}).get("id", "?"))


def run(say: Say) -> bool:
    """Start a drill of every protected VM, watch it run, validate, clean up, keep evidence."""
    import function_app  # noqa: F401  (the app as the host loads it: blueprints, handlers)
    from devtools.local_driver import local_driver
    from emulator.stack import local_azure
    from functions.drills import drills_get, drills_start
    from tests.support.drills import drill_settings, leftovers, protect_for_drill, undo_drill_env
    from tests.support.recovery import vms_in

    with local_azure(SUBSCRIPTION) as local:
        arm = local.arm
        settings = drill_settings(arm, WINDOW_MINUTES)
        try:
            protect_for_drill(arm, VMS, WINDOW_MINUTES)
            say(
                f"{len(VMS)} VMs in eastus protected: DR snapshots and recovery manifests in "
                f"westus; drill network {settings['LIFEBOAT_DRILL_VNET_ID'].rsplit('/', 1)[-1]} "
                "(no peering, no route to production)."
            )
            status, dry = _call(drills_start, "POST", {"dryRun": True})
            say(f"\nPOST /api/drills {{dryRun}} → {status}: the drill plan, nothing written")
            for group in dry["plan"]["groups"]:
                for item in group["items"]:
                    vm = item["vm"]["vm"]
                    say(
                        f"  {group['name']}: {item['subject'].rsplit('/', 1)[-1]} → "
                        f"{vm['name']} ({vm['size']})"
                    )
            status, started = _call(drills_start, "POST", {})
            drill, plan_id = started.get("drillId"), started.get("planId", "")
            say(f"\nPOST /api/drills → {status}: drill {drill}, plan {plan_id}")
            again, same = _call(drills_start, "POST", {})
            say(f"  the same request again → {again}, drill {same.get('drillId')} (one drill)")
            with local_driver(clock=arm.clock.now, advance=arm.clock.advance) as driver:
                driver.run(until=_validated)
                running = vms_in(arm)
                say(f"\nExecution done; {len(running)} drill VM(s) validated in westus:")
                for vm in sorted(running, key=lambda v: v["name"]):
                    subnet = _subnet_of(arm, vm).split("/virtualNetworks/", 1)[-1]
                    say(f"  {vm['name']}: {vm['properties']['provisioningState']}, in {subnet}")
                say(f"  held for the {WINDOW_MINUTES}-minute window, then deleted")
                driver.run()
            status, seen = _call(drills_get, "GET", plan_id=plan_id)
            evidence = seen.get("evidence") or {}
            cleanup = evidence.get("cleanup") or {}
            say(
                f"\nGET /api/drills/{plan_id} → {status}: passed {evidence.get('passed')}, "
                f"drill RTO {evidence.get('rtoSeconds')} s (emulated)"
            )
            for vm in evidence.get("vms", []):
                say(
                    f"  {vm['sourceVmId'].rsplit('/', 1)[-1]}: {vm['verdict']}, RTO "
                    f"{vm['rtoSeconds']} s, RPO {round((vm['rpoSeconds'] or 0) / 86400)} days "
                    "(the demo's recovery points date from March)"
                )
            left = leftovers(arm, str(drill))
            say(
                f"  cleanup complete {cleanup.get('complete')}: {cleanup.get('deleted')} "
                f"resources deleted, {len(left)} left; evidence drills/{drill}.json in westus"
            )
            return (
                status == 200
                and again == 202
                and same.get("drillId") == drill
                and evidence.get("passed") is True
                and cleanup.get("complete") is True
                and not left
                and vms_in(arm) == []
            )
        finally:
            undo_drill_env()
