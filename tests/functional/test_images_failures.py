"""Image DR when things go wrong, and the direct route for images whose disks still exist."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.images.model import Artifact, ArtifactKind
from shared.images.records import read_artifact
from shared.images.service import start_artifact
from shared.images.status import image_status
from shared.images.sweep import sweep_images
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    COMPUTE,
    DR_RG,
    driver,
    estate,
    resources,
    start_run,
    template,
    template_id,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

MANAGED = f"{COMPUTE}/images/img-managed"


def _job() -> Any:
    (job,) = get_deps().jobs.list(kind="image_replication")
    return job


def test_failed_copy_fails_the_job_and_the_record_says_why(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    start_run(lifeboat_env, "img")
    arm.clock.advance(3600)
    generation = run_generation("img")
    artifact = Artifact(ArtifactKind.MANAGED_IMAGE, MANAGED, "eastus", generation=generation)
    copy = naming.dr_snapshot_id(get_deps().settings, artifact_id(), "os", "westus", generation)
    arm.compute.fail_copy(str(copy))

    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True

    job = _job()
    assert job.state is JobState.FAILED
    assert "CopySourceNotFound" in job.reason
    record = read_artifact(get_deps().records, artifact.job_key)
    assert record is not None and record["state"] == "failed"
    assert "CopySourceNotFound" in record["reason"]
    status = image_status(get_deps(), arm.clock.now())
    assert status["builds"][0]["dr_ready"] is False
    assert status["builds"][0]["artifacts"][0]["state"] == "failed"


def artifact_id() -> Any:
    from shared.arm_id import ResourceId

    return ResourceId.parse(MANAGED)


def run_generation(name: str) -> str:
    """The generation of a template's outputs: its latest run's start (names depend on it)."""
    from shared.arm_id import ResourceId
    from shared.azure.image_builds import get_build

    run = get_build(get_deps().clients, ResourceId.parse(template_id(name)))
    assert run is not None and run.start_time is not None
    return run.start_time.isoformat()


def test_image_whose_source_disks_exist_is_copied_directly_without_staging(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    disk = f"{COMPUTE}/disks/web-os"
    data = f"{COMPUTE}/disks/web-data"
    image = f"{COMPUTE}/images/web"
    arm.seed({"resources": [
        {"id": disk, "location": "eastus", "sku": {"name": "Premium_LRS"},
         "properties": {"diskSizeGB": 64, "osType": "Linux",
                        "creationData": {"createOption": "Empty"}}},
        {"id": data, "location": "eastus", "sku": {"name": "Premium_LRS"},
         "properties": {"diskSizeGB": 128, "creationData": {"createOption": "Empty"}}},
        {"id": image, "location": "eastus", "properties": {
            "hyperVGeneration": "V2",
            "storageProfile": {
                "osDisk": {"osType": "Linux", "osState": "Generalized",
                           "managedDisk": {"id": disk}},
                "dataDisks": [{"lun": 3, "managedDisk": {"id": data}}]}}},
    ]})  # fmt: skip

    with driver(arm) as d:
        start_artifact(get_deps(), Artifact(ArtifactKind.MANAGED_IMAGE, image, "eastus"))
        assert d.run() is True

    assert _job().state is JobState.SUCCEEDED
    (dr_image,) = resources(arm, "Microsoft.Compute/images", DR_RG)
    profile = dr_image["properties"]["storageProfile"]
    assert profile["dataDisks"][0]["lun"] == 3
    sources = [
        arm.state.get(profile["osDisk"]["snapshot"]["id"]),
        arm.state.get(profile["dataDisks"][0]["snapshot"]["id"]),
    ]
    assert all(s["location"] == "westus" for s in sources)
    assert dr_image["properties"]["hyperVGeneration"] == "V2"
    assert resources(arm, "Microsoft.Compute/galleries", DR_RG) == []  # no staging route
    left = [
        s for s in resources(arm, "Microsoft.Compute/snapshots", DR_RG) if s["location"] != "westus"
    ]
    assert left == []


def test_dr_region_outage_fails_the_job_and_the_next_sweep_retries_it(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    arm.faults.region_down("westus")

    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True
        assert _job().state is JobState.FAILED
        arm.faults.region_up("westus")
        report = sweep_images(get_deps())
        assert d.run() is True

    assert report.artifacts_started
    assert _job().state is JobState.SUCCEEDED
    assert len(resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)) == 1


def test_copy_limit_reached_makes_the_job_wait_not_fail(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("one", ("ManagedImage",)), template("two", ("ManagedImage",))))
    start_run(lifeboat_env, "one")
    start_run(lifeboat_env, "two")
    arm.clock.advance(3600)
    arm.compute.max_copies_per_region = 1  # Azure allows 100; one makes the second copy wait

    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True

    refused = [e for e in arm.log.entries() if e.status == 409 and "/snapshots/" in e.path]
    assert refused, "the second CopyStart met the limit"
    jobs = get_deps().jobs.list(kind="image_replication")
    assert sorted(j.state for j in jobs) == [JobState.SUCCEEDED] * 2
    assert len(resources(arm, "Microsoft.Compute/images", DR_RG)) == 2
