"""A VHD URL is signed only for an Azure Storage host whose account is in scope."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.images import images_replicate
from shared.azure import blobs
from shared.bootstrap import get_deps
from shared.errors import InvalidInput
from shared.images import jobs as image_jobs
from shared.images.model import Artifact, ArtifactKind
from shared.jobs import JobState
from tests.event_samples import http_post
from tests.support.images import driver, estate, start_run, template

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

OTHER = "00000000-0000-0000-0000-0000000000bb"
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
REFUSED_HOSTS = [
    "https://attacker.example/acct/c/b.vhd",
    "https://lbprimary.blob.core.windows.net.attacker.example/vhds/b.vhd",
    "http://lbprimary.blob.core.windows.net/vhds/b.vhd",
    "http://127.0.0.1:1/lbprimary/vhds/b.vhd",
]


def _post(body: Any) -> tuple[int, dict[str, Any]]:
    response = images_replicate(http_post(body, "images/replicate"))
    return response.status_code, json.loads(response.get_body())


def _vhd_url(env: Any) -> str:
    """Build a template with a VHD output; return the VHD's URL (in Azurite's lbprimary)."""
    env.arm.seed(estate(template("web", ("VHD",))))
    start_run(env, "web")
    env.arm.clock.advance(3600)
    ops = env.clients.image_builder(env.subscription).virtual_machine_image_templates
    return str(ops.get_run_output("images", "web", "web-vhd").properties.artifact_uri)


def _move_account_out_of_scope(env: Any) -> None:
    (account,) = env.arm.state.list(ACCOUNT_TYPE)
    env.arm.state.delete(account["id"])
    moved = {**account, "id": account["id"].replace(env.subscription, OTHER)}
    env.arm.seed({"resources": [moved]})


def _dr_copies(env: Any) -> list[str]:
    container = env.clients.blob_service("dr").get_container_client(env.settings.vhd_container)
    return [b.name for b in container.list_blobs()] if container.exists() else []


@pytest.mark.parametrize("url", REFUSED_HOSTS)
def test_a_vhd_url_off_azure_storage_is_400_and_starts_no_job(lifeboat_env: Any, url: str) -> None:
    status, answer = _post({"artifactId": url, "region": "eastus"})

    assert status == 400 and answer["error"].startswith("artifactId:")
    assert get_deps().jobs.list() == []


def test_a_vhd_of_a_storage_account_outside_scope_is_400(lifeboat_env: Any) -> None:
    url = _vhd_url(lifeboat_env)
    _move_account_out_of_scope(lifeboat_env)

    status, answer = _post({"artifactId": url})

    assert status == 400
    assert answer["error"].startswith("artifactId:")
    assert "LIFEBOAT_SUBSCRIPTIONS" in answer["error"]
    assert get_deps().jobs.list() == []


def test_a_vhd_in_scope_is_accepted_and_copied(lifeboat_env: Any) -> None:
    url = _vhd_url(lifeboat_env)

    with driver(lifeboat_env.arm) as d:
        status, _ = _post({"artifactId": url})
        assert d.run() is True

    assert status == 202
    [job] = get_deps().jobs.list()
    assert job.state is JobState.SUCCEEDED
    assert len(_dr_copies(lifeboat_env)) == 1


def test_signing_refuses_a_url_that_did_not_pass_the_check(lifeboat_env: Any) -> None:
    url = _vhd_url(lifeboat_env)
    settings, clients = lifeboat_env.settings, lifeboat_env.clients
    for refused in REFUSED_HOSTS:
        with pytest.raises(InvalidInput):
            blobs.start_copy_to_dr(clients, settings, refused, settings.vhd_container, "x.vhd")
    _move_account_out_of_scope(lifeboat_env)
    with pytest.raises(InvalidInput, match="LIFEBOAT_SUBSCRIPTIONS"):
        blobs.read_sas(clients, settings, url)

    assert _dr_copies(lifeboat_env) == []


def test_a_job_naming_a_refused_vhd_fails_at_once_not_after_redeliveries(
    lifeboat_env: Any,
) -> None:
    service = get_deps().jobs
    artifact = Artifact(ArtifactKind.VHD, REFUSED_HOSTS[0], "eastus")
    job = service.submit(
        image_jobs.REPLICATION_KIND, artifact.job_key, {"artifact": artifact.as_json()}
    ).job

    with driver(lifeboat_env.arm) as d:
        d.run()

    failed = service.get(job.id)
    assert failed.state is JobState.FAILED
    assert "artifact:" in failed.reason
    assert _dr_copies(lifeboat_env) == []
