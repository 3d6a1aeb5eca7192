"""The job service against Azurite: idempotent submit, steps, waits, retries, leases, failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from emulator.azurite import Azurite
from shared import bootstrap
from shared.azure.job_storage import JobStore
from shared.bootstrap import get_deps
from shared.errors import InvalidInput, PreconditionNotMet, TransientError
from shared.jobs import (
    JobState,
    Progress,
    Registry,
    StepContext,
    StepResult,
    StepState,
    job_id_for,
)
from shared.jobs.model import JobConflict
from shared.jobs.service import JobService
from tests.support.jobs import (
    KIND,
    DemoWorld,
    Fault,
    demo_env,
    queue_depth,
    queue_messages,
)

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(storage_env: Azurite) -> Iterator[tuple[DemoWorld, JobService]]:
    with demo_env() as pair:
        yield pair


def _wake(service: JobService, world: DemoWorld, job_id: str) -> Progress:
    """Deliver the job's scheduled wake-up once it is due (what the queue does)."""
    job = service.get(job_id)
    assert job is not None and job.wake_at is not None
    world.clock.advance((job.wake_at - world.clock()).total_seconds())
    return service.advance(job_id, token=job.wake_token).progress


def test_submit_twice_returns_the_same_job_and_enqueues_once(env) -> None:
    _, service = env
    first = service.submit(KIND, "image-1@1.0.0", {"source": "image-1"})
    second = service.submit(KIND, "image-1@1.0.0", {"source": "ignored"})

    assert first.created and not second.created
    assert second.job.id == first.job.id == job_id_for(KIND, "image-1@1.0.0")
    assert second.job.data == {"source": "image-1"}
    assert queue_messages() == [{"jobId": first.job.id}]


def test_three_concurrent_submits_create_one_job_and_one_message(env) -> None:
    _, service = env
    barrier = threading.Barrier(3)
    results: list[object] = []

    def submit() -> None:
        barrier.wait()
        results.append(service.submit(KIND, "image-2@2.0.0", {"n": 1}))

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r.job.id for r in results}) == 1  # type: ignore[attr-defined]
    assert sum(r.created for r in results) == 1  # type: ignore[attr-defined]
    assert len(service.list(kind=KIND)) == 1
    assert queue_depth() == 1


def test_submit_of_an_undeclared_kind_is_invalid_input(env) -> None:
    _, service = env
    with pytest.raises(InvalidInput) as err:
        service.submit("image_replication", "x", {})
    assert err.value.field == "kind"


def test_job_runs_its_steps_in_order_waits_then_succeeds(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k1", {}).job.id

    first = service.advance(job_id)
    assert (first.progress, first.state, first.delay) == (Progress.WAITING, JobState.WAITING, 30)
    job = service.get(job_id)
    assert [s.state for s in job.steps] == [
        StepState.SUCCEEDED,
        StepState.WAITING,
        StepState.PENDING,
    ]
    assert job.wake_at == world.clock() + timedelta(seconds=30)
    wake = [m for m in queue_messages() if m.get("token")]
    assert wake == [
        {"jobId": job_id, "token": job.wake_token, "notBefore": "2030-01-01T00:00:30.000Z"}
    ]

    assert _wake(service, world, job_id) == Progress.SUCCEEDED
    done = service.get(job_id)
    assert done.state == JobState.SUCCEEDED and done.finished == world.clock()
    assert done.data["published"] == "k1/publish" and done.data["settled"] is True
    assert [s.attempts for s in done.steps] == [1, 2, 1]
    assert world.writes == {"copy": 1, "publish": 1}


def test_transient_errors_back_off_exponentially_and_honour_retry_after(env) -> None:
    world, service = env
    world.faults["copy"] = [
        Fault(TransientError("throttled")),
        Fault(TransientError("throttled")),
        Fault(TransientError("throttled", retry_after=17)),
        Fault(TransientError("busy")),
    ]
    job_id = service.submit(KIND, "k2", {}).job.id

    delays = [service.advance(job_id).delay]
    for _ in range(3):
        job = service.get(job_id)
        world.clock.advance((job.wake_at - world.clock()).total_seconds())
        delays.append(service.advance(job_id, token=job.wake_token).delay)

    # Settings defaults: base 5 s doubling; Azure's Retry-After (17 s) wins when given.
    assert delays == [5, 10, 17, 40]
    copy = service.get(job_id).steps[0]
    assert (copy.state, copy.retries, copy.attempts) == (StepState.WAITING, 4, 4)
    assert copy.last_error == "TransientError: busy"
    assert copy.wait_reason == "retry 4 of 8 in 40s"
    assert _wake(service, world, job_id) == Progress.WAITING  # copy done, now settling
    assert service.get(job_id).steps[0].retries == 0


def test_transient_errors_beyond_the_retry_limit_fail_the_job(storage_env, monkeypatch) -> None:
    monkeypatch.setenv("LIFEBOAT_JOBS_MAX_RETRIES", "1")
    with demo_env() as (world, service):
        world.faults["copy"] = [Fault(TransientError("503")), Fault(TransientError("503 again"))]
        job_id = service.submit(KIND, "k3", {}).job.id
        assert service.advance(job_id).progress == Progress.WAITING
        assert _wake(service, world, job_id) == Progress.FAILED

        job = service.get(job_id)
        assert job.state == JobState.FAILED
        assert job.reason == "copy: gave up after 2 attempts: TransientError: 503 again"
        assert job.steps[0].state == StepState.FAILED


def test_precondition_not_met_waits_without_counting_a_retry(env) -> None:
    world, service = env
    world.faults["copy"] = [Fault(PreconditionNotMet("build still running", wait_seconds=120))]
    job_id = service.submit(KIND, "k4", {}).job.id

    result = service.advance(job_id)

    assert (result.progress, result.delay) == (Progress.WAITING, 120)
    copy = service.get(job_id).steps[0]
    assert (copy.retries, copy.wait_reason) == (0, "build still running")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (InvalidInput("source.version", "no such version"), "copy: InvalidInput: source.version"),
    ],
)
def test_invalid_input_from_a_step_fails_the_job_with_the_reason(env, error, reason) -> None:
    world, service = env
    world.faults["copy"] = [Fault(error)]
    job_id = service.submit(KIND, "k5", {}).job.id

    assert service.advance(job_id).progress == Progress.FAILED
    job = service.get(job_id)
    assert job.reason.startswith(reason)
    assert job.steps[0].last_error == job.reason
    assert job.steps[1].state == StepState.PENDING
    assert service.advance(job_id).progress == Progress.FINISHED_BEFORE


