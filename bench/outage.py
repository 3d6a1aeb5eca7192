"""Outage planning: from a Service Health webhook to a stored DR plan, on the emulator.

`outage_plan_seconds`: wall seconds of one POST /api/service-health that records the incident
and plans N protected VMs (default 100) from DR-region records only, the primary region down
(the incident is declared with `regionDown`). `outage_plans_for_duplicate_alerts`: the plans a
second incident's webhook, delivered three times concurrently, leaves behind (1 is right).
One function per figure; the RTO figures are in bench/outage_rto.py.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import timedelta
from typing import Any

from bench.outage_rto import _subnets, seed, synthetic_manifest
from bench.remote import RemoteAzure, remote_azure


def _manifests(sub: str, names: list[str], at: Any) -> list[Any]:
    captured = at - timedelta(hours=1)
    return [synthetic_manifest(sub, name, n, captured) for n, name in enumerate(names)]


def _control(local: RemoteAzure, method: str, path: str, body: Any = None) -> Any:
    import requests

    answer = requests.request(
        method, f"{local.arm.endpoint}{path}", json=body, verify=local.arm.ca_file, timeout=30
    )
    answer.raise_for_status()
    return answer.json()


def _declare(local: RemoteAzure, tracking_id: str) -> Any:
    spec = {
        "trackingId": tracking_id,
        "regions": ["eastus"],
        "services": ["Virtual Machines"],
        "regionDown": True,
    }
    _control(local, "POST", "/_emulator/incidents", spec)
    return _control(local, "GET", f"/_emulator/incidents/{tracking_id}/webhook")


def _post(payload: Any) -> dict[str, Any]:
    import azure.functions as func

    from functions.service_health import service_health

    req = func.HttpRequest(
        "POST", "http://localhost/api/service-health", body=json.dumps(payload).encode()
    )
    response = service_health(req)
    if response.status_code != 200:
        raise RuntimeError(f"service-health answered {response.status_code}")
    body: dict[str, Any] = json.loads(response.get_body())
    return body


def plan_seconds(local: RemoteAzure) -> tuple[float, dict[str, Any]]:
    """Seconds of one webhook POST that records the incident and plans the estate."""
    payload = _declare(local, "BENCH-PLAN")
    start = time.perf_counter()
    body = _post(payload)
    return time.perf_counter() - start, body


def plans_for_duplicate_alerts(local: RemoteAzure) -> int:
    """The plans of an incident whose webhook arrived three times at once."""
    from shared.bootstrap import get_deps
    from shared.outages.ingest import incident_plans

    payload = _declare(local, "BENCH-DUP")
    barrier = threading.Barrier(3)

    def deliver() -> None:
        barrier.wait()
        _post(payload)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(incident_plans(get_deps(), "BENCH-DUP"))


def section(args: argparse.Namespace) -> dict[str, Any]:
    """Run the outage planning bench; print its lines and return its figures (`outage_*`)."""
    import os

    from shared import bootstrap
    from shared.vms.records import write_manifest

    count = int(getattr(args, "outage_vms", 100))
    print(f"\nOutage planning: {count} protected VMs, primary region down")
    names = [f"vm{i:03d}" for i in range(count)]
    with remote_azure() as local:
        src, dr = _subnets(local.subscription)
        previous = os.environ.get("LIFEBOAT_SUBNET_MAP")
        os.environ["LIFEBOAT_SUBNET_MAP"] = f"{src}={dr}"
        try:
            bootstrap.reset()
            seed(local, names)
            records = bootstrap.get_deps().records
            for manifest in _manifests(local.subscription, names, local.arm.clock.now()):
                write_manifest(records, manifest)
            seconds, body = plan_seconds(local)
            duplicates = plans_for_duplicate_alerts(local)
        finally:
            if previous is None:
                os.environ.pop("LIFEBOAT_SUBNET_MAP", None)
            else:
                os.environ["LIFEBOAT_SUBNET_MAP"] = previous
            bootstrap.reset()
    plan = body.get("plan") or {}
    print(
        f"  plan: {seconds:.2f} s for {plan.get('items', 0)} items "
        f"({plan.get('blocked', 0)} blocked), action {body.get('action')}"
    )
    print(f"  same alert 3x concurrently: {duplicates} plan(s)")
    return {
        "outage_plan_seconds": round(seconds, 3),
        "outage_plan_items": plan.get("items", 0),
        "outage_plans_for_duplicate_alerts": duplicates,
    }
