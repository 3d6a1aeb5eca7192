"""Chaos suite fixtures: a stage per test (local Azure + the chaos wire + the job driver)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from devtools.local_driver import Entry, local_driver
from shared import bootstrap
from shared.bootstrap import get_deps
from shared.jobs import JobState
from tests.chaos.scenarios import Scenario, Stage
from tests.chaos.wire import ChaosTransport, WorkerKilled
from tests.plugins.arm import LifeboatEnv, fail_on_emulator_bugs
from tests.plugins.chaos import tally

# Deliveries of one start before the suite calls it lost (Event Grid retries for 24 hours).
START_ATTEMPTS = 30


def make_wire(env: LifeboatEnv) -> ChaosTransport:
    """The chaos wire for `env`, installed in the composition root (fresh clients on it)."""
    from urllib.parse import urlsplit

    azurite = env.azurite
    services = {
        urlsplit(env.arm.endpoint).port or 443: "arm",
        azurite.blob_port: "blob",
        azurite.queue_port: "queue",
        azurite.table_port: "table",
    }
    wire = ChaosTransport(services, connection_verify=env.arm.ca_file)
    bootstrap.use_transport(wire)
    return wire


@contextmanager
def staged(env: LifeboatEnv) -> Iterator[Stage]:
    """A stage over `env`: the wire installed, the driver open on the emulated clock."""
    wire = make_wire(env)

    def worker(entry: Entry) -> Entry:
        def invoke(msg: Any) -> None:
            with wire.scope("worker"):
                entry(msg)

        return invoke

    arm = env.arm
    with local_driver(clock=arm.clock.now, advance=arm.clock.advance, wrap=worker) as driver:
        yield Stage(env, wire, driver)


@pytest.fixture
def stage(lifeboat_env: LifeboatEnv) -> Iterator[Stage]:
    """A fresh stage for one test."""
    with staged(lifeboat_env) as s:
        yield s


def reset_world(stage: Stage) -> None:
    """Empty the emulator and Azurite between runs of one test (a new world, same processes)."""
    fail_on_emulator_bugs(stage.arm.core)
    stage.arm.reset()
    stage.arm.faults.fast_retries(5)
    stage.env.azurite.reset()
    stage.wire.writes.clear()
    stage.wire.sent.clear()
    stage.answers.clear()
    stage.wire.arm_kill(None)
    new_process(stage)
    stage.notes.clear()


def new_process(stage: Stage) -> None:
    """What a new worker process has: fresh SDK clients and a fresh job service."""
    bootstrap.use_transport(stage.wire)
    bootstrap.configure(clock=stage.arm.clock.now, storage_delays=False)


def start_once(stage: Stage, scenario: Scenario, name: str = "start") -> int | None:
    """One invocation of the scenario's start inside a wire scope; tallies 5xx answers."""
    with stage.wire.scope(name):
        status = scenario.start(stage)
    stage.answers.append(status)
    if status == 503:
        tally("503 retried")
    elif status is not None and status >= 500:
        tally("5xx")
    return status


def deliver(stage: Stage, scenario: Scenario, name: str = "start") -> int | None:
    """Start until accepted, as Event Grid (exceptions) and HTTP clients (5xx) retry.

    A kill during the start is a retry after a fresh worker: the client sees the connection drop.
    """
    last: object = None
    for _ in range(START_ATTEMPTS):
        try:
            status = start_once(stage, scenario, name)
        except WorkerKilled:
            fresh_worker(stage)
            continue
        except Exception as exc:  # Event Grid redelivers an event whose handler raised
            last = exc
            stage.arm.clock.advance(1)
            continue
        if status is None or status < 500:
            return status
        last = status
        stage.arm.clock.advance(1)
    raise AssertionError(f"{scenario}: the start was never accepted (last: {last!r})")


def fresh_worker(stage: Stage) -> None:
    """The dead worker is replaced once its lease expired: new clients, the clock past the lease."""
    stage.wire.revive()
    new_process(stage)
    stage.arm.clock.advance(stage.env.settings.jobs_lease_seconds + 1)


def drive(stage: Stage, limit: int = 40) -> None:
    """Run the job driver until idle; each kill is followed by a fresh worker."""
    for _ in range(limit):
        try:
            assert stage.driver.run(max_deliveries=2_000), "the job driver never went idle"
        except WorkerKilled:
            fresh_worker(stage)
            continue
        return
    raise AssertionError("the worker kept dying")


def check_end_state(stage: Stage, scenario: Scenario) -> None:
    """Every expected job exists once and succeeded; the scenario's end state; no ARM path
    written twice."""
    jobs = get_deps().jobs.list()
    kinds = Counter(j.kind for j in jobs)
    assert dict(kinds) == dict(scenario.jobs), f"{scenario}: jobs {dict(kinds)}"
    failed = [f"{j.kind}: {j.state} {j.reason}" for j in jobs if j.state is not JobState.SUCCEEDED]
    assert not failed, f"{scenario}: jobs not succeeded: {failed}"
    scenario.check(stage)
    twice = duplicate_writes(stage)
    tally("duplicates", len(twice))
    assert not twice, f"{scenario}: ARM paths written more than once: {twice}"


def duplicate_writes(stage: Stage) -> dict[str, int]:
    """ARM paths that answered a PUT/PATCH with success more than once (the emulator's log)."""
    written = Counter(e.path.lower() for e in stage.arm.log.writes() if e.status < 300)
    return {path: n for path, n in written.items() if n > 1}


def run_scenario(stage: Stage, scenario: Scenario, start: Callable[[], None] | None = None) -> None:
    """Prepare, start (or `start()`), drive to completion, check."""
    scenario.prepare(stage)
    if start is None:
        deliver(stage, scenario)
    else:
        start()
    drive(stage)
    check_end_state(stage, scenario)
    tally("scenarios")
