"""The `event_overflow` reconcile sweep: publish events too large for their job's record that
are still kept in DR storage (`events/overflow/...`, see shared/jobs/outbox.py).

The job that emitted such an event publishes it right after its write and deletes its record;
a record left behind means that publish failed (or the worker died). The sweep publishes each
one with its own id, unchanged, and deletes its record: consumers that deduplicate on `id` see
it once. Records younger than `GRACE` are left to the job that is still writing them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.jobs.outbox import OVERFLOW_PREFIX

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)

GRACE = timedelta(minutes=10)
NO_TOPIC = "LIFEBOAT_EVENTS_ENDPOINT is unset: kept events wait for a topic"


def _parked_at(metadata: Mapping[str, str]) -> datetime | None:
    try:
        return datetime.fromisoformat(metadata["parkedat"])
    except (KeyError, ValueError):
        return None


def sweep_overflow(deps: Deps, now: datetime) -> dict[str, Any]:
    """Publish every kept event older than GRACE and delete its record; return counts.

    A publish that fails leaves the record for the next run (reported in `errors`).
    """
    listed = deps.records.list_metadata(OVERFLOW_PREFIX)
    publisher = deps.publisher
    if publisher is None:
        report: dict[str, Any] = {"kept": len(listed), "published": 0}
        return {**report, "finding": NO_TOPIC} if listed else report
    published, recent, errors = 0, 0, []
    for name, metadata in sorted(listed.items()):
        parked = _parked_at(metadata)
        if parked is not None and now - parked < GRACE:
            recent += 1
            continue
        record = deps.records.get(name)
        event = None if record is None else record.get("event")
        if not isinstance(event, Mapping) or not event.get("id"):
            if record is not None:
                errors.append(f"{name}: not a kept event")
            continue
        try:
            publisher.publish([event])
        except Exception as exc:  # kept for the next run; the other events still go out
            logger.warning("kept event %s not published: %s", event["id"], exc)
            errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
            continue
        deps.records.delete(name)
        published += 1
    report = {"kept": len(listed) - published, "published": published}
    if recent:
        report["recent"] = recent
    if errors:
        report["errors"] = errors[:20]
    return report
