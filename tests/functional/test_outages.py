"""Outage response end to end on the emulator and Azurite, primary region down: webhook →
ledger → plan → approve / cancel, through POST /api/service-health and /api/plans."""

from __future__ import annotations

import json
import threading
from typing import Any

import azure.functions as func
import pytest
import requests

from functions.plans import plans_approve, plans_cancel, plans_get, plans_list
from functions.service_health import service_health
from shared.bootstrap import get_deps
from tests.support.images import driver
from tests.support.vms import post as protect
from tests.support.vms import tagged_vm, vm_id, writes

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

INCIDENT = {
    "trackingId": "LB1-OUT",
    "title": "Virtual Machines in East US",
    "regions": ["eastus"],
    "services": ["Virtual Machines"],
    "stages": [{"stage": "Active"}, {"stage": "Resolved", "after": 3600}],
}


def _declare(env: Any, spec: dict[str, Any] = INCIDENT) -> None:
    answer = requests.post(
        f"{env.arm.endpoint}/_emulator/incidents", json=spec, verify=env.arm.ca_file, timeout=10
    )
    assert answer.status_code == 201, answer.text


def _webhook(env: Any, tracking_id: str = "LB1-OUT") -> Any:
    return requests.get(
        f"{env.arm.endpoint}/_emulator/incidents/{tracking_id}/webhook",
        verify=env.arm.ca_file,
        timeout=10,
    ).json()


def _alert(body: Any, dry_run: str | None = None) -> tuple[int, Any]:
    params = {} if dry_run is None else {"dryRun": dry_run}
    req = func.HttpRequest(
        "POST",
        "http://localhost:7071/api/service-health",
        body=json.dumps(body).encode(),
        params=params,
    )
    response = service_health(req)
    return response.status_code, json.loads(response.get_body())


def _route(handler: Any, method: str, path: str, plan_id: str, body: Any = None) -> tuple[int, Any]:
    req = func.HttpRequest(
        method,
        f"http://localhost/api/{path}",
        body=b"" if body is None else json.dumps(body).encode(),
        route_params={"plan_id": plan_id},
    )
    response = handler(req)
    return response.status_code, json.loads(response.get_body())


def _protected_estate(env: Any, *names: str, **tags: str) -> None:
    env.arm.seed({"resources": [tagged_vm(n, data_disks=1, **tags) for n in names]})
    for name in names:
        assert protect({"vmId": vm_id(name)})[0] == 202
    with driver(env.arm) as d:
        assert d.run() is True


def _concurrently(n: int, call: Any) -> list[Any]:
    barrier, results = threading.Barrier(n), []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        out = call()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_the_same_alert_three_times_concurrently_makes_one_entry_and_one_plan(
    lifeboat_env: Any,
) -> None:
    env = lifeboat_env
    _protected_estate(env, "web1", "web2")
    env.arm.faults.region_down("eastus")
    _declare(env)
    payload = _webhook(env)
    before = writes(env.arm)

    answers = _concurrently(3, lambda: _alert(payload))

    assert [s for s, _ in answers] == [200, 200, 200]
    assert {b["action"] for _, b in answers} == {"awaiting_approval"}
    assert len({b["plan"]["planId"] for _, b in answers}) == 1
    assert sorted(b["ledger"]["change"] for _, b in answers) == [
        "duplicate",
        "duplicate",
        "new_incident",
    ]
    deps = get_deps()
    (entry,) = deps.ledger.list()
    assert entry.tracking_id == "LB1-OUT" and len(entry.communication_ids) == 1
    (stored,) = deps.plans.list()
    assert {i.subject.lower() for i in stored.plan.items} == {
        vm_id("web1").lower(),
        vm_id("web2").lower(),
    }
    assert stored.plan.dr_region == "westus"
    assert writes(env.arm) == before  # planning writes nothing to Azure

    # The same communication fetched again (new event ids) and once per subscription rule.
    status, again = _alert(_webhook(env))
    assert (status, again["ledger"]["change"], again["plan"]["planId"]) == (
        200,
        "duplicate",
        stored.plan_id,
    )
    assert len(get_deps().plans.list()) == 1


