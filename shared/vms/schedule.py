"""Capture schedules: cron or fixed interval, the slot due now (missed windows caught up once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
# ISO 8601 durations limited to days/hours/minutes/seconds: months and years have no fixed length.
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE)
_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$", re.IGNORECASE)
# Fires sampled to find a cron expression's shortest gap (dense crons reveal it at once).
_GAP_SAMPLES = 200
_GAP_REFERENCE = datetime(2026, 1, 5, tzinfo=UTC)


class ScheduleError(ValueError):
    """A schedule text that is neither a 5-field cron expression nor a supported interval."""


@dataclass(frozen=True)
class Schedule:
    """When captures are due: a cron expression (UTC) or an interval anchored at the Unix epoch.

    Interval slots are anchored at the epoch rather than at the last capture so that every worker
    derives the same slot (and so the same set id) for the same moment: `PT6H` fires at 00:00,
    06:00, 12:00 and 18:00 UTC.
    """

    text: str
    cron: str | None = None
    interval: timedelta | None = None

    def latest_slot(self, now: datetime) -> datetime:
        """Return the newest slot at or before `now` (minute precision, UTC)."""
        now = _utc(now)
        if self.interval is not None:
            count = (now - _EPOCH) // self.interval
            return _EPOCH + count * self.interval
        # cronsim is exclusive of its start; start one minute on to include a slot at `now`.
        start = now.replace(second=0, microsecond=0) + _MINUTE
        return next(CronSim(str(self.cron), start, reverse=True))

    def next_slot(self, after: datetime) -> datetime:
        """Return the first slot strictly after `after`."""
        after = _utc(after)
        if self.interval is not None:
            return self.latest_slot(after) + self.interval
        return next(CronSim(str(self.cron), after.replace(second=0, microsecond=0)))

    def shortest_gap(self) -> timedelta:
        """Return the shortest time between two slots (sampled for cron expressions)."""
        if self.interval is not None:
            return self.interval
        fires = CronSim(str(self.cron), _GAP_REFERENCE)
        previous = next(fires)
        gap = timedelta.max
        for _ in range(_GAP_SAMPLES):
            try:
                current = next(fires)
            except StopIteration:
                break
            gap = min(gap, current - previous)
            previous = current
        return gap


def parse_schedule(text: str) -> Schedule:
    """Return the Schedule `text` describes; raise ScheduleError saying why it is not one.

    Accepted: a 5-field cron expression (`0 */6 * * *`, evaluated in UTC), an ISO 8601 duration
    of days, hours, minutes and seconds (`PT6H`, `P1D`, `P1DT12H`), or a short interval
    (`6h`, `30m`, `1d`, `1h30m`).
    """
    clean = text.strip()
    if not clean:
        raise ScheduleError("empty schedule")
    if " " in clean or "\t" in clean:
        return _cron(clean)
    interval = _interval(clean)
    if interval is None:
        raise ScheduleError("not a cron expression, an ISO 8601 duration or an interval like 6h")
    if interval < _MINUTE or interval % _MINUTE:
        raise ScheduleError("an interval must be a whole number of minutes, at least 1")
    return Schedule(clean, interval=interval)


def _cron(text: str) -> Schedule:
    expr = " ".join(text.split())
    try:
        next(CronSim(expr, _GAP_REFERENCE))
    except CronSimError as exc:
        raise ScheduleError(f"bad cron expression: {exc}") from None
    except StopIteration:
        raise ScheduleError("cron expression never fires") from None
    return Schedule(text, cron=expr)


def _interval(text: str) -> timedelta | None:
    iso = _ISO.match(text)
    if iso and any(iso.groups()) and not text.upper().endswith("T"):
        days, hours, minutes, seconds = (int(g or 0) for g in iso.groups())
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    short = _SHORT.match(text)
    if short and any(short.groups()):
        days, hours, minutes = (int(g or 0) for g in short.groups())
        return timedelta(days=days, hours=hours, minutes=minutes)
    return None


@dataclass(frozen=True)
class ScheduleDecision:
    """Whether a scheduled capture is due now, for which slot, and the next scheduled run."""

    due: bool
    slot: datetime | None
    next_run: datetime


def decide(
    schedule: Schedule, last_complete_capture: datetime | None, now: datetime
) -> ScheduleDecision:
    """Return whether a capture is due at `now` given the newest complete capture's time.

    A capture is due when the newest slot at or before `now` is later than the last complete
    capture. Several missed slots (an outage of the app, a failed set) therefore give one
    catch-up capture for the newest slot, not one per missed window. `next_run` is the first
    slot after `now`, what status shows whether or not a capture is due.
    """
    slot = schedule.latest_slot(now)
    following = schedule.next_slot(now)
    if last_complete_capture is not None and _utc(last_complete_capture) >= slot:
        return ScheduleDecision(False, None, following)
    return ScheduleDecision(True, slot, following)


def change_capture_due(
    last_change: datetime | None,
    last_capture_started: datetime | None,
    now: datetime,
    settle: timedelta,
) -> datetime | None:
    """Return the slot of a capture after a change, or None while none is due.

    A change (a VM or disk write: maintenance done) is captured once the VM has been quiet for
    `settle`; every write in a burst moves `last_change`, so a burst coalesces into one capture.
    The slot is the last change's minute, so repeated evaluations name the same set.
    """
    if last_change is None:
        return None
    change = _utc(last_change)
    if last_capture_started is not None and _utc(last_capture_started) >= change:
        return None
    if _utc(now) < change + settle:
        return None
    return change.replace(second=0, microsecond=0)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: schedule times must be timezone-aware")
    return moment.astimezone(UTC)
