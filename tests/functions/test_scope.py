"""Nothing outside LIFEBOAT_SUBSCRIPTIONS is read or written, through every real entry point."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from functions.images import images_replicate
from functions.resource_events import on_resource_event
from functions.templates import templates_backup, templates_restore
from shared.bootstrap import get_deps
from shared.images import jobs as image_jobs
from shared.images.model import Artifact, ArtifactKind
from shared.jobs import JobState
from tests.event_samples import http_post
from tests.support.images import (
    SUB,
    build_event,
    driver,
    estate,
    grid_event,
    template,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

OTHER = "00000000-0000-0000-0000-0000000000bb"
OUT = f"/subscriptions/{OTHER}"
OUT_TEMPLATE = (
    f"{OUT}/resourceGroups/images/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
)


def _in_other_subscription(value: Any) -> Any:
    return json.loads(json.dumps(value).replace(SUB, OTHER))


def _built_in_other_subscription(env: Any) -> str:
    """Seed and build a template in the out-of-scope subscription; return its managed image."""
    env.arm.seed(_in_other_subscription(estate(template("web", ("ManagedImage",)))))
    ops = env.clients.image_builder(OTHER).virtual_machine_image_templates
    ops.begin_run("images", "web", polling=False)
    env.arm.clock.advance(3600)
    output = ops.get_run_output("images", "web", "web-managed")
    env.arm.log.clear()
    return str(output.properties.artifact_id)


def _requests_to_other(env: Any) -> list[str]:
    return [f"{e.method} {e.path}" for e in env.arm.log.entries() if OTHER in e.path.lower()]


def _post(function: Any, route: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = function(http_post(body, route))
    return response.status_code, json.loads(response.get_body())


def _assert_refused(status: int, answer: dict[str, Any], field: str) -> None:
    assert status == 400
    assert answer["error"].startswith(f"{field}:")
    assert "LIFEBOAT_SUBSCRIPTIONS" in answer["error"]


def test_replicate_of_an_image_in_another_subscription_is_400_and_writes_nothing_there(
    lifeboat_env: Any,
) -> None:
    image = _built_in_other_subscription(lifeboat_env)

    with driver(lifeboat_env.arm) as d:
        status, answer = _post(images_replicate, "images/replicate", {"artifactId": image})
        d.run()

    _assert_refused(status, answer, "artifactId")
    assert _requests_to_other(lifeboat_env) == []
    assert get_deps().jobs.list() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("templateId", OUT_TEMPLATE),
        ("runOutputId", f"{OUT_TEMPLATE}/runOutputs/web-managed"),
        (
            "artifactId",
            f"{OUT}/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/i/versions/1.0.0",
        ),
    ],
)
def test_replicate_refuses_every_id_outside_scope_before_reading_it(
    lifeboat_env: Any, field: str, value: str
) -> None:
    _built_in_other_subscription(lifeboat_env)

    for dry_run in (False, True):
        status, answer = _post(
            images_replicate, "images/replicate", {field: value, "dryRun": dry_run}
        )
        _assert_refused(status, answer, field)
    assert _requests_to_other(lifeboat_env) == []
    assert get_deps().jobs.list() == []


def test_template_backup_and_restore_outside_scope_answer_400_naming_the_scope(
    lifeboat_env: Any,
) -> None:
    _built_in_other_subscription(lifeboat_env)

    for function, route in ((templates_backup, "backup"), (templates_restore, "restore")):
        status, answer = _post(function, f"templates/{route}", {"templateId": OUT_TEMPLATE})
        _assert_refused(status, answer, "templateId")
    assert _requests_to_other(lifeboat_env) == []


def _version_event(version_id: str) -> Any:
    raw = build_event("web")
    raw.update(
        subject=version_id, id="version-1", eventType="Microsoft.Resources.ResourceWriteSuccess"
    )
    raw["data"].update(
        operationName="Microsoft.Compute/galleries/images/versions/write",
        resourceUri=version_id,
        resourceProvider="Microsoft.Compute",
        subscriptionId=OTHER,
    )
    return raw


def test_events_about_another_subscription_are_dropped_with_one_log_line(
    lifeboat_env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _built_in_other_subscription(lifeboat_env)
    build = _in_other_subscription(build_event("web"))
    version = _version_event(
        f"{OUT}/resourceGroups/images/providers/Microsoft.Compute/galleries/golden/images/web/versions/1.0.0"
    )
    caplog.set_level(logging.INFO, logger="functions.resource_events")

    with driver(lifeboat_env.arm) as d:
        on_resource_event(grid_event(build))
        on_resource_event(grid_event(version))
        d.run()

    dropped = [r for r in caplog.records if r.name == "functions.resource_events"]
    assert [getattr(r, "outcome", None) for r in dropped] == ["dropped", "dropped"]
    assert all("LIFEBOAT_SUBSCRIPTIONS" in r.getMessage() for r in dropped)
    assert _requests_to_other(lifeboat_env) == []
    assert get_deps().jobs.list() == []


def test_a_job_naming_an_id_outside_scope_fails_before_any_request(lifeboat_env: Any) -> None:
    image = _built_in_other_subscription(lifeboat_env)
    service = get_deps().jobs
    artifact = Artifact(ArtifactKind.MANAGED_IMAGE, image, "eastus")
    replication = service.submit(
        image_jobs.REPLICATION_KIND, artifact.job_key, {"artifact": artifact.as_json()}
    ).job
    build = service.submit(
        image_jobs.BUILD_KIND, "out-of-scope-build", {"template_id": OUT_TEMPLATE}
    ).job

    with driver(lifeboat_env.arm) as d:
        d.run()

    for job_id in (replication.id, build.id):
        job = service.get(job_id)
        assert job.state is JobState.FAILED
        assert "LIFEBOAT_SUBSCRIPTIONS" in job.reason
    assert _requests_to_other(lifeboat_env) == []
