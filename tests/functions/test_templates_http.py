"""POST /api/templates/backup and /restore through the real entry points (func.HttpRequest)."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from functions.jobs import get_job
from functions.status import status as status_route
from functions.templates import templates_backup, templates_restore
from shared import bootstrap
from shared.bootstrap import get_deps
from shared.jobs import Job, JobState
from shared.templates.recovery import restore_template
from shared.templates.requests import RestoreRequest
from shared.templates.restore_model import dr_template_name
from tests.event_samples import http_post
from tests.plugins.arm import LifeboatEnv
from tests.support.images import driver
from tests.support.templates import (
    DR,
    DR_RESOURCE_GROUP,
    PRIMARY,
    create_template,
    damage_pointer,
    delete_template,
    dr_blobs,
    overwrite_blob,
    read_blob,
    template_body,
    template_id,
    versions,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.fixture
def env(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    return lifeboat_env


def call(function: Any, body: Any, route: str) -> tuple[int, dict[str, Any], func.HttpResponse]:
    response: func.HttpResponse = function(http_post(body, route))
    assert response.mimetype == "application/json"
    return response.status_code, json.loads(response.get_body()), response


def backup(body: Any) -> tuple[int, dict[str, Any]]:
    status, answer, _ = call(templates_backup, body, "templates/backup")
    return status, answer


def restore(body: Any) -> tuple[int, dict[str, Any]]:
    status, answer, _ = call(templates_restore, body, "templates/restore")
    return status, answer


def accepted(answer: dict[str, Any], response: func.HttpResponse) -> str:
    """The job id of a 202 answer, checked against its status_url and Location header."""
    job_id = str(answer["job_id"])
    assert answer["status_url"] == response.headers["Location"] == f"/api/jobs/{job_id}"
    return job_id


def finish(env: LifeboatEnv, job_id: str) -> Job:
    """Drive the job backbone until idle; return the job."""
    with driver(env.arm) as d:
        assert d.run() is True
    job = get_deps().jobs.get(job_id)
    assert job is not None
    return job


def job_answer(job_id: str) -> dict[str, Any]:
    request = func.HttpRequest("GET", f"/api/jobs/{job_id}", route_params={"id": job_id}, body=b"")
    response = get_job(request)
    assert response.status_code == 200
    answer: dict[str, Any] = json.loads(response.get_body())
    return answer


def restore_job(env: LifeboatEnv, body: Any) -> Job:
    status, answer, response = call(templates_restore, body, "templates/restore")
    assert status == 202, answer
    return finish(env, accepted(answer, response))


def test_backup_of_one_template_stores_its_deployable_json(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)

    status, answer = backup({"templateId": str(tid)})

    assert status == 200 and answer["outcome"] == "backed_up"
    stored = read_blob(answer["blob"])
    assert stored["properties"]["source"]["sku"] == "20_04-lts-gen2"
    assert "id" not in stored and "provisioningState" not in stored["properties"]


def test_backup_of_all_templates_reports_each(env: LifeboatEnv) -> None:
    for name in ("a", "b"):
        create_template(template_id(name))

    status, answer, response = call(templates_backup, {"all": True}, "templates/backup")
    job = finish(env, accepted(answer, response))

    assert status == 202 and job.state is JobState.SUCCEEDED
    assert job.data["errors"] == [] and job.data["counts"] == {"backed_up": 2}
    assert sorted(r["outcome"] for r in job.data["results"]) == ["backed_up", "backed_up"]
    assert len(versions(dr_blobs())) == 2
    assert job_answer(job.id)["data"]["counts"] == {"backed_up": 2}


def test_backup_of_all_asked_three_times_within_the_hour_is_one_job(env: LifeboatEnv) -> None:
    create_template(template_id())

    answers = [call(templates_backup, {"all": True}, "templates/backup")[1] for _ in range(3)]
    job = finish(env, answers[0]["job_id"])

    assert len({a["job_id"] for a in answers}) == 1
    assert [a["created"] for a in answers] == [True, False, False]
    assert get_deps().jobs.list(kind="template_backup_all") == [job]
    assert job.data["counts"] == {"backed_up": 1}


def test_restore_creates_then_answers_unchanged_with_one_put(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    env.arm.log.clear()

    answers = [restore({"templateId": str(tid)}) for _ in range(3)]
    job = finish(env, answers[0][1]["job_id"])
    again = restore_template(RestoreRequest(tid), get_deps())

    assert [status for status, _ in answers] == [202, 202, 202]
    assert len({a["job_id"] for _, a in answers}) == 1
    assert [a["created"] for _, a in answers] == [True, False, False]
    assert get_deps().jobs.list(kind="template_restore") == [job]
    assert (job.state, job.data["outcome"]) == (JobState.SUCCEEDED, "created")
    target = f"/{DR_RESOURCE_GROUP}/providers/Microsoft.VirtualMachineImages/imageTemplates"
    assert job.data["targetId"].endswith(f"{target}/{dr_template_name(tid, DR)}")
    assert job_answer(job.id)["data"]["outcome"] == "created"
    assert (again.outcome, again.body["location"]) == ("unchanged", DR)
    assert env.arm.log.count("PUT", "imageTemplates/") == 1


def test_restore_of_a_new_backup_is_a_new_job(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    _, first = restore({"templateId": str(tid)})
    delete_template(tid)  # Image Builder refuses updates: a new content is a new template
    create_template(tid, template_body(sku="22_04-lts-gen2"))
    backup({"templateId": str(tid)})

    _, second = restore({"templateId": str(tid)})

    assert first["job_id"] != second["job_id"] and second["created"] is True


def test_restore_dry_run_answers_the_body_changes_and_attention(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    env.arm.log.clear()

    status, answer = restore({"templateId": str(tid), "dryRun": True})

    assert (status, answer["outcome"], answer["dryRun"]) == (200, "dry_run", True)
    assert answer["body"]["location"] == DR
    assert {"path": "location", "from": PRIMARY, "to": DR, "reason": "DR region"} in answer[
        "changes"
    ]
    assert [a["code"] for a in answer["attention"]] == ["identity_unmapped"]
    assert env.arm.log.mutations() == []


def test_restore_works_through_http_while_the_primary_region_is_down(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    env.arm.faults.region_down(PRIMARY)

    job = restore_job(env, {"templateId": str(tid)})

    assert (job.state, job.data["outcome"]) == (JobState.SUCCEEDED, "created")


def test_restore_into_a_name_holding_other_content_fails_the_job_naming_it(
    env: LifeboatEnv,
) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    dr_name = dr_template_name(tid, DR)
    create_template(template_id(dr_name, DR_RESOURCE_GROUP), template_body(location=DR))

    job = restore_job(env, {"templateId": str(tid)})

    assert job.state is JobState.FAILED
    assert "delete it and restore again" in job.reason


def test_azure_unavailable_in_the_dr_region_is_retried_until_it_is_back(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    env.arm.faults.fast_retries()
    env.arm.faults.region_down(DR)
    status, answer, response = call(templates_restore, {"templateId": str(tid)}, "x")
    job_id = accepted(answer, response)

    with driver(env.arm) as d:
        d.run(until=lambda: get_deps().jobs.get(job_id).steps[0].retries >= 1)
        waiting = get_deps().jobs.get(job_id)
        env.arm.faults.region_up(DR)
        assert d.run() is True
    job = get_deps().jobs.get(job_id)

    assert status == 202 and waiting.state is not JobState.FAILED
    assert "503" in waiting.steps[0].last_error
    assert (job.state, job.data["outcome"]) == (JobState.SUCCEEDED, "created")


def test_restore_denied_by_azure_fails_the_job_naming_the_missing_permission(
    env: LifeboatEnv,
) -> None:
    """ARM's linked-access check refuses a PUT that attaches an identity the app may not assign."""
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    env.arm.faults.server_errors(1.0, status=403, methods=("PUT",), path_contains="imageTemplates")

    job = restore_job(env, {"templateId": str(tid)})

    assert job.state is JobState.FAILED
    assert "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action" in job.reason
    # the identity to grant it on (the job's reason is clipped before the identity's name)
    assert "resourceGroups/identities/providers/Microsoft.ManagedIdentity" in job.reason
    assert env.arm.state.get(str(template_id(dr_template_name(tid, DR), DR_RESOURCE_GROUP))) is None


