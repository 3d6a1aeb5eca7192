"""Events in any order, manual requests, re-runs and lost jobs: every build ends DR-ready."""

from __future__ import annotations

from typing import Any

import pytest

from functions.resource_events import on_resource_event
from shared.arm_id import ResourceId
from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.images.model import Artifact, ArtifactKind
from shared.images.service import start_artifact
from shared.images.status import image_status
from shared.images.sweep import sweep_images
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    COMPUTE,
    DR_RG,
    build_event,
    driver,
    estate,
    grid_event,
    resources,
    start_run,
    template,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

VERSIONS = "Microsoft.Compute/galleries/images/versions"


def version_event(subject: str) -> Any:
    """The Event Grid event of a gallery image version write."""
    raw = build_event("web", "Microsoft.Resources.ResourceWriteSuccess")
    raw.update(subject=subject, id=f"write-{subject[-12:]}")
    raw["data"].update(
        operationName="Microsoft.Compute/galleries/images/versions/write",
        resourceUri=subject,
        resourceProvider="Microsoft.Compute",
    )
    return raw


def _builds(arm: Any) -> dict[str, Any]:
    report = image_status(get_deps(), arm.clock.now())
    return {b["run_start"]: b for b in report["builds"]}


def _jobs(kind: str) -> list[Any]:
    return get_deps().jobs.list(kind=kind)


def test_version_event_before_the_build_event_still_makes_the_build_dr_ready(
    lifeboat_env: LifeboatEnv,
) -> None:
    """Image Builder writes the version while Distributing, before the run ends."""
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    (source,) = resources(arm, VERSIONS, f"{COMPUTE}/galleries")

    with driver(arm) as d:
        on_resource_event(grid_event(version_event(source["id"])))
        assert d.run() is True
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True
        again = sweep_images(get_deps())
        assert d.run() is True

    (build,) = _builds(arm).values()
    assert build["dr_ready"] is True
    assert build["artifacts_dr_ready"] == 1
    assert build["newest_dr_ready_image"] is not None
    assert again.builds_started == () and again.artifacts_started == ()
    assert len(_jobs("image_replication")) == 1  # the build found the event's job


def test_manual_artifact_request_then_sweeps_do_not_break_the_sweep(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",)), template("other", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    (version,) = resources(arm, VERSIONS, f"{COMPUTE}/galleries")

    with driver(arm) as d:
        start_artifact(get_deps(), Artifact(ArtifactKind.GALLERY_VERSION, version["id"]))
        assert d.run() is True
        start_run(lifeboat_env, "other")
        arm.clock.advance(3600)
        first = sweep_images(get_deps())
        assert d.run() is True
        second = sweep_images(get_deps())

    assert len(first.builds_started) == 2
    assert second.builds_started == () and second.artifacts_started == ()
    assert [b["dr_ready"] for b in _builds(arm).values()] == [True, True]


def test_versions_lifeboat_writes_itself_are_not_replicated_again(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    start_run(lifeboat_env, "img")
    arm.clock.advance(3600)
    staging_versions = f"{DR_RG}/providers/Microsoft.Compute/galleries"

    with driver(arm) as d:
        sweep_images(get_deps())
        d.run(until=lambda: bool(resources(arm, VERSIONS, staging_versions)))
        (staged,) = resources(arm, VERSIONS, staging_versions)
        assert "_staging_" in staged["id"]
        on_resource_event(grid_event(version_event(staged["id"])))
        assert d.run() is True

    (job,) = _jobs("image_replication")
    assert job.state is JobState.SUCCEEDED
    dr_definitions = resources(arm, "Microsoft.Compute/galleries/images", DR_RG)
    assert [d for d in dr_definitions if "/galleries/lifeboat_dr/" in d["id"]] == []


def test_a_build_job_that_gave_up_is_retried_by_the_next_sweep(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))  # accepted while the build runs
        arm.faults.server_errors(1.0, status=500, path_contains="imageTemplates")
        assert d.run() is True
        (failed,) = _jobs("image_build")
        assert failed.state is JobState.FAILED
        arm.faults.clear()
        arm.faults.fast_retries(5)
        arm.clock.advance(3600)
        report = sweep_images(get_deps())
        assert d.run() is True

    assert report.builds_retried == (failed.id,)
    assert _jobs("image_build")[0].state is JobState.SUCCEEDED
    (build,) = _builds(arm).values()
    assert build["dr_ready"] is True


def test_a_rerun_that_rewrites_the_same_managed_image_gets_its_own_dr_copy(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    images = lifeboat_env.clients.compute(lifeboat_env.subscription).images
    start_run(lifeboat_env, "img")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("img")))
        assert d.run() is True
        images.begin_delete("images", "img-managed").result()  # the owner rebuilds the image
        arm.clock.advance(7200)
        start_run(lifeboat_env, "img")
        arm.clock.advance(7200)
        on_resource_event(grid_event(build_event("img")))
        assert d.run() is True

    builds = _builds(arm)
    assert [b["dr_ready"] for b in builds.values()] == [True, True]
    assert len(_jobs("image_replication")) == 2
    dr_images = resources(arm, "Microsoft.Compute/images", DR_RG)
    assert len(dr_images) == 2  # the earlier run's copy stays: a recovery point of its own
    source = ResourceId.parse(f"{COMPUTE}/images/img-managed")
    expected = {
        naming.dr_image_id(get_deps().settings, source, "westus", start).name for start in builds
    }
    assert {i["name"] for i in dr_images} == expected


def test_a_run_superseded_while_its_job_waited_is_recorded_as_superseded(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        d.run(until=lambda: _jobs("image_build")[0].state is JobState.WAITING)
        (first,) = _builds(arm).values()
        assert first["outcome"] == "wait"
        arm.clock.advance(3600)  # the first run ends and a second one starts before the job looks
        start_run(lifeboat_env, "web")
        d.run(until=lambda: _jobs("image_build")[0].state is JobState.SUCCEEDED)

    build = _builds(arm)[first["run_start"]]
    assert build["outcome"] == "superseded"
    assert "superseded by the run started at" in build["reason"]
