"""run_job, run_job_poison and GET /api/jobs/{id} through their real entry points (Azurite)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage

from emulator.azurite import Azurite
from functions.jobs import bp, get_job, run_job, run_job_poison
from shared.jobs import JobState, job_id_for
from shared.jobs.service import JobService
from tests.support.jobs import (
    KIND,
    DemoWorld,
    Fault,
    demo_env,
    queue_depth,
    queue_messages,
)

pytestmark = pytest.mark.azurite


@pytest.fixture
def env(storage_env: Azurite) -> Iterator[tuple[DemoWorld, JobService]]:
    with demo_env(storage_delays=True) as pair:
        yield pair


def _message(job_id: str, dequeue_count: int = 1, msg_id: str = "msg-1", **extra: str):
    body = json.dumps({"jobId": job_id, **extra}).encode()
    return QueueMessage(id=msg_id, body=body, dequeue_count=dequeue_count, pop_receipt="p")


def _get(job_id: str) -> func.HttpResponse:
    request = func.HttpRequest("GET", f"/api/jobs/{job_id}", route_params={"id": job_id}, body=b"")
    return get_job(request)


def test_worker_functions_are_indexed_on_the_jobs_queues_with_app_storage() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(bp)
    bindings = {
        f.get_function_name(): json.loads(f.get_function_json())["bindings"]
        for f in app.get_functions()
    }

    assert bindings["run_job"][0]["type"] == "queueTrigger"
    assert bindings["run_job"][0]["queueName"] == "%LIFEBOAT_JOBS_QUEUE%"
    assert bindings["run_job"][0]["connection"] == "AzureWebJobsStorage"
    assert bindings["run_job_poison"][0]["queueName"] == "%LIFEBOAT_JOBS_QUEUE%-poison"
    http = bindings["get_job"][0]
    assert (http["route"], http["methods"], http["authLevel"]) == ("jobs/{id}", ["GET"], "FUNCTION")


def test_the_trigger_queue_is_the_settings_queue(storage_env) -> None:
    from shared.bootstrap import get_deps

    assert get_deps().settings.jobs_queue == "lifeboat-jobs"


def test_run_job_advances_the_job_and_reenqueues_it_with_a_visibility_delay(env) -> None:
    _, service = env
    job_id = service.submit(KIND, "img@1", {}).job.id

    run_job(_message(job_id))

    job = service.get(job_id)
    assert job.state == JobState.WAITING and job.steps[1].wait_reason == "copy settling"
    # The submit message is still there (the host deletes it after success); the wake-up is
    # hidden by a 30 s visibility timeout, so only the submit message can be seen.
    assert queue_depth() == 2
    assert queue_messages() == [{"jobId": job_id}]


def test_the_wake_up_message_completes_the_job_after_the_wait(env) -> None:
    world, service = env
    job_id = service.submit(KIND, "img@2", {}).job.id
    run_job(_message(job_id))
    job = service.get(job_id)

    world.clock.advance(30)
    run_job(_message(job_id, msg_id="msg-2", token=job.wake_token))

    done = service.get(job_id)
    assert done.state == JobState.SUCCEEDED
    assert world.writes == {"copy": 1, "publish": 1}


def test_a_message_for_a_finished_job_ends_silently(env) -> None:
    world, service = env
    world.settle_seconds = 0
    job_id = service.submit(KIND, "img@3", {}).job.id
    run_job(_message(job_id))
    etag = service.get(job_id).etag

    assert run_job(_message(job_id, msg_id="msg-2")) is None
    assert service.get(job_id).etag == etag


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"jobId": "../etc"}', b'{"job": 1}'])
def test_a_malformed_message_is_dropped_without_redelivery(env, body: bytes) -> None:
    assert run_job(QueueMessage(id="m", body=body, dequeue_count=1)) is None


def test_a_failing_delivery_raises_so_the_host_redelivers(env) -> None:
    world, service = env
    world.faults["copy"] = [Fault(RuntimeError("bug"))]
    job_id = service.submit(KIND, "img@4", {}).job.id

    with pytest.raises(RuntimeError):
        run_job(_message(job_id, dequeue_count=4))
    assert service.get(job_id).state == JobState.RUNNING


def test_the_last_delivery_failing_ends_the_job_failed_with_the_reason(env) -> None:
    world, service = env
    world.faults["copy"] = [Fault(RuntimeError("bug in step"))]
    job_id = service.submit(KIND, "img@5", {}).job.id

    run_job(_message(job_id, dequeue_count=5))

    body = json.loads(_get(job_id).get_body())
    assert body["state"] == "failed"
    assert body["reason"] == "poison: delivery 5 of 5 failed: RuntimeError: bug in step"
    assert body["steps"][0]["state"] == "failed"


def test_a_poisoned_message_fails_its_job(env) -> None:
    _, service = env
    job_id = service.submit(KIND, "img@6", {}).job.id

    run_job_poison(_message(job_id, dequeue_count=1))

    job = service.get(job_id)
    assert job.state == JobState.FAILED and job.reason.startswith("poison: the host gave up")


def test_get_job_returns_the_job_with_steps_errors_and_data(env) -> None:
    world, service = env
    world.faults["copy"] = [Fault(TimeoutError("read timed out"))]
    job_id = service.submit(KIND, "img@7", {"source": "x" * 300, "ids": list(range(100))}).job.id
    run_job(_message(job_id))

    response = _get(job_id)

    assert response.status_code == 200 and response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert set(body) == {
        "id", "kind", "key", "state", "reason", "currentStep", "created", "updated", "finished",
        "wakeAt", "steps", "data",
    }  # fmt: skip
    assert (body["id"], body["kind"], body["state"]) == (job_id, KIND, "waiting")
    assert body["currentStep"] == "copy" and body["wakeAt"] == "2030-01-01T00:00:05.000Z"
    assert body["steps"][0] == {
        "name": "copy",
        "state": "waiting",
        "attempts": 1,
        "retries": 1,
        "started": "2030-01-01T00:00:00.000Z",
        "finished": None,
        "lastError": "TimeoutError: read timed out",
        "waitReason": "retry 1 of 8 in 5s",
    }
    assert [s["state"] for s in body["steps"][1:]] == ["pending", "pending"]
    assert len(body["data"]["source"]) == 256 and body["data"]["ids"] == "<list of 100 items>"


def test_get_job_for_an_unknown_id_is_404_with_an_error(env) -> None:
    response = _get(job_id_for(KIND, "nothing"))

    assert response.status_code == 404
    assert json.loads(response.get_body()) == {"error": f"no job {job_id_for(KIND, 'nothing')}"}


@pytest.mark.parametrize("job_id", ["x", "demo_copy-xyz", "Demo-" + "0" * 32, "a" * 2000])
def test_get_job_for_a_malformed_id_is_400_naming_the_id(env, job_id: str) -> None:
    response = _get(job_id)

    assert response.status_code == 400
    assert json.loads(response.get_body())["error"].startswith("id: ")
