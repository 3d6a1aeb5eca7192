"""Drills: a drill of N protected VMs (default 100) on the emulator, emulated clock, Compute's
throttles on (the emulator's default: its per-VM and per-region token buckets).

The estate is synthetic: N protected VMs (an OS and a data disk, one static NIC each) whose DR
snapshots are seeded in the DR region and whose recovery manifests are written to DR storage;
a configured drill vnet. The drill starts through POST /api/drills (`functions/drills.py`) and
runs through the real jobs (plan_execution, drill_run, drill_cleanup) with the window set to 0.
First a drill of one VM alone gives the critical path (`drill_critical_path_seconds`); the bound
is that plus what Compute's PutVM budget adds beyond its burst (`bench.outage_rto.bound_seconds`).
Figures (emulated seconds): `drill_rto_seconds` (drill start → last VM validated, the
evidence's RTO), `drill_rto_to_bound` (must stay within 1.25), `drill_cleanup_seconds` (cleanup
start → evidence written), `drill_leftover_resources` (VMs, NICs and disks named with the drill
id still listed by ARM afterwards: must be 0), `drill_arm_calls_per_vm` (every ARM call from the
POST to the evidence, over N) and `drill_throttled_calls` (the 429s Compute's buckets answered).
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from bench.outage_rto import (
    DR,
    RG_DR,
    _base,
    _subnets,
    bound_seconds,
    seed,
    synthetic_manifest,
)
from bench.remote import RemoteAzure, remote_azure

DEFAULT_VMS = 100


def _drill_vnet(sub: str) -> str:
    return f"{_base(sub)}/drill/providers/Microsoft.Network/virtualNetworks/drill"


def settings(sub: str) -> dict[str, str]:
    """The drill settings: subnet map, the configured (isolated) drill vnet, window 0."""
    src, dr = _subnets(sub)
    return {
        "LIFEBOAT_SUBNET_MAP": f"{src}={dr}",
        "LIFEBOAT_DRILL_VNET_ID": _drill_vnet(sub),
        "LIFEBOAT_DRILL_WINDOW_MINUTES": "0",
    }


def protect(local: RemoteAzure, names: list[str]) -> None:
    """Seed the DR snapshots, the DR and drill subnets, and write each VM's manifest."""
    from shared.bootstrap import get_deps
    from shared.vms.records import write_manifest

    sub = local.subscription
    seed(local, names)
    local.arm.seed(
        {
            "resources": [
                {
                    "id": _drill_vnet(sub),
                    "location": DR,
                    "properties": {
                        "addressSpace": {"addressPrefixes": ["10.0.0.0/8"]},
                        "subnets": [
                            {"name": "web", "properties": {"addressPrefix": "10.0.0.0/16"}}
                        ],
                    },
                }
            ]
        }
    )
    captured = local.arm.clock.now() - timedelta(hours=1)
    records = get_deps().records
    for n, name in enumerate(names):
        write_manifest(records, synthetic_manifest(sub, name, n, captured))


def leftovers(sub: str, drill_id: str) -> list[str]:
    """VMs, NICs and disks in the DR group whose name carries the drill id, as ARM lists them."""
    from shared.bootstrap import get_deps

    clients = get_deps().clients
    mark = f"drill-{drill_id}".lower()
    compute = clients.compute(sub)
    network = clients.network(sub)
    listed = [
        *compute.virtual_machines.list(RG_DR),
        *compute.disks.list_by_resource_group(RG_DR),
        *network.network_interfaces.list(RG_DR),
    ]
    return [str(r.id) for r in listed if mark in str(r.name).lower()]


