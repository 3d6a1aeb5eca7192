"""Restore-point mode of one VM's protection: a crash-consistent VM restore point of every disk
in the VM's region, its cross-region copy (preview) into the DR region, and the restore points
as retention sees them.

Job data kept by these steps (beside the set plan's `restore_point` ids):
`captured` (label → the restore point's creation time, one instant for every disk),
`restore_points` (label → disk restore point id, primary), `copied` (label → when the copy was
seen complete) and `dr_disk_restore_points` (label → disk restore point id in the DR region).
`rate_limited_until` records a wait for Azure's 3 restore points per VM per hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.jobs.messages import iso
from shared.jobs.registry import StepContext, StepResult
from shared.vms.checks import next_restore_point_allowed
from shared.vms.naming import VM_KEY_TAG, VM_TAG, vm_key
from shared.vms.retention import Placement, StoredSet, StoredSnapshot
from shared.vms.sets import SetDisk

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.restore_points import Collection, RestorePoint
    from shared.config import Settings

# Seconds between two looks at a local restore point being created ("within a few seconds").
CREATE_POLL_SECONDS = 30.0
_POINTS = "/restorepoints/"


def _rid(value: str, field: str) -> ResourceId:
    return ResourceId.parse(value, field)


def collection_tags(vm_id: str) -> dict[str, str]:
    """The tags of a VM's collections (both regions): how retention finds them."""
    tags = {VM_KEY_TAG: vm_key(vm_id)}
    if len(vm_id) <= 256:
        tags[VM_TAG] = vm_id
    return tags


def _ensure_collection(
    clients: AzureClients,
    collection: str,
    location: str,
    source: str,
    vm_id: str,
    *,
    settings: Settings | None = None,
) -> Collection | None:
    """Return the collection with its points; create it (one PUT) only when it is absent.

    None when its source (the VM, or the VM's collection) is gone. A DR collection (`settings`
    given) is created only once its DR group is known to be located in the DR region.
    """
    from shared.azure.restore_points import create_collection, get_collection
    from shared.engine.placement import ensure_dr_group

    rid = _rid(collection, "restore_point.collection")
    found = get_collection(clients, rid, points=True)
    if found is not None:
        return found
    if settings is not None:
        ensure_dr_group(clients, settings, collection)
    made = create_collection(clients, rid, location, source, collection_tags(vm_id))
    return None if made is None else get_collection(clients, rid, points=True)


def _ended(reason: str, data: Mapping[str, Any]) -> StepResult:
    return StepResult.skip(reason, {**data, "ended": reason})


_VM_GONE = "the VM was deleted before its disks were captured"


def _point_in(collection: Collection, point_id: str) -> RestorePoint | None:
    return next((p for p in collection.points if p.id.lower() == point_id.lower()), None)


def _delete_point(ctx: StepContext, point_id: str) -> None:
    from shared.azure.restore_points import delete_restore_point

    delete_restore_point(ctx.app.clients, _rid(point_id, "restore_point"))


