"""Storms on outage ingest and approval: many deliveries of one alert and many approvals at
once, with ARM answering 429 and 5xx to the planner's reads (Resource SKUs, Resource Graph).
Every answer is 200, a 4xx or a 503 (come back later); the end state is one ledger entry, one
plan and one execution, whatever got through first."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import get_deps
from tests.functional.test_outages import (
    _alert,
    _concurrently,
    _declare,
    _route,
    _webhook,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]
STORM = 6


def _estate(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared import bootstrap
    from shared.vms.records import write_manifest
    from tests.support.recovery import _manifest, seed_dr
    from tests.unit.outage_builders import DR_SUBNET, SRC_SUBNET

    monkeypatch.setenv("LIFEBOAT_SUBNET_MAP", f"{SRC_SUBNET}={DR_SUBNET}")
    bootstrap.reset()
    seed_dr(env.arm, ["web1", "web2"])
    for index, name in enumerate(("web1", "web2")):
        write_manifest(get_deps().records, _manifest(name, index, 1, static=True))
    env.arm.faults.region_down("eastus")


def test_an_alert_storm_under_arm_faults_leaves_one_entry_and_one_plan(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = lifeboat_env
    _estate(env, monkeypatch)
    _declare(env)
    payload = _webhook(env)
    env.arm.faults.throttle(0.3, path_contains="/skus")
    env.arm.faults.server_errors(0.3, status=503, path_contains="resources")

    answers = _concurrently(STORM, lambda: _alert(payload))
    for _ in range(STORM):  # the action group and the poll keep delivering
        answers.append(_alert(payload))

    statuses = {s for s, _ in answers}
    assert statuses <= {200, 503}, statuses
    assert 200 in statuses
    env.arm.faults.clear()
    status, last = _alert(payload)
    assert status == 200
    (entry,) = get_deps().ledger.list()
    assert entry.tracking_id == "LB1-OUT"
    (stored,) = get_deps().plans.list()
    assert last["plan"]["planId"] == stored.plan_id and last["plan"]["items"] == 2


def test_an_approval_storm_runs_the_plan_once(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.functional.test_outages import plans_approve, plans_get
    from tests.support.images import driver
    from tests.support.recovery import vms_in

    env = lifeboat_env
    _estate(env, monkeypatch)
    _declare(env)
    _, body = _alert(_webhook(env))
    plan_id = body["plan"]["planId"]

    answers = _concurrently(
        STORM, lambda: _route(plans_approve, "POST", "x", plan_id, {"approvedBy": "ops"})
    )
    assert sorted(s for s, _ in answers) == [200] + [409] * (STORM - 1)
    with driver(env.arm) as d:
        assert d.run() is True
    # A second storm after it ran: all refused, nothing runs again.
    again = _concurrently(
        STORM, lambda: _route(plans_approve, "POST", "x", plan_id, {"approvedBy": "ops"})
    )
    assert {s for s, _ in again} == {409}
    with driver(env.arm) as d:
        d.run()
    assert len(get_deps().jobs.list(kind="plan_execution")) == 1
    assert len(vms_in(env.arm)) == 2
    assert _route(plans_get, "GET", "x", plan_id)[1]["execution"]["state"] == "succeeded"