def test_unexpected_step_error_is_noted_on_the_step_and_raised_for_redelivery(env) -> None:
    world, service = env
    world.faults["copy"] = [Fault(KeyError("imageId"))]
    job_id = service.submit(KIND, "k6", {}).job.id

    with pytest.raises(KeyError):
        service.advance(job_id, owner="message-1")
    job = service.get(job_id)
    assert job.state == JobState.RUNNING and job.steps[0].last_error == "KeyError: 'imageId'"

    # The redelivered message (same id) takes over its own claim and carries on.
    assert service.advance(job_id, owner="message-1").progress == Progress.WAITING
    assert service.get(job_id).steps[0].attempts == 2


def test_a_second_worker_cannot_advance_a_job_another_worker_holds(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k7", {}).job.id
    seen: list[Progress] = []
    world.hooks["copy"] = lambda: seen.append(service.advance(job_id, owner="other").progress)

    service.advance(job_id, owner="first")

    assert seen == [Progress.BUSY]
    assert world.runs["copy"] == 1 and world.writes["copy"] == 1


def test_an_expired_claim_can_be_taken_over(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k8", {}).job.id
    world.faults["copy"] = [Fault(KeyError("boom"))]
    with pytest.raises(KeyError):
        service.advance(job_id, owner="dead-worker")

    assert service.advance(job_id, owner="other").progress == Progress.BUSY
    world.clock.advance(600)
    assert service.advance(job_id, owner="other").progress == Progress.WAITING


def test_a_duplicate_message_while_the_job_waits_is_dropped(env) -> None:
    _, service = env
    job_id = service.submit(KIND, "k9", {}).job.id
    service.advance(job_id, owner="m1")
    depth = queue_depth()

    assert service.advance(job_id, owner="m2").progress == Progress.DUPLICATE
    assert service.advance(job_id, owner="m3", token="stale").progress == Progress.DUPLICATE
    assert queue_depth() == depth


def test_an_early_wake_up_or_a_redelivered_scheduler_requeues_the_wake_up(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k10", {}).job.id
    service.advance(job_id, owner="m1")
    job = service.get(job_id)
    world.clock.advance(10)

    early = service.advance(job_id, owner="m2", token=job.wake_token)
    redelivered = service.advance(job_id, owner="m1")

    assert (early.progress, early.delay) == (Progress.RESCHEDULED, 20)
    assert (redelivered.progress, redelivered.delay) == (Progress.RESCHEDULED, 20)
    tokens = [m.get("token") for m in queue_messages()]
    assert tokens.count(job.wake_token) == 3


def test_a_job_out_of_time_budget_yields_and_requeues_itself(storage_env, monkeypatch) -> None:
    monkeypatch.setenv("LIFEBOAT_JOBS_TIME_BUDGET_SECONDS", "60")
    with demo_env() as (world, service):
        world.settle_seconds = 0
        world.hooks["copy"] = lambda: world.clock.advance(61)
        job_id = service.submit(KIND, "k11", {}).job.id

        result = service.advance(job_id)

        assert (result.progress, result.state, result.delay) == (Progress.YIELDED, "running", 0)
        job = service.get(job_id)
        assert [m for m in queue_messages() if m.get("token")] == [
            {"jobId": job_id, "token": job.wake_token, "notBefore": "2030-01-01T00:01:01.000Z"}
        ]
        assert service.advance(job_id, token=job.wake_token).progress == Progress.SUCCEEDED


def test_a_pending_job_whose_message_was_lost_is_requeued_by_a_later_submit(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k12", {}).job.id
    queue_messages()  # the first message exists
    service.submit(KIND, "k12", {})
    assert queue_depth() == 1

    world.clock.advance(601)
    service.submit(KIND, "k12", {})

    assert queue_messages() == [{"jobId": job_id}, {"jobId": job_id}]


def test_step_data_that_is_not_json_fails_the_job(env) -> None:
    world, _ = env

    def returns_a_set(ctx: StepContext) -> StepResult:
        return StepResult.done({"x": {1, 2}})

    registry = Registry()
    registry.register(KIND, [("bad", returns_a_set)])
    bootstrap.configure(clock=world.clock, registry=registry, storage_delays=False)
    service = bootstrap.get_deps().jobs
    job_id = service.submit(KIND, "k13", {}).job.id

    assert service.advance(job_id).progress == Progress.FAILED
    assert "not JSON-serialisable" in service.get(job_id).reason


def test_list_filters_by_kind_and_state(env) -> None:
    _, service = env
    a = service.submit(KIND, "a", {}).job.id
    b = service.submit(KIND, "b", {}).job.id
    service.advance(a)

    assert {j.id for j in service.list()} == {a, b}
    assert [j.id for j in service.list(kind=KIND, state="waiting")] == [a]
    assert [j.id for j in service.list(state="pending")] == [b]
    assert service.list(kind="other_kind") == []
    with pytest.raises(InvalidInput):
        service.list(state="sleeping")


def test_retry_restarts_a_failed_job_from_its_failed_step(env) -> None:
    world, service = env
    world.settle_seconds = 0
    world.faults["publish"] = [Fault(InvalidInput("target", "gallery missing"))]
    job_id = service.submit(KIND, "k14", {}).job.id
    assert service.advance(job_id).progress == Progress.FAILED

    service.retry(job_id)
    assert service.advance(job_id).progress == Progress.SUCCEEDED
    job = service.get(job_id)
    assert [s.attempts for s in job.steps] == [1, 1, 2]
    assert world.writes == {"copy": 1, "publish": 1}
    with pytest.raises(InvalidInput):
        service.retry(job_id)


def test_get_rejects_a_malformed_id_and_misses_an_unknown_one(env) -> None:
    _, service = env
    with pytest.raises(InvalidInput) as err:
        service.get("demo_copy/../x")
    assert err.value.field == "id"
    assert service.get(job_id_for(KIND, "never-submitted")) is None


def test_concurrent_writes_to_one_job_are_rejected_by_etag(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "k15", {}).job.id
    store = JobStore(get_deps().clients, get_deps().settings.jobs_table, world.clock)
    mine, theirs = store.get(job_id, KIND), store.get(job_id, KIND)
    store.replace(mine.claimed("copy", "me", world.clock(), 60))

    with pytest.raises(JobConflict):
        store.replace(theirs.claimed("copy", "them", world.clock(), 60))
    assert store.get(job_id, KIND).lease_owner == "me"


def test_a_skipped_step_is_recorded_and_a_removed_step_fails_the_job(env) -> None:
    world, _ = env

    def nothing_to_do(ctx: StepContext) -> StepResult:
        return StepResult.skip("already replicated", {"skipped": ctx.step})

    registry = Registry()
    registry.register(KIND, [("check", nothing_to_do), ("copy", nothing_to_do)])
    bootstrap.configure(clock=world.clock, registry=registry, storage_delays=False)
    service = bootstrap.get_deps().jobs
    job_id = service.submit(KIND, "k16", {}).job.id
    registry.register(KIND, [("check", nothing_to_do)])  # a deploy dropped the "copy" step

    assert service.advance(job_id).progress == Progress.FAILED
    job = service.get(job_id)
    assert job.steps[0].state == StepState.SKIPPED and job.data == {"skipped": "check"}
    assert job.reason == f"copy: step is no longer declared by kind {KIND}"


def test_three_workers_racing_on_one_job_run_each_step_once(env) -> None:
    world, service = env
    world.settle_seconds = 0
    job_id = service.submit(KIND, "k17", {}).job.id
    barrier = threading.Barrier(3)
    outcomes: list[Progress] = []

    def work(owner: str) -> None:
        barrier.wait()
        outcomes.append(service.advance(job_id, owner=owner).progress)

    threads = [threading.Thread(target=work, args=(f"m{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert service.get(job_id).state == JobState.SUCCEEDED
    assert outcomes.count(Progress.SUCCEEDED) == 1
    assert world.runs == {"copy": 1, "settle": 1, "publish": 1}
    assert world.writes == {"copy": 1, "publish": 1}
