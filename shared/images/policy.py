"""Image DR policy from Settings: DR region and scope, replica storage type, wait times (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.azure.galleries import TargetRegion
from shared.config import Settings
from shared.errors import ConfigurationError

_ZRS = "Standard_ZRS"
_LRS = "Standard_LRS"


def storage_type(settings: Settings, zonal: bool) -> str:
    """Return the replica storage type: Settings', with ZRS only where the region has zones."""
    if settings.storage_account_type == _ZRS and not zonal:
        return _LRS
    return settings.storage_account_type


def dr_target(settings: Settings, region: str, zonal: bool) -> TargetRegion:
    """Return the targetRegions entry for the DR region (replica count and type from Settings)."""
    return TargetRegion(region, settings.replica_count, storage_type(settings, zonal))


def progress_estimate(
    settings: Settings, started: datetime | None, percent: float | None, now: datetime
) -> float | None:
    """Return the estimated time left of a copy from its progress so far, bounded by Settings
    (None when it cannot be estimated: no start time, or no progress yet)."""
    if started is None or not percent or percent >= 100:
        return None
    elapsed = max(0.0, (now - started).total_seconds())
    left = elapsed * (100 - percent) / percent
    low, high = settings.images_copy_poll_seconds, settings.images_copy_poll_max_seconds
    return max(low, min(high, left))


def progress_wait(
    settings: Settings, started: datetime | None, percent: float | None, now: datetime
) -> float:
    """Return how long to wait before the next progress read: the estimated time left, bounded.

    Estimating from progress so far keeps reads (and ARM read quota) low on long copies.
    """
    estimate = progress_estimate(settings, started, percent, now)
    return settings.images_copy_poll_seconds if estimate is None else estimate


def dr_region_for(region: str | None, settings: Settings) -> tuple[str | None, str | None]:
    """Return (DR region, None), or (None, why the artifact is out of scope)."""
    if not region:
        return None, "the artifact's region is unknown"
    if settings.primary_regions and region not in settings.primary_regions:
        return None, f"region {region} is not a protected primary region"
    try:
        return settings.dr_region(region), None
    except ConfigurationError as exc:
        return None, str(exc)


def backoff_wait(
    settings: Settings, estimate: float | None, polls: int, polling: bool = False
) -> float:
    """Return the wait before the next look: the estimated time left when there is one, else a
    poll that doubles with every look that found no progress (`polls`, reset on progress).

    Replication reports no start time, so its remaining time cannot be estimated; doubling
    keeps ARM reads (and quota) low. `polling`: something unestimated is waited on as well, so
    the next look comes no later than its poll.
    """
    low, high = settings.images_copy_poll_seconds, settings.images_copy_poll_max_seconds
    grown = min(high, low * float(1 << min(polls, 16)))
    if estimate is None:
        return grown
    bounded = max(low, min(high, estimate))
    return min(bounded, grown) if polling else bounded


def rate_estimate(
    settings: Settings, earlier: Sequence[Any] | None, percent: float | None, now: datetime
) -> float | None:
    """Return the time left at the rate progress moved since an earlier look ([percent, ISO
    time]), bounded by Settings; None without an earlier look or without progress since."""
    if not earlier or percent is None or percent >= 100:
        return None
    before, at = float(earlier[0]), datetime.fromisoformat(str(earlier[1]))
    elapsed = (now - at).total_seconds()
    if percent <= before or elapsed <= 0:
        return None
    left = elapsed * (100 - percent) / (percent - before)
    low, high = settings.images_copy_poll_seconds, settings.images_copy_poll_max_seconds
    return max(low, min(high, left))


def observe(
    settings: Settings,
    earlier: Mapping[str, Any],
    polled: Mapping[str, float | None],
    now: datetime,
) -> tuple[list[float], bool, dict[str, list[Any]]]:
    """Estimate the unestimated waits from their progress between looks.

    `earlier` is what the last look kept ({wait: [percent, ISO time]}). Returns the estimates,
    whether some wait still has none, and what to keep for the next look (the earlier point
    is kept while the percent has not moved, so a slow rate is still measured).
    """
    estimates: list[float] = []
    unknown = False
    kept: dict[str, list[Any]] = {}
    for key, percent in polled.items():
        before = earlier.get(key)
        left = rate_estimate(settings, before, percent, now)
        unknown = unknown or left is None
        estimates.extend([left] if left is not None else [])
        if before and percent is not None and float(before[0]) == percent:
            kept[key] = list(before)
        elif percent is not None:
            kept[key] = [percent, now.isoformat()]
    return estimates, unknown, kept


# Azure refuses a CopyStart while 100 copies run in the region (or one from the same disk):
# the job waits this many times (COPY_LIMIT_WAIT_SECONDS each, ~6 h) before it gives up.
MAX_COPY_REFUSALS = 72
