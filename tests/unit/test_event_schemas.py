"""Every Lifeboat event type has a JSON Schema; every builder's data validates against it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from shared.errors import InvalidInput
from shared.jobs.outbox import cloud_event
from shared.publish import events as ev
from shared.publish.events import EVENT_TYPES, Event, schema_file
from shared.publish.rpo import BREACHED, OK, assess

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
VM = f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
TEMPLATE = f"{SUB}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t1"
LATER = T0 + timedelta(minutes=7)

SAMPLES: list[Event] = [
    ev.image_dr_ready(
        f"{SUB}/resourceGroups/rg/providers/Microsoft.Compute/images/img",
        kind="ManagedImage",
        dr_region="westus",
        dr_artifacts=[f"{SUB}/resourceGroups/dr/providers/Microsoft.Compute/images/img"],
        ready_at=T0,
        template_id=TEMPLATE,
    ),
    ev.template_backed_up(TEMPLATE, content_hash="ab" * 32, blob="x/y.json", backed_up_at=T0),
    ev.vm_set_ready(
        VM, set_id="s1", consistency="per-disk", skew_seconds=1.5, captured_at=T0,
        complete_at=LATER, dr_region="westus",
    ),
    ev.rpo_changed(
        VM, breached=True, target_rpo_seconds=3600, last_complete_at=T0, observed_at=LATER
    ),
    ev.rpo_changed(
        VM, breached=False, target_rpo_seconds=3600, last_complete_at=None, observed_at=LATER
    ),
    ev.plan_created(
        "p1", region="eastus", dr_region="westus", resources=4, requires_approval=True,
        created_at=T0, outage_id="LB1-XYZ",
    ),
    ev.plan_awaiting_approval(
        "p1", region="eastus", dr_region="westus", resources=4,
        approve_url="https://app.example/api/plans/p1/approve", since=T0, expires_at=LATER,
    ),
    ev.plan_approved("p1", approved_by="ops@example.com", approved_at=T0),
    ev.plan_executed("p1", recovered=3, failed=1, started_at=T0, finished_at=LATER),
    ev.plan_failed("p1", reason="quota", failed_at=T0, step="create_vms"),
    ev.plan_closed("p1", state="cancelled", reason="by ops", closed_at=T0, closed_by="ops"),
    ev.plan_closed("p1", state="expired", reason="not approved in time", closed_at=T0),
    ev.plan_closed("p1", state="closed", reason="incident LB1 resolved", closed_at=T0),
    ev.drill_completed(
        "d1", passed=True, started_at=T0, finished_at=LATER, findings=["slow boot"],
        target_rto_seconds=3600,
    ),
]  # fmt: skip


def _schema(event_type: str) -> dict[str, object]:
    return json.loads(schema_file(event_type).read_text())  # type: ignore[no-any-return]


def test_every_type_has_a_valid_schema_and_a_sample() -> None:
    assert sorted({e.type for e in SAMPLES}) == sorted(EVENT_TYPES)
    for event_type in EVENT_TYPES:
        jsonschema.Draft202012Validator.check_schema(_schema(event_type))


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_each_builder_emits_data_its_schema_accepts(event: Event) -> None:
    jsonschema.validate(event.data, _schema(event.type))
    assert event.subject.startswith("/")


def test_a_schema_refuses_data_missing_a_field_or_of_another_version() -> None:
    data = dict(SAMPLES[2].data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "version": "2"}, _schema(ev.VM_SET_READY))
    data.pop("achievedRpoSeconds")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, _schema(ev.VM_SET_READY))


def test_the_cloud_event_id_is_a_function_of_job_type_subject_and_fact() -> None:
    a = cloud_event("job-1", "k", *SAMPLES[2], now=T0)
    b = cloud_event("job-1", "k", *SAMPLES[2], now=LATER)
    other_job = cloud_event("job-2", "k", *SAMPLES[2], now=T0)
    fact = cloud_event("job-1", "k", *SAMPLES[2], now=T0, fact="set s1")

    assert a["id"] == b["id"] != other_job["id"] != fact["id"]
    assert a["specversion"] == "1.0" and a["subject"] == VM and a["type"] == ev.VM_SET_READY


@pytest.mark.parametrize(
    ("event_type", "subject", "field"),
    [("Other.Type", VM, "event_type"), (ev.VM_SET_READY, "", "subject")],
)
def test_a_bad_event_is_invalid_input_naming_the_argument(
    event_type: str, subject: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        cloud_event("job-1", "k", event_type, subject, {}, now=T0)
    assert caught.value.field == field


def test_rpo_transitions_are_reported_once_each() -> None:
    vms = [{"vm_id": VM, "rpo_seconds": 3600}]
    fresh = {VM.lower(): T0}

    states, first = assess(vms, fresh, {}, T0 + timedelta(minutes=30))
    assert states[VM.lower()]["state"] == OK and first == []

    late = T0 + timedelta(hours=2)
    states, breach = assess(vms, fresh, states, late)
    assert states[VM.lower()]["state"] == BREACHED
    assert [e.type for _, e in breach] == [ev.RPO_BREACHED]
    assert breach[0][1].data["achievedRpoSeconds"] == 7200

    again, none = assess(vms, fresh, states, late + timedelta(minutes=30))
    assert none == []  # still breached: no second event

    newer = {VM.lower(): late}
    _, recovered = assess(vms, newer, again, late + timedelta(minutes=40))
    assert [e.type for _, e in recovered] == [ev.RPO_RECOVERED]
    assert breach[0][0] != recovered[0][0]  # distinct job keys per transition


def test_a_vm_without_any_set_breaches_only_after_its_rpo_since_first_seen() -> None:
    vms = [{"vm_id": VM, "rpo_seconds": 3600}]
    states, first = assess(vms, {}, {}, T0)
    assert first == []
    _, breach = assess(vms, {}, states, T0 + timedelta(hours=2))
    assert [e.data["achievedRpoSeconds"] for _, e in breach] == [None]


def test_a_closed_plan_event_names_only_a_final_state_of_a_plan_that_never_ran() -> None:
    schema = _schema(ev.PLAN_CLOSED)
    data = dict(ev.plan_closed("p1", state="expired", reason="late", closed_at=T0).data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "state": "done"}, schema)
    with pytest.raises(InvalidInput) as caught:
        ev.plan_closed("p1", state="failed", reason="x", closed_at=T0)
    assert caught.value.field == "state"
