"""Execution order: groups in order, disks then NICs then the VM, the VM-create cap, RTO."""

from __future__ import annotations

from datetime import timedelta

from shared.outages.execution import IntentKind, next_writes, plan_rto, rto_per_vm
from shared.outages.inventory import TemplateBackup
from shared.outages.matching import Exposure
from shared.outages.plan import build_plan
from tests.unit.outage_builders import RG, T0, facts, settings, vm

TEMPLATE = f"{RG}/aib/providers/Microsoft.VirtualMachineImages/imageTemplates/web"


def plan_of(*vms, templates=()):
    exposure = Exposure(tuple(vms), tuple(templates), (), (), ())
    return build_plan("AB-123", "all", exposure, facts(), settings(), now=T0)


def drive(plan, cap=20):
    """Run the plan to the end, completing every issued write; return the batches."""
    done: list[str] = []
    batches = []
    while True:
        step = next_writes(plan, done, vm_create_cap=cap)
        if step.complete:
            return batches
        assert step.writes, "no progress"
        batches.append(step.writes)
        done.extend(w.resource_id for w in step.writes)


def test_templates_come_first_then_disks_nics_and_the_vm_of_each_item():
    template = TemplateBackup(TEMPLATE, "eastus", "v1", T0, {})
    batches = drive(plan_of(vm("a"), templates=(template,)))
    kinds = [{w.kind for w in b} for b in batches]
    assert kinds == [{IntentKind.TEMPLATE}, {IntentKind.DISK}, {IntentKind.NIC}, {IntentKind.VM}]
    assert all(w.if_none_match for b in batches for w in b)


def test_vm_creates_in_flight_never_exceed_the_cap_per_subscription_and_region():
    plan = plan_of(*(vm(f"v{i}") for i in range(5)))
    vm_batches = [[w for w in b if w.kind is IntentKind.VM] for b in drive(plan, cap=2)]
    assert max(len(b) for b in vm_batches) == 2
    done = [w.resource_id for i in plan.items for w in (*i.vm.disks, *i.vm.nics)]
    first = next_writes(plan, done, vm_create_cap=2)
    again = next_writes(
        plan, done, in_flight=[w.resource_id for w in first.writes], vm_create_cap=2
    )
    assert len(first.writes) == 2 and again.writes == ()


def test_asking_twice_with_the_same_progress_gives_the_same_writes():
    plan = plan_of(vm("a"), vm("b"))
    assert next_writes(plan, []) == next_writes(plan, [])
    upper = [w.resource_id.upper() for w in next_writes(plan, []).writes]
    assert next_writes(plan, upper).writes[0].kind is IntentKind.NIC


def test_blocked_items_are_skipped_and_reported():
    plan = plan_of(vm("a"), vm("b", complete=False))
    step = next_writes(plan, [])
    assert step.blocked == (plan.items[1].subject,)
    assert {w.subject for w in step.writes} == {plan.items[0].subject}
    assert len(drive(plan)) == 3


def test_rto_per_vm_and_for_the_plan_waits_for_every_runnable_vm():
    plan = plan_of(vm("a"), vm("b"))
    a, b = (i.subject for i in plan.items)
    running = {a: T0 + timedelta(minutes=4)}
    assert rto_per_vm(T0, running) == {a: 240.0}
    assert plan_rto(plan, T0, running) is None
    running[b.upper()] = T0 + timedelta(minutes=7)
    assert plan_rto(plan, T0, running) == 420.0
