"""The worker's queue message, and the host settings the worker mirrors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.config import Settings
from shared.errors import InvalidInput
from shared.jobs import job_id_for
from shared.jobs.host import MAX_DEQUEUE_COUNT, VISIBILITY_TIMEOUT_SECONDS
from shared.jobs.messages import JobMessage, parse_job_message

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"
JOB_ID = job_id_for("demo", "k")


def _host_queues() -> dict:
    return json.loads(HOST_JSON.read_text())["extensions"]["queues"]


def test_max_dequeue_count_agrees_with_host_json() -> None:
    assert _host_queues()["maxDequeueCount"] == MAX_DEQUEUE_COUNT


def test_visibility_timeout_agrees_with_host_json() -> None:
    hours, minutes, seconds = (int(p) for p in _host_queues()["visibilityTimeout"].split(":"))
    assert hours * 3600 + minutes * 60 + seconds == VISIBILITY_TIMEOUT_SECONDS


def test_host_json_uses_base64_messages_as_the_job_queue_writes_them() -> None:
    assert _host_queues()["messageEncoding"] == "base64"


def test_the_time_budget_and_lease_fit_inside_the_function_timeout() -> None:
    hours, minutes, seconds = (
        int(p) for p in json.loads(HOST_JSON.read_text())["functionTimeout"].split(":")
    )
    timeout = hours * 3600 + minutes * 60 + seconds
    defaults = Settings.model_fields
    assert defaults["jobs_time_budget_seconds"].default < timeout
    assert defaults["jobs_lease_seconds"].default >= timeout


def test_a_message_round_trips_through_its_json() -> None:
    message = JobMessage(JOB_ID, "t1", datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC))
    assert json.loads(message.to_json()) == {
        "jobId": JOB_ID,
        "token": "t1",
        "notBefore": "2030-01-01T00:00:30.000Z",
    }
    assert parse_job_message(message.to_json().encode()) == message
    assert parse_job_message(json.dumps({"jobId": JOB_ID})) == JobMessage(JOB_ID)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b"[1]", "body"),
        (b"{}", "jobId"),
        (b'{"jobId": "x/y"}', "jobId"),
        (json.dumps({"jobId": JOB_ID, "token": 5}).encode(), "token"),
        (json.dumps({"jobId": JOB_ID, "notBefore": "later"}).encode(), "notBefore"),
        (b"x" * 5000, "body"),
    ],
)
def test_malformed_messages_are_invalid_input_naming_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_job_message(body)
    assert err.value.field == field
