"""ARM resource events from Event Grid: both schemas, arrays, validation, errors naming fields."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.errors import InvalidInput
from shared.events import (
    EventSchema,
    EventType,
    ResourceEvent,
    SubscriptionValidation,
    parse_resource_event,
    parse_resource_events,
)
from tests.event_samples import CLOUD_EVENT_SAMPLES, EVENT_GRID_SAMPLES, load

STORAGE = "/subscriptions/{subscription-id}/resourcegroups/{resource-group}/providers/Microsoft.Storage/storageAccounts/{storage-name}"  # noqa: E501

EXPECTED = {
    "ResourceActionSuccess": dict(
        event_id="{ID}",
        event_type=EventType.RESOURCE_ACTION_SUCCESS,
        operation_name="Microsoft.EventHub/namespaces/AuthorizationRules/listKeys/action",
        time=datetime(2018, 10, 8, 22, 46, 22, 602255, tzinfo=UTC),
        resource_provider="Microsoft.EventHub",
        subject_type="Microsoft.EventHub/namespaces/AuthorizationRules",
        subject_name="RootManageSharedAccessKey",
    ),
    "ResourceDeleteSuccess": dict(
        event_id="19a69642-1aad-4a96-a5ab-8d05494513ce",
        event_type=EventType.RESOURCE_DELETE_SUCCESS,
        operation_name="Microsoft.Storage/storageAccounts/delete",
        time=datetime(2018, 7, 19, 19, 24, 12, 763881, tzinfo=UTC),
        resource_provider="Microsoft.Storage",
        subject_type="Microsoft.Storage/storageAccounts",
        subject_name="{storage-name}",
    ),
    "ResourceWriteSuccess": dict(
        event_id="4db48cba-50a2-455a-93b4-de41a3b5b7f6",
        event_type=EventType.RESOURCE_WRITE_SUCCESS,
        operation_name="Microsoft.Storage/storageAccounts/write",
        time=datetime(2018, 7, 19, 18, 38, 4, 611735, tzinfo=UTC),
        resource_provider="Microsoft.Storage",
        subject_type="Microsoft.Storage/storageAccounts",
        subject_name="{storage-name}",
    ),
}


def _kind(name: str) -> str:
    return name.split("_")[2]


@pytest.mark.parametrize("name", EVENT_GRID_SAMPLES + CLOUD_EVENT_SAMPLES)
def test_published_sample_parses_into_typed_event_with_every_field(name: str) -> None:
    (event,) = parse_resource_events(load(name))
    expected = EXPECTED[_kind(name)]

    assert isinstance(event, ResourceEvent)
    assert event.event_id == expected["event_id"]
    assert event.event_type == expected["event_type"]
    assert event.operation_name == expected["operation_name"]
    assert event.time == expected["time"]
    assert event.time.tzinfo is not None
    assert event.status == "Succeeded"
    assert event.correlation_id == "{ID}"
    assert event.resource_provider == expected["resource_provider"]
    assert event.subscription_id == "{subscription-id}"
    assert event.subject.subscription == "{subscription-id}"
    assert event.subject.resource_group == "{resource-group}"
    assert event.subject.is_type(str(expected["subject_type"]))
    assert event.subject.name == expected["subject_name"]
    assert event.topic == "/subscriptions/{subscription-id}/resourceGroups/{resource-group}"
    cloud = name.endswith("cloudeventschema")
    assert event.schema == (EventSchema.CLOUD_EVENTS if cloud else EventSchema.EVENT_GRID)


def test_both_schemas_of_the_same_event_give_the_same_facts() -> None:
    (grid,) = parse_resource_events(load(EVENT_GRID_SAMPLES[2]))
    (cloud,) = parse_resource_events(load(CLOUD_EVENT_SAMPLES[2]))

    assert dataclasses.replace(cloud, schema=grid.schema) == grid


def test_event_is_frozen() -> None:
    (event,) = parse_resource_events(load(EVENT_GRID_SAMPLES[0]))

    with pytest.raises(dataclasses.FrozenInstanceError):
        event.operation_name = "x"  # type: ignore[misc]


def test_array_of_several_events_parses_each_in_order() -> None:
    body = load(EVENT_GRID_SAMPLES[0]) + load(CLOUD_EVENT_SAMPLES[1])

    events = parse_resource_events(body)

    assert [e.event_id for e in events] == ["{ID}", "19a69642-1aad-4a96-a5ab-8d05494513ce"]


def test_single_event_object_is_accepted_without_array() -> None:
    (event,) = parse_resource_events(load(EVENT_GRID_SAMPLES[1])[0])

    assert isinstance(event, ResourceEvent)
    assert event.subject.key() == STORAGE.lower()


def test_subscription_validation_event_is_recognised() -> None:
    (event,) = parse_resource_events(load("eventgrid_SubscriptionValidationEvent"))
    response = load("eventgrid_SubscriptionValidationResponse")

    assert isinstance(event, SubscriptionValidation)
    assert event.validation_code == response["validationResponse"]
    assert event.validation_url is not None
    assert event.validation_url.startswith("https://rp-eastus2.eventgrid.azure.net:553/")


def test_event_type_and_time_case_and_forms_are_normalised() -> None:
    raw = copy.deepcopy(load(EVENT_GRID_SAMPLES[2])[0])
    raw["eventType"] = "microsoft.resources.resourcewritesuccess"
    raw["eventTime"] = datetime(2024, 1, 2, 3, 4, 5)  # naive, as the binding may give it

    event = parse_resource_event(raw)

    assert isinstance(event, ResourceEvent)
    assert event.event_type == EventType.RESOURCE_WRITE_SUCCESS
    assert event.time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _broken(mutate: Any, sample: str = EVENT_GRID_SAMPLES[0]) -> list[Any]:
    body = copy.deepcopy(load(sample))
    mutate(body)
    return body


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b[0].pop("id"), "[0].id"),
        (lambda b: b[0].update(eventType=7), "[0].eventType"),
        (lambda b: b[0].update(subject="not/an/arm/id"), "[0].subject"),
        (lambda b: b[0].update(subject=None), "[0].subject"),
        (lambda b: b[0].update(eventTime="yesterday"), "[0].eventTime"),
        (lambda b: b[0].pop("eventTime"), "[0].eventTime"),
        (lambda b: b[0].update(data=[1, 2]), "[0].data"),
        (lambda b: b[0]["data"].pop("operationName"), "[0].data.operationName"),
        (lambda b: b[0]["data"].update(operationName=""), "[0].data.operationName"),
        (lambda b: b[0]["data"].update(status=404), "[0].data.status"),
        (lambda b: b[0]["data"].update(correlationId={"x": 1}), "[0].data.correlationId"),
    ],
)
def test_malformed_event_grid_event_names_the_field(mutate: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_resource_events(_broken(mutate))

    assert info.value.field == field


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b[0].update(specversion="0.3"), "[0].specversion"),
        (lambda b: b[0].pop("type"), "[0].type"),
        (lambda b: b[0].update(time=12), "[0].time"),
    ],
)
def test_malformed_cloud_event_names_the_field(mutate: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_resource_events(_broken(mutate, CLOUD_EVENT_SAMPLES[0]))

    assert info.value.field == field


def test_second_bad_event_in_an_array_is_named_by_index() -> None:
    body = load(EVENT_GRID_SAMPLES[0]) + load(EVENT_GRID_SAMPLES[1])
    del body[1]["data"]["operationName"]

    with pytest.raises(InvalidInput) as info:
        parse_resource_events(body)

    assert info.value.field == "[1].data.operationName"


@pytest.mark.parametrize("body", [[], "text", 3, None, [None]])
def test_body_that_holds_no_event_is_invalid(body: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_resource_events(body)

    assert info.value.field in {"body", "[0]"}


def test_validation_event_without_code_names_the_field() -> None:
    body = load("eventgrid_SubscriptionValidationEvent")
    del body[0]["data"]["validationCode"]

    with pytest.raises(InvalidInput) as info:
        parse_resource_events(body)

    assert info.value.field == "[0].data.validationCode"
