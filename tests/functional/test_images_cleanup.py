"""Failed copies leave nothing billable and can be retried; every LUN is copied from itself."""

from __future__ import annotations

from typing import Any

import pytest

from shared.arm_id import ResourceId
from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.images.model import Artifact, ArtifactKind
from shared.images.records import read_artifact
from shared.images.requests import ReplicateRequest
from shared.images.service import Started, replicate, start_artifact
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
STAGING_TYPES = (
    "Microsoft.Compute/disks",
    "Microsoft.Compute/galleries/images",
    "Microsoft.Compute/galleries/images/versions",
)


def _job() -> Any:
    (job,) = get_deps().jobs.list(kind="image_replication")
    return job


def _left_behind(arm: Any) -> list[str]:
    """Staging resources, and snapshots other than completed DR copies."""
    left = [r["id"] for t in STAGING_TYPES for r in resources(arm, t, DR_RG)]
    for snap in resources(arm, "Microsoft.Compute/snapshots", DR_RG):
        props = snap["properties"]
        if snap["location"] != "westus" or props.get("completionPercent", 100) < 100:
            left.append(snap["id"])
    return left


def _generation(name: str) -> str:
    from shared.azure.image_builds import get_build

    run = get_build(get_deps().clients, ResourceId.parse(template_id(name)))
    assert run is not None and run.start_time is not None
    return run.start_time.isoformat()


def test_a_failed_copy_cleans_up_and_a_manual_retry_starts_clean(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    start_run(lifeboat_env, "img")
    arm.clock.advance(3600)
    generation = _generation("img")
    copy = naming.dr_snapshot_id(
        get_deps().settings, ResourceId.parse(MANAGED), "os", "westus", generation
    )
    arm.compute.fail_copy(str(copy))

    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True
        failed = _job()
        assert failed.state is JobState.FAILED and "CopySourceNotFound" in failed.reason
        assert _left_behind(arm) == []
        assert arm.state.get(str(copy)) is None  # the failed copy went with the rest
        arm.compute.failing_copies.clear()  # the cause is gone; an operator asks again
        output = ResourceId.parse(f"{template_id('img')}/runOutputs/img-managed")
        started = replicate(get_deps(), ReplicateRequest(run_output_id=output))
        assert d.run() is True

    assert isinstance(started, Started) and started.retried and started.job_id == failed.id
    assert _job().state is JobState.SUCCEEDED
    assert len(resources(arm, "Microsoft.Compute/images", DR_RG)) == 1
    assert _left_behind(arm) == []
    artifact = Artifact(ArtifactKind.MANAGED_IMAGE, MANAGED, "eastus", generation=generation)
    record = read_artifact(get_deps().records, artifact.job_key)
    assert record is not None and record["state"] == "dr_ready"


def test_staged_route_copies_every_data_lun_from_its_own_disk(lifeboat_env: LifeboatEnv) -> None:
    """Image Builder's images name no live disk: each LUN goes through its own temporary disk."""
    arm = lifeboat_env.arm
    image = f"{COMPUTE}/images/multi"
    gone = f"{COMPUTE}/disks/build-vm"
    arm.seed({"resources": [
        {"id": image, "location": "eastus", "properties": {
            "hyperVGeneration": "V2",
            "storageProfile": {
                "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30,
                           "managedDisk": {"id": f"{gone}-os"}},
                "dataDisks": [
                    {"lun": 0, "diskSizeGB": 64, "managedDisk": {"id": f"{gone}-lun0"}},
                    {"lun": 5, "diskSizeGB": 128, "managedDisk": {"id": f"{gone}-lun5"}},
                ]}}},
    ]})  # fmt: skip

    with driver(arm) as d:
        start_artifact(get_deps(), Artifact(ArtifactKind.MANAGED_IMAGE, image, "eastus"))
        assert d.run() is True

    assert _job().state is JobState.SUCCEEDED
    (dr_image,) = resources(arm, "Microsoft.Compute/images", DR_RG)
    profile = dr_image["properties"]["storageProfile"]
    disks = {"os": profile["osDisk"], **{f"lun{d['lun']}": d for d in profile["dataDisks"]}}
    snapshots = {label: arm.state.get(d["snapshot"]["id"]) for label, d in disks.items()}
    sizes = {label: s["properties"]["diskSizeGB"] for label, s in snapshots.items()}
    assert sizes == {"os": 30, "lun0": 64, "lun5": 128}
    lineage = {label: arm.state.meta(s["id"]).get("content_id") for label, s in snapshots.items()}
    assert len(set(lineage.values())) == 3, lineage
    assert all(lineage[label].endswith(f"/{label}") for label in ("lun0", "lun5"))
    assert _left_behind(arm) == []


def test_copystart_refused_for_hours_fails_the_job_and_cleans_up(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    start_run(lifeboat_env, "img")
    arm.clock.advance(3600)
    arm.compute.max_copies_per_region = 0  # every CopyStart meets the limit
    begun = arm.clock.now()

    with driver(arm) as d:
        sweep_images(get_deps())
        assert d.run() is True

    job = _job()
    assert job.state is JobState.FAILED
    assert "CopyStart refused" in job.reason
    hours = (arm.clock.now() - begun).total_seconds() / 3600
    assert 5 <= hours <= 8, "it waited for the limit, but not forever"
    assert _left_behind(arm) == []


def test_only_a_conflict_with_a_concurrent_request_is_retried(lifeboat_env: LifeboatEnv) -> None:
    """Two jobs may PUT the shared DR gallery at once; other 409s are answers, not hiccups."""
    from azure.core.exceptions import HttpResponseError

    from shared.azure.arm_calls import conflict_code, transient_conflicts
    from shared.errors import TransientError

    arm = lifeboat_env.arm
    arm.seed(estate(template("img", ("ManagedImage",))))
    ops = (
        get_deps().clients.image_builder(lifeboat_env.subscription).virtual_machine_image_templates
    )
    existing = ops.get("images", "img")

    def answer(call: Any) -> HttpResponseError:
        with pytest.raises(HttpResponseError) as caught:
            call()
        return caught.value

    concurrent = answer(lambda: ops.begin_create_or_update("images", "img", existing).result())
    start_run(lifeboat_env, "img")
    refused = answer(lambda: ops.begin_delete("images", "img").result())  # a build is running
    assert (conflict_code(concurrent), conflict_code(refused)) == (
        "Conflict",
        "OperationNotAllowed",
    )

    with pytest.raises(TransientError), transient_conflicts():
        raise concurrent
    with pytest.raises(HttpResponseError), transient_conflicts():
        raise refused
