"""Failback on Resolved, through the real entry points on the emulator and Azurite: an outage
plan executed with the primary region down; the incident resolves; the failback plan protects
the recovered DR VMs back into the primary region through the VM protection job and the copy
scheduler; its cleanup is refused until the copies are complete, then approved, and deletes
every DR-side resource recovery created."""

from __future__ import annotations

from typing import Any

import pytest

from functions.plans import plans_approve, plans_get
from shared import bootstrap
from shared.bootstrap import get_deps
from tests.support.drills import drill_settings
from tests.support.failback import (
    DR,
    FAILBACK_RG,
    PRIMARY,
    alert,
    executed_plan,
    failback_copies,
    http,
    resolved,
)
from tests.support.images import driver
from tests.support.recovery import resources_in, vms_in

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

NAMES = ("web1", "web2")
BILLABLE = (
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/disks",
)


@pytest.fixture
def executed(lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    env = lifeboat_env
    for key, value in drill_settings(env.arm).items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    plan_id = executed_plan(env.arm, NAMES)
    assert len(vms_in(env.arm)) == len(NAMES)
    return env, plan_id


def _get(plan_id: str) -> Any:
    status, body = http(plans_get, "GET", "plan", plan_id=plan_id)
    assert status == 200, body
    return body


def _approve(plan_id: str) -> tuple[int, Any]:
    return http(plans_approve, "POST", "approve", {"approvedBy": "ops@x"}, plan_id=plan_id)  # type: ignore[no-any-return]


def test_resolving_an_executed_plan_protects_its_vms_back_and_cleans_up_after_approval(
    executed: tuple[Any, str],
) -> None:
    env, plan_id = executed
    arm = env.arm
    dr_vms = {vm["id"].lower() for vm in vms_in(arm)}
    created = {r["id"].lower() for t in BILLABLE for r in resources_in(arm, t)}
    assert len(created) == 4 * len(NAMES)  # VM, NIC, OS and data disk each
    body = resolved(arm)

    with driver(arm) as d:
        first = alert(body)
        again = alert(body)  # resolving twice: one failback plan
        assert first[0] == again[0] == 200
        (fb_id,) = {p["planId"] for p in first[1]["plans"] if p["kind"] == "failback"}
        assert {p["planId"] for p in again[1]["plans"] if p["kind"] == "failback"} == {fb_id}
        assert plan_id in {p["planId"] for p in first[1]["plans"]}

        seen = _get(fb_id)
        assert seen["state"] == "reprotecting" and seen["action"] == "reprotecting", seen
        assert seen["failback"]["sourcePlanId"] == plan_id
        assert {v["drVmId"].lower() for v in seen["failback"]["vms"]} == dr_vms
        directions = {(v["fromRegion"], v["toRegion"]) for v in seen["failback"]["vms"]}
        assert directions == {(DR, PRIMARY)}
        assert {c["resourceId"].lower() for c in seen["failback"]["cleanup"]} == created
        status, refused = _approve(fb_id)
        assert status == 409 and "not complete" in refused["error"], refused

        from functions.status import status as status_route

        status, report = http(status_route, "GET", "status")
        assert status == 200, report
        open_plans = {p["planId"]: p["state"] for p in report["outages"]["open_plans"]}
        assert open_plans[fb_id] == "reprotecting", open_plans

        assert d.run() is True

    seen = _get(fb_id)
    assert seen["state"] == "awaiting_approval", seen
    assert seen["failback"]["copiesCompleteAt"] is not None
    assert {v["state"] for v in seen["failback"]["vms"]} == {"complete"}
    copies = failback_copies(arm)
    assert len(copies) == 2 * len(NAMES)  # OS and data disk of each DR VM
    assert {c["location"] for c in copies} == {PRIMARY}
    assert {c["properties"]["creationData"]["createOption"] for c in copies} == {"CopyStart"}
    listed = {c.lower() for v in seen["failback"]["vms"] for c in v["copies"]}
    assert listed == {c["id"].lower() for c in copies}
    assert all(f"/resourcegroups/{FAILBACK_RG}/" in c for c in listed)
    # The failback group was created by Lifeboat in the primary region before the first copy.
    sub = copies[0]["id"].split("/")[2]
    group = arm.resource_groups.get(sub, FAILBACK_RG)
    assert group is not None and not group.implicit and group.location == PRIMARY
    assert all("lifeboat-set" not in c.get("tags", {}) for c in copies)
    assert all(c["tags"]["lifeboat-failback-set"] for c in copies)
    from shared.vms.stored import stored_sets

    deps = get_deps()
    sets = stored_sets(deps.clients, deps.settings, [])
    retained = {snap.snapshot_id.lower() for st in sets for snap in st.snapshots}
    assert not retained & listed  # VM retention never finds (nor deletes) the copies back
    assert vms_in(arm), "nothing is deleted before the cleanup is approved"
    assert _get(plan_id)["execution"]["state"] == "succeeded"  # the source plan is kept

    with driver(arm) as d:
        status, approved = _approve(fb_id)
        assert status == 200, approved
        assert _approve(fb_id)[0] == 409  # a second approval starts nothing
        assert d.run() is True

    seen = _get(fb_id)
    assert seen["state"] == "done", seen
    job = seen["failback"]["cleanupJob"]
    assert job["state"] == "succeeded" and job["complete"] is True and job["left"] == {}
    assert job["deleted"] == len(created)
    assert [r["id"] for t in BILLABLE for r in resources_in(arm, t)] == []
    assert len(failback_copies(arm)) == 2 * len(NAMES)  # the copies back stay

    with driver(arm):
        again = alert(body)  # a late Resolved changes nothing
    assert again[0] == 200
    assert _get(fb_id)["state"] == "done"
    assert len(get_deps().jobs.list(kind="failback_cleanup")) == 1


def test_a_plan_that_never_executed_simply_closes_on_resolved(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.vms.records import write_manifest
    from tests.support.failback import INCIDENT, webhook
    from tests.support.recovery import _manifest, seed_dr

    env = lifeboat_env
    for key, value in drill_settings(env.arm).items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    seed_dr(env.arm, ["web1"])
    write_manifest(get_deps().records, _manifest("web1", 0, 1, static=False))
    import requests

    requests.post(
        f"{env.arm.endpoint}/_emulator/incidents",
        json=INCIDENT,
        verify=env.arm.ca_file,
        timeout=10,
    ).raise_for_status()
    status, body = alert(webhook(env.arm))
    assert status == 200 and body["action"] == "awaiting_approval"
    plan_id = body["plan"]["planId"]

    status, body = alert(resolved(env.arm))
    assert status == 200 and body["action"] == "resolved"
    assert [(p["planId"], p["state"]) for p in body["plans"]] == [(plan_id, "closed")]
    assert [p.plan.kind.value for p in get_deps().plans.list()] == ["outage"]
    assert get_deps().jobs.list(kind="plan_failback") == []


def test_an_incident_resolved_while_its_plan_executes_fails_back_what_the_execution_created(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = lifeboat_env
    for key, value in drill_settings(env.arm).items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    plan_id = executed_plan(env.arm, NAMES, drive=False)  # approved, its execution queued
    body = resolved(env.arm)

    with driver(env.arm) as d:
        status, answer = alert(body)
        assert status == 200, answer
        (fb_id,) = {p["planId"] for p in answer["plans"] if p["kind"] == "failback"}
        assert _get(fb_id)["failback"]["vms"] == []  # nothing created yet
        assert d.run() is True

    assert _get(plan_id)["execution"]["state"] == "succeeded"
    seen = _get(fb_id)
    assert seen["state"] == "awaiting_approval", seen
    dr_vms = {vm["id"].lower() for vm in vms_in(env.arm)}
    assert len(dr_vms) == len(NAMES)
    assert {v["drVmId"].lower() for v in seen["failback"]["vms"]} == dr_vms
    assert len(seen["failback"]["cleanup"]) == 4 * len(NAMES)
    assert len(failback_copies(env.arm)) == 2 * len(NAMES)
