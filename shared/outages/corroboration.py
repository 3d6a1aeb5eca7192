"""Resource Health corroboration: platform-initiated unavailability of protected VMs per region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.constants import squash

_UNAVAILABLE = "unavailable"
_PLATFORM = frozenset({"platforminitiated", "platform"})


@dataclass(frozen=True)
class HealthSignal:
    """One Resource Health availability status (or annotation) of one resource."""

    resource_id: str
    state: str
    """availabilityState: Available, Unavailable, Degraded or Unknown."""
    cause: str | None
    """`context` / `cause`: "Platform Initiated" or "Customer Initiated" / UserInitiated."""
    occurred_at: datetime
    annotation: bool = False
    """True for a ResourceAnnotated event (e.g. our own clean-copy stop), which never counts."""

    @property
    def counts(self) -> bool:
        """True for a platform-initiated Unavailable status (never for annotations)."""
        if self.annotation or self.cause is None:
            return False
        return squash(self.state) == _UNAVAILABLE and squash(self.cause) in _PLATFORM


@dataclass(frozen=True)
class RegionCorroboration:
    """How many protected VMs in one region Azure reports unavailable through no doing of ours."""

    region: str
    protected: int
    unavailable: int
    corroborated: bool


def _latest_per_resource(signals: Iterable[HealthSignal]) -> dict[str, HealthSignal]:
    latest: dict[str, HealthSignal] = {}
    for signal in signals:
        key = signal.resource_id.lower()
        if key not in latest or signal.occurred_at > latest[key].occurred_at:
            latest[key] = signal
    return latest


def corroborate(
    signals: Iterable[HealthSignal],
    protected: Mapping[str, str],
    now: datetime,
    min_fraction: float = 0.5,
    min_duration: timedelta = timedelta(minutes=10),
) -> tuple[RegionCorroboration, ...]:
    """Return, per region of `protected` (VM id → region), whether Resource Health corroborates.

    A region is corroborated when at least `min_fraction` of its protected VMs have, as their
    newest status, a platform-initiated Unavailable that has lasted `min_duration` by `now`.
    Signals about resources that are not protected are ignored; annotations never count.
    """
    latest = _latest_per_resource(s for s in signals if not s.annotation)
    by_region: dict[str, list[str]] = {}
    for vm_id, region in protected.items():
        by_region.setdefault(region, []).append(vm_id.lower())
    out = []
    for region in sorted(by_region):
        vms = by_region[region]
        down = sum(
            1
            for vm in vms
            if vm in latest and latest[vm].counts and now - latest[vm].occurred_at >= min_duration
        )
        corroborated = bool(vms) and down / len(vms) >= min_fraction and down > 0
        out.append(RegionCorroboration(region, len(vms), down, corroborated))
    return tuple(out)
