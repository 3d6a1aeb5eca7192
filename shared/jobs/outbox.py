"""The job's outbox: events a step emits are kept in the job record with the step's write and
published after it is recorded; a failed publish stays in the record and is retried.

Events too large for the job record (`overflow`) are written to the DR record store instead,
one record each under `events/overflow/<job id>/<event id>.json`, before the job record is
written; they are published after it and their record deleted, and the reconcile timer's
`event_overflow` sweep publishes what is left (a failed publish, a worker that died).

The record holds the pending CloudEvents (as JSON) under `OUTBOX` in the job's data. Each event's
`id` is a hash of the job id, the event type, the subject and the fact (by default the event's
data), so a redelivered job publishes the same id and consumers can deduplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.errors import InvalidInput

JsonDict = dict[str, Any]

OUTBOX = "_outbox"
PUBLISHED = "_events_published"
SKIPPED = "_events_skipped"
PUBLISH_RETRIES = "_outbox_retries"
PUBLISH_ERROR = "_outbox_error"
SOURCE = "/lifeboat"
TYPE_PREFIX = "Lifeboat."
SPEC_VERSION = "1.0"
SUBJECT_MAX_CHARS = 2048
OVERFLOW_PREFIX = "events/overflow/"


class EventPublisher(Protocol):
    """Sends CloudEvents (JSON objects as built by `cloud_event`) to the events topic."""

    def publish(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Publish every event or raise (nothing is assumed published when this raises)."""
        ...


def event_id(job_id: str, event_type: str, subject: str, fact: str) -> str:
    """Return the deterministic id of one event (32 hex digits)."""
    text = f"{job_id}\n{event_type}\n{subject.lower()}\n{fact}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def data_schema(event_type: str) -> str:
    """Return the `dataschema` URI of `event_type` (docs/events/<type>.v1.schema.json)."""
    return f"https://lifeboat.dev/events/{event_type}.v1.schema.json"


def cloud_event(
    job_id: str,
    kind: str,
    event_type: str,
    subject: str,
    data: Mapping[str, Any],
    *,
    now: datetime,
    fact: str | None = None,
) -> JsonDict:
    """Return one CloudEvents 1.0 event (JSON); raise InvalidInput naming a bad argument."""
    if not isinstance(event_type, str) or not event_type.startswith(TYPE_PREFIX):
        raise InvalidInput("event_type", f"must start with {TYPE_PREFIX!r}")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX_CHARS:
        raise InvalidInput("subject", "must be the ARM id of what the event is about")
    try:
        body = json.loads(json.dumps(dict(data), sort_keys=True, ensure_ascii=True))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("data", f"not JSON-serialisable: {exc}") from None
    basis = fact if fact is not None else json.dumps(body, sort_keys=True, separators=(",", ":"))
    return {
        "specversion": SPEC_VERSION,
        "id": event_id(job_id, event_type, subject, basis),
        "source": f"{SOURCE}/{kind}",
        "type": event_type,
        "subject": subject,
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "dataschema": data_schema(event_type),
        "data": body,
    }


def pending(data: Mapping[str, Any]) -> list[JsonDict]:
    """Return the events the job's record still has to publish."""
    events = data.get(OUTBOX) or []
    return [dict(e) for e in events if isinstance(e, Mapping)]


def with_emitted(
    data: Mapping[str, Any], update: Mapping[str, Any] | None, emitted: Sequence[JsonDict]
) -> Mapping[str, Any] | None:
    """Return the step's data update with `emitted` added to the outbox (deduplicated by id)."""
    if not emitted:
        return update
    outbox = pending(data)
    known = {e["id"] for e in outbox}
    for event in emitted:
        if event["id"] not in known:
            known.add(event["id"])
            outbox.append(event)
    return {**dict(update or {}), OUTBOX: outbox}


def after_publish(data: Mapping[str, Any], sent: int) -> JsonDict:
    """Return the data update that empties the outbox once `sent` events were published."""
    return {OUTBOX: [], PUBLISHED: int(data.get(PUBLISHED, 0)) + sent, PUBLISH_RETRIES: 0}


def after_skip(data: Mapping[str, Any], skipped: int) -> JsonDict:
    """Return the data update that records `skipped` events (no topic configured)."""
    return {OUTBOX: [], SKIPPED: int(data.get(SKIPPED, 0)) + skipped}


def overflow_name(job_id: str, event: Mapping[str, Any]) -> str:
    """Return the record name of an event too large for its job's record (deterministic)."""
    return f"{OVERFLOW_PREFIX}{job_id}/{event['id']}.json"


def overflow_record(
    job_id: str, kind: str, event: Mapping[str, Any], now: datetime
) -> tuple[JsonDict, dict[str, str]]:
    """Return the body and listable metadata of the overflow record of `event`."""
    body = {"jobId": job_id, "kind": kind, "parkedAt": now.isoformat(), "event": dict(event)}
    metadata = {"jobid": job_id, "eventid": str(event["id"]), "parkedat": now.isoformat()}
    return body, metadata
