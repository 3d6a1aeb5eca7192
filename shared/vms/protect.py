"""The capture step of one VM's protection: disks snapshotted now, or a journaled clean copy."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.engine.actions import DeleteSnapshot, PowerOffVm, SnapshotDisk, StartVm, WriteAction
from shared.jobs.messages import iso, parse_time
from shared.jobs.registry import StepContext, StepResult
from shared.vms import clean_copy
from shared.vms.capture import plan_capture
from shared.vms.clean_copy import Action, CleanCopyJournal, JournalStep, PowerState, StopMethod
from shared.vms.policy import Mode
from shared.vms.sets import SetDisk, plan_json

if TYPE_CHECKING:
    from shared.azure.vms import VmSnapshot

# Seconds between two looks at a VM that is stopping or starting.
POWER_POLL_SECONDS = 30.0


def _vm_id(ctx: StepContext) -> ResourceId:
    return ResourceId.parse(ctx.data["vm_id"], "vm_id")


def _execute(ctx: StepContext, action: WriteAction) -> object:
    from shared.engine.executor import execute

    return execute(ctx.app.clients, ctx.settings, action)


def _read_vm(ctx: StepContext) -> VmSnapshot | None:
    from shared.azure.vms import get_vm

    return get_vm(ctx.app.clients, _vm_id(ctx))


def _take_snapshots(ctx: StepContext, disks: Sequence[SetDisk], region: str) -> dict[str, str]:
    """Snapshot every disk of the set, one after another; return label → capture time."""
    from shared.azure.disks import Snapshot, get_snapshot

    captured: dict[str, str] = {}
    for disk in disks:
        # A snapshot taken before the worker died is the set's: taking it again would move its
        # point in time (and, in a clean copy, might capture a VM started since).
        snap: object = get_snapshot(
            ctx.app.clients, ResourceId.parse(disk.source_snapshot, "source_snapshot")
        )
        if not isinstance(snap, Snapshot) or snap.provisioning_state.lower() != "succeeded":
            action = SnapshotDisk(disk.source_snapshot, region, source=disk.disk_id, tags=disk.tags)
            snap = _execute(ctx, action)
        moment = snap.time_created if isinstance(snap, Snapshot) else None
        captured[disk.label] = iso(moment or ctx.now())
    return captured


def _delete_snapshots(ctx: StepContext, ids: Sequence[str]) -> None:
    from shared.azure.failures import AZURE_FAILURES, azure_failures

    for snapshot in ids:
        # A snapshot that cannot be deleted now (locked, throttled) is left for retention.
        with contextlib.suppress(*AZURE_FAILURES), azure_failures("delete snapshot"):
            _execute(ctx, DeleteSnapshot(snapshot, ""))


def _ended(reason: str, data: Mapping[str, Any] | None = None) -> StepResult:
    return StepResult.skip(reason, {"ended": reason, **(data or {})})


def _plan(ctx: StepContext, vm: VmSnapshot) -> dict[str, Any]:
    slot = parse_time(ctx.data["slot"])
    plan = plan_capture(vm.facts, Mode(ctx.data["mode"]), slot)
    data = plan_json(
        plan,
        vm.facts.location,
        ctx.settings,
        target_region=ctx.data.get("target_region"),
        target_resource_group=ctx.data.get("target_resource_group"),
        retained=ctx.data.get("purpose") != "failback",
    )
    data["vm"] = _vm_record(vm, _nic_records(ctx, vm))
    return data


def _nic_records(ctx: StepContext, vm: VmSnapshot) -> list[dict[str, Any]]:
    """Each NIC as the manifest records it (a NIC gone since the VM was read is left out)."""
    from dataclasses import asdict

    from shared.azure.network import get_nic

    found = (get_nic(ctx.app.clients, ResourceId.parse(n, "nic_id")) for n in vm.nics)
    nics = [asdict(n) for n in found if n is not None]
    if nics and not any(n["primary"] for n in nics):
        nics[0]["primary"] = True  # a VM with one NIC: Azure leaves `primary` unset
    return nics


def _vm_record(vm: VmSnapshot, nics: list[dict[str, Any]]) -> dict[str, Any]:
    facts = vm.facts
    return {
        "name": facts.name,
        "size": facts.size,
        "zone": facts.zone,
        "os_type": facts.os_type,
        "hyper_v_generation": facts.hyper_v_generation,
        "security": {
            "security_type": facts.security.security_type,
            "secure_boot_enabled": facts.security.secure_boot_enabled,
            "vtpm_enabled": facts.security.vtpm_enabled,
        },
        "tags": dict(vm.tags),
        "nics": nics,
        "extensions": list(vm.extensions),
        "image_reference": dict(vm.image_reference),
    }


def capture(ctx: StepContext) -> StepResult:
    """Plan the set and capture every disk: snapshots now, or a journaled clean copy."""
    settle = (slot_of(ctx) - ctx.now()).total_seconds()
    if settle > 0:  # a change capture: the VM is left to settle first
        return StepResult.wait(settle, "waiting for the VM to settle after a change")
    vm = _read_vm(ctx)
    if vm is None:
        _delete_taken(ctx)
        return _ended("the VM was deleted before its disks were captured")
    planned = ctx.data.get("plan") or _plan(ctx, vm)
    if not planned["disks"]:
        return _ended("no disk of this VM can be captured", {"plan": planned})
    disks = [SetDisk.from_json(d) for d in planned["disks"]]
    if planned["mode"] == Mode.CLEAN.value:
        return _clean(ctx, vm, planned, disks)
    if planned["mode"] == Mode.RESTORE_POINT.value:
        from shared.vms import restore_points

        return restore_points.capture(ctx, planned, disks)
    captured = _take_snapshots(ctx, disks, vm.facts.location)
    return StepResult.done({"plan": planned, "captured": captured})


def _delete_taken(ctx: StepContext) -> None:
    """Delete what the set captured so far: its snapshots, or its restore point."""
    planned = ctx.data.get("plan") or {}
    if planned.get("restore_point"):
        from shared.azure.failures import AZURE_FAILURES, azure_failures
        from shared.vms.restore_points import delete_restore_points

        # One that cannot be deleted now is an orphan for retention.
        with contextlib.suppress(*AZURE_FAILURES), azure_failures("delete restore point"):
            delete_restore_points(ctx.app.clients, [planned["restore_point"]["restore_point"]])
        return
    _delete_snapshots(ctx, _taken(ctx))


def _taken(ctx: StepContext) -> list[str]:
    planned = ctx.data.get("plan") or {}
    return [d["source_snapshot"] for d in planned.get("disks", [])]


# ---- clean copy: stop → snapshot → start, the journal written before each action ----


def _journal_json(journal: CleanCopyJournal) -> dict[str, Any]:
    return {
        "vm_id": journal.vm_id,
        "set_id": journal.set_id,
        "step": journal.step.value,
        "stopped_by_lifeboat": journal.stopped_by_lifeboat,
        "method": journal.method.value,
        "recorded_at": iso(journal.recorded_at),
        "failure": journal.failure,
    }


def journal_of(data: Mapping[str, Any]) -> CleanCopyJournal | None:
    """Return the clean-copy journal kept in a job's data, if any."""
    raw = data.get("journal")
    if not raw:
        return None
    return CleanCopyJournal(
        raw["vm_id"],
        raw["set_id"],
        JournalStep(raw["step"]),
        bool(raw["stopped_by_lifeboat"]),
        StopMethod(raw["method"]),
        parse_time(raw["recorded_at"]),
        raw.get("failure"),
    )


