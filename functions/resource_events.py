"""Event Grid trigger for every ARM resource event of the subscription system topic."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import azure.functions as func

from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.events.resource import Parsed
    from shared.services.resource_events import Dispatch

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("on_resource_event")
@bp.event_grid_trigger(arg_name="event")
def on_resource_event(event: func.EventGridEvent) -> None:
    """Parse, route and handle one event. Invalid events are logged and dropped; anything
    else a handler raises propagates so that Event Grid redelivers."""
    from shared.bootstrap import get_deps
    from shared.events.resource import parse_resource_event
    from shared.services.resource_events import Outcome, dispatch
    from shared.text import escaped

    try:
        parsed = parse_resource_event(_as_payload(event))
        decision = dispatch(get_deps(), parsed)
    except InvalidInput as exc:
        event_id = escaped(event.id)  # the id itself may be what cannot be encoded
        logger.warning(
            "dropped invalid event %s: %s",
            event_id,
            exc,
            extra={
                "event_id": event_id,
                "field": exc.field,
                "outcome": Outcome.DROPPED,
                "reason": str(exc),
            },
        )
        return
    _log_decision(event.id, parsed, decision)


def _log_decision(event_id: str, parsed: Parsed, decision: Dispatch) -> None:
    from shared.events.resource import ResourceEvent

    operation = parsed.operation_name if isinstance(parsed, ResourceEvent) else None
    logger.info(
        "event %s %s -> route %s: %s (%s)",
        event_id,
        operation,
        decision.route,
        decision.outcome,
        decision.reason,
        extra={
            "event_id": event_id,
            "operation": operation,
            "resource_id": str(parsed.subject) if isinstance(parsed, ResourceEvent) else None,
            "route": decision.route,
            "outcome": decision.outcome,
            "reason": decision.reason,
        },
    )


def _as_payload(event: func.EventGridEvent) -> dict[str, object]:
    """The event in Event Grid schema, as the parser reads it (eventTime already a datetime)."""
    return {
        "id": event.id,
        "eventType": event.event_type,
        "subject": event.subject,
        "eventTime": event.event_time,
        "topic": event.topic,
        "dataVersion": event.data_version,
        "data": event.get_json(),
    }