def test_restore_of_a_damaged_backup_is_a_json_404_naming_the_damage(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    [version] = versions(dr_blobs())
    overwrite_blob(version, b"\xff not json")

    status, answer = restore({"templateId": str(tid)})
    damage_pointer(dr_blobs())
    pointer_status, pointer_answer = restore({"templateId": str(tid)})

    assert status == 404 and "damaged" in answer["error"]
    assert pointer_status == 404 and "latest.json" in pointer_answer["error"]


def test_status_lists_a_damaged_backup_as_a_finding(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    damage_pointer(dr_blobs())
    request = func.HttpRequest(method="GET", url="http://localhost/api/status", body=b"")

    response = status_route(request)

    assert response.status_code == 200
    findings = json.loads(response.get_body())["templates"]["findings"]
    assert [f["code"] for f in findings] == ["backup_damaged"]


def test_backup_all_without_subscriptions_in_scope_is_400_naming_the_setting(
    env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_template(template_id())
    monkeypatch.delenv("LIFEBOAT_SUBSCRIPTIONS")
    bootstrap.reset()

    status, answer = backup({"all": True})

    assert status == 400 and "LIFEBOAT_SUBSCRIPTIONS" in answer["error"]
    assert answer["error"].startswith("all:") and dr_blobs() == {}
    assert get_deps().jobs.list() == []


# Bad requests: a 4xx naming the problem, and nothing written to ARM or storage.

TEMPLATE = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app"
    "/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
)
OUT_OF_SCOPE = TEMPLATE.replace(
    "00000000-0000-0000-0000-000000000001", "11111111-1111-1111-1111-111111111111"
)


@pytest.mark.parametrize(
    ("function", "body", "status", "names"),
    [
        (templates_backup, b"{not json", 400, "body"),
        (templates_backup, [1], 400, "body"),
        (templates_backup, {"templateId": "/subscriptions/x/resourceGroups/y"}, 400, "templateId"),
        (templates_backup, {"all": "yes"}, 400, "all"),
        (templates_backup, {"templateId": OUT_OF_SCOPE}, 400, "templateId"),
        (templates_restore, {"templateId": OUT_OF_SCOPE}, 400, "templateId"),
        (templates_restore, b"", 400, "body"),
        (templates_restore, {"templateId": TEMPLATE, "dryRun": "true"}, 400, "dryRun"),
        (templates_restore, {"templateId": TEMPLATE, "dryrun": True}, 400, "dryrun"),
        (templates_restore, {"templateId": TEMPLATE, "backup": "xyz"}, 400, "backup"),
        (templates_restore, {"dryRun": True}, 400, "templateId"),
    ],
)
def test_malformed_requests_are_400_naming_the_field_and_write_nothing(
    env: LifeboatEnv, function: Any, body: Any, status: int, names: str
) -> None:
    tid = template_id()
    create_template(tid)
    templates_backup(http_post({"templateId": str(tid)}, "templates/backup"))
    before = dr_blobs()
    jobs = [j.id for j in get_deps().jobs.list()]  # the backup's Template.BackedUp event
    env.arm.log.clear()

    got, answer, _ = call(function, body, "templates/x")

    assert got == status and answer["error"].startswith(f"{names}:")
    assert env.arm.log.mutations() == [] and dr_blobs() == before
    assert [j.id for j in get_deps().jobs.list()] == jobs


def test_backup_of_an_unknown_template_is_404_and_writes_nothing(env: LifeboatEnv) -> None:
    env.arm.log.clear()

    status, answer = backup({"templateId": str(template_id("ghost"))})

    assert status == 404 and "ghost" in answer["error"] and "not found" in answer["error"]
    assert env.arm.log.mutations() == [] and dr_blobs() == {}


def test_restore_of_a_template_without_backup_is_404_and_writes_nothing(env: LifeboatEnv) -> None:
    create_template(template_id())
    env.arm.log.clear()

    status, answer = restore({"templateId": str(template_id())})

    assert status == 404 and answer["error"].startswith("templateId: no backup of")
    assert env.arm.log.mutations() == [] and dr_blobs() == {}


def test_restore_of_an_unknown_backup_hash_is_404(env: LifeboatEnv) -> None:
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    blobs = dr_blobs()

    status, answer = restore({"templateId": str(tid), "backup": "0123456789abcdef"})

    assert status == 404 and answer["error"].startswith("backup: no backup 0123456789abcdef")
    assert dr_blobs() == blobs and len(versions(blobs)) == 1


def test_dry_run_setting_makes_backup_of_all_templates_write_no_blob(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = template_id()
    create_template(tid)
    monkeypatch.setenv("LIFEBOAT_DRY_RUN", "true")
    bootstrap.reset()
    env.arm.log.clear()
    try:
        status, answer, _ = call(templates_backup, {"all": True}, "templates/backup")
        job = finish(env, answer["job_id"])
        one, single = backup({"templateId": str(tid)})
    finally:
        bootstrap.reset()

    assert (status, one) == (202, 200)
    assert [r["outcome"] for r in job.data["results"]] == ["would_back_up"]
    assert single["outcome"] == "would_back_up"
    assert dr_blobs() == {}
    # The Resource Graph query is a POST that reads; nothing else may be sent but reads.
    writes = [e for e in env.arm.log.mutations() if "Microsoft.ResourceGraph" not in e.path]
    assert writes == []


def test_backup_of_all_finds_the_job_begun_within_the_hour_and_starts_one_after(
    env: LifeboatEnv,
) -> None:
    create_template(template_id())

    def ask() -> dict[str, Any]:
        return call(templates_backup, {"all": True}, "templates/backup")[1]

    with driver(env.arm) as d:
        first = ask()
        d.run()
        env.arm.clock.advance(59 * 60)  # across the turn of the clock hour, within the hour
        repeated = ask()
        env.arm.clock.advance(2 * 60)
        later = ask()
        d.run()

    assert repeated["job_id"] == first["job_id"] and repeated["created"] is False
    assert later["job_id"] != first["job_id"] and later["created"] is True
    jobs = get_deps().jobs.list(kind="template_backup_all")
    assert [j.state for j in jobs] == [JobState.SUCCEEDED, JobState.SUCCEEDED]


def test_restore_job_checks_the_scope_again_when_it_runs(
    env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job submitted before the scope shrank refuses to restore (a permanent failure)."""
    tid = template_id()
    create_template(tid)
    backup({"templateId": str(tid)})
    status, answer, response = call(templates_restore, {"templateId": str(tid)}, "x")
    env.arm.log.clear()
    monkeypatch.setenv("LIFEBOAT_SUBSCRIPTIONS", "11111111-1111-1111-1111-111111111111")
    bootstrap.reset()

    job = finish(env, accepted(answer, response))

    assert status == 202 and job.state is JobState.FAILED
    assert "outside the subscriptions in scope" in (job.reason or "")
    assert env.arm.log.mutations() == []
