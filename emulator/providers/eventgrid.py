"""Event Grid custom topics: the CloudEvents 1.0 publish endpoint and what each topic received.

Topics are ARM resources declared in the estate (`Microsoft.EventGrid/topics`, with a location):
a topic lives in a region (region down applies) and an endpoint that names no topic answers 404,
as Azure does, instead of quietly accepting events a typo'd setting would lose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from emulator.core import Core, Request, Response, errors, name_of
from emulator.core.dataplane import audience_accepted, bearer_token, header
from emulator.core.errors import ArmError

Body = dict[str, Any]
TOPICS = "Microsoft.EventGrid/topics"
AUDIENCE = "https://eventgrid.azure.net"
CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0"
# Event Grid's limits: 1 MB per publish request and 1 MB per event (events over 64 KB are
# billed in 64 KB steps; older docs called events over 64 KB a preview).
MAX_REQUEST_BYTES = 1024 * 1024
MAX_EVENT_BYTES = 1024 * 1024
REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")
_BATCH = "application/cloudevents-batch+json"
_SINGLE = "application/cloudevents+json"
_SAS_HEADERS = ("aeg-sas-key", "aeg-sas-token")
_KEY = "eventgrid"


@dataclass(frozen=True)
class Published:
    """One CloudEvent a topic accepted, as sent, with the emulated time it arrived."""

    topic: str
    event: Body
    received: datetime


def _error(status: int, code: str, message: str) -> ArmError:
    return ArmError(status, code, message)


class EventGrid:
    """The topics' publish endpoint (a DataPlane on the emulator) and the events they received."""

    prefix = "/eventgrid/"
    namespace = "Microsoft.EventGrid"

    def __init__(self, core: Core) -> None:
        self.core = core
        self._published: dict[str, list[Published]] = {}

    # ---- what tests read back -------------------------------------------------------------
    def endpoint(self, topic: str) -> str:
        """Return the publish endpoint of `topic` (what EventGridPublisherClient is given)."""
        return f"{self.core.endpoint}/eventgrid/{topic}/api/events"

    def published(self, topic: str) -> list[Published]:
        """Return what `topic` accepted, oldest first (empty when nothing was published)."""
        return list(self._published.get(topic.lower(), []))

    def events(self, topic: str) -> list[Body]:
        """Return the CloudEvents `topic` accepted, as sent, oldest first."""
        return [p.event for p in self.published(topic)]

    def clear(self) -> None:
        """Forget every published event."""
        self._published.clear()

    # ---- DataPlane ------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        """401 unless a bearer token for Event Grid is sent; keys only where local auth is on."""
        if any(header(req, name) for name in _SAS_HEADERS):
            topic = self._find(_topic_segment(req.path))
            if topic is None or topic["properties"].get("disableLocalAuth", True):
                raise _error(
                    401,
                    "Unauthorized",
                    "Publishing with an access key or SAS token is not allowed: local "
                    f"authentication is disabled for topic '{_topic_segment(req.path)}'. Use "
                    "a Microsoft Entra token (EventGrid Data Sender).",
                )
            return
        token = bearer_token(req)
        if token is None:
            raise _error(
                401,
                "Unauthorized",
                "Request must contain one of the following authorization signature: "
                "aeg-sas-token, aeg-sas-key, or an Authorization bearer token.",
            )
        if not audience_accepted(token, AUDIENCE):
            raise _error(
                401,
                "Unauthorized",
                f"The access token's audience is not valid: expected '{AUDIENCE}'.",
            )

    def admit(self, req: Request, raw: bytes) -> None:
        """413 for a request over 1 MB, before it is read."""
        if len(raw) > MAX_REQUEST_BYTES:
            raise _error(
                413,
                "RequestEntityTooLarge",
                f"The request is {len(raw)} bytes; the maximum is {MAX_REQUEST_BYTES} bytes.",
            )

    def region(self, req: Request) -> str | None:
        """The addressed topic's region; 404 when no such topic is declared."""
        location: str | None = self._topic(req.params.get("topic", "")).get("location")
        return location

    def render(self, error: ArmError) -> Body:
        """Event Grid's error body: the HTTP status name, with the specific code in details."""
        try:
            name = "".join(w.capitalize() for w in HTTPStatus(error.status).name.split("_"))
        except ValueError:
            name = str(error.status)
        if error.status == 413:
            name = "RequestEntityTooLarge"
        return {
            "error": {
                "code": name,
                "message": error.message,
                "details": [{"code": error.code, "message": error.message}],
            }
        }

    # ---- publish --------------------------------------------------------------------------
    def publish(self, req: Request) -> Response:
        """Validate every CloudEvent, then record them all (a bad one rejects the request)."""
        topic = self._topic(req.params["topic"])
        schema = topic["properties"].get("inputSchema", CLOUD_EVENT_SCHEMA)
        if schema != CLOUD_EVENT_SCHEMA:
            raise _error(
                400,
                "InputJsonInvalid",
                f"This resource is configured to receive events in '{schema}' schema; this "
                "emulator serves CloudEvents 1.0 topics only.",
            )
        events = self._events_of(req)
        for index, event in enumerate(events):
            _validate(event, index)
        name = topic["name"].lower()
        now = self.core.clock.now()
        self._published.setdefault(name, []).extend(
            Published(topic["name"], event, now) for event in events
        )
        return Response(200)

    def _events_of(self, req: Request) -> list[Any]:
        content_type = (header(req, "Content-Type") or "").split(";")[0].strip().lower()
        if content_type == _BATCH:
            if not isinstance(req.body, list) or not req.body:
                raise _invalid("A batch must be a non-empty JSON array of CloudEvents.")
            return list(req.body)
        if content_type == _SINGLE:
            return [req.body]
        raise _error(
            400,
            "BadRequest",
            f"Unsupported content type '{content_type or '(none)'}': a CloudEvents topic "
            f"accepts '{_SINGLE}' or '{_BATCH}'.",
        )

    # ---- topics ---------------------------------------------------------------------------
    def _find(self, name: str) -> Body | None:
        for rid in self.core.store.ids(TOPICS):
            if name_of(rid).lower() == name.lower():
                return self.core.store.get(rid)
        return None

    def _topic(self, name: str) -> Body:
        found = self._find(name)
        if found is None:
            raise _error(404, "NotFound", f"The topic '{name}' was not found.")
        return found

    def normalize(self, body: Body) -> Body:
        """Fill a declared topic's defaults (CloudEvents schema, local auth off, endpoint)."""
        props = body.setdefault("properties", {})
        props.setdefault("provisioningState", "Succeeded")
        props.setdefault("inputSchema", CLOUD_EVENT_SCHEMA)
        # Chosen default: the emulator holds no keys to check, and Lifeboat's topic disables
        # local auth (Azure's own default is false).
        props.setdefault("disableLocalAuth", True)
        props.setdefault("publicNetworkAccess", "Enabled")
        props["endpoint"] = self.endpoint(body["name"])
        return body


