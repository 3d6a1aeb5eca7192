"""The VM sweep (reconcile timer): discovery, scheduled sets, retention, stopped-VM healing."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.vms.inventory import Inventory, discover, rpo_of
from shared.vms.records import list_sets, write_inventory
from shared.vms.schedule import decide

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)


def _latest(deps: Deps) -> dict[str, datetime]:
    newest: dict[str, datetime] = {}
    for summary in list_sets(deps.records):
        newest[summary.vm_id.lower()] = summary.captured_at
    return newest


def _inventory_json(inventory: Inventory, next_runs: dict[str, str]) -> dict[str, Any]:
    return {
        "protected": [
            {
                "vm_id": vm.vm_id,
                "name": vm.name,
                "location": vm.location,
                "mode": policy.mode.value,
                "schedule": policy.schedule.text,
                "group": policy.group,
                "tier": policy.tier,
                "rpo_seconds": rpo_of(policy).total_seconds(),
                "next_run": next_runs.get(vm.vm_id.lower()),
            }
            for vm, policy in inventory.protected
        ],
        "refused": [
            {"vm_id": vm.vm_id, "findings": [f.to_dict() for f in findings]}
            for vm, findings in inventory.refused
        ],
    }


def sweep_vms(deps: Deps, now: datetime) -> dict[str, Any]:
    """Write the manifests of sets whose copies finished but whose job failed writing it,
    start every set the schedules make due (a missed window caught up once), apply retention
    (orphaned partial sets of failed or gone jobs included), restart VMs a crashed clean copy
    left stopped; return what was done."""
    from shared.vms.service import submit_set

    healed = heal_manifests(deps)  # first: a healed set counts as the VM's newest
    inventory = discover(deps.clients, deps.settings)
    latest = _latest(deps)
    started, next_runs = [], {}
    for vm, policy in inventory.protected:
        last = latest.get(vm.vm_id.lower())
        decision = decide(policy.schedule, last, now)
        next_runs[vm.vm_id.lower()] = decision.next_run.isoformat()
        if decision.due and decision.slot is not None:
            deadline = decision.slot if last is None else last + rpo_of(policy)
            job = submit_set(
                deps, vm.vm_id, policy, decision.slot, "schedule", rpo_deadline=deadline
            )
            if job.created:
                started.append(job.job_id)
    write_inventory(deps.records, _inventory_json(inventory, next_runs))
    restarted = heal_stopped_vms(deps)
    retention = apply_retention(deps, inventory, now)
    return {
        "protected": len(inventory.protected),
        "refused": len(inventory.refused),
        "started": started,
        "restarted": restarted,
        "manifests_healed": healed,
        **retention,
    }


def heal_stopped_vms(deps: Deps) -> list[str]:
    """Start VMs whose clean-copy job died after Lifeboat stopped them (never a VM left off)."""
    from shared.arm_id import ResourceId
    from shared.azure.vms import begin_start, get_power_state
    from shared.vms.clean_copy import JournalStep, PowerState
    from shared.vms.jobs import PROTECTION_KIND
    from shared.vms.protect import journal_of

    restarted = []
    for job in deps.jobs.list(kind=PROTECTION_KIND, state="failed"):
        journal = journal_of(job.data)
        if journal is None or not journal.stopped_by_lifeboat or journal.step is JournalStep.DONE:
            continue
        vm = ResourceId.parse(journal.vm_id, "vm_id")
        if get_power_state(deps.clients, vm) in (PowerState.STOPPED, PowerState.DEALLOCATED):
            begin_start(deps.clients, vm)
            restarted.append(journal.vm_id)
    return restarted


def _failed_at_manifest(job: Any) -> bool:
    from shared.jobs.model import StepState

    failed = next((s for s in job.steps if s.state is StepState.FAILED), None)
    return failed is not None and failed.name == "manifest"


def _copies_finished(deps: Deps, data: Any) -> bool:
    """Every disk of the set is recorded copied, and each DR copy is still there, complete."""
    from shared.arm_id import ResourceId
    from shared.azure.disks import get_snapshot
    from shared.vms.sets import SetDisk

    plan = data.get("plan") or {}
    disks = [SetDisk.from_json(d) for d in plan.get("disks") or ()]
    copied = data.get("copied") or {}
    if data.get("ended") or not disks or any(d.label not in copied for d in disks):
        return False
    if plan.get("restore_point"):
        from shared.vms.restore_points import copy_replicated

        return copy_replicated(deps.clients, data)
    for disk in disks:
        snap = get_snapshot(deps.clients, ResourceId.parse(disk.dr_snapshot, "snapshot"))
        if snap is None or snap.copy_error or (snap.completion_percent or 0.0) < 100.0:
            return False
    return True


def heal_manifests(deps: Deps) -> list[str]:
    """Write the manifest of each set whose copies finished but whose job failed writing it.

    Only failed jobs whose failed step is `manifest` are candidates (one storage listing and
    the jobs table; no ARM call and no write when there is none); the manifest is built from
    the job's data, as the step does, after re-reading that every DR copy is complete.
    """
    from shared.vms.jobs import PROTECTION_KIND
    from shared.vms.records import build_manifest, write_manifest

    candidates = [
        j for j in deps.jobs.list(kind=PROTECTION_KIND, state="failed") if _failed_at_manifest(j)
    ]
    if not candidates:
        return []
    complete = {s.set_id.lower() for s in list_sets(deps.records)}
    healed = []
    for job in candidates:
        document = build_manifest(job.data)
        if document.set_id.lower() in complete or not _copies_finished(deps, job.data):
            continue
        write_manifest(deps.records, document)
        healed.append(document.set_id)
        logger.info("manifest of set %s written by the sweep", document.set_id)
    return healed


def _live(deps: Deps, stored: Any) -> bool:
    """An incomplete set whose job is still running is never an orphan (its job is not gone)."""
    from shared.jobs.model import job_id_for
    from shared.vms.jobs import PROTECTION_KIND

    if stored.complete:
        return False
    job = deps.jobs.get(job_id_for(PROTECTION_KIND, stored.set_id))
    return job is not None and not job.terminal


def apply_retention(deps: Deps, inventory: Inventory, now: datetime) -> dict[str, Any]:
    """Delete expired and orphaned sets in both regions (retention.py decides)."""
    from shared.azure.copy_ledger import CopyLedger
    from shared.vms.restore_points import stored_restore_point_sets
    from shared.vms.retention import Keep, plan_retention
    from shared.vms.stored import delete_snapshots, stored_sets

    settings = deps.settings
    complete = {s.set_id for s in list_sets(deps.records)}
    found = stored_sets(deps.clients, settings, complete)
    found += stored_restore_point_sets(deps.clients, settings, complete)
    sets = [s for s in found if not _live(deps, s)]
    flying = [r.source for r in CopyLedger(deps.clients, settings.copies_table).all_rows()]
    keep = {
        vm.vm_id.lower(): Keep(policy.keep_primary, policy.keep_dr)
        for vm, policy in inventory.protected
    }
    grace = timedelta(hours=settings.vms_orphan_grace_hours)
    default = Keep(settings.vms_keep_primary, settings.vms_keep_dr)
    plan = plan_retention(sets, now, grace, copies_in_flight=flying, keep=keep, default=default)
    deleted, findings = delete_snapshots(deps.clients, settings, plan.deletions)
    by_reason: dict[str, int] = defaultdict(int)
    for guarded in plan.guarded:
        by_reason[guarded.reason.value] += 1
    return {"deleted": deleted, "guarded": dict(by_reason), "retention_findings": findings}
