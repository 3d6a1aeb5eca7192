"""Retention of capture sets in both regions: what to delete and why, and what is guarded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Placement(StrEnum):
    """Where a stored set lives: the VM's own region or the DR region."""

    PRIMARY = "primary"
    DR = "dr"


@dataclass(frozen=True)
class StoredSnapshot:
    """One snapshot of a stored set. `family` is the source disk's uniqueId in both regions."""

    snapshot_id: str
    family: str
    complete: bool


@dataclass(frozen=True)
class StoredSet:
    """A capture set as found in one region. `complete` when every disk of it is usable."""

    set_id: str
    vm_id: str
    placement: Placement
    captured_at: datetime
    complete: bool
    snapshots: tuple[StoredSnapshot, ...]


@dataclass(frozen=True)
class Keep:
    """How many complete sets of one VM to keep in each region."""

    primary: int = 2
    dr: int = 7

    def __post_init__(self) -> None:
        if self.primary < 1 or self.dr < 1:
            raise ValueError("keep at least one complete set in each region")

    def count(self, placement: Placement) -> int:
        """Return the number to keep in `placement`."""
        return self.primary if placement is Placement.PRIMARY else self.dr


class DeleteReason(StrEnum):
    """Why a snapshot is deleted."""

    EXPIRED = "expired"  # its set is older than the newest N complete sets
    ORPHANED = "orphaned"  # its set never completed and is past the grace period


class GuardReason(StrEnum):
    """Why a snapshot retention would delete is kept."""

    NEWEST_DR_COPY = "newest_dr_copy"  # the next copy of its disk would be a full copy
    COPY_IN_FLIGHT = "copy_in_flight"  # deleting a source mid-copy fails the copy


@dataclass(frozen=True)
class Deletion:
    """One snapshot to delete."""

    snapshot_id: str
    set_id: str
    reason: DeleteReason


@dataclass(frozen=True)
class Guarded:
    """One snapshot kept although its set is expired or orphaned."""

    snapshot_id: str
    set_id: str
    reason: GuardReason


@dataclass(frozen=True)
class RetentionPlan:
    """What a retention pass deletes, and what it keeps against its own rules (and why)."""

    deletions: tuple[Deletion, ...]
    guarded: tuple[Guarded, ...]


def _newest_dr_copies(sets: Iterable[StoredSet]) -> set[str]:
    """Ids of the newest complete DR snapshot of each disk family."""
    newest: dict[str, tuple[datetime, str]] = {}
    for stored in sets:
        if stored.placement is not Placement.DR:
            continue
        for snap in stored.snapshots:
            key = snap.family.lower()
            candidate = (stored.captured_at, snap.snapshot_id)
            if snap.complete and (key not in newest or candidate > newest[key]):
                newest[key] = candidate
    return {snapshot_id.lower() for _, snapshot_id in newest.values()}


def _doomed(
    sets: Iterable[StoredSet], keep: Mapping[str, Keep], default: Keep, orphaned_before: datetime
) -> list[tuple[StoredSet, DeleteReason]]:
    by_vm: dict[tuple[str, Placement], list[StoredSet]] = defaultdict(list)
    doomed: list[tuple[StoredSet, DeleteReason]] = []
    for stored in sets:
        if stored.complete:
            by_vm[(stored.vm_id.lower(), stored.placement)].append(stored)
        elif stored.captured_at < orphaned_before:
            doomed.append((stored, DeleteReason.ORPHANED))
    for (vm, placement), complete in by_vm.items():
        complete.sort(key=lambda s: (s.captured_at, s.set_id), reverse=True)
        count = keep.get(vm, default).count(placement)
        doomed.extend((s, DeleteReason.EXPIRED) for s in complete[count:])
    return doomed


def plan_retention(
    sets: Iterable[StoredSet],
    now: datetime,
    orphan_grace: timedelta,
    *,
    copies_in_flight: Iterable[str] = (),
    keep: Mapping[str, Keep] | None = None,
    default: Keep | None = None,
) -> RetentionPlan:
    """Return the snapshots to delete, and those kept only by a guard.

    Keeps the newest `Keep.primary` complete sets per VM in the primary region and `Keep.dr`
    in the DR region (`keep` maps a VM id, lower case, to its tag override). An incomplete set
    captured before `now - orphan_grace` is an orphan. Never deleted: the newest complete DR
    copy of each disk family, and a source snapshot whose copy is in flight
    (`copies_in_flight` holds source snapshot ids).
    """
    stored = list(sets)
    keep_by_vm = {k.lower(): v for k, v in (keep or {}).items()}
    protected = _newest_dr_copies(stored)
    flying = {s.lower() for s in copies_in_flight}
    deletions: list[Deletion] = []
    guarded: list[Guarded] = []
    doomed = _doomed(stored, keep_by_vm, default or Keep(), now - orphan_grace)
    for item, reason in sorted(doomed, key=lambda d: (d[0].captured_at, d[0].set_id)):
        for snap in item.snapshots:
            key = snap.snapshot_id.lower()
            if key in protected:
                guarded.append(Guarded(snap.snapshot_id, item.set_id, GuardReason.NEWEST_DR_COPY))
            elif key in flying:
                guarded.append(Guarded(snap.snapshot_id, item.set_id, GuardReason.COPY_IN_FLIGHT))
            else:
                deletions.append(Deletion(snap.snapshot_id, item.set_id, reason))
    return RetentionPlan(tuple(deletions), tuple(guarded))
