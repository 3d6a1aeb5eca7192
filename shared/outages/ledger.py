"""The alert ledger: one entry per incident, merged from notifications in any order (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, TypeAdapter
from pydantic.dataclasses import dataclass as model

from shared.events.constants import Stage
from shared.outages.documents import DOCUMENT_CONFIG, read_document
from shared.outages.errors import DamagedPlan
from shared.outages.notification import Channel, Notification, RegionImpact, RegionStatus

LEDGER_VERSION: Literal[1] = 1
# At one event time, a later lifecycle stage wins (Active → Resolved → RCA).
_STAGE_RANK = {Stage.ACTIVE: 0, Stage.RESOLVED: 1, Stage.RCA: 2}


class DamagedLedgerEntry(DamagedPlan):
    """A persisted ledger entry that cannot be read back."""


@model(frozen=True, config=DOCUMENT_CONFIG)
class IncidentView:
    """What the newest communication of an incident says (by event time, then stage)."""

    event_time: AwareDatetime
    stage: str
    impacts: tuple[RegionImpact, ...]
    content_hash: str
    title: str | None = None

    def _order(self) -> tuple[datetime, int, str, str]:
        return (
            self.event_time,
            _STAGE_RANK.get(self.stage, 0),
            self.content_hash,
            self.title or "",
        )

    @property
    def finished(self) -> bool:
        """True when the incident's stage says it no longer affects anything."""
        return self.stage in Stage.FINISHED

    @property
    def regions(self) -> tuple[str, ...]:
        """Every region named, sorted."""
        return tuple(sorted({i.region for i in self.impacts}))

    @property
    def active_regions(self) -> tuple[str, ...]:
        """Regions still impacted: none once the incident is finished, else per-region status."""
        if self.finished:
            return ()
        return tuple(sorted({i.region for i in self.impacts if i.status is RegionStatus.ACTIVE}))

    @property
    def services(self) -> tuple[str, ...]:
        """Every impacted service named, sorted."""
        return tuple(sorted({i.service for i in self.impacts}))


@model(frozen=True, config=DOCUMENT_CONFIG)
class LedgerEntry:
    """One incident (keyed by trackingId) and every communication seen for it.

    Merging is commutative, associative and idempotent, so the same notifications delivered in
    any order, any number of times, on any channel, give the same entry.
    """

    tracking_id: str
    latest: IncidentView
    communication_ids: tuple[str, ...]
    content_hashes: tuple[str, ...]
    channels: tuple[Channel, ...]
    stages_seen: tuple[str, ...]
    first_received_at: AwareDatetime
    last_received_at: AwareDatetime
    schema_version: Literal[1] = LEDGER_VERSION
    corroboration: dict[str, dict[str, Any]] | None = None
    """Resource Health evidence per active region, as last read (shared.outages.corroborate)."""

    def to_json(self) -> str:
        """Return the entry as a JSON document (camelCase keys)."""
        return _ADAPTER.dump_json(self, by_alias=True).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> LedgerEntry:
        """Return the entry in `text`; raise DamagedLedgerEntry naming the first bad field."""
        return read_document(_ADAPTER, text, DamagedLedgerEntry, "entry")


_ADAPTER = TypeAdapter(LedgerEntry)


class ChangeKind(StrEnum):
    """What one notification did to the ledger."""

    NEW_INCIDENT = "new_incident"
    DUPLICATE = "duplicate"
    STALE = "stale"
    UPDATE = "update"


@dataclass(frozen=True)
class LedgerChange:
    """The difference one notification made to an incident's newest view."""

    kind: ChangeKind
    stage_before: str | None
    stage_after: str
    regions_added: tuple[str, ...] = ()
    regions_removed: tuple[str, ...] = ()
    regions_resolved: tuple[str, ...] = ()
    services_added: tuple[str, ...] = ()
    services_removed: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """True when this notification moved the incident from active to finished."""
        return (
            self.stage_before is not None
            and self.stage_before not in Stage.FINISHED
            and self.stage_after in Stage.FINISHED
        )

    @property
    def impact_changed(self) -> bool:
        """True when regions or services widened, narrowed or resolved (a pending plan re-plans)."""
        return bool(
            self.regions_added
            or self.regions_removed
            or self.regions_resolved
            or self.services_added
            or self.services_removed
        )


