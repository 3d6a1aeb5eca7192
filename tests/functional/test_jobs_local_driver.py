"""The local driver runs the real run_job over Azurite: fast-forwarded waits, crashes, poison."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.local_driver import LocalDriver, local_driver
from emulator.azurite import Azurite
from functions.jobs import run_job
from shared.bootstrap import get_deps
from shared.jobs import JobState, ManualClock, StepState
from shared.jobs.service import JobService
from tests.support.jobs import (
    KIND,
    START,
    DemoWorld,
    Fault,
    Killed,
    demo_env,
    queue_depth,
)

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(storage_env: Azurite) -> Iterator[tuple[DemoWorld, JobService, LocalDriver]]:
    with demo_env() as (world, _):
        registry = world.registry()
        with local_driver(clock=world.clock, advance=world.clock.advance, registry=registry) as d:
            from shared.bootstrap import get_deps

            yield world, get_deps().jobs, d


def _run_through_kills(driver: LocalDriver, limit: int = 10) -> int:
    """Run the driver to idle, restarting it after each simulated kill; return the kills."""
    for kills in range(limit):
        try:
            driver.run()
        except Killed:
            continue
        return kills
    raise AssertionError("the driver never went idle")


def test_driver_runs_a_waiting_job_to_completion_by_fast_forwarding_the_clock(env) -> None:
    world, service, driver = env
    job_id = service.submit(KIND, "img@1", {}).job.id

    assert driver.run() is True

    job = service.get(job_id)
    assert job.state == JobState.SUCCEEDED
    assert driver.stats.fast_forwarded == pytest.approx(30)
    assert world.clock() == START.replace(second=30)
    assert (driver.stats.delivered, driver.stats.completed, driver.stats.failed) == (2, 2, 0)
    assert queue_depth() == 0


def test_driver_runs_until_a_condition_holds(env) -> None:
    _, service, driver = env
    job_id = service.submit(KIND, "img@2", {}).job.id

    assert driver.run(until=lambda: service.get(job_id).state == JobState.WAITING) is True
    assert service.get(job_id).steps[1].state == StepState.WAITING


@pytest.mark.parametrize(
    ("step", "after_write"),
    [("copy", False), ("copy", True), ("settle", False), ("publish", False), ("publish", True)],
)
def test_worker_killed_mid_step_finishes_the_job_with_each_write_once(
    env, step: str, after_write: bool
) -> None:
    world, service, driver = env
    world.faults[step] = [Fault(Killed(), after_write=after_write)]
    job_id = service.submit(KIND, "img@3", {}).job.id

    kills = _run_through_kills(driver)

    job = service.get(job_id)
    assert kills == 1 and job.state == JobState.SUCCEEDED
    assert world.writes == {"copy": 1, "publish": 1}
    assert queue_depth() == 0


def test_worker_killed_between_every_pair_of_steps_still_writes_once(env) -> None:
    world, service, driver = env
    for step in ("copy", "settle", "publish"):
        world.faults[step] = [Fault(Killed(), after_write=True)]
    world.faults["settle"] = [None, Fault(Killed(), after_write=False)]
    job_id = service.submit(KIND, "img@4", {}).job.id

    kills = _run_through_kills(driver)

    assert kills == 3 and service.get(job_id).state == JobState.SUCCEEDED
    assert world.writes == {"copy": 1, "publish": 1}


def test_a_message_redelivered_after_the_job_finished_changes_nothing(env) -> None:
    world, service, driver = env
    job_id = service.submit(KIND, "img@5", {}).job.id
    driver.run()
    before = service.get(job_id)

    from shared.azure.job_storage import JobQueue
    from shared.jobs.messages import JobMessage

    JobQueue(get_deps().clients, get_deps().settings.jobs_queue, storage_delays=False).send(
        JobMessage(job_id), 0
    )
    driver.run()

    assert service.get(job_id).etag == before.etag
    assert world.runs == {"copy": 1, "settle": 2, "publish": 1}


def test_a_step_crashing_on_every_delivery_ends_failed_with_the_poison_reason(env) -> None:
    world, service, driver = env
    world.faults["copy"] = [Fault(KeyError("imageId")) for _ in range(5)]
    job_id = service.submit(KIND, "img@6", {}).job.id

    driver.run()

    job = service.get(job_id)
    assert job.state == JobState.FAILED
    assert job.reason == "poison: delivery 5 of 5 failed: KeyError: 'imageId'"
    assert job.steps[0].state == StepState.FAILED and job.steps[0].attempts == 5
    assert driver.stats.failed == 4 and driver.stats.poisoned == 0
    # The host hides a failed message for visibilityTimeout (30 s) between deliveries.
    assert driver.stats.fast_forwarded == pytest.approx(4 * 30)


def test_a_worker_killed_on_every_delivery_is_failed_from_the_poison_queue(env) -> None:
    world, service, driver = env
    world.faults["copy"] = [Fault(Killed()) for _ in range(5)]
    job_id = service.submit(KIND, "img@7", {}).job.id

    kills = _run_through_kills(driver)

    job = service.get(job_id)
    assert kills == 5 and driver.stats.poisoned == 1
    assert job.state == JobState.FAILED
    assert job.reason == "poison: the host gave up after 5 deliveries of its message"


def test_the_driver_accepts_any_clock_and_advance_callables(storage_env) -> None:
    # Stands for the ARM emulator's clock: the driver only needs now() and advance(seconds).
    emulated = ManualClock(START)
    advanced: list[float] = []

    def advance(seconds: float) -> None:
        advanced.append(seconds)
        emulated.advance(seconds)

    with demo_env() as (world, _):
        world.clock = emulated
        with local_driver(clock=emulated, advance=advance, registry=world.registry()) as driver:
            from shared.bootstrap import get_deps

            job_id = get_deps().jobs.submit(KIND, "img@8", {}).job.id
            driver.run()
            assert get_deps().jobs.get(job_id).state == JobState.SUCCEEDED
    assert advanced == [30]


def test_the_driver_gives_up_after_max_deliveries_on_a_job_that_never_settles(env) -> None:
    world, service, driver = env
    world.settle_seconds = 10**9
    job_id = service.submit(KIND, "img@9", {}).job.id

    assert driver.run(max_deliveries=4) is False
    assert service.get(job_id).state == JobState.WAITING
    assert driver.stats.fast_forwarded == pytest.approx(3 * 6 * 24 * 3600)


def test_the_driver_runs_in_real_time_mode_on_storage_visibility(storage_env) -> None:
    with demo_env(storage_delays=True) as (world, _):
        world.settle_seconds = 0
        with local_driver(clock=world.clock, registry=world.registry()) as driver:
            from shared.bootstrap import get_deps

            job_id = get_deps().jobs.submit(KIND, "img@10", {}).job.id
            assert driver.run() is True
            assert get_deps().jobs.get(job_id).state == JobState.SUCCEEDED
            assert driver.stats.fast_forwarded == 0


def test_a_message_abandoned_after_each_delivery_is_redelivered_and_writes_stay_once(env) -> None:
    from devtools.local_driver import to_function_message

    world, service, driver = env
    job_id = service.submit(KIND, "img@11", {}).job.id
    queue = get_deps().clients.queue_service().get_queue_client(get_deps().settings.jobs_queue)

    # A worker handles the message but dies before the host deletes it: it comes back.
    for _ in range(2):
        (message,) = queue.receive_messages(max_messages=1, visibility_timeout=60)
        run_job(to_function_message(message))
        queue.update_message(message, visibility_timeout=0)
    driver.run()

    assert service.get(job_id).state == JobState.SUCCEEDED
    assert world.writes == {"copy": 1, "publish": 1}
    assert world.runs == {"copy": 1, "settle": 2, "publish": 1}
    assert driver.stats.completed == 4  # the abandoned message, then three wake-up copies
    assert queue_depth() == 0
