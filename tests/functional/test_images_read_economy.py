"""A waiting protection reads only what progresses: settled facts and misses come from job data."""

from __future__ import annotations

from collections import Counter

import pytest

from functions.resource_events import on_resource_event
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import build_event, driver, estate, grid_event, start_run, template

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _reads(env: LifeboatEnv) -> Counter[str]:
    return Counter(
        e.path.lower().rsplit("/providers/", 1)[-1] for e in env.arm.log.reads() if e.status < 500
    )


def test_a_managed_image_protection_reads_its_source_and_misses_once(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("app", ("ManagedImage",))))
    start_run(lifeboat_env, "app")
    arm.clock.advance(3600)  # the build has ended when its event arrives
    arm.log.clear()

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("app")))
        assert d.run() is True

    from shared.bootstrap import get_deps

    jobs = get_deps().jobs.list()
    assert {j.state for j in jobs} == {JobState.SUCCEEDED}
    replication = next(j for j in jobs if j.kind == "image_replication")
    passes = next(s.attempts for s in replication.steps if s.name == "protect")
    assert passes >= 3, "the copy was waited on over several passes"
    reads = _reads(lifeboat_env)
    source = [p for p in reads if p.startswith("microsoft.compute/images/") and "-dr-" not in p]
    dr_image = [p for p in reads if p.startswith("microsoft.compute/images/") and "-dr-" in p]
    # the source image once per job: settled, kept in the job's data (the build reads none)
    assert [reads[p] for p in source] == [1]
    # the DR image: one miss, then the create's own final read (no re-read on every pass)
    assert [reads[p] for p in dr_image] == [2]
    # the template once: the run read at the event had ended, so await_build does not re-read it
    assert reads["microsoft.virtualmachineimages/imagetemplates/app"] == 1
    dr_copies = [p for p in reads if "/snapshots/" in p and "-dr-" in p]
    assert dr_copies and all(reads[p] < passes + 2 for p in dr_copies)