def _group_turn(ctx: StepContext) -> str | None:
    """Return why this clean copy must wait for its group, or None when it holds the group."""
    from shared.azure.copy_ledger import CopyLedger, GroupLocks

    group = ctx.data.get("group")
    if not group:
        return None
    locks = GroupLocks(CopyLedger(ctx.app.clients, ctx.settings.copies_table))
    holder = locks.holder(group)
    stale = []
    if holder and holder != ctx.job_id:
        job = ctx.app.jobs.get(holder)
        stale = [holder] if job is None or job.terminal or _capture_done(job.data) else []
    now_holder = locks.hold(group, ctx.job_id, stale)
    return None if now_holder == ctx.job_id else f"group {group} is busy with {now_holder}"


def _capture_done(data: Mapping[str, Any]) -> bool:
    journal = data.get("journal") or {}
    return bool(data.get("ended")) or journal.get("step") == JournalStep.DONE.value


def release_group(ctx: StepContext) -> None:
    """Free the job's clean-copy group (it holds it only during its capture)."""
    from shared.azure.copy_ledger import CopyLedger, GroupLocks

    group = ctx.data.get("group")
    if group:
        GroupLocks(CopyLedger(ctx.app.clients, ctx.settings.copies_table)).release(
            group, ctx.job_id
        )


