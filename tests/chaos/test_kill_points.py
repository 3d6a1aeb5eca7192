"""The worker killed just before and just after every write, then a fresh worker: same end state.

A clean run of each scenario records the writes it sends (ARM and Storage, in the start and in
the worker). Every ARM and blob write that succeeded is a kill point, each occurrence; Table and
queue writes (the job backbone's own bookkeeping, dozens per job, covered write by write in
tests/functional/test_jobs_service.py) are kill points once per scope, service and method.
One run per kill point: the world is emptied, the scenario runs with the wire armed to die
there, the start is redelivered (Event Grid, an HTTP client) or the queue redelivers the job
after the lease expired, and the end state must be the clean run's: every job succeeded, one
set of resources, no staging orphan, no ARM path written twice.
"""

from __future__ import annotations

import pytest

from tests.chaos.conftest import reset_world, run_scenario
from tests.chaos.scenarios import SCENARIOS, Scenario, Stage
from tests.chaos.wire import KillPoint, Write
from tests.plugins.chaos import tally

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

_BOOKKEEPING = ("table", "queue")


def kill_points(writes: list[Write], scenario: Scenario) -> list[tuple[KillPoint, Write]]:
    """The kill points of a clean run's writes (1-based ordinals), before and after each."""
    seen: set[tuple[str, str, str]] = set()
    points = []
    for ordinal, write in enumerate(writes, start=1):
        # A refused write (409 "already exists") changed nothing: the points around the writes
        # next to it are the same moments.
        if write.status >= 400 or not scenario.kills(write):
            continue
        if write.service in _BOOKKEEPING:
            signature = (write.scope.split("-")[0], write.service, write.method)
            if signature in seen:
                continue
            seen.add(signature)
        points += [(KillPoint(ordinal, "before"), write), (KillPoint(ordinal, "after"), write)]
    return points


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_worker_killed_before_and_after_every_write_completes_without_orphans(
    stage: Stage, scenario: Scenario
) -> None:
    run_scenario(stage, scenario)
    points = kill_points(list(stage.wire.writes), scenario)
    assert points, f"{scenario}: the clean run wrote nothing"
    for point, write in points:
        reset_world(stage)
        stage.wire.arm_kill(point)
        try:
            run_scenario(stage, scenario)
        except AssertionError as exc:
            raise AssertionError(f"killed {point.moment} {write.point}: {exc}") from exc
        assert stage.wire.kills, f"{scenario}: the kill {point} never fired"
        stage.wire.kills = 0
    tally("kill points", len(points))
    tally("kills", len(points))
