"""Every ARM call 20% 5xx and 30% 429 with Retry-After (seeded): every job still completes."""

from __future__ import annotations

import pytest

from tests.chaos.conftest import run_scenario
from tests.chaos.scenarios import SCENARIOS, Scenario, Stage
from tests.plugins.chaos import tally

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

THROTTLED = 0.30
SERVER_ERRORS = {500: 0.05, 502: 0.05, 503: 0.05, 504: 0.05}


def unreliable_arm(stage: Stage) -> None:
    """Rules draw in order from the emulator's seeded random source: rates are conditional."""
    faults = stage.arm.faults
    faults.throttle(THROTTLED)  # with Retry-After (fast_retries: a few ms, as Azure's header says)
    left = 1.0 - THROTTLED
    for status, rate in SERVER_ERRORS.items():
        faults.server_errors(rate / left, status=status)
        left -= rate


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_throttling_and_server_errors_on_every_arm_call_still_complete_every_job(
    stage: Stage, scenario: Scenario
) -> None:
    unreliable_arm(stage)

    run_scenario(stage, scenario)

    server_side = [a for a in stage.answers if a == "raised" or (isinstance(a, int) and a >= 500)]
    assert set(server_side) <= {503}, f"HTTP answers under faults: {server_side} (503 expected)"
    entries = stage.arm.log.entries()
    injected = [e for e in entries if e.fault]
    tally("faults injected", len(injected))
    assert entries, "the scenario called ARM"
    if len(entries) >= 20:  # enough calls for the rates to show
        statuses = {e.status for e in injected}
        assert 429 in statuses and statuses & set(SERVER_ERRORS), statuses
        assert 0.3 < len(injected) / len(entries) < 0.7, (len(injected), len(entries))
