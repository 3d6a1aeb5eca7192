"""Retention in both regions: newest N/M complete sets kept, guards, orphans after a grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.vms.retention import (
    DeleteReason,
    GuardReason,
    Keep,
    Placement,
    StoredSet,
    StoredSnapshot,
    plan_retention,
)

T0 = datetime(2026, 3, 10, tzinfo=UTC)
GRACE = timedelta(hours=6)
VM = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web1"


def stored(
    n: int,
    placement: Placement = Placement.DR,
    *,
    complete: bool = True,
    families: tuple[str, ...] = ("os", "lun0"),
    vm: str = VM,
    age_hours: float | None = None,
) -> StoredSet:
    set_id = f"set{n}-{placement}"
    captured = T0 - timedelta(hours=age_hours if age_hours is not None else 100 - n)
    snaps = tuple(StoredSnapshot(f"/snap/{set_id}/{f}", f, complete) for f in families)
    return StoredSet(set_id, vm, placement, captured, complete, snaps)


def deleted_sets(sets: list[StoredSet], **kw: object) -> set[str]:
    plan = plan_retention(sets, T0, GRACE, **kw)  # type: ignore[arg-type]
    return {d.set_id for d in plan.deletions}


def test_keeps_newest_n_in_primary_and_m_in_dr_separately() -> None:
    sets = [stored(i, Placement.PRIMARY) for i in range(4)] + [stored(i) for i in range(4)]
    assert deleted_sets(sets, default=Keep(primary=1, dr=3)) == {
        "set0-primary",
        "set1-primary",
        "set2-primary",
        "set0-dr",
    }


def test_tag_override_of_one_vm_applies_to_that_vm_only() -> None:
    other = VM.replace("web1", "web2")
    sets = [stored(i) for i in range(3)] + [stored(10 + i, vm=other) for i in range(3)]
    keep = {VM.upper(): Keep(primary=1, dr=1)}
    assert deleted_sets(sets, keep=keep, default=Keep(dr=5)) == {"set0-dr", "set1-dr"}


def test_the_newest_complete_dr_copy_of_a_disk_family_is_never_deleted() -> None:
    # the newest set lacks lun0 (a disk added later was excluded, say): its newest copy is older
    newest = stored(5, families=("os",))
    older = stored(4, families=("os", "lun0"))
    plan = plan_retention([newest, older], T0, GRACE, default=Keep(dr=1))
    assert [d.snapshot_id for d in plan.deletions] == ["/snap/set4-dr/os"]
    (guard,) = plan.guarded
    assert (guard.snapshot_id, guard.reason) == ("/snap/set4-dr/lun0", GuardReason.NEWEST_DR_COPY)


def test_a_source_snapshot_whose_copy_is_in_flight_is_kept() -> None:
    sets = [stored(i, Placement.PRIMARY) for i in range(3)]
    plan = plan_retention(
        sets,
        T0,
        GRACE,
        copies_in_flight=["/SNAP/set0-primary/os"],
        default=Keep(primary=1),
    )
    assert {g.snapshot_id for g in plan.guarded} == {"/snap/set0-primary/os"}
    assert {g.reason for g in plan.guarded} == {GuardReason.COPY_IN_FLIGHT}
    assert "/snap/set0-primary/os" not in {d.snapshot_id for d in plan.deletions}


def test_incomplete_sets_are_orphans_only_after_the_grace_period() -> None:
    young = stored(1, complete=False, age_hours=1)
    old = stored(2, complete=False, age_hours=7)
    plan = plan_retention([young, old, stored(3)], T0, GRACE)
    assert {(d.set_id, d.reason) for d in plan.deletions} == {(old.set_id, DeleteReason.ORPHANED)}


def test_incomplete_sets_do_not_count_towards_the_complete_sets_kept() -> None:
    sets = [stored(1), stored(2, complete=False, age_hours=1)]
    assert deleted_sets(sets, default=Keep(dr=1)) == set()


def test_a_complete_copy_inside_an_orphaned_set_is_kept_if_it_is_the_newest_of_its_family() -> None:
    partial = StoredSet(
        "partial",
        VM,
        Placement.DR,
        T0 - timedelta(hours=10),
        False,
        (StoredSnapshot("/snap/p/os", "os", True), StoredSnapshot("/snap/p/lun0", "lun0", False)),
    )
    plan = plan_retention([stored(1, age_hours=20), partial], T0, GRACE)
    assert [d.snapshot_id for d in plan.deletions] == ["/snap/p/lun0"]


def test_keep_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Keep(primary=0)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Placement)),
            st.booleans(),
            st.integers(0, 500),
            st.sets(st.sampled_from(["os", "lun0", "lun1"]), min_size=1),
        ),
        max_size=25,
    ),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_retention_never_deletes_a_guarded_snapshot_and_keeps_n_complete_sets(
    raw: list[tuple[Placement, bool, int, set[str]]], keep_primary: int, keep_dr: int
) -> None:
    sets = [
        StoredSet(
            f"s{i}",
            VM,
            placement,
            T0 - timedelta(hours=age),
            complete,
            tuple(StoredSnapshot(f"/snap/s{i}/{f}", f, complete) for f in sorted(families)),
        )
        for i, (placement, complete, age, families) in enumerate(raw)
    ]
    plan = plan_retention(sets, T0, GRACE, default=Keep(keep_primary, keep_dr))
    gone = {d.snapshot_id for d in plan.deletions}
    for family in ("os", "lun0", "lun1"):
        dr_copies = [
            (s.captured_at, s.set_id)
            for s in sets
            if s.placement is Placement.DR
            for snap in s.snapshots
            if snap.family == family and snap.complete
        ]
        if dr_copies:
            newest = max(dr_copies)[1]
            assert f"/snap/{newest}/{family}" not in gone
    for placement, keep in ((Placement.PRIMARY, keep_primary), (Placement.DR, keep_dr)):
        complete = sorted(
            (s for s in sets if s.placement is placement and s.complete),
            key=lambda s: (s.captured_at, s.set_id),
            reverse=True,
        )
        for kept in complete[:keep]:
            assert not {snap.snapshot_id for snap in kept.snapshots} & gone
