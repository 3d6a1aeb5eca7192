"""Dispatches typed ARM events to the handler registered for their route (the one place)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Final

from shared.events.resource import Parsed, ResourceEvent
from shared.routing import Route, route_for
from shared.scope import require_in_scope

Handler = Callable[[ResourceEvent], object]


def _lazy(module: str, name: str) -> Handler:
    """A handler that imports `module` on first call, so indexing the app loads no feature."""

    def handler(event: ResourceEvent) -> object:
        target: Handler = getattr(import_module(module), name)
        return target(event)

    handler.__qualname__ = f"{module}.{name}"
    return handler


# The one registry: a feature adds `Route.X: _lazy(module, handler)` here.
HANDLERS: dict[str, Handler] = {
    Route.IMAGE_BUILD: _lazy("shared.images.service", "on_build_event"),
    Route.GALLERY_IMAGE_VERSION: _lazy("shared.images.service", "on_version_event"),
    Route.TEMPLATE_CHANGED: _lazy("shared.templates.service", "on_template_event"),
    Route.TEMPLATE_DELETED: _lazy("shared.templates.service", "on_template_event"),
}


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
    event: Parsed,
    handlers: Mapping[str, Handler] | None = None,
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
    require_in_scope(event.subject, _scope(subscriptions), "subject")
    handler(event)
    return Dispatch(route, Outcome.HANDLED, "handler ran")


def _scope(subscriptions: Collection[str] | None) -> Collection[str]:
    if subscriptions is not None:
        return subscriptions
    from shared.composition import get_settings

    return get_settings().subscriptions
