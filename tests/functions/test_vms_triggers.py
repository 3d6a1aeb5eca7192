"""VM protection triggers through the real entry points: the reconcile timer's schedule and
retention, Event Grid VM/disk writes (settle and coalescing), and the status section."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from functions.reconcile import reconcile
from functions.resource_events import on_resource_event
from functions.status import status
from shared.bootstrap import get_deps
from shared.events import EventType, Operation
from shared.jobs import JobState
from tests.event_samples import EVENT_GRID_SAMPLES, event_grid_event, load
from tests.plugins.arm import arm_id
from tests.support.images import driver
from tests.support.vms import SUB, dr_snapshots, post, tagged_vm, vm_id, writes

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _jobs() -> list[Any]:
    return get_deps().jobs.list(kind="vm_protection")


def _status() -> Any:
    request = func.HttpRequest(
        method="GET", url="http://localhost:7071/api/status", headers={}, params={},
        route_params={}, body=b"",
    )  # fmt: skip
    return json.loads(status(request).get_body())


def _write_event(resource: str, operation: str, when: str, event_id: str) -> Any:
    raw: dict[str, Any] = copy.deepcopy(load(EVENT_GRID_SAMPLES[2])[0])
    raw.update(eventType=EventType.RESOURCE_WRITE_SUCCESS, subject=resource, id=event_id)
    raw["eventTime"] = when
    raw["data"].update(
        operationName=operation, resourceUri=resource, resourceProvider="Microsoft.Compute",
        subscriptionId=SUB, status="Succeeded",
    )  # fmt: skip
    return event_grid_event(raw)


def test_the_schedule_protects_once_per_slot_and_catches_up_a_missed_window_once(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1, **{"lifeboat-schedule": "PT6H"})]})
    with driver(arm) as d:
        reconcile(TimerRequest())
        assert d.run() is True
        assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]

        before = writes(arm)
        reconcile(TimerRequest())  # nothing due: no job, no ARM write
        assert len(_jobs()) == 1
        assert writes(arm) == before

        arm.clock.advance(timedelta(hours=13).total_seconds())  # two windows missed
        reconcile(TimerRequest())
        reconcile(TimerRequest())
        assert d.run() is True
    assert len(_jobs()) == 2


def test_status_lists_protected_vms_with_rpo_and_tagged_vms_that_cannot_be(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    bad = tagged_vm("bad1", data_disks=0, **{"lifeboat-schedule": "every tuesday"})
    arm.seed({"resources": [tagged_vm("web1", data_disks=2), bad]})
    with driver(arm) as d:
        reconcile(TimerRequest())
        assert d.run() is True
        reconcile(TimerRequest())
    section = _status()["vms"]
    (web,) = section["protected"]
    assert web["vm_id"].lower() == vm_id("web1").lower()
    assert web["newest_set"] and web["consistency"] == "per-disk"
    assert web["achieved_rpo_seconds"] is not None and web["rpo_breached"] is False
    assert web["next_run"] and web["copies_in_flight"] == 0
    (refused,) = section["unprotected"]
    assert refused["vm_id"].lower() == vm_id("bad1").lower()
    assert refused["findings"][0]["tag"] == "lifeboat-schedule"


def test_a_burst_of_vm_and_disk_writes_makes_one_job_after_the_settle_delay(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    now = arm.clock.now()
    events = [
        _write_event(vm_id("web1"), Operation.VM_WRITE, now.isoformat(), "e1"),
        _write_event(arm_id("disks", "web1-data0"), Operation.DISK_WRITE, now.isoformat(), "e2"),
        _write_event(vm_id("web1"), Operation.VM_WRITE, now.isoformat(), "e1"),
    ]
    for event in events:
        on_resource_event(event)
    (job,) = _jobs()
    assert job.data["trigger"] == "change"
    with driver(arm) as d:
        assert d.run() is True
    (job,) = _jobs()
    assert job.state is JobState.SUCCEEDED
    assert arm.clock.now() - now >= timedelta(seconds=get_deps().settings.vms_settle_seconds)


def test_retention_keeps_the_newest_sets_in_each_region(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    tags = {"lifeboat-keep-primary": "1", "lifeboat-keep-dr": "1"}
    arm.seed({"resources": [tagged_vm("web1", data_disks=0, **tags)]})
    with driver(arm) as d:
        for _ in range(3):
            post({"vmId": vm_id("web1")})
            assert d.run() is True
            arm.clock.advance(15 * 60)  # past the window in which a manual request joins a set
    assert len(dr_snapshots(arm)) == 3
    reconcile(TimerRequest())
    snaps = arm.state.list("Microsoft.Compute/snapshots")
    sets = {(s["location"], s["tags"]["lifeboat-set"]) for s in snaps}
    assert len({s for loc, s in sets if loc == "westus"}) == 1
    assert len({s for loc, s in sets if loc == "eastus"}) == 1
    reconcile(TimerRequest())  # nothing left to delete: idempotent
    assert len(arm.state.list("Microsoft.Compute/snapshots")) == len(snaps)