def capture(ctx: StepContext, planned: Mapping[str, Any], disks: Sequence[SetDisk]) -> StepResult:
    """Create the set's restore point in the VM's collection (within 3 per hour), wait for it."""
    from shared.azure.restore_points import begin_create_restore_point

    ids, now = planned["restore_point"], ctx.now()
    data: dict[str, Any] = {"plan": dict(planned)}
    collection = _ensure_collection(
        ctx.app.clients, ids["collection"], planned["location"], planned["vm_id"], planned["vm_id"]
    )
    if collection is None:
        return _ended(_VM_GONE, data)
    mine = _point_in(collection, ids["restore_point"])
    if mine is None:
        created = [p.time_created for p in collection.points if p.time_created is not None]
        allowed = next_restore_point_allowed(created, now)
        if allowed > now:
            # Azure's limit, not a failure: the set waits for its turn, and says so.
            data["rate_limited_until"] = iso(allowed)
            why = f"restore points are limited to 3 per hour per VM: next one at {iso(allowed)}"
            return StepResult.wait((allowed - now).total_seconds(), why, data)
        exclude = planned.get("excluded_disk_ids") or ()
        if not begin_create_restore_point(
            ctx.app.clients, _rid(ids["restore_point"], "rp"), exclude
        ):
            return _ended(_VM_GONE, data)
        return StepResult.wait(CREATE_POLL_SECONDS, "restore point being created", data)
    if mine.failed:
        # No resume for a failed restore point: it is deleted so that a new set starts clean.
        _delete_point(ctx, mine.id)
        return StepResult.fail(f"restore point {mine.name} failed in Azure", data)
    if not mine.succeeded:
        return StepResult.wait(CREATE_POLL_SECONDS, "restore point being created", data)
    by_label = {d.label: d.disk_restore_point_id for d in mine.disks}
    missing = [d.label for d in disks if d.label not in by_label]
    if missing:
        return StepResult.fail("restore point lacks disks " + ", ".join(missing), data)
    moment = iso(mine.time_created or now)
    data.update(
        captured={d.label: moment for d in disks},
        restore_points={d.label: by_label[d.label] for d in disks},
        consistency_mode=mine.consistency_mode,
    )
    return StepResult.done(data)


def _copy_turn(ctx: StepContext, dr: Collection, ids: Mapping[str, str]) -> StepResult | None:
    """Wait or fail when this copy may not start now, or None when it may.

    Azure copies into one collection strictly one at a time and in order: a copy waits while
    another point of the DR collection is replicating, or while an older set of the VM (its
    job still running) has not been copied yet; an older point after a newer one is refused,
    so such a set fails saying so.
    """
    from shared.azure.restore_points import get_collection, get_restore_point
    from shared.jobs.model import job_id_for
    from shared.vms.jobs import PROTECTION_KIND

    clients, wait = ctx.app.clients, ctx.settings.vms_copy_poll_seconds
    mine = _rid(ids["dr_restore_point"], "dr_restore_point").name.lower()
    copied = {p.name.lower() for p in dr.points}
    newer = sorted(n for n in copied if n > mine)
    if newer:
        why = f"restore point {newer[-1]} was already copied; Azure refuses an older copy after it"
        return StepResult.fail(why)
    for point in dr.points:
        current = get_restore_point(clients, _rid(point.id, "rp"), instance_view=True)
        if current is not None and not current.replicated and not current.failed:
            why = f"waiting for the copy of {current.name} into the DR collection to finish"
            return StepResult.wait(wait, why)
    source = get_collection(clients, _rid(ids["collection"], "collection"), points=True)
    for point in source.points if source is not None else ():
        name = point.name.lower()
        if name >= mine or name in copied:
            continue
        job = ctx.app.jobs.get(job_id_for(PROTECTION_KIND, point.name))
        if job is not None and not job.terminal:
            return StepResult.wait(wait, f"waiting for the older set {point.name} to copy first")
    return None