def _topic_segment(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[1] if len(parts) > 1 else ""


def _invalid(message: str) -> ArmError:
    return _error(400, "InputJsonInvalid", message)


def _validate(event: Any, index: int) -> None:
    """400 InputJsonInvalid naming the event and attribute; 413 for an event over 1 MB."""
    if not isinstance(event, dict):
        raise _invalid(f"Event at index {index} is not a JSON object.")
    for attribute in REQUIRED_ATTRIBUTES:
        value = event.get(attribute)
        if not isinstance(value, str) or not value:
            raise _invalid(
                f"Required CloudEvents attribute '{attribute}' is missing or empty in the "
                f"event at index {index}."
            )
    if event["specversion"] != "1.0":
        raise _invalid(
            f"Unsupported specversion '{event['specversion']}' in the event at index {index}: "
            "expected '1.0'."
        )
    size = len(json.dumps(event, separators=(",", ":")).encode())
    if size > MAX_EVENT_BYTES:
        raise _error(
            413,
            "RequestEntityTooLarge",
            f"The event at index {index} is {size} bytes; the maximum is {MAX_EVENT_BYTES}.",
        )


def state(core: Core) -> EventGrid:
    """Return the Event Grid data plane registered on `core`."""
    found: EventGrid = core.extensions[_KEY]
    return found


def _control_events(core: Core, req: Request) -> Response:
    grid = state(core)
    topic = grid._find(req.params["topic"])
    if topic is None:
        raise errors.ArmError(404, "NotFound", f"No topic '{req.params['topic']}' is declared.")
    return Response.ok(
        {
            "value": [
                {"event": p.event, "received": core.clock.iso(p.received)}
                for p in grid.published(topic["name"])
            ]
        }
    )


def register(core: Core) -> None:
    """Serve topics' publish endpoint and the control call that reads what they received."""
    grid = EventGrid(core)
    core.extensions[_KEY] = grid
    core.data_planes.append(grid)
    core.on_reset(grid.clear)
    core.types.register(TOPICS, normalize=grid.normalize)
    core.router.add("POST", "/eventgrid/{topic}/api/events", grid.publish)
    core.router.add(
        "GET", "/_emulator/eventgrid/{topic}/events", lambda req: _control_events(core, req)
    )
