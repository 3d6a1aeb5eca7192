"""Tier policy and the approval state machine: typed refusals, in-place re-plans, one execution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.outages import approval as ap
from shared.outages.approval import PlanState, PlanStatus, Response, TierPolicy
from shared.outages.errors import (
    DamagedPlan,
    DrillRefused,
    IllegalTransition,
    PlanAlreadyRunning,
    PlanCancelled,
    PlanClosed,
    PlanError,
    PlanExpired,
    PlanNotFound,
)
from shared.outages.plan_model import PlanKind
from tests.unit.outage_builders import T0

TTL = timedelta(hours=4)


def opened(response=Response.APPROVE, kind=PlanKind.OUTAGE):
    return ap.open_status("plan-1", kind, response, T0, TTL)


def test_tier_policy_reads_the_setting_and_the_strictest_tier_gates_a_plan():
    policy = ap.parse_tier_policy("gold=auto, Silver=approve,bronze=notify", default="notify")
    assert policy.response_for("GOLD") is Response.AUTO
    assert policy.response_for(None) is Response.NOTIFY
    assert policy.response_for("unknown") is Response.NOTIFY
    assert policy.plan_response(["gold", "silver"]) is Response.APPROVE
    assert policy.plan_response(["gold"]) is Response.AUTO
    assert TierPolicy().plan_response([]) is Response.APPROVE


@pytest.mark.parametrize("text", ["gold", "=auto", "gold=maybe"])
def test_a_malformed_tier_policy_names_the_setting(text):
    with pytest.raises(InvalidInput) as err:
        ap.parse_tier_policy(text, setting="LIFEBOAT_TIER_POLICY")
    assert err.value.field == "LIFEBOAT_TIER_POLICY"


def test_each_response_opens_in_its_state():
    assert opened(Response.AUTO).state is PlanState.APPROVED
    assert opened(Response.AUTO).approved_by == "policy:auto"
    assert opened(Response.APPROVE).state is PlanState.AWAITING_APPROVAL
    assert opened(Response.NOTIFY).state is PlanState.PLANNED


def test_approval_records_who_and_when_and_a_second_approval_is_409():
    at = T0 + timedelta(minutes=5)
    approved = ap.approve(opened(), "alice@contoso.com", at)
    assert (approved.state, approved.approved_by, approved.approved_at) == (
        PlanState.APPROVED,
        "alice@contoso.com",
        at,
    )
    with pytest.raises(PlanAlreadyRunning) as err:
        ap.approve(approved, "bob", at)
    assert err.value.status == 409


def test_unknown_plans_are_404():
    with pytest.raises(PlanNotFound) as err:
        ap.require(None, "plan-x")
    assert err.value.status == 404


def test_a_pending_plan_expires_after_its_ttl_and_then_refuses_approval():
    late = T0 + TTL + timedelta(seconds=1)
    with pytest.raises(PlanExpired):
        ap.approve(opened(), "alice", late)
    assert ap.expire(opened(), late).state is PlanState.EXPIRED
    assert ap.expire(opened(), T0 + timedelta(hours=1)).state is PlanState.AWAITING_APPROVAL


def test_cancelled_and_closed_plans_refuse_approval_and_cancel_is_idempotent():
    cancelled = ap.cancel(opened(), "alice", T0)
    assert ap.cancel(cancelled, "bob", T0) == cancelled
    with pytest.raises(PlanCancelled):
        ap.approve(cancelled, "bob", T0)
    closed = ap.close(opened(), T0, "incident resolved")
    with pytest.raises(PlanClosed):
        ap.approve(closed, "bob", T0)


def test_a_running_plan_cannot_be_cancelled_and_runs_once():
    running = ap.start(ap.approve(opened(), "alice", T0), T0)
    with pytest.raises(PlanAlreadyRunning):
        ap.cancel(running, "bob", T0)
    with pytest.raises(PlanAlreadyRunning):
        ap.start(running, T0)
    with pytest.raises(IllegalTransition):
        ap.start(opened(), T0)
    assert ap.finish(running, T0, ok=False, reason="quota").state is PlanState.FAILED


def test_an_alert_update_replans_a_pending_plan_in_place():
    status = opened()
    again = ap.replan(status, True, T0 + timedelta(hours=1), TTL)
    assert (again.plan_id, again.revision) == (status.plan_id, 2)
    assert again.expires_at == T0 + timedelta(hours=5)
    assert ap.replan(status, False, T0, TTL) == status


def test_a_changed_plan_needs_approval_again_unless_its_tier_is_auto():
    approved = ap.approve(opened(), "alice", T0)
    again = ap.replan(approved, True, T0, TTL)
    assert again.state is PlanState.AWAITING_APPROVAL and again.approved_by is None
    auto = ap.replan(opened(Response.AUTO), True, T0, TTL)
    assert auto.state is PlanState.APPROVED
    running = ap.start(approved, T0)
    assert ap.replan(running, True, T0, TTL) == running


def test_a_drill_is_refused_while_a_real_plan_executes():
    running = ap.start(opened(Response.AUTO), T0)
    drill = ap.start(opened(Response.AUTO, PlanKind.DRILL), T0)
    with pytest.raises(DrillRefused) as err:
        ap.check_drill_allowed([drill, running])
    assert err.value.status == 409
    ap.check_drill_allowed([drill, opened()])


def test_status_round_trips_and_damage_is_typed():
    status = ap.approve(opened(), "alice", T0)
    assert PlanStatus.from_json(status.to_json()) == status
    with pytest.raises(DamagedPlan):
        PlanStatus.from_json(status.to_json().replace('"state":"approved"', '"state":"??"'))


OPS = st.sampled_from(["approve", "cancel", "expire", "start", "finish", "replan", "close"])


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=25), st.sampled_from(list(Response)))
def test_no_sequence_of_transitions_ever_starts_a_plan_twice(ops, response):
    status = opened(response)
    starts = 0
    for i, op in enumerate(ops):
        now = T0 + timedelta(hours=i)
        try:
            if op == "approve":
                status = ap.approve(status, "alice", now)
            elif op == "cancel":
                status = ap.cancel(status, "alice", now)
            elif op == "expire":
                status = ap.expire(status, now)
            elif op == "start":
                status = ap.start(status, now)
                starts += 1
            elif op == "finish":
                status = ap.finish(status, now, ok=True)
            elif op == "replan":
                status = ap.replan(status, True, now, TTL)
            else:
                status = ap.close(status, now, "resolved")
        except PlanError:
            pass
        if status.state in ap.FINAL:
            assert status.state is not PlanState.EXECUTING
    assert starts <= 1