def _clean(
    ctx: StepContext, vm: VmSnapshot, planned: dict[str, Any], disks: Sequence[SetDisk]
) -> StepResult:
    waiting = _group_turn(ctx)
    if waiting:
        return StepResult.wait(ctx.settings.vms_copy_poll_seconds, waiting, {"plan": planned})
    journal = journal_of(ctx.data)
    now = ctx.now()
    if journal is None:
        method = clean_copy.stop_method(vm.facts.security)
        decision = clean_copy.begin(vm.facts.vm_id, planned["set_id"], vm.power, method, now)
    else:
        decision = clean_copy.resume(journal, vm.power, now)
    data: dict[str, Any] = {"plan": planned}
    if decision.finding is not None:
        data["findings"] = [*planned["findings"], decision.finding.to_dict()]
    if decision.journal is not None and decision.action is not Action.FINISH:
        # Write-ahead: the journal is stored before the action it names is taken.
        data["journal"] = _journal_json(decision.journal)
        return StepResult.wait(0, f"journal: {decision.journal.step}", data)
    return _clean_action(ctx, vm, decision, data, disks)


def _clean_action(
    ctx: StepContext,
    vm: VmSnapshot,
    decision: clean_copy.Decision,
    data: dict[str, Any],
    disks: Sequence[SetDisk],
) -> StepResult:
    vm_id = vm.facts.vm_id
    region = vm.facts.location
    if decision.action is Action.STOP:
        _execute(ctx, PowerOffVm(vm_id, region))
        return StepResult.wait(POWER_POLL_SECONDS, "VM shutting down", data)
    if decision.action is Action.START:
        _execute(ctx, StartVm(vm_id, region))
        return StepResult.wait(POWER_POLL_SECONDS, "VM starting", data)
    if decision.action is Action.SNAPSHOT:
        captured = _take_snapshots(ctx, disks, region)
        journal = journal_of(ctx.data)
        assert journal is not None  # SNAPSHOT follows a journal entry
        taken = clean_copy.snapshots_taken(journal, ctx.now())
        data.update(journal=_journal_json(taken), captured=captured)
        return StepResult.wait(0, "snapshots taken", data)
    if decision.action is Action.WAIT:
        return StepResult.wait(POWER_POLL_SECONDS, f"VM is {vm.power}", data)
    return _clean_finished(ctx, decision, data)


def _clean_finished(
    ctx: StepContext, decision: clean_copy.Decision, data: dict[str, Any]
) -> StepResult:
    if decision.journal is not None:
        data["journal"] = _journal_json(decision.journal)
    journal = decision.journal or journal_of(ctx.data)
    release_group(ctx)
    if journal is not None and journal.failure:
        _delete_snapshots(ctx, _taken(ctx))
        return _ended(journal.failure, data)
    if not ctx.data.get("captured"):
        return _ended("the VM was deleted during the clean copy", data)
    return StepResult.done({**data, "captured": ctx.data["captured"]})


def power_state_of(ctx: StepContext) -> PowerState:
    """Return the VM's power state now (GONE when deleted)."""
    from shared.azure.vms import get_power_state

    return get_power_state(ctx.app.clients, _vm_id(ctx))


def slot_of(ctx: StepContext) -> datetime:
    """The set's capture slot."""
    return parse_time(ctx.data["slot"])