def test_plans_are_listed_read_approved_once_and_refused_after(lifeboat_env: Any) -> None:
    env = lifeboat_env
    _protected_estate(env, "app1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    _, body = _alert(_webhook(env))
    plan_id = body["plan"]["planId"]

    status, listed = _route(plans_list, "GET", "plans", "")
    assert status == 200 and [p["planId"] for p in listed["plans"]] == [plan_id]
    status, one = _route(plans_get, "GET", f"plans/{plan_id}", plan_id)
    assert status == 200 and one["state"] == "awaiting_approval"
    assert one["plan"]["groups"][0]["kind"] == "vm" and one["execution"] is None

    answers = _concurrently(
        2,
        lambda: _route(
            plans_approve, "POST", f"plans/{plan_id}/approve", plan_id, {"approvedBy": "ops@x"}
        ),
    )
    assert sorted(s for s, _ in answers) == [200, 409]
    stored = get_deps().plans.get(plan_id)
    assert stored is not None and stored.status.approved_by == "ops@x"
    assert stored.status.approved_at is not None

    again = _route(plans_approve, "POST", f"plans/{plan_id}/approve", plan_id, {"approvedBy": "b"})
    assert again[0] == 409 and "already approved" in again[1]["error"]
    assert _route(plans_cancel, "POST", "x", plan_id, {"cancelledBy": "b"})[0] == 200
    unknown = "plan-" + "0" * 20
    assert _route(plans_get, "GET", "x", unknown)[0] == 404
    assert _route(plans_approve, "POST", "x", unknown, {"approvedBy": "b"})[0] == 404
    assert _route(plans_get, "GET", "x", "../etc")[0] == 400
    assert _route(plans_approve, "POST", "x", plan_id, {})[0] == 400


def test_cancelled_plans_refuse_approval_and_resolved_incidents_close_pending_plans(
    lifeboat_env: Any,
) -> None:
    env = lifeboat_env
    _protected_estate(env, "db1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    _, body = _alert(_webhook(env))
    plan_id = body["plan"]["planId"]
    assert _route(plans_cancel, "POST", "x", plan_id, {"cancelledBy": "ops"})[0] == 200
    status, refused = _route(plans_approve, "POST", "x", plan_id, {"approvedBy": "ops"})
    assert status == 409 and "cancelled" in refused["error"]

    _declare(env, {**INCIDENT, "trackingId": "LB2-OUT"})
    _, second = _alert(_webhook(env, "LB2-OUT"))
    env.arm.clock.advance(3600)
    status, resolved = _alert(_webhook(env, "LB2-OUT"))
    assert (status, resolved["action"], resolved["ledger"]["change"]) == (200, "resolved", "update")
    closed = get_deps().plans.get(second["plan"]["planId"])
    assert closed is not None and closed.status.state.value == "closed"


def test_dry_run_returns_the_plan_and_writes_nothing(lifeboat_env: Any) -> None:
    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    status, body = _alert(_webhook(env), "true")
    assert status == 200 and body["dryRun"] is True
    assert body["plan"]["items"] == 1
    assert get_deps().ledger.list() == [] and get_deps().plans.list() == []


def test_the_reconcile_poll_heals_a_missed_webhook_and_a_late_webhook_is_a_duplicate(
    lifeboat_env: Any,
) -> None:
    from azure.functions.timer import TimerRequest

    from functions.reconcile import reconcile

    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    _declare(env)

    reconcile(TimerRequest(past_due=True))

    deps = get_deps()
    (entry,) = deps.ledger.list()
    assert entry.tracking_id == "LB1-OUT" and [c.value for c in entry.channels] == [
        "resource-graph"
    ]
    (stored,) = deps.plans.list()
    assert stored.status.state.value == "awaiting_approval"

    reconcile(TimerRequest(past_due=True))  # the same row again: nothing new
    assert len(get_deps().plans.list()) == 1

    status, body = _alert(_webhook(env))  # the webhook arrives late: same communication
    assert (status, body["ledger"]["change"], body["plan"]["planId"]) == (
        200,
        "duplicate",
        stored.plan_id,
    )
    (entry,) = get_deps().ledger.list()
    assert len(entry.content_hashes) == 1 and len(entry.channels) == 2


def test_status_lists_open_plans_and_pending_approvals(lifeboat_env: Any) -> None:
    from shared.features import STATUS_SECTIONS

    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    _declare(env)
    _, body = _alert(_webhook(env))
    (section,) = [s for s in STATUS_SECTIONS if s.name == "outages"]
    report = section.contribute(get_deps(), get_deps().clock())
    assert report["pending_approvals"] == [body["plan"]["planId"]]
    assert [p["action"] for p in report["open_plans"]] == ["awaiting_approval"]
    assert report["incidents"] == ["LB1-OUT"]


def test_a_failing_webhook_receiver_never_blocks_the_plan(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import bootstrap

    env = lifeboat_env
    _protected_estate(env, "web1")
    env.arm.faults.region_down("eastus")
    # Nothing listens there: the post fails, is logged, and the plan is still made.
    monkeypatch.setenv("LIFEBOAT_OUTAGE_WEBHOOK_URL", "https://127.0.0.1:9/hook")
    monkeypatch.setenv("LIFEBOAT_PUBLIC_BASE_URL", "https://lifeboat.example.net")
    bootstrap.reset()
    _declare(env)
    status, body = _alert(_webhook(env))
    assert (status, body["action"]) == (200, "awaiting_approval")
