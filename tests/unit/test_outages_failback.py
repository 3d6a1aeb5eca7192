"""The failback plan as stored: its document, states and the cleanup approval gate (pure)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.outages import approval as ap
from shared.outages.approval import PlanState, PlanStatus, Response
from shared.outages.cleanup import CreatedKind
from shared.outages.errors import IllegalTransition, PlanAlreadyRunning
from shared.outages.failback import (
    approve_cleanup,
    cleanup_of,
    copies_complete,
    executed_status,
    on_resolved,
    open_failback,
    reprotect_failed,
    to_document,
)
from shared.outages.matching import Exposure
from shared.outages.plan import build_plan
from shared.outages.plan_model import DrPlan, PlanKind
from tests.unit.outage_builders import T0, facts, settings, vm

LATER = T0 + timedelta(hours=3)


def _executed():
    exposure = Exposure((vm("a"), vm("b")), (), (), (), ())
    plan = build_plan("AB-123", "all", exposure, facts(), settings(), now=T0)
    status = ap.open_status(plan.plan_id, PlanKind.OUTAGE, Response.APPROVE, T0, timedelta(hours=1))
    done = [r.resource_id for i in plan.items for r in (*i.vm.disks, *i.vm.nics, i.vm.vm)]
    return plan, status, done


def _document() -> DrPlan:
    plan, status, done = _executed()
    failback = on_resolved(plan, executed_status(status, "succeeded"), done, LATER).failback
    assert failback is not None
    return to_document(failback, plan, 2, "lifeboat-failback")


def test_an_approved_plan_whose_execution_exists_fails_back_whatever_its_stored_state():
    plan, status, done = _executed()
    approved = ap.approve(status, "ops", T0)
    assert on_resolved(plan, approved, done, LATER).failback is None  # approved alone: closes
    for state in ("queued", "running", "succeeded", "failed"):
        outcome = on_resolved(plan, executed_status(approved, state), done, LATER)
        assert outcome.failback is not None, state


def test_the_document_round_trips_and_names_what_to_protect_and_delete():
    document = _document()
    again = DrPlan.from_json(document.to_json())
    assert again == document and again.kind is PlanKind.FAILBACK
    assert again.failback is not None and again.failback.source_revision == 2
    assert again.failback.resource_group == "lifeboat-failback"
    assert [(v.from_region, v.to_region) for v in again.failback.reprotect] == [
        ("westus", "eastus")
    ] * 2
    kinds = [c.kind for c in cleanup_of(again)]
    assert kinds.count(CreatedKind.VM) == 2 and CreatedKind.NIC in kinds
    assert all(c.owner for c in cleanup_of(again) if c.kind is not CreatedKind.VM)


def test_a_plan_without_a_failback_keeps_its_document():
    plan, _, _ = _executed()
    assert "failback" not in json.loads(plan.to_json())
    assert "failback" not in plan.content_key


def test_the_cleanup_waits_for_the_copies_then_for_an_approval():
    document = _document()
    status = open_failback(document.plan_id, LATER)
    assert status.state is PlanState.REPROTECTING and status.kind is PlanKind.FAILBACK
    with pytest.raises(IllegalTransition, match="2 VM\\(s\\) still copying"):
        approve_cleanup(status, "ops", LATER, 2)
    at = LATER + timedelta(minutes=20)
    ready = copies_complete(status, at, at + timedelta(minutes=1))
    assert ready.state is PlanState.AWAITING_APPROVAL and ready.copies_complete_at == at
    assert copies_complete(ready, LATER, LATER) == ready  # a redelivered step changes nothing
    approved = approve_cleanup(ready, "ops", at + timedelta(days=30), 0)  # no expiry
    assert approved.state is PlanState.APPROVED and approved.approved_by == "ops"
    with pytest.raises(PlanAlreadyRunning):
        approve_cleanup(approved, "someone", at, 0)
    assert PlanStatus.from_json(approved.to_json()) == approved


def test_a_failed_copy_back_fails_the_plan_only_while_reprotecting():
    status = open_failback("plan-00000000000000000001", LATER)
    failed = reprotect_failed(status, LATER, "copy back failed: x")
    assert failed.state is PlanState.FAILED and failed.reason == "copy back failed: x"
    ready = copies_complete(status, LATER, LATER)
    assert reprotect_failed(ready, LATER, "late") == ready


def test_a_failback_plan_never_expires_while_it_waits():
    status = copies_complete(open_failback("plan-00000000000000000001", T0), T0, T0)
    assert ap.expire(status, T0 + timedelta(days=365)) == status


def test_a_failback_can_be_cancelled_once_copied_and_not_while_reprotecting():
    status = open_failback("plan-00000000000000000001", T0)
    with pytest.raises(IllegalTransition):
        ap.cancel(status, "ops", T0)
    ready = copies_complete(status, T0, T0)
    assert ap.cancel(ready, "ops", T0).state is PlanState.CANCELLED
