"""Drills with the primary region down: the drill reads only DR-region data (manifests, DR
facts) and recovers, validates and cleans up as with the primary up."""

from __future__ import annotations

import pytest

from emulator.azurite import PRIMARY_ACCOUNT
from tests.chaos.conftest import deliver, drive
from tests.chaos.scenarios import BY_NAME, PRIMARY, Stage
from tests.plugins.chaos import tally

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def test_a_drill_with_the_primary_region_down_uses_dr_data_only_and_leaves_nothing(
    stage: Stage,
) -> None:
    drill = BY_NAME["drill-http"]
    drill.prepare(stage)
    stage.arm.faults.region_down(PRIMARY)
    stage.wire.sent.clear()

    answer = deliver(stage, drill)
    drive(stage)

    assert answer == 202
    drill.check(stage)  # evidence passed, one drill VM per protected VM, nothing billable left
    primary = [w.point for w in stage.wire.sent if w.path.lstrip("/").startswith(PRIMARY_ACCOUNT)]
    assert primary == []
    tally("scenarios")
