"""Image DR policy from Settings: DR region and scope, replica storage type, wait times (pure)."""

from __future__ import annotations

from datetime import datetime

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


def progress_wait(
    settings: Settings, started: datetime | None, percent: float | None, now: datetime
) -> float:
    """Return how long to wait before the next progress read: the estimated time left, bounded.

    Estimating from progress so far keeps reads (and ARM read quota) low on long copies.
    """
    low, high = settings.images_copy_poll_seconds, settings.images_copy_poll_max_seconds
    if started is None or not percent or percent >= 100:
        return low
    elapsed = max(0.0, (now - started).total_seconds())
    left = elapsed * (100 - percent) / percent
    return max(low, min(high, left))


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


def backoff_wait(settings: Settings, hint: float | None, polls: int) -> float:
    """Return the wait before the next look: the plan's hint, or longer after repeated looks.

    Replication reports no start time, so its remaining time cannot be estimated; doubling
    the wait on each look that found nothing new keeps ARM reads (and quota) low.
    """
    low, high = settings.images_copy_poll_seconds, settings.images_copy_poll_max_seconds
    grown = min(high, low * float(1 << min(polls, 16)))
    return max(hint if hint is not None else low, grown)
