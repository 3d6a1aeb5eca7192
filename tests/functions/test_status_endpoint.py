"""GET /api/status through the real entry point."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from functions.resource_events import on_resource_event
from functions.status import status
from tests.plugins.arm import LifeboatEnv
from tests.support.images import (
    build_event,
    driver,
    estate,
    grid_event,
    start_run,
    template,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def get(params: dict[str, str] | None = None) -> tuple[int, Any]:
    request = func.HttpRequest(
        method="GET",
        url="http://localhost:7071/api/status",
        headers={},
        params=params or {},
        route_params={},
        body=b"",
    )
    response = status(request)
    return response.status_code, json.loads(response.get_body())


def test_status_lists_builds_readiness_and_template_findings(lifeboat_env: LifeboatEnv) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", ("SharedImage",)), template("bad", outcome="Failed")))
    start_run(lifeboat_env, "web")
    start_run(lifeboat_env, "bad")
    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        on_resource_event(grid_event(build_event("bad")))
        assert d.run() is True

    code, body = get()

    assert code == 200
    ready = {b["template_id"].rsplit("/", 1)[-1]: b["dr_ready"] for b in body["builds"]}
    assert ready == {"web": True, "bad": False}
    web = next(b for b in body["builds"] if b["dr_ready"])
    assert web["newest_dr_ready_image"]["age_seconds"] >= 0
    assert web["artifacts"][0]["kind"] == "SharedImage"
    assert body["summary"]["dr_ready"] == 1
    assert body["templates"]["available"] is True
    assert isinstance(body["templates"]["findings"], list)


def test_a_partially_succeeded_build_is_dr_ready_but_not_complete(
    lifeboat_env: LifeboatEnv,
) -> None:
    arm = lifeboat_env.arm
    arm.seed(estate(template("web", outcome="PartiallySucceeded")))
    start_run(lifeboat_env, "web")
    with driver(arm) as d:
        on_resource_event(grid_event(build_event("web")))
        assert d.run() is True

    code, body = get({"templates": "false"})

    assert code == 200
    (build,) = body["builds"]
    assert build["run_state"] == "PartiallySucceeded"
    assert build["dr_ready"] is True  # what the build produced is protected ...
    assert build["complete"] is False  # ... but not every distribute target produced something
    assert build["not_protected"] == len(build["not_protected_targets"]) >= 1
    assert all(
        t.startswith(("run output", "distribute target")) for t in build["not_protected_targets"]
    )


def test_status_without_template_findings_reads_no_arm(lifeboat_env: LifeboatEnv) -> None:
    lifeboat_env.arm.log.clear()
    code, body = get({"templates": "false"})
    assert code == 200
    assert body["builds"] == [] and "templates" not in body
    assert lifeboat_env.arm.log.entries() == []


def test_status_without_dr_storage_configured_is_a_clear_500(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import bootstrap

    for name in ("LIFEBOAT_DR_STORAGE_CONNECTION_STRING", "LIFEBOAT_DR_STORAGE_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    bootstrap.reset()
    try:
        code, body = get({"templates": "false"})
    finally:
        bootstrap.reset()
    assert code == 500
    assert "LIFEBOAT_DR_STORAGE_ACCOUNT" in body["error"]


def test_summary_totals_add_up_over_builds_and_manual_artifact_replications(
    lifeboat_env: Any,
) -> None:
    from functions.images import images_replicate
    from tests.event_samples import http_post

    arm = lifeboat_env.arm
    arm.seed(estate(template("web")))
    start_run(lifeboat_env, "web")
    arm.clock.advance(3600)
    outputs = lifeboat_env.clients.image_builder(lifeboat_env.subscription)
    vhd = outputs.virtual_machine_image_templates.get_run_output("images", "web", "web-vhd")
    with driver(arm) as d:
        body = {"artifactId": vhd.properties.artifact_uri}
        assert images_replicate(http_post(body, "images/replicate")).status_code == 202
        assert d.run() is True

    code, report = get({"templates": "false"})

    assert code == 200
    manual = report["artifacts_without_build"]
    assert [a["state"] for a in manual] == ["dr_ready"]
    listed = [b["dr_ready"] for b in report["builds"]] + [a["state"] == "dr_ready" for a in manual]
    summary = report["summary"]
    assert summary["listed"] == len(listed) == summary["dr_ready"] + summary["not_dr_ready"]
    assert summary["dr_ready"] == sum(listed) >= 1
    assert summary["artifacts_without_build_dr_ready"] == 1
