"""Scheduled drills: the reconcile sweep starts a drill of every protected VM when a slot of
LIFEBOAT_DRILL_SCHEDULE (cron, UTC) is due.

The last slot handled is kept in DR-region storage (`drills/schedule.json`): a sweep that
finds one or more slots passed since then starts one drill for the newest of them (a missed
window is caught up once, never once per missed slot). The first sweep after a schedule is
configured records the newest slot as a baseline and starts nothing. A drill refused because
an outage plan executes leaves the slot due (the next sweep tries again).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cronsim import CronSim

from shared.errors import InvalidInput
from shared.outages.errors import DrillRefused

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)

RECORD = "drills/schedule.json"
_MINUTE = timedelta(minutes=1)


def latest_slot(cron: str, now: datetime) -> datetime:
    """The newest slot of `cron` at or before `now` (minute precision, UTC)."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + _MINUTE
    return next(CronSim(cron, start, reverse=True))


def next_slot(cron: str, after: datetime) -> datetime:
    """The first slot of `cron` strictly after `after`."""
    return next(CronSim(cron, after.astimezone(UTC).replace(second=0, microsecond=0)))


def _remember(deps: Deps, slot: datetime, outcome: str) -> None:
    body = {"lastSlot": slot.isoformat(), "outcome": outcome}
    deps.records.put(RECORD, body, {"lastslot": slot.isoformat()})


def sweep_drills(
    deps: Deps, now: datetime, force: bool
) -> tuple[dict[str, Any] | None, str | None]:
    """Start the scheduled drill when due; return (report, None), or (None, next due)."""
    from shared.drills.start import DrillScope, start_drill

    cron = deps.settings.drill_schedule
    if not cron:
        return {"schedule": None, "started": None}, None
    slot = latest_slot(cron, now)
    stored = deps.records.get(RECORD) or {}
    last = stored.get("lastSlot")
    if not last:
        _remember(deps, slot, "baseline")
        return {"schedule": cron, "baseline": slot.isoformat(), "started": None}, None
    if slot <= datetime.fromisoformat(str(last)) and not force:
        return None, next_slot(cron, now).isoformat()
    report: dict[str, Any] = {"schedule": cron, "slot": slot.isoformat(), "started": None}
    try:
        started = start_drill(deps, DrillScope("all"), at=slot)
    except DrillRefused as exc:
        logger.info("scheduled drill of %s refused: %s", slot.isoformat(), exc)
        report["refused"] = str(exc)
        return report, None
    except InvalidInput as exc:
        logger.warning("scheduled drill of %s not started: %s", slot.isoformat(), exc)
        _remember(deps, slot, f"not started: {exc}")
        report["error"] = str(exc)
        return report, None
    _remember(deps, slot, f"started {started.plan.drill_id}")
    report["started"] = started.to_json()
    return report, None
