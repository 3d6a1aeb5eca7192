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


def _topic(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env.arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", env.arm.eventgrid.endpoint(TOPIC))
    bootstrap.reset()


def _poison(job_id: str) -> None:
    from azure.functions.queue import QueueMessage

    from functions.jobs import run_job_poison

    body = json.dumps({"jobId": job_id}).encode()
    run_job_poison(QueueMessage(id="m-1", body=body, dequeue_count=1, pop_receipt="p"))


def _validated(event: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = event["data"]
    jsonschema.validate(data, json.loads(schema_file(event["type"]).read_text()))
    return data


def test_an_execution_that_ends_failed_before_its_end_publishes_failed_once(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.outages.recovery_records import plan_record
    from shared.outages.run import submit_execution
    from tests.support.recovery import ALERT, plan_for, seed_dr

    arm = lifeboat_env.arm
    _topic(lifeboat_env, monkeypatch)
    seed_dr(arm, ["web1"])
    plan = plan_for(["web1"])
    job_id = submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    get_deps().records.delete(plan_record(plan.plan_id, 1))  # its stored plan is lost
    with driver(arm) as d:
        assert d.run() is True
    get_deps().jobs.advance(job_id)  # a redelivered message for the failed job
    _poison(job_id)  # ...and a poisoned one: the job already ended, nothing more

    events = arm.eventgrid.events(TOPIC)
    assert [e["type"] for e in events] == ["Lifeboat.Plan.Failed"], events
    (event,) = events
    assert event["subject"] == plan_subject(plan.plan_id)
    data = _validated(event)
    assert data["planId"] == plan.plan_id and data["step"] == "execute"
    assert "no approved plan stored" in data["reason"]


def test_a_poisoned_execution_publishes_failed_and_a_drill_execution_publishes_nothing(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.outages.run import submit_execution
    from tests.support.recovery import ALERT, plan_for, seed_dr

    arm = lifeboat_env.arm
    _topic(lifeboat_env, monkeypatch)
    seed_dr(arm, ["web1"])
    outage, drill = plan_for(["web1"]), plan_for(["web1"], drill="drill001")
    outage_job = submit_execution(get_deps(), outage, revision=1, alert_received_at=ALERT)
    drill_job = submit_execution(get_deps(), drill, revision=1, alert_received_at=None)

    _poison(outage_job)  # the host gave up on its message (the worker died every time)
    _poison(drill_job)
    _poison(outage_job)  # delivered again

    events = arm.eventgrid.events(TOPIC)
    assert [e["type"] for e in events] == ["Lifeboat.Plan.Failed"], events
    data = _validated(events[0])
    assert data["planId"] == outage.plan_id and data["reason"].startswith("poison:")
    assert data["step"] == "execute"
    failed = get_deps().jobs.get(outage_job)
    assert failed is not None and failed.state.value == "failed"


def test_cancelled_expired_and_resolved_plans_publish_closed_once_each(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.plans import plans_cancel, plans_get
    from shared.features import SWEEPS
    from shared.vms.records import write_manifest
    from tests.functional.test_outages import INCIDENT
    from tests.support.recovery import _manifest, seed_dr

    env = lifeboat_env
    _topic(env, monkeypatch)
    bootstrap.configure(clock=env.arm.clock.now)  # the app's clock is the emulator's
    seed_dr(env.arm, ["web1"])
    write_manifest(get_deps().records, _manifest("web1", 0, 1, static=True))
    env.arm.faults.region_down("eastus")
    active = {**INCIDENT, "stages": [{"stage": "Active"}]}
    _declare(env, {**active, "trackingId": "LB1-CAN"})
    _declare(env, {**active, "trackingId": "LB2-EXP"})
    _declare(env, {**INCIDENT, "trackingId": "LB3-RES", "stages": [
        {"stage": "Active"}, {"stage": "Resolved", "after": 600}]})  # fmt: skip
    ids = {
        t: _alert(_webhook(env, t))[1]["plan"]["planId"] for t in ("LB1-CAN", "LB2-EXP", "LB3-RES")
    }
    cancelled, expired, resolved = ids["LB1-CAN"], ids["LB2-EXP"], ids["LB3-RES"]

    for _ in range(2):  # a repeated cancel is a no-op: one event
        assert _route(plans_cancel, "POST", "x", cancelled, {"cancelledBy": "ops@x"})[0] == 200
    env.arm.clock.advance(700)
    for _ in range(2):  # the resolution delivered twice
        assert _alert(_webhook(env, "LB3-RES"))[1]["action"] == "resolved"
    env.arm.clock.advance(get_deps().settings.plan_ttl_minutes * 60)
    (closures,) = [s for s in SWEEPS if s.name == "plan_closures"]
    for _ in range(2):  # nobody reads the lapsed plan: the reconcile sweep expires it
        report, _ = closures.run(get_deps(), get_deps().clock(), False)
        assert report is not None and report["closedRecently"] == 3
    assert _route(plans_get, "GET", "x", expired, None)[1]["state"] == "expired"
    with driver(env.arm) as d:
        assert d.run() is True

    events = [e for e in env.arm.eventgrid.events(TOPIC) if e["type"] == "Lifeboat.Plan.Closed"]
    assert len(events) == len({e["id"] for e in events}) == 3, events
    by_plan = {e["data"]["planId"]: e for e in events}
    assert set(by_plan) == {cancelled, expired, resolved}
    states = {}
    for plan_id, event in by_plan.items():
        assert event["subject"] == plan_subject(plan_id)
        states[plan_id] = _validated(event)
    assert states[cancelled]["state"] == "cancelled"
    assert states[cancelled]["closedBy"] == "ops@x"
    assert states[expired]["state"] == "expired" and states[expired]["closedBy"] is None
    stored = get_deps().plans.get(expired)
    assert stored is not None
    assert states[expired]["closedAt"] == stored.status.expires_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert states[resolved]["state"] == "closed"
    assert "LB3-RES" in states[resolved]["reason"]
