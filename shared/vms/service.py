"""VM protection entry services: the manual request, VM/disk write events, scheduled sets."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.jobs.messages import iso
from shared.scope import require_in_scope
from shared.vms.capture import plan_capture
from shared.vms.inventory import policy_for, tag_names
from shared.vms.jobs import PROTECTION_KIND
from shared.vms.naming import set_id
from shared.vms.policy import PolicyDefaults, ProtectionPolicy
from shared.vms.sets import plan_json

if TYPE_CHECKING:
    from shared.azure.vms import TaggedVm, VmSnapshot
    from shared.bootstrap import Deps
    from shared.events.resource import ResourceEvent

logger = logging.getLogger(__name__)
_VM_TYPE = "Microsoft.Compute/virtualMachines"
_DISK_TYPE = "Microsoft.Compute/disks"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ProtectRequest:
    """POST /api/vms/protect: one VM by id, or every VM in scope with a tag `k=v`."""

    vm_id: ResourceId | None
    tag: tuple[str, str] | None
    dry_run: bool


def parse_protect_request(raw: bytes | str, subscriptions: tuple[str, ...]) -> ProtectRequest:
    """Return the request from the JSON body; raise InvalidInput naming the field (unknown
    fields, unencodable text and out-of-scope ids included)."""
    from shared.bodies import parse_json_object

    body = parse_json_object(raw, {"vmId", "tag", "dryRun"})
    dry_run = body.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise InvalidInput("dryRun", "expected true or false")
    vm, tag = body.get("vmId"), body.get("tag")
    if (vm is None) == (tag is None):
        raise InvalidInput("vmId", "give exactly one of vmId and tag")
    if vm is not None:
        rid = ResourceId.parse(vm, "vmId")
        if not rid.is_type(_VM_TYPE):
            raise InvalidInput("vmId", f"not a virtual machine id ({rid.full_type})")
        return ProtectRequest(require_in_scope(rid, subscriptions, "vmId"), None, dry_run)
    key, sep, value = str(tag).partition("=")
    if (
        not isinstance(tag, str)
        or len(tag) > 1024
        or not sep
        or not key.strip()
        or not value.strip()
    ):
        raise InvalidInput("tag", "expected k=v")
    return ProtectRequest(None, (key.strip(), value.strip()), dry_run)


@dataclass(frozen=True)
class Started:
    """The job of one VM's set (None with a reason when nothing was started)."""

    vm_id: str
    job_id: str | None
    created: bool = False
    set_id: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the answer for one VM."""
        out: dict[str, Any] = {
            "vm_id": self.vm_id,
            "job_id": self.job_id,
            "created": self.created,
            "set_id": self.set_id,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.job_id:
            out["status_url"] = f"/api/jobs/{self.job_id}"
        return out


def minute(moment: datetime) -> datetime:
    """Return `moment` cut to the minute (set ids have minute precision)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def submit_set(
    deps: Deps,
    vm_id: str,
    policy: ProtectionPolicy,
    slot: datetime,
    trigger: str,
    *,
    rpo_deadline: datetime | None = None,
) -> Started:
    """Start (or find) the job of the VM's set for `slot`; duplicates find the same job."""
    sid = set_id(vm_id, slot)
    data = {
        "vm_id": vm_id,
        "slot": iso(slot),
        "mode": policy.mode.value,
        "group": policy.group,
        "trigger": trigger,
        "rpo_deadline": iso(rpo_deadline or slot),
    }
    submission = deps.jobs.submit(PROTECTION_KIND, sid, data)
    return Started(vm_id, submission.job.id, submission.created, sid)


def _forced_policy(deps: Deps, vm_id: str, tags: Mapping[str, str]) -> ProtectionPolicy:
    """A manual request protects the VM as its tags say (untagged: the defaults)."""
    names = tag_names(deps.settings)
    opted = {k: v for k, v in tags.items() if k.lower() != names.protect.lower()}
    result = policy_for(deps.settings, vm_id, {**opted, names.protect: "true"})
    if result.policy is None:
        raise InvalidInput("vmId", "; ".join(f.message for f in result.findings))
    return result.policy


def _targets(deps: Deps, request: ProtectRequest) -> list[tuple[str, Mapping[str, str]]]:
    from shared.azure.vms import get_vm, list_vms

    settings = deps.settings
    if request.vm_id is not None:
        vm = get_vm(deps.clients, request.vm_id)
        if vm is None:
            raise InvalidInput("vmId", "no such virtual machine")
        return [(vm.facts.vm_id, vm.tags)]
    assert request.tag is not None
    key, value = request.tag
    found = list_vms(deps.clients, settings.subscriptions, settings.primary_regions)
    return [(v.vm_id, v.tags) for v in found if _has_tag(v, key, value)]


