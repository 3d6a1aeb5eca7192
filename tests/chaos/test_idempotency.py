"""The same event or request three times in sequence and three times at once: one set of work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.chaos.conftest import deliver, run_scenario
from tests.chaos.scenarios import SCENARIOS, Scenario, Stage

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_three_deliveries_in_sequence_make_one_job_and_one_set_of_resources(
    stage: Stage, scenario: Scenario
) -> None:
    def three_times() -> None:
        for _ in range(3):
            deliver(stage, scenario)
            stage.driver.run()

    run_scenario(stage, scenario, three_times)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_three_deliveries_at_once_make_one_job_and_one_set_of_resources(
    stage: Stage, scenario: Scenario
) -> None:
    def three_at_once() -> None:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda n: deliver(stage, scenario, f"start-{n}"), range(3)))

    run_scenario(stage, scenario, three_at_once)
