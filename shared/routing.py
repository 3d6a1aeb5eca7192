"""Pure routing table: an ARM event's operation name and event type → a named route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shared.events.constants import EventType, Operation
from shared.events.resource import ResourceEvent


class Route:
    """Route names. Handlers register against these (shared.services.resource_events.HANDLERS)."""

    IMAGE_BUILD: Final = "image_build"
    TEMPLATE_CHANGED: Final = "template_changed"
    TEMPLATE_DELETED: Final = "template_deleted"
    GALLERY_IMAGE_VERSION: Final = "gallery_image_version"
    VM_CHANGED: Final = "vm_changed"
    IGNORED: Final = "ignored"


@dataclass(frozen=True)
class Rule:
    """Events with operation `operation` and a type in `event_types` go to `route`."""

    operation: str
    event_types: tuple[str, ...]
    route: str


RULES: Final[tuple[Rule, ...]] = (
    # A build's terminal state is what matters; the handler re-reads lastRunStatus either way.
    Rule(
        Operation.IMAGE_TEMPLATE_RUN,
        (EventType.RESOURCE_ACTION_SUCCESS, EventType.RESOURCE_ACTION_FAILURE),
        Route.IMAGE_BUILD,
    ),
    Rule(
        Operation.IMAGE_TEMPLATE_WRITE, (EventType.RESOURCE_WRITE_SUCCESS,), Route.TEMPLATE_CHANGED
    ),
    Rule(
        Operation.IMAGE_TEMPLATE_DELETE,
        (EventType.RESOURCE_DELETE_SUCCESS,),
        Route.TEMPLATE_DELETED,
    ),
    Rule(
        Operation.GALLERY_IMAGE_VERSION_WRITE,
        (EventType.RESOURCE_WRITE_SUCCESS,),
        Route.GALLERY_IMAGE_VERSION,
    ),
    # Maintenance done on a protected VM: capture it again once it settles.
    Rule(Operation.VM_WRITE, (EventType.RESOURCE_WRITE_SUCCESS,), Route.VM_CHANGED),
    Rule(Operation.DISK_WRITE, (EventType.RESOURCE_WRITE_SUCCESS,), Route.VM_CHANGED),
)


def _table(rules: tuple[Rule, ...]) -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for rule in rules:
        for event_type in rule.event_types:
            key = (rule.operation.lower(), event_type.lower())
            if key in table:
                raise ValueError(f"two routes for {key}: {table[key]!r} and {rule.route!r}")
            table[key] = rule.route
    return table


_TABLE: Final = _table(RULES)


def route_for_operation(operation_name: str, event_type: str) -> str:
    """Return the route for an operation name and event type (both caseless); else IGNORED."""
    return _TABLE.get((operation_name.strip().lower(), event_type.strip().lower()), Route.IGNORED)


def route_for(event: ResourceEvent) -> str:
    """Return the route of a typed ARM event; Route.IGNORED when no rule matches."""
    return route_for_operation(event.operation_name, event.event_type)