def _has_tag(vm: TaggedVm, key: str, value: str) -> bool:
    return any(k.lower() == key.lower() and v == value for k, v in vm.tags.items())


def manual_slot(deps: Deps, vm_id: str, now: datetime) -> datetime:
    """Return the slot a manual request for `vm_id` at `now` joins.

    A VM gets at most one set per `PolicyDefaults.min_interval` (the shortest schedule gap
    allowed): a request joins the newest set of that window whose job is in flight or
    succeeded, so a client's retry, a duplicate request or a second click finds one job; a
    failed set is not joined (the request starts a new one). Otherwise the slot is `now`.
    """
    from shared.jobs import JobState
    from shared.jobs.model import job_id_for

    latest = minute(now)
    window = int(PolicyDefaults().min_interval.total_seconds() // 60)
    for back in range(window):
        slot = latest - timedelta(minutes=back)
        job = deps.jobs.get(job_id_for(PROTECTION_KIND, set_id(vm_id, slot)))
        if job is not None and (not job.terminal or job.state is JobState.SUCCEEDED):
            return slot
    return latest


def protect(deps: Deps, request: ProtectRequest) -> dict[str, Any]:
    """Run the request: the exact set plans (dry run, no writes) or a job per VM."""
    now = deps.clock()
    slot = minute(now)
    targets = _targets(deps, request)
    if request.dry_run:
        return {"dry_run": True, "plans": [_dry_plan(deps, vm_id, slot) for vm_id, _ in targets]}
    started = [
        submit_set(
            deps,
            vm_id,
            _forced_policy(deps, vm_id, tags),
            manual_slot(deps, vm_id, now),
            "manual",
        )
        for vm_id, tags in targets
    ]
    return {"dry_run": False, "jobs": [s.to_json() for s in started]}


def _dry_plan(deps: Deps, vm_id: str, slot: datetime) -> dict[str, Any]:
    from shared.azure.vms import get_vm

    vm = get_vm(deps.clients, ResourceId.parse(vm_id, "vmId"))
    if vm is None:
        return {"vm_id": vm_id, "error": "the VM no longer exists"}
    policy = _forced_policy(deps, vm_id, vm.tags)
    return plan_json(plan_capture(vm.facts, policy.mode, slot), vm.facts.location, deps.settings)


# ---- after a change: VM or disk write events, coalesced per settle window ----


def change_slot(event_time: datetime, settle: timedelta) -> datetime:
    """Return the slot of the capture after a write at `event_time`.

    Writes are grouped in windows of `settle` (anchored at the epoch, so every worker agrees);
    a window's capture is due one settle period after the window ends, so every write in it has
    had at least `settle` of quiet. One window, one slot, one set id: bursts coalesce.
    """
    if settle <= timedelta(0):
        return minute(event_time)
    window = (event_time.astimezone(UTC) - _EPOCH) // settle
    return minute(_EPOCH + (window + 2) * settle)


def _vm_of(deps: Deps, event: ResourceEvent) -> ResourceId | None:
    from shared.azure.disks import get_disk_owner

    subject = event.subject
    if subject.is_type(_VM_TYPE):
        return subject
    if subject.is_type(_DISK_TYPE):
        owner = get_disk_owner(deps.clients, subject)
        return ResourceId.parse(owner, "managedBy") if owner else None
    return None


def on_vm_event(deps: Deps, event: ResourceEvent) -> Started | None:
    """Handle a VM or disk write: protect the (tagged) VM again after the settle delay."""
    from shared.azure.vms import get_vm
    from shared.scope import in_scope

    settings = deps.settings
    vm_id = _vm_of(deps, event)
    if vm_id is None or not in_scope(vm_id.subscription, settings.subscriptions):
        return None
    vm: VmSnapshot | None = get_vm(deps.clients, vm_id)
    if vm is None or vm.facts.location not in settings.primary_regions:
        return None
    policy = policy_for(settings, vm.facts.vm_id, vm.tags).policy
    if policy is None:
        return None
    slot = change_slot(event.time, timedelta(seconds=settings.vms_settle_seconds))
    started = submit_set(deps, vm.facts.vm_id, policy, slot, "change")
    logger.info(
        "VM write %s -> job %s",
        event.event_id,
        started.job_id,
        extra={"event_id": event.event_id, "resource_id": str(vm_id), "job_id": started.job_id},
    )
    return started
