"""The job service on the in-memory job store and queue: no Azurite, no emulator."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.errors import TransientError
from shared.jobs import JobState, ManualClock, Progress, Registry, StepContext, StepResult
from shared.jobs.model import job_id_for
from shared.jobs.service import JobService
from tests.support.fakes import InMemoryJobQueue, InMemoryJobStore, InMemoryRecordStore

KIND = "demo_copy"
START = datetime(2030, 1, 1, tzinfo=UTC)


class World:
    """Two steps: copy (counted, may throw once), then settle for 30 s."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.copies = 0
        self.fail_copy: list[Exception] = []

    def registry(self) -> Registry:
        registry = Registry()
        registry.register(KIND, [("copy", self.copy), ("settle", self.settle)], "demo")
        return registry

    def copy(self, ctx: StepContext) -> StepResult:
        if self.fail_copy:
            raise self.fail_copy.pop(0)
        self.copies += 1
        return StepResult.done({"copiedAt": ctx.now().isoformat()})

    def settle(self, ctx: StepContext) -> StepResult:
        waited = (ctx.now() - datetime.fromisoformat(ctx.data["copiedAt"])).total_seconds()
        return StepResult.wait(30 - waited, "settling") if waited < 30 else StepResult.done({})


@pytest.fixture
def env() -> tuple[World, JobService, InMemoryJobQueue]:
    world = World(ManualClock(START))
    queue = InMemoryJobQueue()
    deps = bootstrap(
        settings=Settings(),
        clock=world.clock,
        registry=world.registry(),
        job_store=InMemoryJobStore(),
        job_queue=queue,
    )
    return world, deps.jobs, queue


def test_submit_twice_is_one_job_and_one_message(
    env: tuple[World, JobService, InMemoryJobQueue],
) -> None:
    _, service, queue = env
    first = service.submit(KIND, "img@1", {"source": "a"})
    second = service.submit(KIND, "img@1", {"source": "ignored"})

    assert first.created and not second.created
    assert first.job.id == second.job.id == job_id_for(KIND, "img@1")
    assert second.job.data == {"source": "a"}
    assert [m.job_id for m, _ in queue.sent] == [first.job.id]


def test_concurrent_submits_create_one_job(env: tuple[World, JobService, InMemoryJobQueue]) -> None:
    _, service, queue = env
    barrier = threading.Barrier(4)
    created: list[bool] = []

    def submit() -> None:
        barrier.wait()
        created.append(service.submit(KIND, "img@2", {}).created)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(created) == [False, False, False, True]
    assert len(service.list(kind=KIND)) == 1 and len(queue.sent) == 1


def test_steps_run_in_order_wait_and_succeed(
    env: tuple[World, JobService, InMemoryJobQueue],
) -> None:
    world, service, queue = env
    job_id = service.submit(KIND, "img@3", {}).job.id

    first = service.advance(job_id)
    assert (first.progress, first.delay) == (Progress.WAITING, 30)
    job = service.get(job_id)
    assert job is not None and job.wake_token
    assert (queue.sent[-1][0].token, queue.sent[-1][1]) == (job.wake_token, 30)

    world.clock.advance(30)
    assert service.advance(job_id, token=job.wake_token).progress == Progress.SUCCEEDED
    done = service.get(job_id)
    assert done is not None and done.state == JobState.SUCCEEDED and world.copies == 1


def test_a_transient_error_waits_the_retry_after_then_the_step_runs_once(
    env: tuple[World, JobService, InMemoryJobQueue],
) -> None:
    world, service, _ = env
    world.fail_copy.append(TransientError("throttled", retry_after=17))
    job_id = service.submit(KIND, "img@4", {}).job.id

    assert service.advance(job_id).delay == 17
    job = service.get(job_id)
    assert job is not None and job.steps[0].retries == 1
    world.clock.advance(17)
    assert service.advance(job_id, token=job.wake_token).progress == Progress.WAITING
    assert world.copies == 1


class _Topic:
    """The events port on a list: what a topic accepted."""

    def __init__(self) -> None:
        self.accepted: list[dict[str, object]] = []

    def publish(self, events: object) -> None:
        self.accepted.extend(dict(e) for e in events)  # type: ignore[attr-defined]


class _FlakyRecords(InMemoryRecordStore):
    """The record store port whose first `failures` writes find DR storage unreachable."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def put(self, name: str, body: Any, metadata: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientError("DR storage: ServiceRequestError")
        super().put(name, body, metadata)


def test_a_large_event_that_cannot_be_kept_retries_its_step_and_is_never_lost() -> None:
    clock, topic, records = ManualClock(START), _Topic(), _FlakyRecords(failures=1)
    runs: list[int] = []

    def big(ctx: StepContext) -> StepResult:
        runs.append(1)
        ctx.emit("Lifeboat.Demo.Big", "/subscriptions/s/x", {"blob": "b" * 20_000})
        return StepResult.done({"filler": "f" * 20_000})

    registry = Registry()
    registry.register("demo_big", [("big", big)])
    deps = bootstrap(
        settings=Settings(),
        clock=clock,
        registry=registry,
        job_store=InMemoryJobStore(),
        job_queue=InMemoryJobQueue(),
        records=records,
        publisher=topic,
    )
    job = deps.jobs.submit("demo_big", "k").job

    first = deps.jobs.advance(job.id)
    assert first.state == JobState.WAITING and topic.accepted == []  # nothing recorded yet
    waiting = deps.jobs.get(job.id)
    assert waiting is not None and "large event" in waiting.steps[0].last_error
    clock.advance(first.delay)
    assert deps.jobs.advance(job.id, token=waiting.wake_token).state == JobState.SUCCEEDED

    assert len(runs) == 2 and [e["type"] for e in topic.accepted] == ["Lifeboat.Demo.Big"]
    assert records.list_metadata("events/overflow/") == {}  # published, then deleted
