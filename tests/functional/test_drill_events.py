"""A drill publishes Lifeboat.Drill.Completed once (by id) when its evidence is recorded, through
POST /api/drills and the job driver, to the emulator's Event Grid topic; its plan's execution
publishes no Plan events."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from shared import bootstrap
from shared.bootstrap import get_deps
from shared.publish.events import drill_subject, schema_file
from tests.functional.test_drills_api import _get, _post, _protected
from tests.functional.test_events_outbox import TOPIC, TOPIC_ID
from tests.support.images import driver

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def test_a_drill_publishes_drill_completed_once(lifeboat_env: Any, monkeypatch: Any) -> None:
    env = lifeboat_env
    env.arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", env.arm.eventgrid.endpoint(TOPIC))
    bootstrap.reset()
    _protected(env, monkeypatch, "web1", "web2")
    status, body = _post({})
    assert status == 202, body
    plan_id, drill = body["planId"], body["drillId"]
    with driver(env.arm) as d:
        assert d.run() is True
    evidence = _get(plan_id)[1]["evidence"]
    assert evidence["passed"] is True
    # The follow-up job delivered again publishes the same event id.
    for job in get_deps().jobs.list(kind="drill_cleanup"):
        get_deps().jobs.advance(job.id)

    events = env.arm.eventgrid.events(TOPIC)
    assert {e["type"] for e in events} == {"Lifeboat.Drill.Completed"}, events
    assert len({e["id"] for e in events}) == 1
    event = events[0]
    assert event["subject"] == drill_subject(drill)
    data = event["data"]
    jsonschema.validate(data, json.loads(schema_file(event["type"]).read_text()))
    assert data["drillId"] == drill and data["planId"] == plan_id
    assert data["passed"] is True and data["findings"] == []
    assert data["rtoSeconds"] == round(evidence["rtoSeconds"])
