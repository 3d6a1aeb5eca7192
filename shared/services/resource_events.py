"""Dispatches typed ARM events to the handler registered for their route (the one place)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from shared.events.resource import Parsed, ResourceEvent
from shared.routing import Route, route_for

Handler = Callable[[ResourceEvent], object]

# The one registry: a later feature adds `Route.X: its_handler` here. Handlers import their
# Azure modules lazily (inside the call) so that importing the app stays cheap.
HANDLERS: dict[str, Handler] = {}


class Outcome:
    """What became of an event."""

    HANDLED: Final = "handled"
    IGNORED: Final = "ignored"
    DROPPED: Final = "dropped"  # invalid: logged, never retried


@dataclass(frozen=True)
class Dispatch:
    """The decision for one event: its route, and whether a handler ran."""

    route: str
    outcome: str
    reason: str


def dispatch(event: Parsed, handlers: Mapping[str, Handler] | None = None) -> Dispatch:
    """Route `event` and run its handler; return what happened.

    An unrouted event, a route without a registered handler and Event Grid's handshake are
    ignored (not errors). Whatever the handler raises propagates: TransientError and SDK
    errors make Event Grid redeliver; InvalidInput tells the caller to drop the event.
    """
    if not isinstance(event, ResourceEvent):
        return Dispatch(Route.IGNORED, Outcome.IGNORED, "subscription validation (host answers)")
    route = route_for(event)
    if route == Route.IGNORED:
        return Dispatch(route, Outcome.IGNORED, "no route for this operation and event type")
    handler = (HANDLERS if handlers is None else handlers).get(route)
    if handler is None:
        return Dispatch(route, Outcome.IGNORED, "no handler registered for the route")
    handler(event)
    return Dispatch(route, Outcome.HANDLED, "handler ran")
