"""Plan events end to end (emulator + Azurite, the emulator's Event Grid topic): alert → plan →
approve → execute publishes Created, AwaitingApproval, Approved and Executed once each by id,
with the alert delivered three times and the approval posted twice; an execution that cannot
recover an item publishes Failed once."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import jsonschema
import pytest

from functions.plans import plans_approve
from shared import bootstrap
from shared.bootstrap import get_deps
from shared.publish.events import plan_subject, schema_file
from tests.functional.test_events_outbox import TOPIC, TOPIC_ID
from tests.functional.test_outages import _alert, _declare, _route, _webhook
from tests.support.images import driver

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

PLAN_TYPES = [
    "Lifeboat.Plan.Created",
    "Lifeboat.Plan.AwaitingApproval",
    "Lifeboat.Plan.Approved",
    "Lifeboat.Plan.Executed",
]


def test_alert_to_execution_publishes_each_plan_event_once(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.vms.records import write_manifest
    from tests.support.recovery import _manifest, seed_dr
    from tests.unit.outage_builders import DR_SUBNET, SRC_SUBNET

    env = lifeboat_env
    env.arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", env.arm.eventgrid.endpoint(TOPIC))
    monkeypatch.setenv("LIFEBOAT_PUBLIC_BASE_URL", "https://lifeboat.example")
    monkeypatch.setenv("LIFEBOAT_SUBNET_MAP", f"{SRC_SUBNET}={DR_SUBNET}")
    bootstrap.reset()
    seed_dr(env.arm, ["web1", "web2"])
    for index, name in enumerate(("web1", "web2")):
        write_manifest(get_deps().records, _manifest(name, index, 1, static=True))
    env.arm.faults.region_down("eastus")
    _declare(env)
    bodies = [_alert(_webhook(env))[1] for _ in range(3)]
    plan_id = bodies[0]["plan"]["planId"]
    assert {b["plan"]["planId"] for b in bodies} == {plan_id}

    first = _route(plans_approve, "POST", "x", plan_id, {"approvedBy": "ops@x"})
    second = _route(plans_approve, "POST", "x", plan_id, {"approvedBy": "ops@x"})
    assert (first[0], second[0]) == (200, 409)
    with driver(env.arm) as d:
        assert d.run() is True
    # A redelivered execution job and a fourth alert publish nothing new.
    execution = get_deps().jobs.list(kind="plan_execution")[0]
    get_deps().jobs.advance(execution.id)
    _alert(_webhook(env))

    events = env.arm.eventgrid.events(TOPIC)
    unique = {e["id"]: e for e in events}
    types = Counter(e["type"] for e in unique.values())
    assert sorted(types) == sorted(PLAN_TYPES) and set(types.values()) == {1}, types
    by_type = {e["type"]: e for e in unique.values()}
    for event in unique.values():
        assert event["subject"] == plan_subject(plan_id)
        assert event["data"]["planId"] == plan_id
        jsonschema.validate(event["data"], json.loads(schema_file(event["type"]).read_text()))
    awaiting = by_type["Lifeboat.Plan.AwaitingApproval"]["data"]
    assert awaiting["approveUrl"] == f"https://lifeboat.example/api/plans/{plan_id}/approve"
    assert "code=" not in awaiting["approveUrl"]
    assert by_type["Lifeboat.Plan.Created"]["data"]["requiresApproval"] is True
    assert by_type["Lifeboat.Plan.Created"]["data"]["outageId"] == "LB1-OUT"
    assert by_type["Lifeboat.Plan.Approved"]["data"]["approvedBy"] == "ops@x"
    executed = by_type["Lifeboat.Plan.Executed"]["data"]
    assert executed["failed"] == 0 and executed["recovered"] >= 2
    assert executed["rtoSeconds"] >= 0


def test_an_execution_that_cannot_recover_an_item_publishes_failed_once(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.outages.run import submit_execution
    from tests.support.recovery import ALERT, SNAPSHOTS, plan_for, seed_dr

    arm = lifeboat_env.arm
    arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", arm.eventgrid.endpoint(TOPIC))
    bootstrap.reset()
    seed_dr(arm, ["web1", "web2"])
    arm.state.delete(f"{SNAPSHOTS}/web2-d0")  # its DR copy is gone: web2 cannot be recovered
    plan = plan_for(["web1", "web2"])
    job_id = submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True
    get_deps().jobs.advance(job_id)  # a redelivered message for the failed job

    events = arm.eventgrid.events(TOPIC)
    assert [e["type"] for e in events] == ["Lifeboat.Plan.Failed"], events
    (event,) = events
    assert event["subject"] == plan_subject(plan.plan_id)
    data = event["data"]
    jsonschema.validate(data, json.loads(schema_file(event["type"]).read_text()))
    assert data["planId"] == plan.plan_id and data["step"] == "execute"
    assert "1 items not recovered" in data["reason"] and "web2" in data["reason"]
