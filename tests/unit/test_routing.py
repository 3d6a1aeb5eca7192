"""The routing table and the handler registry: operation + event type → route → handler."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.bootstrap import bootstrap
from shared.errors import InvalidInput, TransientError
from shared.events import EventType, Operation, ResourceEvent, parse_resource_event
from shared.routing import RULES, Route, route_for, route_for_operation
from shared.services.resource_events import HANDLERS, Outcome, dispatch
from tests.event_samples import EVENT_GRID_SAMPLES, load

TEMPLATE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.VirtualMachineImages/imageTemplates/tpl"
)
IN_SCOPE = ("00000000-0000-0000-0000-000000000000",)


def _event(operation: str, event_type: str, subject: str = TEMPLATE) -> ResourceEvent:
    raw: dict[str, Any] = copy.deepcopy(load(EVENT_GRID_SAMPLES[0])[0])
    raw.update(eventType=event_type, subject=subject)
    raw["data"]["operationName"] = operation
    event = parse_resource_event(raw)
    assert isinstance(event, ResourceEvent)
    return event


@pytest.mark.parametrize(
    ("operation", "event_type", "route"),
    [
        (Operation.IMAGE_TEMPLATE_RUN, EventType.RESOURCE_ACTION_SUCCESS, Route.IMAGE_BUILD),
        (Operation.IMAGE_TEMPLATE_RUN, EventType.RESOURCE_ACTION_FAILURE, Route.IMAGE_BUILD),
        (Operation.IMAGE_TEMPLATE_WRITE, EventType.RESOURCE_WRITE_SUCCESS, Route.TEMPLATE_CHANGED),
        (
            Operation.IMAGE_TEMPLATE_DELETE,
            EventType.RESOURCE_DELETE_SUCCESS,
            Route.TEMPLATE_DELETED,
        ),
        (
            Operation.GALLERY_IMAGE_VERSION_WRITE,
            EventType.RESOURCE_WRITE_SUCCESS,
            Route.GALLERY_IMAGE_VERSION,
        ),
    ],
)
def test_known_operation_and_type_routes_to_its_feature(
    operation: str, event_type: str, route: str
) -> None:
    assert route_for_operation(operation, event_type) == route
    assert route_for(_event(operation, event_type)) == route


def test_operation_name_and_event_type_compare_without_case() -> None:
    route = route_for_operation(
        "microsoft.virtualmachineimages/IMAGETEMPLATES/run/action",
        "MICROSOFT.RESOURCES.RESOURCEACTIONSUCCESS",
    )

    assert route == Route.IMAGE_BUILD


@pytest.mark.parametrize(
    ("operation", "event_type"),
    [
        (Operation.IMAGE_TEMPLATE_RUN, EventType.RESOURCE_ACTION_CANCEL),
        (Operation.IMAGE_TEMPLATE_WRITE, EventType.RESOURCE_WRITE_FAILURE),
        (Operation.IMAGE_TEMPLATE_DELETE, EventType.RESOURCE_DELETE_FAILURE),
        (Operation.GALLERY_IMAGE_VERSION_WRITE, EventType.RESOURCE_WRITE_FAILURE),
        ("Microsoft.Storage/storageAccounts/write", EventType.RESOURCE_WRITE_SUCCESS),
        ("", EventType.RESOURCE_WRITE_SUCCESS),
    ],
)
def test_everything_else_is_ignored(operation: str, event_type: str) -> None:
    assert route_for_operation(operation, event_type) == Route.IGNORED


def test_every_published_sample_is_ignored() -> None:
    for name in EVENT_GRID_SAMPLES:
        event = parse_resource_event(load(name)[0])
        assert isinstance(event, ResourceEvent)
        assert route_for(event) == Route.IGNORED


def test_every_rule_names_a_declared_route() -> None:
    declared = {v for k, v in vars(Route).items() if k.isupper()}

    assert {rule.route for rule in RULES} <= declared - {Route.IGNORED}


def test_handlers_are_registered_only_for_routed_names() -> None:
    routed = {rule.route for rule in RULES}

    assert set(HANDLERS) <= routed
    assert all(callable(handler) for handler in HANDLERS.values())


def test_routed_event_without_handler_is_ignored_not_an_error() -> None:
    event = _event(Operation.IMAGE_TEMPLATE_RUN, EventType.RESOURCE_ACTION_SUCCESS)

    decision = dispatch(bootstrap(), event, handlers={}, subscriptions=IN_SCOPE)

    assert (decision.route, decision.outcome) == (Route.IMAGE_BUILD, Outcome.IGNORED)


def test_registered_handler_receives_the_typed_event() -> None:
    seen: list[ResourceEvent] = []
    event = _event(Operation.IMAGE_TEMPLATE_WRITE, EventType.RESOURCE_WRITE_SUCCESS)

    decision = dispatch(
        bootstrap(),
        event,
        handlers={Route.TEMPLATE_CHANGED: lambda _deps, e: seen.append(e)},
        subscriptions=IN_SCOPE,
    )

    assert decision.outcome == Outcome.HANDLED
    assert seen == [event]


def test_handler_of_another_route_is_not_called() -> None:
    seen: list[ResourceEvent] = []
    event = _event(Operation.IMAGE_TEMPLATE_DELETE, EventType.RESOURCE_DELETE_SUCCESS)

    decision = dispatch(
        bootstrap(),
        event,
        handlers={Route.TEMPLATE_CHANGED: lambda _deps, e: seen.append(e)},
        subscriptions=IN_SCOPE,
    )

    assert decision.outcome == Outcome.IGNORED
    assert seen == []


def test_transient_error_from_a_handler_propagates() -> None:
    def throttled(_deps: object, _: ResourceEvent) -> None:
        raise TransientError("429", retry_after=5)

    event = _event(Operation.IMAGE_TEMPLATE_RUN, EventType.RESOURCE_ACTION_FAILURE)

    with pytest.raises(TransientError):
        dispatch(
            bootstrap(), event, handlers={Route.IMAGE_BUILD: throttled}, subscriptions=IN_SCOPE
        )


def test_event_outside_scope_is_invalid_before_its_handler_runs() -> None:
    seen: list[ResourceEvent] = []
    event = _event(Operation.IMAGE_TEMPLATE_WRITE, EventType.RESOURCE_WRITE_SUCCESS)

    for scope in ((), ("00000000-0000-0000-0000-0000000000bb",)):
        with pytest.raises(InvalidInput, match="LIFEBOAT_SUBSCRIPTIONS") as err:
            dispatch(
                bootstrap(),
                event,
                handlers={Route.TEMPLATE_CHANGED: lambda _deps, e: seen.append(e)},
                subscriptions=scope,
            )
        assert err.value.field == "subject"
    assert seen == []


def test_subscription_validation_is_ignored() -> None:
    validation = parse_resource_event(load("eventgrid_SubscriptionValidationEvent")[0])

    assert dispatch(bootstrap(), validation).outcome == Outcome.IGNORED


def test_every_routed_name_has_a_handler_that_resolves_to_a_feature_function() -> None:
    from shared.features import RouteHandler

    assert set(HANDLERS) == {rule.route for rule in RULES}
    for route, handler in HANDLERS.items():
        assert isinstance(handler, RouteHandler), route
        assert callable(handler.target()), route
