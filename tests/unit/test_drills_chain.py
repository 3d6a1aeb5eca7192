"""A drill plan's follow-up: everything the plan may create, in deletion order, and its VMs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.drills.chain import followup_for_plan
from shared.drills.network import NetworkChoice, NetworkPlan, plan_network
from shared.errors import InvalidInput
from shared.outages.cleanup import CreatedKind
from shared.outages.dr_facts import DrRegionFacts, DrSubnet
from shared.outages.matching import Exposure
from shared.outages.plan import build_plan
from shared.outages.plan_model import DrPlan
from tests.unit.outage_builders import DR_SUBNET, SRC_SUBNET, T0, facts, settings, sku, vm

SUB = "00000000-0000-0000-0000-000000000001"
NOW = T0 + timedelta(hours=2)
DRILL = "ab12cd34"


def _drill(choice: NetworkChoice | None = None) -> tuple[DrPlan, NetworkPlan]:
    subnets = {SRC_SUBNET: DR_SUBNET}
    net = plan_network(
        DRILL, SUB, "lifeboat-dr", "westus", subnets, choice=choice or NetworkChoice()
    )
    # The drill network exists before the plan is made: its subnet is a DR-region fact.
    drill_subnet = DrSubnet(net.subnet_map[SRC_SUBNET], "10.250.0.0/24")
    dr = DrRegionFacts.of("westus", (sku(),), (*facts().subnets.values(), drill_subnet))
    exposure = Exposure((vm("web1"), vm("web2")), (), (), (), ())
    target = net.target("lifeboat-dr")
    plan = build_plan("drill", "all", exposure, dr, settings(), now=NOW, drill=target)
    return plan, net


def test_every_planned_resource_and_the_drill_network_are_cleaned_up() -> None:
    plan, net = _drill()
    spec = followup_for_plan(
        plan, net, started_at=NOW, subscriptions=(SUB,), rto_targets={"GOLD": 900.0}
    )
    kinds = [r.kind for r in spec.created]
    assert kinds.count(CreatedKind.VM) == 2
    assert kinds[-1] is CreatedKind.NETWORK and spec.created[-1].resource_id == net.network_id
    assert all(DRILL in r.resource_id for r in spec.created)
    vm_ids = {r.key for r in spec.created if r.kind is CreatedKind.VM}
    owned = [r for r in spec.created if r.kind in {CreatedKind.NIC, CreatedKind.DISK}]
    assert owned and all(r.owner is not None and r.owner.lower() in vm_ids for r in owned)
    assert {v.source_vm_id for v in spec.vms} == {i.subject for i in plan.items}
    assert spec.to_data()["created"][0]["kind"] in {"disk", "nic", "vm"}


def test_a_configured_network_is_never_listed() -> None:
    configured = NetworkChoice(f"{DR_SUBNET.rsplit('/subnets/', 1)[0]}-isolated")
    plan, net = _drill(configured)
    spec = followup_for_plan(plan, net, started_at=NOW, subscriptions=(SUB,))
    assert CreatedKind.NETWORK not in {r.kind for r in spec.created}


def test_an_outage_plan_has_no_drill_followup() -> None:
    _, net = _drill()
    outage = build_plan(
        "AB-1", "all", Exposure((vm("web1"),), (), (), (), ()), facts(), settings(), now=NOW
    )
    with pytest.raises(InvalidInput) as caught:
        followup_for_plan(outage, net, started_at=NOW, subscriptions=(SUB,))
    assert caught.value.field == "plan"
