"""The job record: deterministic ids, pure transitions, the Table entity and the public view."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableEntity

from shared.azure.job_storage import from_entity, to_entity
from shared.errors import InvalidInput
from shared.jobs import JobState, StepState, job_id_for
from shared.jobs.model import DATA_MAX_CHARS, new_job, parse_job_id
from shared.jobs.view import job_view

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ARTIFACT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.Compute/galleries/g/images/app/versions/1.0.0"
)


def _job(data: dict | None = None):
    return new_job("image_replication", ARTIFACT, ("find", "copy", "tag"), data or {}, NOW)


def test_job_id_is_deterministic_readable_and_safe_as_a_table_row_key() -> None:
    job_id = job_id_for("image_replication", ARTIFACT)

    assert job_id == job_id_for("image_replication", ARTIFACT)
    assert job_id.startswith("image_replication-") and len(job_id) == len("image_replication") + 33
    assert not set(job_id) & set("/\\#?") and job_id.isascii() and job_id.isprintable()
    assert parse_job_id(job_id) == "image_replication"


def test_job_ids_differ_by_kind_and_by_key() -> None:
    ids = {
        job_id_for("image_replication", ARTIFACT),
        job_id_for("template_backup", ARTIFACT),
        job_id_for("image_replication", ARTIFACT.replace("1.0.0", "1.0.1")),
    }
    assert len(ids) == 3


@pytest.mark.parametrize(("kind", "key"), [("Bad", "k"), ("a-b", "k"), ("", "k"), ("ok", "")])
def test_bad_kinds_and_keys_are_invalid_input(kind: str, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        job_id_for(kind, key)
    assert err.value.field in {"kind", "key"}


@pytest.mark.parametrize(
    "job_id", ["", "demo", "demo-", "demo-" + "0" * 31, "demo-" + "G" * 32, "../demo-" + "0" * 32]
)
def test_malformed_job_ids_are_invalid_input_naming_the_id(job_id: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_job_id(job_id)
    assert err.value.field == "id"


def test_a_new_job_is_pending_with_pending_steps() -> None:
    job = _job({"source": "a"})
    assert job.state == JobState.PENDING and job.data == {"source": "a"}
    assert [s.state for s in job.steps] == [StepState.PENDING] * 3
    assert job.current_step().name == "find"


def test_claiming_a_step_runs_it_under_a_lease_and_counts_the_attempt() -> None:
    job = _job().claimed("find", "worker-1", NOW, 600)

    assert job.state == JobState.RUNNING and job.steps[0].state == StepState.RUNNING
    assert job.steps[0].attempts == 1 and job.steps[0].started == NOW
    assert job.leased_by_other("worker-2", NOW)
    assert not job.leased_by_other("worker-1", NOW)
    assert not job.leased_by_other("worker-2", NOW + timedelta(seconds=600))


def test_finished_steps_move_the_job_on_and_merge_their_data() -> None:
    job = _job({"a": 1}).claimed("find", "w", NOW, 60).step_finished("find", NOW, {"b": 2})
    job = job.claimed("copy", "w", NOW, 60).step_finished("copy", NOW, None, skipped=True)

    assert [s.state for s in job.steps[:2]] == [StepState.SUCCEEDED, StepState.SKIPPED]
    assert job.current_step().name == "tag" and job.data == {"a": 1, "b": 2}


def test_a_failed_job_fails_its_current_step_with_the_reason() -> None:
    job = _job().claimed("find", "w", NOW, 60).step_finished("find", NOW, None)
    job = job.claimed("copy", "w", NOW, 60).failed(NOW, "copy: source deleted")

    assert job.state == JobState.FAILED and job.terminal and job.reason == "copy: source deleted"
    assert job.steps[1].state == StepState.FAILED and job.steps[1].last_error == job.reason
    assert job.lease_owner == "" and job.finished == NOW


def test_restarting_a_failed_job_reruns_only_the_failed_step() -> None:
    job = _job().claimed("find", "w", NOW, 60).step_finished("find", NOW, None)
    job = job.failed(NOW, "copy: boom").restarted(NOW)

    assert job.state == JobState.PENDING and job.reason == ""
    assert [s.state for s in job.steps] == [
        StepState.SUCCEEDED,
        StepState.PENDING,
        StepState.PENDING,
    ]


def test_data_must_be_json_and_stay_under_the_table_property_limit() -> None:
    with pytest.raises(InvalidInput) as err:
        _job({"blob": "x" * DATA_MAX_CHARS})
    assert err.value.field == "data"
    with pytest.raises(InvalidInput):
        _job({"when": NOW})


def test_the_table_entity_round_trips_the_job() -> None:
    job = _job({"ids": ["a", "b"], "n": 1, "ünï": "cödé"}).claimed("find", "w", NOW, 60)
    job = job.step_waiting("find", NOW, "copy running", {"copy": "c1"}, error="Timeout: x")
    job = job.scheduled(NOW, NOW + timedelta(seconds=30), "token-1", "msg-1")
    entity = TableEntity(to_entity(job))
    entity._metadata = {"etag": 'W/"1"'}

    back = from_entity(entity)

    assert back == replace(job, etag='W/"1"')
    assert (entity["PartitionKey"], entity["RowKey"]) == (job.kind, job.id)
    assert entity["Data"].isascii()


def test_the_steps_column_stays_under_the_property_limit_with_huge_errors() -> None:
    names = tuple(f"step{i}" for i in range(20))
    job = new_job("demo", "k", names, {}, NOW)
    for name in names:
        job = job.step_error(name, NOW, "ë" * 5000)

    assert len(to_entity(job)["Steps"]) <= 32_000


def test_the_view_shows_states_errors_and_a_data_summary_but_no_internals() -> None:
    job = _job({"note": "n" * 1000, "ids": list(range(200)), "small": [1, 2]})
    job = job.claimed("find", "w", NOW, 60)
    job = job.step_waiting("find", NOW, "retry 1 of 8 in 5s", None, error="TransientError: 503")
    job = job.scheduled(NOW, NOW + timedelta(seconds=5), "secret-token", "msg-1")

    view = job_view(job)

    assert view["state"] == "waiting" and view["currentStep"] == "find"
    assert view["steps"][0]["lastError"] == "TransientError: 503"
    assert view["data"] == {"ids": "<list of 200 items>", "note": "n" * 255 + "…", "small": [1, 2]}
    assert "secret-token" not in json.dumps(view) and "msg-1" not in json.dumps(view)
