"""Image DR end to end on the emulator and Azurite: a build completes, DR artifacts appear."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from functions.resource_events import on_resource_event
from shared.bootstrap import get_deps
from shared.engine import names as naming
from shared.jobs import JobState
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    COMPUTE,
    DR_RG,
    SUB,
    build_event,
    driver,
    estate,
    grid_event,
    resources,
    start_run,
    template,
    template_id,
    writes_to,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _jobs(kind: str) -> list[Any]:
    return get_deps().jobs.list(kind=kind)


def _dr_blobs(env: LifeboatEnv) -> list[Any]:
    container = env.clients.blob_service("dr").get_container_client(env.settings.vhd_container)
    return [container.get_blob_client(b.name).get_blob_properties() for b in container.list_blobs()]


def test_completed_build_gets_dr_artifacts_for_every_distribute_type(
    lifeboat_env: LifeboatEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True

    builds = _jobs("image_build")
    replications = _jobs("image_replication")
    assert [j.state for j in builds] == [JobState.SUCCEEDED]
    assert sorted(j.state for j in replications) == [JobState.SUCCEEDED] * 3

    # Gallery: the DR region added to the source (existing kept) and a copy in the DR gallery.
    (source,) = resources(
        arm, "Microsoft.Compute/galleries/images/versions", f"{COMPUTE}/galleries"
    )
    regions = [t["name"] for t in source["properties"]["publishingProfile"]["targetRegions"]]
    assert regions == ["East US", "West US"]
    (copy,) = resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)
    assert copy["location"] == "westus"
    assert copy["id"].lower().endswith(f"/images/web/versions/{source['name']}".lower())
    dr_def = arm.state.get(copy["id"].rsplit("/versions/", 1)[0])
    assert dr_def["properties"]["identifier"] == {
        "publisher": "Contoso",
        "offer": "web",
        "sku": "22_04",
    }
    assert dr_def["properties"]["hyperVGeneration"] == "V2"

    # Managed image: a DR image built from CopyStart copies, staging resources cleaned up.
    (dr_image,) = resources(arm, "Microsoft.Compute/images", DR_RG)
    assert dr_image["location"] == "westus"
    snapshot_id = dr_image["properties"]["storageProfile"]["osDisk"]["snapshot"]["id"]
    dr_snapshot = arm.state.get(snapshot_id)
    assert dr_snapshot["location"] == "westus"
    assert dr_snapshot["properties"]["creationData"]["createOption"] == "CopyStart"
    assert dr_snapshot["properties"]["completionPercent"] == 100.0
    assert resources(arm, "Microsoft.Compute/disks", DR_RG) == []
    staging = [
        s for s in resources(arm, "Microsoft.Compute/snapshots", DR_RG) if s["location"] != "westus"
    ]
    assert staging == []
    assert (
        resources(
            arm,
            "Microsoft.Compute/galleries/images",
            DR_RG + "/providers/Microsoft.Compute/galleries/lifeboat_dr_staging_eastus",
        )
        == []
    )

    # VHD: a server-side copy in the DR storage account.
    (blob,) = _dr_blobs(lifeboat_env)
    assert blob.copy.status == "success"
    assert "/lbprimary/vhds/" in blob.copy.source
    # Storage keeps the source URL with its SAS: it must be read-only and short-lived.
    sas = parse_qs(urlparse(blob.copy.source).query)
    assert sas["sp"] == ["r"]
    lifetime = datetime.fromisoformat(sas["se"][0].replace("Z", "+00:00")) - datetime.fromisoformat(
        sas["st"][0].replace("Z", "+00:00")
    )
    assert lifetime <= timedelta(minutes=lifeboat_env.settings.images_sas_minutes + 5)
    assert not [r for r in caplog.records if "sig=" in r.getMessage()]


def test_same_event_three_times_makes_one_job_and_one_set_of_resources(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        for _ in range(3):
            on_resource_event(grid_event(build_event("web")))
        assert d.run() is True
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True

    assert len(_jobs("image_build")) == 1
    assert len(_jobs("image_replication")) == 1
    dr_version = naming.dr_version_id(lifeboat_env.settings, _source_version(arm), "westus")
    assert writes_to(arm, "/versions/") == 2  # the targetRegions PATCH and the DR copy PUT
    assert writes_to(arm, str(dr_version)) == 1
    assert writes_to(arm, "/galleries/lifeboat_dr/images/web") == 2  # definition + version


def _source_version(arm: Any) -> Any:
    from shared.arm_id import ResourceId

    (version,) = resources(
        arm, "Microsoft.Compute/galleries/images/versions", f"{COMPUTE}/galleries"
    )
    return ResourceId.parse(version["id"])


def test_failed_build_replicates_nothing_and_the_job_says_why(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", outcome="Failed")))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True

    (job,) = _jobs("image_build")
    assert job.state is JobState.SUCCEEDED
    assert job.data["decision"]["outcome"] == "not_replicated"
    assert "Failed" in job.data["decision"]["reason"]
    assert _jobs("image_replication") == []
    assert [e for e in arm.log.writes() if "lifeboat-dr" in e.path.lower()] == []
    assert resources(arm, "Microsoft.Compute/galleries", DR_RG) == []


def test_event_at_acceptance_waits_for_the_build_and_then_replicates(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    start = arm.clock.now()

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        d.run(until=lambda: _jobs("image_build")[0].state is JobState.WAITING)
        assert resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG) == []
        assert d.run() is True

    assert (arm.clock.now() - start).total_seconds() >= 38 * 60  # the emulated build time
    (job,) = _jobs("image_build")
    assert job.state is JobState.SUCCEEDED
    assert len(resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)) == 1
    assert template_id("web").lower() in job.key
    assert SUB in job.key
