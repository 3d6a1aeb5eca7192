"""Execution order of a plan: the next idempotent writes given what is done, and RTO figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.outages.matching import ItemKind
from shared.outages.plan_model import DrPlan, PlanItem


class IntentKind(StrEnum):
    """What one write intent creates (or, for images, checks)."""

    TEMPLATE = "template"
    IMAGE_CHECK = "image_check"
    DISK = "disk"
    NIC = "nic"
    VM = "vm"


@dataclass(frozen=True)
class WriteIntent:
    """One write the I/O layer turns into an engine action: PUT `resource_id` (name fixed).

    `if_none_match` asks for `If-None-Match: *`, so a retried create never overwrites what an
    earlier attempt made; a 412 then means the resource is already there (success).
    """

    kind: IntentKind
    subject: str
    """The plan item's subject (the protected item's id)."""
    resource_id: str
    name: str
    subscription: str
    region: str
    if_none_match: bool

    @property
    def key(self) -> str:
        """The case-folded resource id: how progress is recorded."""
        return self.resource_id.lower()


def _intent(item: PlanItem, kind: IntentKind, rid: str, name: str, region: str) -> WriteIntent:
    creates = kind is not IntentKind.IMAGE_CHECK
    return WriteIntent(kind, item.subject, rid, name, item.subscription, region, creates)


def item_phases(item: PlanItem, dr_region: str) -> tuple[tuple[WriteIntent, ...], ...]:
    """Return an item's writes in phases: disks, then NICs, then the VM (one phase otherwise)."""
    if item.blocked:
        return ()
    if item.kind is ItemKind.VM and item.vm is not None:
        vm = item.vm
        disks = tuple(
            _intent(item, IntentKind.DISK, d.resource_id, d.name, dr_region) for d in vm.disks
        )
        nics = tuple(
            _intent(item, IntentKind.NIC, n.resource_id, n.name, dr_region) for n in vm.nics
        )
        final = (_intent(item, IntentKind.VM, vm.vm.resource_id, vm.vm.name, dr_region),)
        return disks, nics, final
    if item.kind is ItemKind.TEMPLATE and item.template is not None:
        t = item.template
        return ((_intent(item, IntentKind.TEMPLATE, t.resource_id, t.name, dr_region),),)
    if item.kind is ItemKind.IMAGE and item.image and item.image.dr_image_version_id:
        rid = item.image.dr_image_version_id
        return ((_intent(item, IntentKind.IMAGE_CHECK, rid, rid.rsplit("/", 1)[-1], dr_region),),)
    return ()


@dataclass(frozen=True)
class NextWrites:
    """What to issue now, which items cannot run, and whether the plan is complete."""

    writes: tuple[WriteIntent, ...]
    blocked: tuple[str, ...]
    complete: bool


class _Admission:
    """Caps VM creates in flight per (subscription, region), counting those already in flight."""

    def __init__(self, plan: DrPlan, in_flight: set[str], cap: int) -> None:
        self.cap = cap
        self.counts: dict[tuple[str, str], int] = {}
        for item in plan.items:
            for phase in item_phases(item, plan.dr_region):
                for w in phase:
                    if w.kind is IntentKind.VM and w.key in in_flight:
                        self._add(w)

    def _add(self, w: WriteIntent) -> None:
        slot = (w.subscription.lower(), w.region.lower())
        self.counts[slot] = self.counts.get(slot, 0) + 1

    def admit(self, w: WriteIntent) -> bool:
        if w.kind is not IntentKind.VM:
            return True
        if self.counts.get((w.subscription.lower(), w.region.lower()), 0) >= self.cap:
            return False
        self._add(w)
        return True


def _item_next(
    phases: Sequence[tuple[WriteIntent, ...]], done: set[str], in_flight: set[str]
) -> tuple[WriteIntent, ...] | None:
    """The writes of the item's first unfinished phase not yet in flight; None when all done."""
    for phase in phases:
        pending = [w for w in phase if w.key not in done]
        if pending:
            return tuple(w for w in pending if w.key not in in_flight)
    return None


def next_writes(
    plan: DrPlan,
    done: Sequence[str],
    in_flight: Sequence[str] = (),
    vm_create_cap: int = 20,
) -> NextWrites:
    """Return the writes to issue now: groups in order; within an item disks, NICs, then the VM.

    `done` and `in_flight` are resource ids (any case). A group starts only when every
    runnable item of the groups before it is done; blocked items are skipped and reported.
    At most `vm_create_cap` VM creates are in flight per (subscription, region), reflecting
    Compute's PUT VM throttle. Calling this again with the same progress gives the same writes.
    """
    done_set = {d.lower() for d in done}
    flying = {f.lower() for f in in_flight} - done_set
    admission = _Admission(plan, flying, vm_create_cap)
    blocked = tuple(i.subject for i in plan.items if i.blocked)
    for group in plan.groups:
        writes: list[WriteIntent] = []
        unfinished = False
        for item in group.items:
            nxt = _item_next(item_phases(item, plan.dr_region), done_set, flying)
            if nxt is None:
                continue
            unfinished = True
            writes.extend(w for w in nxt if admission.admit(w))
        if unfinished:
            return NextWrites(tuple(writes), blocked, complete=False)
    return NextWrites((), blocked, complete=True)


def rto_per_vm(alert_received_at: datetime, running_at: Mapping[str, datetime]) -> dict[str, float]:
    """Return seconds from the alert's receipt to each VM running (VM subject → seconds)."""
    return {vm: max(0.0, (at - alert_received_at).total_seconds()) for vm, at in running_at.items()}


def plan_rto(
    plan: DrPlan, alert_received_at: datetime, running_at: Mapping[str, datetime]
) -> float | None:
    """Return the plan's RTO (alert received → last runnable VM running), or None until then."""
    wanted = [i.subject for i in plan.items if i.kind is ItemKind.VM and not i.blocked]
    lowered = {k.lower(): v for k, v in running_at.items()}
    if not wanted or any(w.lower() not in lowered for w in wanted):
        return None
    per_vm = rto_per_vm(alert_received_at, {w: lowered[w.lower()] for w in wanted})
    return max(per_vm.values())
