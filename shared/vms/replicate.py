"""The copy and manifest steps of one VM's protection: every disk into the DR region, then the
recovery manifest beside the copies in DR-region storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.jobs.messages import iso, parse_time
from shared.jobs.registry import StepContext, StepResult
from shared.vms.checks import (
    OsDiskIdentity,
    SnapshotState,
    Usability,
    check_os_disk_copy,
    snapshot_usability,
)
from shared.vms.sets import SetDisk

if TYPE_CHECKING:
    from shared.azure.copy_ledger import CopyLedger, CopyRow
    from shared.azure.disks import Snapshot


def _ledger(ctx: StepContext) -> CopyLedger:
    from shared.azure.copy_ledger import CopyLedger

    return CopyLedger(ctx.app.clients, ctx.settings.copies_table)


def _snapshot(ctx: StepContext, snapshot_id: str) -> Snapshot | None:
    from shared.azure.disks import get_snapshot

    return get_snapshot(ctx.app.clients, ResourceId.parse(snapshot_id, "snapshot"))


def _state(snap: Snapshot, sku: str) -> SnapshotState:
    return SnapshotState(
        sku, snap.provisioning_state, snap.completion_percent, snap.access_state, snap.copy_error
    )


def _rows(ctx: StepContext, disks: Sequence[SetDisk], dr_region: str) -> list[CopyRow]:
    from shared.azure.copy_ledger import CopyRow, lane_key

    captured = ctx.data.get("captured") or {}
    deadline = parse_time(ctx.data.get("rpo_deadline") or ctx.data["slot"])
    rows = []
    for disk in disks:
        sub = ResourceId.parse(disk.dr_snapshot, "dr_snapshot").subscription
        rows.append(
            CopyRow(
                lane=lane_key(sub, dr_region),
                target=disk.dr_snapshot,
                source=disk.source_snapshot,
                region=dr_region,
                family=disk.family,
                source_created=parse_time(captured.get(disk.label) or ctx.data["slot"]),
                rpo_deadline=deadline,
                set_id=str(ctx.data["plan"]["set_id"]),
                tags=disk.tags,
            )
        )
    return rows


def _sources_ready(ctx: StepContext, disks: Sequence[SetDisk]) -> str | None:
    """Why a source snapshot cannot be copied yet (Premium SSD v2 / Ultra fill in background)."""
    for disk in disks:
        if not disk.background_copy:
            continue
        snap = _snapshot(ctx, disk.source_snapshot)
        if snap is None:
            return f"source snapshot {disk.label} is missing"
        if snapshot_usability(_state(snap, disk.sku)) is not Usability.READY:
            return f"source snapshot {disk.label} is still filling ({snap.completion_percent}%)"
    return None


def copy(ctx: StepContext) -> StepResult:
    """Queue every disk's CopyStart with the scheduler, admit, and wait for the copies."""
    if ctx.data.get("ended"):
        return StepResult.skip(str(ctx.data["ended"]))
    plan = ctx.data["plan"]
    if plan.get("restore_point"):
        from shared.vms import restore_points

        return restore_points.copy(ctx)
    disks = [SetDisk.from_json(d) for d in plan["disks"]]
    not_ready = _sources_ready(ctx, disks)
    if not_ready:
        return StepResult.wait(ctx.settings.vms_copy_poll_seconds, not_ready)
    ledger = _ledger(ctx)
    rows = _rows(ctx, disks, plan["dr_region"])
    if not ctx.data.get("queued"):
        ledger.add(rows)
    return _watch(ctx, ledger, disks, rows)


