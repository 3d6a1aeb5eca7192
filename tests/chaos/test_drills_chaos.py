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


def test_a_drill_of_many_vms_fits_the_job_record_and_leaves_nothing(stage: Stage) -> None:
    # A follow-up's spec and progress grow with the VMs; they live in DR records, so a drill of
    # more VMs than one job record's 32,000 characters could hold still validates and cleans up.
    from functions.drills import drills_start
    from tests.chaos.scenarios import post
    from tests.support.drills import check_drill_clean, protect_for_drill, undo_drill_env

    names = tuple(f"web{i}" for i in range(1, 17))
    try:
        protect_for_drill(stage.arm, names)
        answer = post(drills_start, "drills")(lambda s: {})(stage)
        drive(stage)
        assert answer == 202
        evidence = check_drill_clean(stage.arm, names)
        assert evidence["cleanup"]["deleted"] == 4 * len(names)
    finally:
        undo_drill_env()
    tally("scenarios")