def copy(ctx: StepContext) -> StepResult:
    """Copy the set's restore point into the DR collection and wait until every disk is there.

    A restore-point copy is not a CopyStart: Azure's 100-copies-per-subscription limit and the
    copy scheduler do not apply; copies into one collection run one at a time, in order.
    """
    from shared.azure.restore_points import begin_copy_restore_point, get_restore_point

    plan, clients = ctx.data["plan"], ctx.app.clients
    ids = plan["restore_point"]
    disks = [SetDisk.from_json(d) for d in plan["disks"]]
    target = _rid(ids["dr_restore_point"], "dr_restore_point")
    point = get_restore_point(clients, target, instance_view=True)
    if point is None:
        collection = _ensure_collection(
            clients,
            ids["dr_collection"],
            plan["dr_region"],
            ids["collection"],
            plan["vm_id"],
            settings=ctx.settings,
        )
        turn = _copy_turn(ctx, collection, ids) if collection is not None else None
        if turn is not None:
            return turn
        if collection is None or not begin_copy_restore_point(
            clients, target, ids["restore_point"]
        ):
            return StepResult.fail("the set's restore point is gone: nothing to copy")
        return StepResult.wait(ctx.settings.vms_copy_poll_seconds, "restore point copy started")
    if point.failed:
        # Azure gives no details and no resume: the copy is deleted, the set fails, the next
        # set copies again.
        _delete_point(ctx, point.id)
        return StepResult.fail(f"copy of restore point {point.name} into the DR region failed")
    if not point.replicated:
        done = "?" if point.replication_percent is None else f"{point.replication_percent:g}"
        wait = ctx.settings.vms_copy_poll_seconds
        return StepResult.wait(wait, f"copying restore point {point.name} ({done}%)")
    by_label = {d.label: d.disk_restore_point_id for d in point.disks}
    missing = [d.label for d in disks if d.label not in by_label]
    if missing:
        return StepResult.fail("DR restore point lacks disks " + ", ".join(missing))
    previous = dict(ctx.data.get("copied") or {})
    now = iso(ctx.now())
    return StepResult.done(
        {
            "copied": {d.label: previous.get(d.label, now) for d in disks},
            "dr_disk_restore_points": {d.label: by_label[d.label] for d in disks},
        }
    )


def copy_replicated(clients: AzureClients, data: Mapping[str, Any]) -> bool:
    """True when a restore-point set's DR copy is still there with every disk replicated."""
    from shared.azure.restore_points import get_restore_point

    ids = (data.get("plan") or {}).get("restore_point") or {}
    if not ids or not data.get("dr_disk_restore_points"):
        return False
    point = get_restore_point(clients, _rid(ids["dr_restore_point"], "rp"), instance_view=True)
    return point is not None and point.replicated


# ---- retention: Lifeboat's restore points in both regions, as stored sets ----


def _slot(set_id: str) -> datetime | None:
    try:
        return datetime.strptime(set_id.rsplit("-", 1)[-1], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None


def stored_restore_point_sets(
    clients: AzureClients, settings: Settings, complete: Iterable[str]
) -> list[StoredSet]:
    """Return each of Lifeboat's restore points (one per set and region) as a stored set.

    Collections are found by their `lifeboat-vm-key` tag (one listing per subscription, then
    one read per collection); a restore point whose name is not a set id is not Lifeboat's. The
    family of every point of one VM is `<vm key>/rp`, so the newest complete DR copy is guarded.
    """
    from shared.azure.restore_points import get_collection, list_collections

    done = {c.lower() for c in complete}
    primaries = {r.lower() for r in settings.primary_regions}
    found = []
    for listed in list_collections(clients, settings.subscriptions):
        tags = {k.lower(): v for k, v in listed.tags.items()}
        key = tags.get(VM_KEY_TAG)
        if not key:
            continue
        collection = get_collection(clients, _rid(listed.id, "collection"), points=True)
        if collection is None:
            continue
        placement = Placement.PRIMARY if collection.location in primaries else Placement.DR
        vm = tags.get(VM_TAG) or key
        for point in collection.points:
            slot = _slot(point.name)
            if slot is None:
                continue
            complete_set = point.name.lower() in done
            item = StoredSnapshot(point.id, f"{key}/rp", complete_set)
            found.append(StoredSet(point.name, vm, placement, slot, complete_set, (item,)))
    return found


def is_restore_point(resource_id: str) -> bool:
    """True for a restore point id (retention deletes it with its own API)."""
    return _POINTS in resource_id.lower()


def delete_restore_points(clients: AzureClients, ids: Iterable[str]) -> int:
    """Delete each restore point and wait (already gone is success); return how many."""
    from shared.azure.restore_points import delete_restore_point

    count = 0
    for point in ids:
        delete_restore_point(clients, _rid(point, "restore_point"))
        count += 1
    return count
