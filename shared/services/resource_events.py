"""Dispatches typed ARM events to the handler registered for their route (the one place)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from shared.events.resource import Parsed, ResourceEvent
from shared.features import ROUTE_HANDLERS, EventHandler
from shared.routing import Route, route_for
from shared.scope import require_in_scope

if TYPE_CHECKING:
    from shared.bootstrap import Deps

# The one registry lives in shared.features (handlers by reference, imported on first call).
HANDLERS: dict[str, EventHandler] = ROUTE_HANDLERS


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


def dispatch(
    deps: Deps,
    event: Parsed,
    handlers: Mapping[str, EventHandler] | None = None,
    subscriptions: Collection[str] | None = None,
) -> Dispatch:
    """Route `event` and run its handler; return what happened.

    An unrouted event, a route without a registered handler and Event Grid's handshake are
    ignored (not errors). An event whose subject is outside `subscriptions` (default:
    Settings.subscriptions) raises InvalidInput("subject") before any handler reads or writes.
    Whatever the handler raises propagates: TransientError and SDK errors make Event Grid
    redeliver; InvalidInput tells the caller to drop the event.
    """
    if not isinstance(event, ResourceEvent):
        return Dispatch(Route.IGNORED, Outcome.IGNORED, "subscription validation (host answers)")
    route = route_for(event)
    if route == Route.IGNORED:
        return Dispatch(route, Outcome.IGNORED, "no route for this operation and event type")
    handler = (HANDLERS if handlers is None else handlers).get(route)
    if handler is None:
        return Dispatch(route, Outcome.IGNORED, "no handler registered for the route")
    scope = deps.settings.subscriptions if subscriptions is None else subscriptions
    require_in_scope(event.subject, scope, "subject")
    handler(deps, event)
    return Dispatch(route, Outcome.HANDLED, "handler ran")
