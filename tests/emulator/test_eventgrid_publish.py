"""Event Grid custom topics through the real EventGridPublisherClient (CloudEvents 1.0)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient

from emulator.providers.eventgrid import MAX_EVENT_BYTES, MAX_REQUEST_BYTES
from emulator.server import ArmEmulator
from shared.azure.clients import EmulatorCredential
from tests.plugins.arm import AUTH, SUBSCRIPTION, AudienceCredential
from tests.plugins.payloads import load_payload

pytestmark = pytest.mark.emulator

TOPIC = "lifeboat-events"
TOPIC_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/lifeboat-dr/providers"
    f"/Microsoft.EventGrid/topics/{TOPIC}"
)
BATCH = {"Content-Type": "application/cloudevents-batch+json; charset=utf-8"}


@pytest.fixture
def grid(arm: ArmEmulator, monkeypatch: pytest.MonkeyPatch) -> ArmEmulator:
    arm.seed({"resources": [{"id": TOPIC_ID, "location": "westus"}]})
    # EventGridPublisherClient (basic tier) does not forward transport options such as
    # connection_verify, so the emulator's CA is trusted through requests' environment.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm.ca_file)
    return arm


def _client(arm: ArmEmulator, credential: Any = None, topic: str = TOPIC) -> Any:
    return EventGridPublisherClient(
        arm.eventgrid.endpoint(topic), credential or EmulatorCredential()
    )


def _event(**changes: Any) -> CloudEvent:
    fields: dict[str, Any] = {
        "source": "/lifeboat",
        "type": "Lifeboat.Plan.AwaitingApproval",
        "subject": f"/subscriptions/{SUBSCRIPTION}/providers/Lifeboat/plans/p1",
        "data": {"planId": "p1"},
        "id": "plan-p1-awaiting",
        **changes,
    }
    return CloudEvent(**fields)


def _post(arm: ArmEmulator, body: Any, headers: dict[str, str] | None = None) -> Any:
    return requests.post(
        f"{arm.eventgrid.endpoint(TOPIC)}?api-version=2018-01-01",
        json=body,
        headers={**BATCH, **AUTH, **(headers or {})},
        verify=arm.ca_file,
        timeout=10,
    )


def test_cloud_events_published_with_a_token_are_recorded_per_topic(grid: ArmEmulator) -> None:
    credential = AudienceCredential()
    _client(grid, credential).send([_event(), _event(id="plan-p1-approved", type="X.Approved")])

    events = grid.eventgrid.events(TOPIC)
    assert [e["id"] for e in events] == ["plan-p1-awaiting", "plan-p1-approved"]
    assert events[0]["type"] == "Lifeboat.Plan.AwaitingApproval"
    assert events[0]["subject"].endswith("/plans/p1")
    assert events[0]["data"] == {"planId": "p1"}
    assert events[0]["specversion"] == "1.0"
    assert credential.scopes == ["https://eventgrid.azure.net/.default"]
    control = requests.get(
        f"{grid.endpoint}/_emulator/eventgrid/{TOPIC}/events", verify=grid.ca_file, timeout=10
    )
    assert [item["event"]["id"] for item in control.json()["value"]] == [e["id"] for e in events]


def test_microsofts_published_cloud_events_example_is_accepted_as_sent(
    grid: ArmEmulator,
) -> None:
    example = load_payload(
        "eventgrid_rest_example_PublishEventsToEventGridTopicAsCloudEvents_2018-01-01"
    )
    answer = _post(grid, example["parameters"]["events"])

    assert answer.status_code == 200
    assert answer.content == b""
    assert grid.eventgrid.events(TOPIC) == example["parameters"]["events"]


def test_publishing_without_a_token_is_401_and_records_nothing(grid: ArmEmulator) -> None:
    answer = requests.post(
        f"{grid.eventgrid.endpoint(TOPIC)}?api-version=2018-01-01",
        json=[_event_dict()],
        headers=BATCH,
        verify=grid.ca_file,
        timeout=10,
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "Unauthorized"
    assert grid.eventgrid.events(TOPIC) == []


def test_access_keys_are_refused_because_local_auth_is_disabled(grid: ArmEmulator) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        _client(grid, AzureKeyCredential("a2V5")).send(_event())

    assert "local authentication is disabled" in str(caught.value)
    assert grid.eventgrid.events(TOPIC) == []


def test_a_token_for_another_audience_is_401(grid: ArmEmulator) -> None:
    with pytest.raises(ClientAuthenticationError):
        _client(grid, AudienceCredential("https://management.azure.com")).send(_event())

    assert grid.eventgrid.events(TOPIC) == []


def _event_dict(**changes: Any) -> dict[str, Any]:
    return {"id": "e1", "source": "/lifeboat", "type": "Lifeboat.Test", "specversion": "1.0",
            "data": {"k": "v"}, **changes}  # fmt: skip


@pytest.mark.parametrize("attribute", ["id", "source", "type", "specversion"])
def test_a_cloud_event_without_a_required_attribute_is_400_and_the_batch_is_dropped(
    grid: ArmEmulator, attribute: str
) -> None:
    broken = _event_dict(id="e2")
    del broken[attribute]

    answer = _post(grid, [_event_dict(), broken])

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["details"][0]["code"] == "InputJsonInvalid"
    assert f"'{attribute}'" in error["message"] and "index 1" in error["message"]
    assert grid.eventgrid.events(TOPIC) == []


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ([{"id": "e1", "source": "/s", "type": "t", "specversion": "0.3"}], None),
        ([], None),
        ({"not": "a batch"}, None),
        ([{"id": "e1", "source": "/s", "type": "t", "specversion": "1.0"}],
         {"Content-Type": "application/json"}),
    ],
)  # fmt: skip
def test_malformed_publish_requests_are_400(
    grid: ArmEmulator, body: Any, headers: dict[str, str] | None
) -> None:
    answer = _post(grid, body, headers)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BadRequest"
    assert grid.eventgrid.events(TOPIC) == []


def test_the_sdk_raises_for_a_400(grid: ArmEmulator) -> None:
    with pytest.raises(HttpResponseError) as caught:
        _client(grid).send([{"id": "x", "source": "/s", "type": "t", "specversion": "0.3"}])

    assert caught.value.status_code == 400


def test_an_event_over_1_mb_is_413(grid: ArmEmulator) -> None:
    with pytest.raises(HttpResponseError) as caught:
        _client(grid).send(_event(data={"blob": "x" * MAX_EVENT_BYTES}))

    assert caught.value.status_code == 413
    assert grid.eventgrid.events(TOPIC) == []


def test_a_request_over_1_mb_is_413_even_when_each_event_fits(grid: ArmEmulator) -> None:
    half = "x" * (MAX_REQUEST_BYTES // 2)
    with pytest.raises(HttpResponseError) as caught:
        _client(grid).send([_event(id="a", data=half), _event(id="b", data=half)])

    assert caught.value.status_code == 413
    assert caught.value.error is not None and caught.value.error.code == "RequestEntityTooLarge"


def test_an_event_just_under_the_limit_is_accepted(grid: ArmEmulator) -> None:
    _client(grid).send(_event(data="x" * (MAX_EVENT_BYTES - 1024)))

    assert len(grid.eventgrid.events(TOPIC)) == 1


def test_an_undeclared_topic_is_404(grid: ArmEmulator) -> None:
    with pytest.raises(ResourceNotFoundError):
        _client(grid, topic="no-such-topic").send(_event())


def test_a_topic_in_a_down_region_fails_then_accepts_after_recovery(grid: ArmEmulator) -> None:
    grid.faults.region_down("westus")
    with pytest.raises(HttpResponseError) as caught:
        _client(grid).send(_event())
    assert caught.value.status_code == 503
    assert grid.eventgrid.events(TOPIC) == []
    assert any(e.fault == "RegionDown" for e in grid.log.entries())

    grid.faults.region_up("westus")
    _client(grid).send(_event())

    assert [e["id"] for e in grid.eventgrid.events(TOPIC)] == ["plan-p1-awaiting"]


def test_an_injected_server_error_is_retried_by_the_sdk_and_published_once(
    grid: ArmEmulator,
) -> None:
    grid.faults.server_errors(1.0, status=503, count=1, path_contains="/eventgrid/")

    _client(grid).send(_event())

    assert [e["id"] for e in grid.eventgrid.events(TOPIC)] == ["plan-p1-awaiting"]
    assert [e.status for e in grid.log.entries()] == [503, 200]
