"""on_resource_event through the real entry point, with the EventGridEvent the host builds."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from functions.resource_events import on_resource_event
from shared.errors import InvalidInput, TransientError
from shared.events import EventType, Operation, ResourceEvent
from shared.routing import Route
from shared.services import resource_events
from tests.event_samples import EVENT_GRID_SAMPLES, event_grid_event, load

LOGGER = "functions.resource_events"
TEMPLATE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/images/providers/"
    "Microsoft.VirtualMachineImages/imageTemplates/ubuntu-base"
)


@pytest.fixture(autouse=True)
def in_scope() -> Iterator[None]:
    """The events' subscription is the one in scope (events from elsewhere are dropped)."""
    from shared import bootstrap

    # Its own MonkeyPatch: the test's one must undo its HANDLERS items before no_handlers.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFEBOAT_SUBSCRIPTIONS", TEMPLATE.split("/")[2])
        bootstrap.reset()
        yield
    bootstrap.reset()


@pytest.fixture(autouse=True)
def no_handlers() -> Iterator[None]:
    """Start each test with an empty registry: other features' handlers would call Azure."""
    saved = dict(resource_events.HANDLERS)
    resource_events.HANDLERS.clear()
    yield
    resource_events.HANDLERS.clear()
    resource_events.HANDLERS.update(saved)


def _build_event(event_type: str = EventType.RESOURCE_ACTION_SUCCESS) -> dict[str, Any]:
    """The published ResourceActionSuccess sample, retargeted at an image template run."""
    raw: dict[str, Any] = copy.deepcopy(load(EVENT_GRID_SAMPLES[0])[0])
    raw.update(eventType=event_type, subject=TEMPLATE, id="run-1")
    raw["data"].update(
        operationName=Operation.IMAGE_TEMPLATE_RUN,
        resourceUri=TEMPLATE,
        resourceProvider="Microsoft.VirtualMachineImages",
    )
    return raw


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.mark.parametrize("name", EVENT_GRID_SAMPLES)
def test_published_event_is_logged_as_ignored_with_id_and_operation(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load(name)[0]

    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert on_resource_event(event_grid_event(raw)) is None

    (record,) = _records(caplog)
    assert record.levelno == logging.INFO
    assert record.event_id == raw["id"]  # type: ignore[attr-defined]
    assert record.operation == raw["data"]["operationName"]  # type: ignore[attr-defined]
    assert (record.route, record.outcome) == (Route.IGNORED, "ignored")  # type: ignore[attr-defined]
    assert "ignored" in record.getMessage()


def test_image_build_without_handler_is_routed_then_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        on_resource_event(event_grid_event(_build_event()))

    (record,) = _records(caplog)
    assert (record.route, record.outcome) == (Route.IMAGE_BUILD, "ignored")  # type: ignore[attr-defined]
    assert record.resource_id == TEMPLATE  # type: ignore[attr-defined]
    assert "no handler registered" in record.getMessage()


def test_registered_handler_gets_the_typed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ResourceEvent] = []
    monkeypatch.setitem(
        resource_events.HANDLERS, Route.IMAGE_BUILD, lambda _deps, e: seen.append(e)
    )

    on_resource_event(event_grid_event(_build_event(EventType.RESOURCE_ACTION_FAILURE)))

    (event,) = seen
    assert event.event_type == EventType.RESOURCE_ACTION_FAILURE
    assert event.subject.name == "ubuntu-base"
    assert event.time.tzinfo is not None


def test_transient_error_raises_so_event_grid_redelivers(monkeypatch: pytest.MonkeyPatch) -> None:
    def throttled(_deps: object, _: ResourceEvent) -> None:
        raise TransientError("ARM answered 429", retry_after=10)

    monkeypatch.setitem(resource_events.HANDLERS, Route.IMAGE_BUILD, throttled)

    with pytest.raises(TransientError):
        on_resource_event(event_grid_event(_build_event()))


def test_invalid_input_from_a_handler_drops_the_event(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuses(_deps: object, _: ResourceEvent) -> None:
        raise InvalidInput("subject", "not a template this app manages")

    monkeypatch.setitem(resource_events.HANDLERS, Route.IMAGE_BUILD, refuses)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        on_resource_event(event_grid_event(_build_event()))

    (record,) = _records(caplog)
    assert record.levelno == logging.WARNING
    assert record.field == "subject"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r["data"].pop("operationName"), "data.operationName"),
        (lambda r: r.update(subject="/not/an/arm/id"), "subject"),
        (lambda r: r.pop("eventTime"), "eventTime"),
        (lambda r: r.update(data=None), "data"),
        (lambda r: r.pop("eventType"), "eventType"),
    ],
)
def test_invalid_event_is_logged_and_dropped_not_raised(
    mutate: Any, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = _build_event()
    mutate(raw)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert on_resource_event(event_grid_event(raw)) is None

    (record,) = _records(caplog)
    assert record.levelno == logging.WARNING
    assert record.field == field  # type: ignore[attr-defined]
    assert record.event_id == "run-1"  # type: ignore[attr-defined]


def test_subscription_validation_reaching_the_function_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = load("eventgrid_SubscriptionValidationEvent")[0]

    with caplog.at_level(logging.INFO, logger=LOGGER):
        on_resource_event(event_grid_event(raw))

    (record,) = _records(caplog)
    assert record.outcome == "ignored"  # type: ignore[attr-defined]
    assert "validation" in record.getMessage()


def test_log_never_carries_the_claims_or_http_request(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        on_resource_event(event_grid_event(_build_event()))

    (record,) = _records(caplog)
    logged = record.getMessage() + repr(vars(record))
    assert "{audience-claim}" not in logged
    assert "clientIpAddress" not in logged
