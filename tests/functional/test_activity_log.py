"""Service Health from the activity log: the emulator's Log Analytics workspace, the real
LogsQueryClient, notifications into the alert ledger (one entry whichever channel brings it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from emulator.providers import incidents
from shared import bootstrap
from shared.bootstrap import Deps
from shared.events.health import parse_alert
from shared.jobs import ManualClock
from shared.outages.activity_log import WATERMARK, notification_of_row, sweep_activity_log
from shared.outages.ledger import ChangeKind, record
from shared.outages.notification import Channel, notification_from_alert
from tests.plugins.arm import SUBSCRIPTION, LifeboatEnv
from tests.support.fakes import InMemoryLedgerStore, InMemoryPlanStore, InMemoryRecordStore

pytestmark = [pytest.mark.emulator, pytest.mark.azurite]

WORKSPACE = "63613592-b6f7-4c3d-a390-22ba13102111"
WORKSPACE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/lifeboat-dr/providers"
    "/Microsoft.OperationalInsights/workspaces/lifeboat-logs"
)
INCIDENT = {
    "trackingId": "LB1-ACT",
    "regions": ["East US"],
    "services": ["Virtual Machines"],
    "subscriptions": [SUBSCRIPTION],
    "stages": [{"stage": "Active"}, {"after": 600, "stage": "Active", "summary": "Update 1."}],
}


@pytest.fixture
def env(lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[LifeboatEnv]:
    arm = lifeboat_env.arm
    arm.seed(
        {
            "resources": [
                {"id": WORKSPACE_ID, "location": "westus", "properties": {"customerId": WORKSPACE}},
                {
                    "id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Insights"
                    "/diagnosticSettings/lifeboat-activity",
                    "properties": {
                        "workspaceId": WORKSPACE_ID,
                        "logs": [
                            {"category": c, "enabled": True}
                            for c in ("ServiceHealth", "ResourceHealth")
                        ],
                    },
                },
            ]
        }
    )
    monkeypatch.setenv("LIFEBOAT_ACTIVITY_WORKSPACE_ID", WORKSPACE)
    monkeypatch.setenv("LIFEBOAT_ACTIVITY_ENDPOINT", arm.loganalytics_endpoint)
    bootstrap.reset()
    yield lifeboat_env


def _deps(env: LifeboatEnv, **extra: Any) -> Deps:
    clock = ManualClock(env.arm.clock.now())
    return bootstrap.bootstrap(
        clock=clock,
        records=extra.pop("records", InMemoryRecordStore()),
        ledger=InMemoryLedgerStore(),
        plans=InMemoryPlanStore(),
        **extra,
    )


def _rows(env: LifeboatEnv) -> list[dict[str, Any]]:
    from shared.azure.activity_logs import ActivityLogReader

    deps = bootstrap.get_deps()
    since = env.arm.clock.now() - timedelta(days=1)
    return ActivityLogReader(deps.clients, deps.settings).health_records(
        WORKSPACE, since, (SUBSCRIPTION,)
    )


def test_activity_log_rows_become_service_health_notifications(env: LifeboatEnv) -> None:
    incidents.declare(env.arm.core, INCIDENT)
    env.arm.clock.advance(900)

    notes = [notification_of_row(r) for r in _rows(env)]

    assert [n.tracking_id for n in notes if n] == ["LB1-ACT", "LB1-ACT"]
    first = notes[0]
    assert first is not None and first.channel == Channel.ACTIVITY_LOG
    assert first.stage == "Active" and first.communication_id
    assert {(i.service, i.region) for i in first.impacts} == {("Virtual Machines", "eastus")}


def test_the_same_incident_by_webhook_and_by_log_is_one_ledger_entry(env: LifeboatEnv) -> None:
    incident = incidents.declare(env.arm.core, {**INCIDENT, "stages": [{"stage": "Active"}]})
    env.arm.clock.advance(60)
    body = incidents.webhook(env.arm.core, incident, SUBSCRIPTION)
    props = body["data"]["alertContext"]["properties"]
    hook = notification_from_alert(parse_alert(body), Channel.WEBHOOK, props.get("communicationId"))
    [row] = _rows(env)
    log = notification_of_row(row)
    assert log is not None
    now = env.arm.clock.now()

    by_hook = record(None, hook, now)
    then_log = record(by_hook.entry, log, now)
    by_log = record(None, log, now)
    then_hook = record(by_log.entry, hook, now)

    assert then_log.change.kind == ChangeKind.DUPLICATE
    assert then_hook.change.kind == ChangeKind.DUPLICATE
    assert (
        then_log.entry.channels
        == then_hook.entry.channels
        == (
            Channel.ACTIVITY_LOG,
            Channel.WEBHOOK,
        )
    )


def test_the_sweep_ingests_each_incident_once_and_keeps_a_watermark(env: LifeboatEnv) -> None:
    incidents.declare(env.arm.core, INCIDENT)
    env.arm.clock.advance(900)
    records = InMemoryRecordStore()
    deps = _deps(env, records=records)

    first = sweep_activity_log(deps, deps.clock())
    again = sweep_activity_log(deps, deps.clock())

    assert first["rows"] == 2 and first["errors"] == []
    assert first["changes"].get("new_incident") == 1
    assert set(again["changes"]) <= {"duplicate", "stale"}  # re-read within the overlap
    assert records.get(WATERMARK) == {"through": first["watermark"]}
    found = deps.ledger.get("LB1-ACT")
    assert found is not None and found[0].channels == (Channel.ACTIVITY_LOG,)


def test_a_workspace_in_a_down_region_is_a_finding_not_a_crash(env: LifeboatEnv) -> None:
    env.arm.faults.region_down("westus")
    deps = _deps(env)

    report = sweep_activity_log(deps, deps.clock())

    assert report["configured"] is True and "query failed" in report["finding"]
    assert deps.records.get(WATERMARK) is None
