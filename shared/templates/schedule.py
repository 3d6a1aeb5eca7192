"""When the template sweep is due: once a day, recorded by a marker in the records store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.ports import RecordStore

TEMPLATE_SWEEP_EVERY = timedelta(hours=24)
# Where the last template sweep is recorded, in the DR account's records container.
TEMPLATE_SWEEP_MARKER = "sweeps/templates.json"


def template_sweep_due(last: datetime | None, now: datetime) -> bool:
    """True when templates were never swept or were last swept a day or more before `now`."""
    return last is None or now - last >= TEMPLATE_SWEEP_EVERY


def last_template_sweep(records: RecordStore) -> datetime | None:
    """Return when templates were last swept (None: never)."""
    stamp = (records.get(TEMPLATE_SWEEP_MARKER) or {}).get("sweptAt")
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else None


def mark_template_sweep(records: RecordStore, now: datetime) -> None:
    """Record that templates were swept at `now`."""
    records.put(TEMPLATE_SWEEP_MARKER, {"sweptAt": now.isoformat()}, {})
