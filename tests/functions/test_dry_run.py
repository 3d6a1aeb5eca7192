"""LIFEBOAT_DRY_RUN through every entry point that writes to Azure: no ARM write, no blob write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient

from emulator.azurite import DR_ACCOUNT, PRIMARY_ACCOUNT
from functions.images import images_replicate
from functions.reconcile import reconcile
from functions.resource_events import on_resource_event
from functions.templates import templates_backup, templates_restore
from shared import bootstrap
from shared.bootstrap import get_deps
from shared.jobs import JobState
from tests.event_samples import http_post
from tests.support.images import (
    build_event,
    driver,
    estate,
    grid_event,
    start_run,
    template,
)
from tests.support.images import template_id as build_template_id
from tests.support.templates import create_template, template_event, template_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

# The Resource Graph query is a POST that only reads.
READING_POSTS = ("Microsoft.ResourceGraph/resources",)


def _build_finished(env: Any) -> None:
    env.arm.seed(estate(template("web")))
    start_run(env, "web")
    env.arm.clock.advance(3600)


def _vhd_uri(env: Any) -> str:
    ops = env.clients.image_builder(env.subscription).virtual_machine_image_templates
    return str(ops.get_run_output("images", "web", "web-vhd").properties.artifact_uri)


def _backed_up_template(env: Any) -> None:
    tid = template_id()
    create_template(tid)
    answer = templates_backup(http_post({"templateId": str(tid)}, "templates/backup"))
    assert answer.status_code == 200


def _replicate(body: Any) -> None:
    assert images_replicate(http_post(body, "images/replicate")).status_code == 202


# (setup with writes allowed, the entry point run under LIFEBOAT_DRY_RUN=true)
ENTRY_POINTS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], None]]] = {
    "build event": (
        _build_finished,
        lambda env: on_resource_event(grid_event(build_event("web"))),
    ),
    "replicate a build": (
        _build_finished,
        lambda env: _replicate({"templateId": build_template_id("web")}),
    ),
    "replicate a VHD": (
        _build_finished,
        lambda env: _replicate({"artifactId": _vhd_uri(env)}),
    ),
    "reconcile sweeps": (
        lambda env: (_build_finished(env), create_template(template_id("swept"))),
        lambda env: reconcile(TimerRequest(past_due=True)),
    ),
    "template write event": (
        lambda env: create_template(template_id()),
        lambda env: on_resource_event(template_event(template_id(), "write")),
    ),
    "backup all templates": (
        lambda env: create_template(template_id()),
        lambda env: templates_backup(http_post({"all": True}, "templates/backup")),
    ),
    "template restore": (
        _backed_up_template,
        lambda env: templates_restore(
            http_post({"templateId": str(template_id())}, "templates/restore")
        ),
    ),
}


def _blobs() -> dict[tuple[str, str, str], str]:
    """Every blob in the primary and DR accounts: (account, container, name) -> ETag."""
    found: dict[tuple[str, str, str], str] = {}
    for account, key in ((PRIMARY_ACCOUNT, "primary"), (DR_ACCOUNT, "dr")):
        service: BlobServiceClient = bootstrap.get_deps().clients.blob_service(key)
        for container in service.list_containers():
            client = service.get_container_client(container.name)
            for blob in client.list_blobs():
                found[(account, container.name, blob.name)] = str(blob.etag)
    return found


def _arm_writes(env: Any) -> list[str]:
    return [
        f"{e.method} {e.path}"
        for e in env.arm.log.mutations()
        if not (e.method == "POST" and any(p in e.path for p in READING_POSTS))
    ]


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_dry_run_writes_nothing_to_azure_through_every_entry_point(
    name: str, lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup, run = ENTRY_POINTS[name]
    with driver(lifeboat_env.arm) as d:
        setup(lifeboat_env)
        d.run()
    before = _blobs()
    monkeypatch.setenv("LIFEBOAT_DRY_RUN", "true")
    bootstrap.reset()
    lifeboat_env.arm.log.clear()

    with driver(lifeboat_env.arm) as d:
        run(lifeboat_env)
        # A dry-run job that waited for writes that never come would never go idle.
        assert d.run(max_deliveries=200) is True

    assert _arm_writes(lifeboat_env) == []
    assert _blobs() == before
    jobs = get_deps().jobs.list()
    assert all(j.state is not JobState.FAILED for j in jobs), [j.error for j in jobs]
    # Job records are the app's own state: a dry-run replication records the plan it made.
    replications = get_deps().jobs.list(kind="image_replication")
    assert all(j.data.get("dry_run") is True and j.data["plan"] for j in replications)
    if name in ("build event", "replicate a build", "replicate a VHD"):
        assert replications, "the entry point planned replication"
