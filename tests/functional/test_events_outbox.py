"""Job events through the outbox to the emulator's Event Grid topic (real publisher client); an
event too large for its job's record goes through DR storage (Azurite) and the overflow sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from emulator.server import ArmEmulator
from shared import bootstrap
from shared.bootstrap import Deps
from shared.features import SWEEPS
from shared.jobs import JobState, ManualClock, Registry, StepContext, StepResult
from shared.jobs.outbox import OUTBOX, OVERFLOW_PREFIX, PUBLISHED, SKIPPED, overflow_name
from shared.publish.events import (
    drill_completed,
    plan_awaiting_approval,
    schema_file,
    vm_set_ready,
)
from shared.publish.overflow import GRACE
from tests.plugins.arm import SUBSCRIPTION, LifeboatEnv
from tests.support.fakes import InMemoryJobQueue, InMemoryJobStore
from tests.support.jobs import START

pytestmark = pytest.mark.emulator

TOPIC = "lifeboat-events"
TOPIC_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/lifeboat-dr/providers"
    f"/Microsoft.EventGrid/topics/{TOPIC}"
)
VM = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines"
VM += "/v1"
KIND = "demo_events"


class World:
    """A two-step job: `work` emits Vm.SetReady with its write, `announce` a plan event."""

    def __init__(self) -> None:
        self.runs = 0

    def registry(self) -> Registry:
        registry = Registry()
        registry.register(KIND, [("work", self.work), ("announce", self.announce)])
        return registry

    def work(self, ctx: StepContext) -> StepResult:
        self.runs += 1
        ctx.emit(
            *vm_set_ready(
                VM,
                set_id="s1",
                consistency="crash",
                captured_at=START,
                complete_at=ctx.now(),
                dr_region="westus",
            )
        )
        return StepResult.done({"work": "done"})

    def announce(self, ctx: StepContext) -> StepResult:
        ctx.emit(
            *plan_awaiting_approval(
                "p1",
                region="eastus",
                dr_region="westus",
                resources=3,
                approve_url="https://lifeboat.example/api/plans/p1/approve",
                since=ctx.now(),
            )
        )
        return StepResult.done()


@pytest.fixture
def grid(arm: ArmEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmEmulator]:
    arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_ARM_ENDPOINT", arm.endpoint)
    monkeypatch.setenv("LIFEBOAT_ARM_CA_BUNDLE", arm.ca_file)
    monkeypatch.setenv("LIFEBOAT_CREDENTIAL", "emulator")
    monkeypatch.setenv("LIFEBOAT_SUBSCRIPTIONS", SUBSCRIPTION)
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", arm.eventgrid.endpoint(TOPIC))
    yield arm
    bootstrap.reset()


def _deps(world: World, clock: ManualClock, **extra: Any) -> Deps:
    return bootstrap.bootstrap(
        clock=clock,
        registry=world.registry(),
        job_store=InMemoryJobStore(),
        **{"job_queue": InMemoryJobQueue(), **extra},
    )


def _published(arm: ArmEmulator) -> list[dict[str, Any]]:
    return arm.eventgrid.events(TOPIC)


def test_each_event_is_published_after_its_step_and_validates_against_its_schema(
    grid: ArmEmulator,
) -> None:
    world, clock = World(), ManualClock(START)
    deps = _deps(world, clock)
    job = deps.jobs.submit(KIND, "k1").job

    advance = deps.jobs.advance(job.id)

    assert advance.state == JobState.SUCCEEDED
    events = _published(grid)
    assert [e["type"] for e in events] == ["Lifeboat.Vm.SetReady", "Lifeboat.Plan.AwaitingApproval"]
    set_ready = events[0]
    assert set_ready["subject"] == VM and set_ready["specversion"] == "1.0"
    assert set_ready["data"]["achievedRpoSeconds"] == 0
    for event in events:
        schema = json.loads(schema_file(event["type"]).read_text())
        jsonschema.validate(event["data"], schema)
    stored = deps.jobs.get(job.id)
    assert stored is not None
    assert stored.data[OUTBOX] == [] and stored.data[PUBLISHED] == 2


def test_a_redelivered_job_publishes_the_same_ids(grid: ArmEmulator) -> None:
    world, clock = World(), ManualClock(START)
    first = _deps(world, clock)
    job = first.jobs.submit(KIND, "k1").job
    first.jobs.advance(job.id)
    # The same job run again from scratch (a fresh store: its record was lost after publishing)
    second = _deps(world, clock)
    second.jobs.advance(second.jobs.submit(KIND, "k1").job.id)
    # ...and a duplicate message for the finished job publishes nothing more.
    second.jobs.advance(job.id)

    events = _published(grid)
    assert world.runs == 2 and len(events) == 4
    assert len({e["id"] for e in events}) == 2


def test_a_failed_publish_never_fails_the_job_and_is_retried_until_it_lands(
    grid: ArmEmulator,
) -> None:
    world, clock = World(), ManualClock(START)
    queue = InMemoryJobQueue()
    deps = _deps(world, clock, job_queue=queue)
    job = deps.jobs.submit(KIND, "k1").job
    grid.faults.region_down("westus")  # the topic's region

    advance = deps.jobs.advance(job.id)

    assert advance.state == JobState.SUCCEEDED  # the DR work is done
    stored = deps.jobs.get(job.id)
    assert stored is not None and len(stored.data[OUTBOX]) == 2
    assert stored.wake_at is not None and advance.delay > 0
    assert _published(grid) == []
    # Still down at the first retry: kept, retried later with a longer backoff.
    clock.advance(advance.delay)
    again = deps.jobs.advance(job.id, token=stored.wake_token)
    assert again.delay > advance.delay
    grid.faults.region_up("westus")
    clock.advance(again.delay)
    retry = deps.jobs.get(job.id)
    assert retry is not None
    deps.jobs.advance(job.id, token=retry.wake_token)

    events = _published(grid)
    assert [e["type"] for e in events] == ["Lifeboat.Vm.SetReady", "Lifeboat.Plan.AwaitingApproval"]
    done = deps.jobs.get(job.id)
    assert done is not None and done.state == JobState.SUCCEEDED
    assert done.data[OUTBOX] == [] and done.data[PUBLISHED] == 2
    assert world.runs == 1  # the work ran once


def test_without_a_topic_events_are_recorded_as_skipped(
    grid: ArmEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFEBOAT_EVENTS_ENDPOINT")
    world, clock = World(), ManualClock(START)
    deps = _deps(world, clock)
    job = deps.jobs.submit(KIND, "k1").job

    assert deps.jobs.advance(job.id).state == JobState.SUCCEEDED

    stored = deps.jobs.get(job.id)
    assert stored is not None and stored.data[SKIPPED] == 2 and stored.data[OUTBOX] == []
    assert _published(grid) == []


# ---- events too large for the job record: kept in DR storage until the topic took them ----

BIG_KIND = "demo_big_events"


class BigWorld:
    """One step whose data nearly fills the job record and whose event does not fit beside it."""

    def __init__(self) -> None:
        self.runs = 0

    def registry(self) -> Registry:
        registry = Registry()
        registry.register(BIG_KIND, [("drill", self.drill)])
        return registry

    def drill(self, ctx: StepContext) -> StepResult:
        self.runs += 1
        ctx.emit(
            *drill_completed(
                "d1",
                passed=False,
                started_at=START,
                finished_at=ctx.now(),
                findings=[f"vm{i}: {'x' * 480}" for i in range(50)],
            )
        )
        return StepResult.done({"evidence": "e" * 12_000})


@pytest.fixture
def big_grid(lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch) -> LifeboatEnv:
    lifeboat_env.arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    monkeypatch.setenv("LIFEBOAT_EVENTS_ENDPOINT", lifeboat_env.arm.eventgrid.endpoint(TOPIC))
    bootstrap.reset()
    return lifeboat_env


def _big_deps(world: BigWorld, clock: ManualClock) -> Deps:
    return bootstrap.bootstrap(
        clock=clock,
        registry=world.registry(),
        job_store=InMemoryJobStore(),
        job_queue=InMemoryJobQueue(),
    )


def _sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    (sweep,) = [s for s in SWEEPS if s.name == "event_overflow"]
    report, _ = sweep.run(deps, now, False)
    assert report is not None
    return report


@pytest.mark.azurite
def test_an_event_too_large_for_the_record_is_published_after_the_write(
    big_grid: LifeboatEnv,
) -> None:
    world, clock = BigWorld(), ManualClock(START)
    deps = _big_deps(world, clock)
    job = deps.jobs.submit(BIG_KIND, "k1").job

    assert deps.jobs.advance(job.id).state == JobState.SUCCEEDED

    (event,) = _published(big_grid.arm)
    assert event["type"] == "Lifeboat.Drill.Completed" and len(json.dumps(event)) > 25_000
    jsonschema.validate(event["data"], json.loads(schema_file(event["type"]).read_text()))
    stored = deps.jobs.get(job.id)
    assert stored is not None and not stored.data.get(OUTBOX)  # never in the record...
    assert PUBLISHED not in stored.data  # ...nor counted by its outbox
    assert deps.records.list_metadata(OVERFLOW_PREFIX) == {}  # its kept copy is deleted


@pytest.mark.azurite
def test_a_large_event_whose_publish_fails_is_kept_and_published_once_by_the_sweep(
    big_grid: LifeboatEnv,
) -> None:
    arm = big_grid.arm
    world, clock = BigWorld(), ManualClock(START)
    deps = _big_deps(world, clock)
    job = deps.jobs.submit(BIG_KIND, "k1").job
    arm.faults.region_down("westus")  # the topic's region

    assert deps.jobs.advance(job.id).state == JobState.SUCCEEDED  # the DR work is done

    kept = deps.records.list_metadata(OVERFLOW_PREFIX)
    (name,) = kept
    record = deps.records.get(name)
    assert record is not None
    event_id = record["event"]["id"]
    assert name == overflow_name(job.id, {"id": event_id}) and kept[name]["jobid"] == job.id
    assert _published(arm) == []
    # A redelivered message for the finished job neither re-runs the step nor loses the event.
    deps.jobs.advance(job.id)
    assert _sweep(deps, clock()) == {"kept": 1, "published": 0, "recent": 1}  # job's own, still
    clock.advance(GRACE.total_seconds() + 1)
    still_down = _sweep(deps, clock())
    assert still_down["published"] == 0 and still_down["kept"] == 1 and still_down["errors"]
    arm.faults.region_up("westus")

    assert _sweep(deps, clock()) == {"kept": 0, "published": 1}
    assert _sweep(deps, clock()) == {"kept": 0, "published": 0}

    (event,) = _published(arm)
    assert event["id"] == event_id and event["type"] == "Lifeboat.Drill.Completed"
    assert len(event["data"]["findings"]) == 50
    assert deps.records.list_metadata(OVERFLOW_PREFIX) == {}
    assert world.runs == 1