@dataclass(frozen=True)
class LedgerOutcome:
    """The entry to store and what changed."""

    entry: LedgerEntry
    change: LedgerChange


def _union(a: Iterable[str], b: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(a) | set(b)))


def _view(n: Notification) -> IncidentView:
    impacts = tuple(sorted(set(n.impacts)))
    return IncidentView(n.event_time, n.stage, impacts, n.content_hash, n.title)


def _entry(n: Notification, received_at: datetime) -> LedgerEntry:
    return LedgerEntry(
        tracking_id=n.tracking_id.strip().upper(),
        latest=_view(n),
        communication_ids=(n.communication_id,) if n.communication_id else (),
        content_hashes=(n.content_hash,),
        channels=(n.channel,),
        stages_seen=(n.stage,),
        first_received_at=received_at,
        last_received_at=received_at,
    )


def merge(a: LedgerEntry, b: LedgerEntry) -> LedgerEntry:
    """Return the join of two entries of one incident (order never matters)."""
    if a.tracking_id != b.tracking_id:
        raise ValueError(f"cannot merge incidents {a.tracking_id} and {b.tracking_id}")
    latest = max(a.latest, b.latest, key=IncidentView._order)
    return replace(
        a,
        latest=latest,
        communication_ids=_union(a.communication_ids, b.communication_ids),
        content_hashes=_union(a.content_hashes, b.content_hashes),
        channels=tuple(sorted(set(a.channels) | set(b.channels))),
        stages_seen=_union(a.stages_seen, b.stages_seen),
        first_received_at=min(a.first_received_at, b.first_received_at),
        last_received_at=max(a.last_received_at, b.last_received_at),
    )


def _seen(entry: LedgerEntry, n: Notification) -> bool:
    if n.communication_id and n.communication_id in entry.communication_ids:
        return True
    return n.content_hash in entry.content_hashes


def _diff(kind: ChangeKind, before: IncidentView, after: IncidentView) -> LedgerChange:
    was_active, now_active = set(before.active_regions), set(after.active_regions)
    return LedgerChange(
        kind=kind,
        stage_before=before.stage,
        stage_after=after.stage,
        regions_added=tuple(sorted(set(after.regions) - set(before.regions))),
        regions_removed=tuple(sorted(set(before.regions) - set(after.regions))),
        regions_resolved=tuple(sorted((was_active - now_active) & set(after.regions))),
        services_added=tuple(sorted(set(after.services) - set(before.services))),
        services_removed=tuple(sorted(set(before.services) - set(after.services))),
    )


def record(
    current: LedgerEntry | None, notification: Notification, received_at: datetime
) -> LedgerOutcome:
    """Return the ledger entry after `notification` and what it changed.

    A notification whose communication id or content hash is already recorded is a duplicate
    (its channel is still noted); one older than the newest view is stale (recorded, no change).
    """
    incoming = _entry(notification, received_at)
    if current is None:
        change = LedgerChange(ChangeKind.NEW_INCIDENT, None, notification.stage)
        return LedgerOutcome(incoming, change)
    merged = merge(current, incoming)
    if _seen(current, notification):
        kind = ChangeKind.DUPLICATE
    elif merged.latest == current.latest:
        kind = ChangeKind.STALE
    else:
        kind = ChangeKind.UPDATE
    if kind is not ChangeKind.UPDATE:
        return LedgerOutcome(merged, LedgerChange(kind, current.latest.stage, current.latest.stage))
    return LedgerOutcome(merged, _diff(kind, current.latest, merged.latest))