def run_drill(
    local: RemoteAzure, vm_ids: list[str]
) -> tuple[Any, dict[str, Any] | None, list[str], int, int]:
    """POST /api/drills for `vm_ids` and drive the jobs to idle; return the answer's body, the
    evidence, the jobs that did not succeed, the ARM calls and the 429s among them."""
    import azure.functions as func

    from devtools.local_driver import local_driver
    from functions.drills import drills_start
    from shared.bootstrap import get_deps
    from shared.drills.evidence import record_name

    clock = local.arm.clock
    with local_driver(clock=clock.now, advance=clock.advance) as driver:
        local.arm.log.clear()
        payload = json.dumps({"vmIds": vm_ids}).encode()
        req = func.HttpRequest("POST", "http://localhost/api/drills", body=payload, params={})
        response = drills_start(req)
        body = json.loads(response.get_body())
        if response.status_code != 202:
            return body, None, [f"POST /api/drills: {response.status_code}"], 0, 0
        driver.run()
        entries = local.arm.log.entries()
        throttled = sum(1 for e in entries if e.status == 429)
        failed = [
            f"{job.kind}: {job.state.value} {job.reason}"
            for job in get_deps().jobs.list()
            if job.state.value != "succeeded"
        ]
        evidence = get_deps().records.get(record_name(body["drillId"]))
        return body, evidence, failed, len(entries), throttled


def section(args: argparse.Namespace) -> dict[str, Any]:
    """Run the drill bench; print its lines and return its figures (`drill_*`)."""
    from emulator.stack import app_environment
    from shared.jobs.messages import parse_time

    count = int(getattr(args, "drill_vms", DEFAULT_VMS))
    print(
        f"\nDrills: a drill of {count} protected VMs on the emulator "
        "(emulated clock, Compute throttles on, window 0)"
    )
    names = [f"dvm{i:03d}" for i in range(count)]
    with remote_azure() as local, app_environment(settings(local.subscription)):
        sub = local.subscription
        protect(local, ["solo", *names])
        vms = f"{_base(sub)}/rg/providers/Microsoft.Compute/virtualMachines"
        ids = [f"{vms}/{n}" for n in names]
        _, solo, _, _, _ = run_drill(local, [f"{vms}/solo"])
        body, evidence, failed_jobs, calls, throttled = run_drill(local, ids)
        drill_id = body.get("drillId") if isinstance(body, dict) else None
        left = leftovers(sub, drill_id) if drill_id else []
    critical = float((solo or {}).get("rtoSeconds") or 0.0)
    bound = bound_seconds(critical, count)
    for line in failed_jobs:
        print(f"  job not succeeded: {line[:200]}")
    if evidence is None:
        print(f"  no evidence recorded; {len(left)} drill resources left (VMs, NICs, disks)")
        return {
            "drill_vms": count,
            "drill_rto_seconds": None,
            "drill_cleanup_seconds": None,
            # Nothing recorded is a failure too: at least 1, whatever ARM still lists.
            "drill_leftover_resources": max(len(left), 1),
            "drill_jobs_failed": len(failed_jobs),
            "drill_arm_calls_per_vm": round(calls / count, 1),
            "drill_rto_to_bound": None,
        }
    cleanup = None
    if evidence.get("cleanupStartedAt") and evidence.get("finishedAt"):
        started = parse_time(evidence["cleanupStartedAt"])
        cleanup = (parse_time(evidence["finishedAt"]) - started).total_seconds()
    failed = sum(1 for v in evidence["vms"] if v["verdict"] != "passed")
    figures = {
        "drill_vms": count,
        "drill_rto_seconds": evidence["rtoSeconds"],
        "drill_critical_path_seconds": critical,
        "drill_bound_seconds": bound,
        "drill_rto_to_bound": (
            round(evidence["rtoSeconds"] / bound, 2) if evidence["rtoSeconds"] and bound else None
        ),
        "drill_cleanup_seconds": cleanup,
        "drill_leftover_resources": len(left or []),
        "drill_cleanup_complete": bool(evidence["cleanup"].get("complete")),
        "drill_vms_failed": failed,
        "drill_jobs_failed": len(failed_jobs),
        "drill_arm_calls_per_vm": round(calls / count, 1),
        "drill_throttled_calls": throttled,
    }
    print(
        f"  RTO {figures['drill_rto_seconds']} s (bound {bound:.0f} s: one VM alone "
        f"{critical:.0f} s; ratio {figures['drill_rto_to_bound']}); cleanup {cleanup} s; "
        f"{figures['drill_leftover_resources']} resources left; {failed} VMs not validated; "
        f"{figures['drill_arm_calls_per_vm']} ARM calls per VM; {throttled} calls throttled"
    )
    return figures


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(section(argparse.Namespace(drill_vms=DEFAULT_VMS)), indent=2, sort_keys=True))
