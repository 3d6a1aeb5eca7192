"""The reconcile sweep heals lost events; status reads recovery records from the DR account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.resource_events import on_resource_event
from shared.bootstrap import bootstrap, get_deps
from shared.images.status import image_status
from shared.images.sweep import sweep_images
from shared.jobs import JobState
from shared.services.reconcile import reconcile
from shared.services.status import status_report
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    DR_RG,
    build_event,
    driver,
    estate,
    grid_event,
    resources,
    start_run,
    template,
    template_id,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _jobs(kind: str) -> list[Any]:
    return get_deps().jobs.list(kind=kind)


def test_sweep_protects_a_succeeded_build_whose_event_was_lost(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web"), template("app", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(5)  # gallery version names are derived from the run's start second
    start_run(lifeboat_env, "app")
    arm.clock.advance(3600)  # both builds finished; no event was ever delivered

    with driver(arm) as d:
        report = sweep_images(get_deps())
        assert d.run() is True

    assert report.builds_seen == 2
    assert len(report.builds_started) == 2
    assert sorted(j.state for j in _jobs("image_replication")) == [JobState.SUCCEEDED] * 4
    assert len(resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)) == 2
    assert len(resources(arm, "Microsoft.Compute/images", DR_RG)) == 1


def test_second_sweep_with_nothing_new_issues_no_arm_writes(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True
        arm.log.clear()
        again = reconcile(get_deps(), arm.clock.now())  # what the `reconcile` timer runs
        assert d.run() is True

    assert again.errors == {}
    assert again.images is not None
    assert again.images["builds_started"] == [] and again.images["artifacts_started"] == []
    assert arm.log.writes() == [] and arm.log.deletes() == []
    assert again.templates is not None  # the template sweep ran as well
    assert len(_jobs("image_build")) == 1


def test_sweep_leaves_running_and_failed_builds_alone(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web"), template("bad", outcome="Failed")))
    start_run(lifeboat_env, "web")
    start_run(lifeboat_env, "bad")
    arm.clock.advance(600)  # "web" still running, "bad" not failed yet either

    report = sweep_images(get_deps())
    assert report.builds_started == ()
    arm.clock.advance(3600)
    report = sweep_images(get_deps())
    assert len(report.builds_started) == 1
    (job,) = _jobs("image_build")
    assert template_id("web").lower() in job.key


def test_status_lists_each_build_with_readiness_and_newest_dr_image_age(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage", "VHD")), template("bad", outcome="Failed")))
    start_run(lifeboat_env, "web")
    start_run(lifeboat_env, "bad")
    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        on_resource_event(grid_event(build_event("bad")))
        assert d.run() is True

    now = arm.clock.now() + timedelta(hours=2)
    report = image_status(get_deps(), now)
    builds = {b["template_id"].rsplit("/", 1)[-1]: b for b in report["builds"]}
    assert builds["web"]["dr_ready"] is True
    assert builds["web"]["artifacts_dr_ready"] == 2
    newest = builds["web"]["newest_dr_ready_image"]
    assert newest["age_seconds"] >= 2 * 3600
    assert builds["bad"]["dr_ready"] is False
    assert builds["bad"]["outcome"] == "not_replicated"
    assert "Failed" in builds["bad"]["reason"]
    summary = report["summary"]
    assert (summary["builds"], summary["dr_ready"], summary["not_dr_ready"]) == (2, 1, 1)


def test_status_answers_from_the_dr_region_while_the_primary_is_down(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True
    arm.faults.region_down("eastus")
    arm.log.clear()

    report = status_report(
        bootstrap(clients=get_deps().clients, clock=arm.clock.now), optional=False
    )

    assert report["builds"][0]["dr_ready"] is True
    assert arm.log.entries() == []  # no ARM call at all: records live in the DR account
    with_templates = status_report(bootstrap(clients=get_deps().clients, clock=arm.clock.now))
    assert with_templates["builds"][0]["dr_ready"] is True
    assert "templates" in with_templates
