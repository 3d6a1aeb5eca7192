"""After recovery: drill cleanup order, failback on Resolved, and the webhook notification."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from shared.errors import InvalidInput
from shared.outages import approval as ap
from shared.outages.approval import PlanState, Response
from shared.outages.cleanup import CreatedKind, created_by, next_deletions
from shared.outages.execution import next_writes
from shared.outages.failback import on_resolved
from shared.outages.matching import Exposure
from shared.outages.notify import webhook_body
from shared.outages.plan import DrillTarget, build_plan
from shared.outages.plan_model import PlanKind
from tests.unit.outage_builders import DRILL_SUBNET, RG, SRC_SUBNET, T0, facts, settings, vm

NETWORK = f"{RG}/lifeboat-drills/providers/Microsoft.Network/virtualNetworks/drill-d1e2f3a4"
APPROVE = "https://lifeboat-func.azurewebsites.net/api/plans/{}/approve"


def plan_of(*vms, drill=None):
    exposure = Exposure(tuple(vms), (), (), (), ())
    return build_plan("AB-123", "all", exposure, facts(), settings(), now=T0, drill=drill)


def everything_done(plan):
    return [r.resource_id for i in plan.items for r in (*i.vm.disks, *i.vm.nics, i.vm.vm)]


def drill_plan():
    drill = DrillTarget("d1e2f3a4", "lifeboat-drills", {SRC_SUBNET: DRILL_SUBNET})
    return plan_of(vm("a"), vm("b"), drill=drill)


def test_drill_cleanup_deletes_vms_then_nics_and_disks_then_the_network():
    plan = drill_plan()
    created = created_by(plan, everything_done(plan), network_id=NETWORK)
    gone: list[str] = []
    waves = []
    while True:
        step = next_deletions(created, gone, {})
        if step.settled:
            break
        waves.append({r.kind for r in step.deletions})
        gone.extend(r.resource_id for r in step.deletions)
    assert waves == [{CreatedKind.VM}, {CreatedKind.NIC}, {CreatedKind.DISK}, {CreatedKind.NETWORK}]
    assert step.complete and step.left == {}
    again = next_deletions(created, gone + gone, {})
    assert again.complete and again.deletions == ()


def test_only_what_was_created_is_deleted_and_a_configured_network_never():
    plan = drill_plan()
    half = [r for r in everything_done(plan) if "/disks/" in r]
    created = created_by(plan, half)
    assert {c.kind for c in created} == {CreatedKind.DISK}
    assert next_deletions(created, [], {}).deletions == created


def test_a_vm_that_cannot_be_deleted_leaves_itself_its_nics_disks_and_the_network():
    plan = drill_plan()
    created = created_by(plan, everything_done(plan), network_id=NETWORK)
    stuck_vm = plan.items[0].vm.vm.resource_id
    gone = [
        c.resource_id for c in created if c.kind is CreatedKind.VM and c.resource_id != stuck_vm
    ]
    gone += [c.resource_id for c in created if c.owner and c.owner != stuck_vm]
    step = next_deletions(created, gone, {stuck_vm: "ResourceLocked: a delete lock"})
    assert step.settled and not step.complete
    assert step.left[stuck_vm] == "ResourceLocked: a delete lock"
    for resource in plan.items[0].vm.disks + plan.items[0].vm.nics:
        assert "could not be deleted" in step.left[resource.resource_id]
    assert "could not be deleted" in step.left[NETWORK]


def test_a_plan_that_never_ran_closes_on_resolved():
    plan = plan_of(vm("a"))
    outcome = on_resolved(
        plan,
        ap.open_status(plan.plan_id, PlanKind.OUTAGE, Response.APPROVE, T0, timedelta(hours=1)),
        [],
        T0,
    )
    assert outcome.status.state is PlanState.CLOSED
    assert outcome.failback is None


def test_an_executed_plan_gets_a_failback_plan_gated_by_copies_and_approval():
    plan = plan_of(vm("a"), vm("b"))
    status = ap.start(
        ap.open_status(plan.plan_id, PlanKind.OUTAGE, Response.AUTO, T0, timedelta(hours=1)), T0
    )
    done = everything_done(plan)
    first = on_resolved(plan, status, done, T0 + timedelta(hours=3))
    second = on_resolved(plan, status, done, T0 + timedelta(hours=4))
    failback = first.failback
    assert failback is not None and failback.plan_id == second.failback.plan_id
    assert first.status == status
    assert [(r.from_region, r.to_region) for r in failback.reprotect] == [("westus", "eastus")] * 2
    dr_vms = [r.dr_vm_id for r in failback.reprotect]
    assert not failback.cleanup_may_start(dr_vms, approved=False)
    assert not failback.cleanup_may_start(dr_vms[:1], approved=True)
    assert failback.cleanup_may_start(dr_vms, approved=True)
    assert {c.kind for c in failback.cleanup} == {CreatedKind.VM, CreatedKind.NIC, CreatedKind.DISK}


def test_drills_never_fail_back():
    plan = drill_plan()
    status = ap.start(
        ap.open_status(plan.plan_id, PlanKind.DRILL, Response.AUTO, T0, timedelta(hours=1)), T0
    )
    assert on_resolved(plan, status, everything_done(plan), T0).failback is None


def test_the_webhook_body_says_what_the_plan_does_and_where_to_approve_with_no_secret():
    plan = plan_of(vm("a"), vm("b", complete=False))
    status = ap.open_status(plan.plan_id, PlanKind.OUTAGE, Response.APPROVE, T0, timedelta(hours=4))
    body = webhook_body(plan, status, APPROVE.format(plan.plan_id))
    text = json.dumps(body)
    assert "Recover 2 VM(s)" in body["text"]
    assert f"/api/plans/{plan.plan_id}/approve" in body["text"]
    assert "no_complete_copy" in body["text"]
    assert body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    for secret in ("code=", "sig=", "sv=", "token", "password", "?"):
        assert secret not in text.lower()
    assert not re.search(r"[A-Za-z0-9+/]{40,}={0,2}", text)
    assert next_writes(plan, []).writes  # announcing a plan writes nothing itself


@pytest.mark.parametrize(
    "url",
    [
        "https://app.azurewebsites.net/api/plans/p/approve?code=abc",
        "https://user:pw@app.azurewebsites.net/api/plans/p/approve",
        "http://app.azurewebsites.net/api/plans/p/approve",
        "https://app.azurewebsites.net/api/plans/p/approve#code=abc",
    ],
)
def test_an_approval_link_carrying_a_key_or_credentials_is_refused(url):
    plan = plan_of(vm("a"))
    status = ap.open_status(plan.plan_id, PlanKind.OUTAGE, Response.APPROVE, T0, timedelta(hours=4))
    with pytest.raises(InvalidInput) as err:
        webhook_body(plan, status, url)
    assert err.value.field == "approveUrl"
