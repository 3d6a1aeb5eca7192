"""POST /api/images/replicate and on_resource_event through the real entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.images import images_replicate
from functions.resource_events import on_resource_event
from shared.bootstrap import get_deps
from shared.jobs import JobState
from tests.event_samples import http_post
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
    template_id,
)

ROUTE = "images/replicate"
ROOT = Path(__file__).resolve().parents[2]


def post(body: Any) -> tuple[int, Any, Any]:
    response = images_replicate(http_post(body, ROUTE))
    return response.status_code, json.loads(response.get_body() or b"null"), response.headers


def test_replicate_and_status_are_indexed_with_their_routes() -> None:
    # get_functions() may run once per app object: index in a fresh interpreter, as the host does.
    probe = (
        "import json, function_app\n"
        "print(json.dumps({f.get_function_name(): json.loads(f.get_function_json())['bindings'][0]"
        " for f in function_app.app.get_functions()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    bindings = json.loads(out.stdout)
    assert bindings["images_replicate"]["route"] == "images/replicate"
    assert bindings["images_replicate"]["methods"] == ["POST"]
    assert bindings["status"]["route"] == "status"
    assert bindings["status"]["methods"] == ["GET"]
    assert "reconcile" in bindings  # one timer, defined by functions/reconcile.py


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        ([], "body"),
        ({}, "body"),
        ({"templateId": template_id("web"), "artifactId": f"{COMPUTE}/images/x"}, "body"),
        ({"templateId": template_id("web"), "dryrun": True}, "dryrun"),
        ({"templateId": f"{COMPUTE}/images/x"}, "templateId"),
        ({"artifactId": f"{COMPUTE}/disks/d"}, "artifactId"),
        ({"artifactId": "https://a.blob.core.windows.net/c/x.vhd?sig=secret"}, "artifactId"),
        ({"templateId": template_id("web"), "dryRun": "yes"}, "dryRun"),
    ],
)
def test_bad_requests_answer_400_naming_the_field(body: Any, field: str) -> None:
    status, answer, _ = post(body)
    assert status == 400
    assert answer["error"].startswith(f"{field}:")
    assert "secret" not in answer["error"]


@pytest.mark.azurite
@pytest.mark.emulator
def test_unknown_template_is_a_400_not_a_500(lifeboat_env: LifeboatEnv) -> None:
    status, answer, _ = post({"templateId": template_id("nope")})
    assert status == 400
    assert "templateId" in answer["error"]


@pytest.mark.azurite
@pytest.mark.emulator
def test_dry_run_returns_the_plan_and_writes_nothing(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    arm.log.clear()

    status, answer, _ = post({"templateId": template_id("web"), "dryRun": True})

    assert status == 200
    assert answer["dry_run"] is True
    assert answer["build"]["outcome"] == "protect"
    kinds = sorted(p["artifact"]["kind"] for p in answer["plans"])
    assert kinds == ["ManagedImage", "SharedImage", "VHD"]
    gallery = next(p for p in answer["plans"] if p["artifact"]["kind"] == "SharedImage")
    assert [s["op"] for s in gallery["steps"]][:2] == ["add_target_region", "create_gallery"]
    assert gallery["dr_region"] == "westus"
    assert arm.log.mutations() == []
    assert get_deps().jobs.list() == []


@pytest.mark.azurite
@pytest.mark.emulator
def test_manual_run_for_a_template_starts_one_job_and_protects_the_build(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)

    with driver(arm) as d:
        status, first, headers = post({"templateId": template_id("web")})
        _, again, _ = post({"templateId": template_id("web")})
        assert d.run() is True

    assert status == 202
    assert first["created"] is True and again["created"] is False
    assert first["job_id"] == again["job_id"]
    assert headers["Location"] == f"/api/jobs/{first['job_id']}"
    assert get_deps().jobs.get(first["job_id"]).state is JobState.SUCCEEDED
    assert len(resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)) == 1


@pytest.mark.azurite
@pytest.mark.emulator
def test_manual_run_for_a_run_output_or_an_artifact_protects_just_that(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    output = f"{template_id('web')}/runOutputs/web-managed"
    outputs = lifeboat_env.clients.image_builder(lifeboat_env.subscription)
    vhd = outputs.virtual_machine_image_templates.get_run_output("images", "web", "web-vhd")

    with driver(arm) as d:
        by_output, body, _ = post({"runOutputId": output})
        by_artifact, _, _ = post({"artifactId": vhd.properties.artifact_uri})
        assert d.run() is True

    assert (by_output, by_artifact) == (202, 202)
    jobs = get_deps().jobs.list(kind="image_replication")
    assert sorted(j.state for j in jobs) == [JobState.SUCCEEDED] * 2
    assert len(resources(arm, "Microsoft.Compute/images", DR_RG)) == 1
    assert resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG) == []
    assert body["status_url"] == f"/api/jobs/{body['job_id']}"


@pytest.mark.azurite
@pytest.mark.emulator
def test_partially_succeeded_build_protects_what_succeeded_and_says_what_did_not(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", outcome="PartiallySucceeded")))
    start_run(lifeboat_env, "web")

    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True

    (build,) = get_deps().jobs.list(kind="image_build")
    decision = build.data["decision"]
    assert decision["run"]["run_state"] == "PartiallySucceeded"
    assert decision["not_protected"], "the failed target is reported"
    protected = {a["run_output"] for a in decision["artifacts"]}
    replications = get_deps().jobs.list(kind="image_replication")
    assert len(replications) == len(protected) >= 1
    assert all(j.state is JobState.SUCCEEDED for j in replications)


@pytest.mark.azurite
@pytest.mark.emulator
def test_gallery_version_write_event_starts_replication_but_dr_copies_are_ignored(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",))))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    (version,) = resources(
        arm, "Microsoft.Compute/galleries/images/versions", f"{COMPUTE}/galleries"
    )

    def version_event(subject: str) -> Any:
        raw = build_event("web", "Microsoft.Resources.ResourceWriteSuccess")
        raw.update(subject=subject, id=f"write-{subject[-12:]}")
        raw["data"].update(
            operationName="Microsoft.Compute/galleries/images/versions/write",
            resourceUri=subject,
            resourceProvider="Microsoft.Compute",
        )
        return raw

    with driver(arm) as d:
        on_resource_event(grid_event(version_event(version["id"])))
        assert d.run() is True
        (copy,) = resources(arm, "Microsoft.Compute/galleries/images/versions", DR_RG)
        on_resource_event(grid_event(version_event(copy["id"])))
        assert d.run() is True

    (job,) = get_deps().jobs.list(kind="image_replication")
    assert job.state is JobState.SUCCEEDED


@pytest.mark.azurite
@pytest.mark.emulator
def test_a_dr_copy_made_by_lifeboat_is_refused_as_a_source(lifeboat_env: LifeboatEnv) -> None:
    staging = f"{DR_RG}/providers/Microsoft.Compute/galleries/lifeboat_dr_staging_eastus"
    dr_copy = f"{staging}/images/x/versions/1.0.0"
    status, answer, _ = post({"artifactId": dr_copy})
    assert status == 400
    assert answer["error"].startswith("artifactId:")
    assert get_deps().jobs.list() == []