def _watch(
    ctx: StepContext, ledger: CopyLedger, disks: Sequence[SetDisk], rows: Sequence[CopyRow]
) -> StepResult:
    from shared.azure.copy_ledger import FAILED, FLYING
    from shared.vms.scheduler import admit

    clients, settings, now = ctx.app.clients, ctx.settings, ctx.now()
    lane = rows[0].lane
    admit(clients, settings, ledger, lane, now)
    stored = {r.key: r for r in ledger.read_lane(lane).rows}
    completed: dict[str, str] = dict(ctx.data.get("copied") or {})
    pending = []
    for disk, row in zip(disks, rows, strict=True):
        if disk.label in completed:
            continue
        current = stored.get(row.key)
        if current is not None and current.state == FAILED:
            return _failed(ctx, ledger, rows, current.error)
        snap = _snapshot(ctx, disk.dr_snapshot)
        usable = snap is not None and _copied(snap, disk)
        if usable:
            completed[disk.label] = iso(now)
            if current is not None:
                ledger.remove(current)
            continue
        if snap is not None and snap.copy_error:
            return _failed(ctx, ledger, rows, f"copy of {disk.label} failed: {snap.copy_error}")
        if current is not None and current.state == FLYING and snap is None:
            _restart(ctx, ledger, current)  # its admitting worker died before the CopyStart
        pending.append(disk.label)
    data = {"copied": completed, "queued": True}
    if pending:
        admit(clients, settings, ledger, lane, now)
        wait = settings.vms_copy_poll_seconds
        return StepResult.wait(wait, "copying " + ", ".join(pending), data)
    admit(clients, settings, ledger, lane, now)  # our copies ended: the next ones may start
    return _checked(ctx, disks, data)


def _copied(snap: Snapshot, disk: SetDisk) -> bool:
    state = _state(snap, disk.sku)
    return snapshot_usability(state, cross_region_copy=True) is Usability.READY


def _restart(ctx: StepContext, ledger: CopyLedger, row: CopyRow) -> None:
    from shared.vms.scheduler import start_admitted

    start_admitted(ctx.app.clients, ctx.settings, ledger, row, ctx.now())


def _failed(
    ctx: StepContext, ledger: CopyLedger, rows: Sequence[CopyRow], message: str
) -> StepResult:
    for row in rows:
        ledger.remove(row)
    return StepResult.fail(message)


def _checked(ctx: StepContext, disks: Sequence[SetDisk], data: dict[str, Any]) -> StepResult:
    """Microsoft's check after an OS-disk copy: security type, generation and OS type kept."""
    os_disk = next((d for d in disks if d.lun is None), None)
    if os_disk is None:
        return StepResult.done(data)
    source = _snapshot(ctx, os_disk.source_snapshot)
    copied = _snapshot(ctx, os_disk.dr_snapshot)
    if source is None or copied is None:
        return StepResult.done(data)
    findings = check_os_disk_copy(os_disk.dr_snapshot, _identity(source), _identity(copied))
    if findings:
        data["findings"] = [*ctx.data["plan"]["findings"], *(f.to_dict() for f in findings)]
        return StepResult.fail("; ".join(f.message for f in findings), data)
    return StepResult.done(data)


def _identity(snap: Snapshot) -> OsDiskIdentity:
    return OsDiskIdentity(snap.security_type, snap.hyper_v_generation, snap.os_type)


def manifest(ctx: StepContext) -> StepResult:
    """Write the set's recovery manifest to DR-region storage (the set is complete)."""
    from shared.vms.records import build_manifest, write_manifest

    if ctx.data.get("ended"):
        return StepResult.skip(str(ctx.data["ended"]))
    if ctx.data.get("purpose") == "failback":
        # A copy back to the primary region is no DR recovery point: no manifest, no SetReady.
        return StepResult.done({"complete_at": iso(ctx.now())})
    document = build_manifest(ctx.data)
    write_manifest(ctx.app.records, document)
    now = ctx.now()
    # What a `Lifeboat.Vm.SetReady` event carries; the achieved RPO is the age of the set's
    # data when it became recoverable in the DR region.
    ready = {
        "vm_id": document.vm_id,
        "set_id": document.set_id,
        "consistency": document.consistency.kind,
        "captured_at": iso(document.captured_at),
        "complete_at": iso(now),
        "achieved_rpo_seconds": max(0.0, (now - document.captured_at).total_seconds()),
    }
    from shared.publish.emitters import set_ready

    ctx.emit(*set_ready(document, now))
    return StepResult.done({"complete_at": iso(now), "set_ready": ready})


def rpo_deadline(last_complete: datetime | None, rpo: timedelta, slot: datetime) -> datetime:
    """When a VM's newest complete DR set becomes older than its RPO (the slot if none)."""
    return slot if last_complete is None else last_complete + rpo


def captured_times(data: Mapping[str, Any]) -> list[datetime]:
    """When each disk of a set was captured."""
    return [parse_time(v) for v in (data.get("captured") or {}).values()]
