"""Drills end to end through POST /api/drills and GET /api/drills/{id} on the emulator and
Azurite: protected VM → drill plan → execution into the drill network → validated → cleaned up
→ evidence; refused while an outage plan executes; dryRun writes nothing."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from functions.drills import drills_get, drills_start
from shared.bootstrap import get_deps
from tests.support.images import driver
from tests.support.recovery import _manifest, resources_in, seed_dr, vms_in
from tests.unit.outage_builders import DRILL_SUBNET, RG, SRC_SUBNET

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _post(body: Any) -> tuple[int, Any]:
    req = func.HttpRequest(
        "POST", "http://localhost/api/drills", body=json.dumps(body).encode(), params={}
    )
    response = drills_start(req)
    return response.status_code, json.loads(response.get_body())


def _get(plan_id: str) -> tuple[int, Any]:
    req = func.HttpRequest(
        "GET", f"http://localhost/api/drills/{plan_id}", body=b"", route_params={"plan_id": plan_id}
    )
    response = drills_get(req)
    return response.status_code, json.loads(response.get_body())


DR_SUBNET = f"{RG}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr/subnets/web"
DRILL_VNET = DRILL_SUBNET.rsplit("/subnets/", 1)[0]
VMS = "Microsoft.Compute/virtualMachines"


def _protected(env: Any, monkeypatch: Any, *names: str) -> None:
    """VMs `names` protected into westus: their DR snapshots, and their recovery manifests
    (with a NIC in the mapped production subnet) in DR storage; drills use a configured vnet."""
    from shared import bootstrap
    from shared.vms.records import write_manifest

    monkeypatch.setenv("LIFEBOAT_SUBNET_MAP", f"{SRC_SUBNET}={DR_SUBNET}")
    monkeypatch.setenv("LIFEBOAT_DRILL_VNET_ID", DRILL_VNET)
    monkeypatch.setenv("LIFEBOAT_DRILL_WINDOW_MINUTES", "5")
    bootstrap.reset()
    seed_dr(env.arm, names)
    for i, name in enumerate(names):
        write_manifest(get_deps().records, _manifest(name, i, 1, False))


def _billable(env: Any) -> list[str]:
    return [
        r["id"]
        for t in (VMS, "Microsoft.Network/networkInterfaces", "Microsoft.Compute/disks")
        for r in resources_in(env.arm, t)
    ]


def test_a_drill_recovers_validates_cleans_up_and_keeps_evidence(
    lifeboat_env: Any, monkeypatch: Any
) -> None:
    env = lifeboat_env
    _protected(env, monkeypatch, "web1", "web2")
    status, body = _post({})
    assert status == 202, body
    plan_id, drill = body["planId"], body["drillId"]
    assert body["status_url"] == f"/api/drills/{plan_id}"
    assert body["network"] == {"id": DRILL_VNET, "createdByDrill": False}

    # Before any job ran: the plan is stored, nothing recovered, no follow-up yet.
    status, seen = _get(plan_id)
    assert status == 200 and seen["execution"]["state"] == "queued"
    assert seen["jobs"]["followup"] is None and seen["evidence"] is None

    with driver(env.arm) as d:
        # One pass far enough to run the execution: drill VMs exist in the drill network.
        assert d.run() is True

    status, seen = _get(plan_id)
    assert status == 200
    assert seen["execution"]["state"] == "succeeded"
    assert seen["jobs"]["run"]["state"] == "succeeded"
    assert seen["jobs"]["followup"]["state"] == "succeeded"
    evidence = seen["evidence"]
    assert evidence["drillId"] == drill and evidence["planId"] == plan_id
    assert evidence["passed"] is True
    assert [v["verdict"] for v in evidence["vms"]] == ["passed", "passed"]
    assert evidence["cleanup"]["complete"] is True and evidence["cleanup"]["left"] == {}
    assert evidence["cleanup"]["deleted"] == 8  # 2 x (VM, NIC, OS disk, data disk)
    # The drill VMs were created in the drill network, then deleted; the vnet stays (configured).
    puts = [e for e in env.arm.log.entries() if e.method == "PUT" and "/virtualMachines/" in e.path]
    assert len(puts) == 2 and all(f"drill-{drill}" in e.path for e in puts)
    plan_text = json.dumps(seen["plan"]).lower()
    assert DRILL_SUBNET.lower() in plan_text and DR_SUBNET.lower() not in plan_text
    assert _billable(env) == []
    assert env.arm.state.get(DRILL_VNET) is not None
    assert vms_in(env.arm) == []
    # The follow-up began only after the execution: no health read before the last VM PUT.
    log = env.arm.log.entries()
    last_put = max(
        i for i, e in enumerate(log) if e.method == "PUT" and "/virtualMachines/" in e.path
    )
    health = [i for i, e in enumerate(log) if "availabilityStatuses" in e.path]
    assert health and min(health) > last_put


def test_dry_run_returns_the_plan_and_writes_nothing(lifeboat_env: Any, monkeypatch: Any) -> None:
    env = lifeboat_env
    _protected(env, monkeypatch, "web1")
    before = len(env.arm.log.entries())
    status, body = _post({"dryRun": True})
    assert status == 200 and body["dryRun"] is True
    assert body["plan"]["kind"] == "drill" and body["plan"]["drillId"] == body["drillId"]
    item = body["plan"]["groups"][0]["items"][0]
    assert not [f for f in item["findings"] if f["blocking"]]
    writes = [e for e in env.arm.log.entries()[before:] if e.method in ("PUT", "DELETE", "POST")]
    assert [e.path for e in writes if "/providers/Microsoft.ResourceGraph" not in e.path] == []
    assert get_deps().jobs.list() == []
    assert _get(body["planId"])[0] == 404


def test_bad_input_is_400_naming_the_field(lifeboat_env: Any, monkeypatch: Any) -> None:
    _protected(lifeboat_env, monkeypatch, "web1")
    other = "/subscriptions/99999999-0000-0000-0000-000000000009/resourceGroups/rg"
    cases = [
        ({"tag": "nope"}, "tag"),
        ({"vmIds": "x"}, "vmIds"),
        ({"vmIds": [f"{other}/providers/Microsoft.Compute/virtualMachines/a"]}, "vmIds"),
        ({"vmIds": [f"{RG}/rg/providers/Microsoft.Compute/virtualMachines/nope"]}, "vmIds"),
        ({"dryRun": "yes"}, "dryRun"),
        ({"scope": "all"}, "scope"),
        ({"tag": "lifeboat-tier=none"}, "scope"),
    ]
    for body, field in cases:
        status, answer = _post(body)
        assert status == 400, (body, answer)
        assert field in json.dumps(answer), (body, answer)
    assert get_deps().jobs.list() == []
    assert _get("plan-" + "0" * 20)[0] == 404
    assert _get("../x")[0] == 400


def test_refused_while_a_real_outage_plan_executes(lifeboat_env: Any, monkeypatch: Any) -> None:
    from shared.outages.run import submit_execution
    from tests.support.recovery import plan_for

    env = lifeboat_env
    _protected(env, monkeypatch, "web1")
    outage = plan_for(["web1"])
    submit_execution(get_deps(), outage, revision=1, alert_received_at=None)
    status, body = _post({})
    assert status == 409 and body["planId"] == outage.plan_id
    assert "outage plan is executing" in body["error"]
    assert [j.kind for j in get_deps().jobs.list()] == ["plan_execution"]
    with driver(env.arm) as d:
        assert d.run() is True
    assert _post({"dryRun": True})[0] == 200


def test_the_schedule_starts_a_drill_when_due_and_catches_up_a_missed_window_once(
    lifeboat_env: Any, monkeypatch: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from shared import bootstrap
    from shared.features import SWEEPS
    from shared.services.reconcile import reconcile

    env = lifeboat_env
    _protected(env, monkeypatch, "web1")
    monkeypatch.setenv("LIFEBOAT_DRILL_SCHEDULE", "0 3 * * *")  # daily at 03:00 UTC
    bootstrap.reset()
    drills = [s for s in SWEEPS if s.name == "drills"]
    day = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    first = reconcile(get_deps(), day, sweeps=drills)
    assert first.errors == {} and first.results["drills"]["started"] is None  # baseline
    later = reconcile(get_deps(), day + timedelta(hours=1), sweeps=drills)
    assert (
        later.results["drills"] is None
        and later.skipped_until["drills"] == "2026-12-02T03:00:00+00:00"
    )
    assert get_deps().jobs.list() == []

    # Three daily slots pass unswept (the app was down): one drill, for the newest slot.
    back = day + timedelta(days=3)
    report = reconcile(get_deps(), back, sweeps=drills)
    assert report.errors == {}
    started = report.results["drills"]["started"]
    assert report.results["drills"]["slot"] == "2026-12-04T03:00:00+00:00"
    assert started is not None and started["scope"] == "all"
    again = reconcile(get_deps(), back + timedelta(minutes=5), sweeps=drills)
    assert again.results["drills"] is None
    kinds = sorted(j.kind for j in get_deps().jobs.list())
    assert kinds == ["drill_run", "plan_execution"]
    with driver(env.arm) as d:
        assert d.run() is True
    status, seen = _get(started["planId"])
    assert status == 200 and seen["evidence"]["passed"] is True
    assert seen["evidence"]["cleanup"]["complete"] is True


def test_a_drill_into_a_network_it_creates_recovers_and_removes_it(
    lifeboat_env: Any, monkeypatch: Any
) -> None:
    """No configured drill vnet: the drill creates its own (subnets mirroring the production
    map), recovers every VM into it, and deletes it with the VMs after the window."""
    env = lifeboat_env
    _protected(env, monkeypatch, "web1", "web2")
    monkeypatch.delenv("LIFEBOAT_DRILL_VNET_ID")
    from shared import bootstrap

    bootstrap.reset()
    status, body = _post({})
    assert status == 202, body
    plan_id, drill = body["planId"], body["drillId"]
    created = body["network"]["id"]
    assert body["network"]["createdByDrill"] is True and f"vnet-drill-{drill}" in created
    with driver(env.arm) as d:
        assert d.run() is True

    status, seen = _get(plan_id)
    assert status == 200 and seen["execution"]["state"] == "succeeded", seen["execution"]
    evidence = seen["evidence"]
    assert [v["verdict"] for v in evidence["vms"]] == ["passed", "passed"]
    assert evidence["cleanup"]["complete"] is True, evidence["cleanup"]
    puts = [e for e in env.arm.log.entries() if e.method == "PUT" and "/virtualMachines/" in e.path]
    assert len(puts) == 2
    plan_text = json.dumps(seen["plan"]).lower()
    assert f"{created}/subnets/web".lower() in plan_text and DR_SUBNET.lower() not in plan_text
    assert "subnet_not_in_dr" not in plan_text
    assert _billable(env) == [] and env.arm.state.get(created) is None
