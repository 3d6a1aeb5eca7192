"""DR plans: groups in order, newest complete source, RPO, preflight, names, drills, JSON."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.outages.dr_facts import SkuRestriction, VmSku, vm_sku_from_resource_sku
from shared.outages.errors import DamagedPlan
from shared.outages.inventory import Inventory, TemplateBackup, protected_vm
from shared.outages.matching import Exposure, ItemKind
from shared.outages.names import RecoveryNames
from shared.outages.plan import DrillTarget, build_plan
from shared.outages.plan_model import DrPlan, FindingCode
from shared.vms.manifest import ManifestNic
from tests.unit.outage_builders import (
    DR_SUBNET,
    DRILL_SUBNET,
    RG,
    SRC_SUBNET,
    T0,
    facts,
    manifest,
    settings,
    sku,
    vm,
    vm_id,
)

NOW = T0 + timedelta(hours=2)


def exposure(*vms, templates=()):
    return Exposure(tuple(vms), tuple(templates), (), (), ())


def plan_of(*vms, dr=None, **kw):
    return build_plan("AB-123", "all", exposure(*vms), dr or facts(), settings(**kw), now=NOW)


def only(plan):
    (item,) = plan.items
    return item


def codes(item):
    return {f.code for f in item.findings}


def test_groups_run_templates_then_images_then_vm_groups_in_natural_order():
    template = TemplateBackup(
        f"{RG}/aib/providers/Microsoft.VirtualMachineImages/imageTemplates/web",
        "eastus",
        "v1",
        T0,
        {},
    )
    vms = [
        vm("a", tags={"lifeboat-group": "10"}),
        vm("b", tags={"lifeboat-group": "2"}),
        vm("c"),
    ]
    plan = build_plan(
        "AB-123", "all", exposure(*vms, templates=(template,)), facts(), settings(), now=NOW
    )
    assert [g.name for g in plan.groups] == ["templates", "vms:2", "vms:10", "vms"]
    assert plan.groups[0].items[0].template.name.startswith("web-dr-westus-")


def test_the_newest_complete_set_is_the_source_and_rpo_is_measured_from_it():
    old = manifest("web1", captured_at=T0 - timedelta(hours=6))
    good = manifest("web1", captured_at=T0)
    copying = manifest("web1", captured_at=T0 + timedelta(hours=1), complete=False)
    item = only(plan_of(protected_vm((copying, old, good))))
    assert item.source == good.set_id
    assert item.rpo_seconds == 2 * 3600
    assert [d.source_id for d in item.vm.disks] == [d.dr_snapshot_id for d in good.disks]


def test_a_vm_with_no_complete_copy_is_blocked_with_a_finding():
    item = only(plan_of(vm(complete=False)))
    assert item.blocked
    assert codes(item) == {FindingCode.NO_COMPLETE_COPY}


def test_an_unoffered_size_falls_back_to_the_first_fallback_that_fits():
    dr = facts(sku("Standard_D4s_v4", TrustedLaunchDisabled="True"), sku("Standard_D4as_v5"))
    item = only(
        plan_of(
            vm(), dr=dr, fallback_sizes={"standard_d4s_v5": ("Standard_D4s_v4", "Standard_D4as_v5")}
        )
    )
    assert item.vm.vm.size == "Standard_D4as_v5"
    assert codes(item) == {FindingCode.SIZE_FALLBACK}
    assert not item.blocked


@pytest.mark.parametrize(
    ("dr_sku", "why"),
    [
        (sku(TrustedLaunchDisabled="True"), "Trusted Launch"),
        (sku(HyperVGenerations="V1"), "generation V2"),
        (sku(MaxDataDiskCount="0"), "at most 0 data disks"),
        (sku(PremiumIO="False"), "premium disks"),
        (
            VmSku(
                "Standard_D4s_v5",
                ("westus",),
                ("1",),
                {},
                (SkuRestriction("Location", ("westus",)),),
            ),
            "not offered",
        ),
    ],
)
def test_a_size_that_cannot_host_the_vm_without_fallback_blocks_it(dr_sku, why):
    item = only(plan_of(vm(), dr=facts(dr_sku)))
    assert item.blocked
    (finding,) = item.findings
    assert finding.code is FindingCode.SIZE_UNAVAILABLE
    assert why in finding.message


def test_a_zone_restricted_size_recovers_regional_with_a_finding():
    restricted = VmSku(
        "Standard_D4s_v5",
        ("westus",),
        ("1", "2"),
        {"HyperVGenerations": "V2", "PremiumIO": "True"},
        (SkuRestriction("Zone", ("westus",), ("1",), "NotAvailableForSubscription"),),
    )
    item = only(plan_of(vm(), dr=facts(restricted)))
    assert codes(item) == {FindingCode.ZONE_UNAVAILABLE}
    assert item.vm.vm.zone is None
    assert {d.zone for d in item.vm.disks} == {None}


def test_the_vm_keeps_its_zone_and_security_profile_when_offered():
    item = only(plan_of(vm()))
    assert item.findings == ()
    assert item.vm.vm.zone == "1"
    assert item.vm.vm.security_type == "TrustedLaunch"
    assert item.vm.vm.vtpm_enabled is True


def test_nics_map_through_the_subnet_map_and_keep_free_static_addresses():
    (nic,) = only(plan_of(vm())).vm.nics
    assert nic.subnet_id == DR_SUBNET
    assert (nic.allocation, nic.private_ip, nic.primary) == ("Static", "10.0.1.10", True)


def test_an_unmapped_subnet_blocks_the_vm():
    item = only(plan_of(vm(), subnet_map={}))
    assert item.blocked
    assert FindingCode.SUBNET_UNMAPPED in codes(item)


@pytest.mark.parametrize(
    ("address", "used", "code"),
    [
        ("10.0.1.10", frozenset({"10.0.1.10"}), FindingCode.STATIC_IP_TAKEN),
        ("10.0.9.10", frozenset(), FindingCode.STATIC_IP_OUTSIDE_SUBNET),
        ("10.0.1.3", frozenset(), FindingCode.STATIC_IP_OUTSIDE_SUBNET),  # Azure-reserved
        ("10.0.1.255", frozenset(), FindingCode.STATIC_IP_OUTSIDE_SUBNET),
    ],
)
def test_a_static_address_that_cannot_be_kept_becomes_dynamic(address, used, code):
    nics = (ManifestNic(f"{RG}/rg/n/x", SRC_SUBNET, address, "Static", primary=True),)
    item = only(plan_of(vm(nics=nics), dr=facts(sku(), used=used)))
    (nic,) = item.vm.nics
    assert (nic.allocation, nic.private_ip) == ("Dynamic", None)
    assert codes(item) == {code}
    assert not item.blocked


def test_two_vms_claiming_one_static_address_get_it_once():
    plan = plan_of(vm("a"), vm("b"))
    allocations = sorted(n.allocation for i in plan.items for n in i.vm.nics)
    assert allocations == ["Dynamic", "Static"]


def test_same_inputs_give_the_same_plan_id_names_and_content():
    a, b = plan_of(vm("a"), vm("b")), plan_of(vm("b"), vm("a"))
    assert a.plan_id == b.plan_id
    assert a.content_key == b.content_key
    other = build_plan("ZZ-999", "all", exposure(vm("a")), facts(), settings(), now=NOW)
    assert other.plan_id != a.plan_id


def test_a_drill_recovers_into_its_network_with_names_that_carry_the_drill_id():
    drill = DrillTarget("d1e2f3a4", "lifeboat-drills", {SRC_SUBNET: DRILL_SUBNET})
    real = plan_of(vm())
    practice = build_plan(
        "AB-123", "all", exposure(vm()), facts(), settings(), now=NOW, drill=drill
    )
    assert practice.plan_id != real.plan_id
    assert practice.kind == "drill" and practice.drill_id == "d1e2f3a4"
    resources = [r.resource_id for i in practice.items for r in (*i.vm.disks, *i.vm.nics, i.vm.vm)]
    assert all("d1e2f3a4" in r and "/resourceGroups/lifeboat-drills/" in r for r in resources)
    prod = {r.resource_id for i in real.items for r in (*i.vm.disks, *i.vm.nics, i.vm.vm)}
    assert prod.isdisjoint(resources)
    assert only(practice).vm.nics[0].subnet_id == DRILL_SUBNET


def test_a_malformed_drill_id_is_refused():
    drill = DrillTarget("../x", "g", {})
    with pytest.raises(InvalidInput, match="drillId"):
        build_plan("AB-123", "all", exposure(vm()), facts(), settings(), now=NOW, drill=drill)


_LINUX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$")
_WINDOWS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,13}[A-Za-z0-9]$")


@given(
    name=st.text(st.characters(codec="ascii"), min_size=1, max_size=120),
    drill=st.one_of(st.none(), st.from_regex(r"[a-z0-9]{8}", fullmatch=True)),
    windows=st.booleans(),
)
def test_recovery_names_fit_azure_limits_and_drill_names_differ(name, drill, windows):
    names = RecoveryNames(vm_id("x"), name, "Windows" if windows else "Linux", drill)
    assert (_WINDOWS if windows else _LINUX).match(names.vm())
    for n in (names.disk("os"), names.disk("lun63"), names.nic(3)):
        assert len(n) <= 80
    production = RecoveryNames(vm_id("x"), name, "Windows" if windows else "Linux")
    if drill is not None:
        assert names.vm() != production.vm()
        assert names.disk("os") != production.disk("os")


def test_plan_round_trips_and_a_damaged_plan_is_a_typed_error():
    plan = plan_of(vm("a"), vm("b", complete=False))
    assert DrPlan.from_json(plan.to_json()) == plan
    with pytest.raises(DamagedPlan) as err:
        DrPlan.from_json(plan.to_json().replace('"kind":"outage"', '"kind":"party"'))
    assert err.value.field == "kind"
    with pytest.raises(DamagedPlan):
        DrPlan.from_json(b"\x00")


def test_expected_duration_counts_waves_under_the_vm_create_cap():
    vms = [vm(f"v{i}") for i in range(5)]
    one_wave = plan_of(*vms, concurrent_vm_creates=5)
    three_waves = plan_of(*vms, concurrent_vm_creates=2)
    assert three_waves.expected_seconds == 3 * one_wave.expected_seconds


def test_resource_sku_items_read_zones_capabilities_and_restrictions():
    raw = {
        "resourceType": "virtualMachines",
        "name": "Standard_D2s_v3",
        "locations": ["westus2"],
        "locationInfo": [{"location": "westus2", "zones": ["2", "1", "3"]}],
        "capabilities": [
            {"name": "HyperVGenerations", "value": "V1,V2"},
            {"name": "TrustedLaunchDisabled", "value": "True"},
        ],
        "restrictions": [
            {
                "type": "Zone",
                "values": ["westus2"],
                "restrictionInfo": {"locations": ["westus2"], "zones": ["3"]},
                "reasonCode": "NotAvailableForSubscription",
            }
        ],
    }
    parsed = vm_sku_from_resource_sku(raw, "westus2")
    assert parsed.zones == ("1", "2", "3")
    assert parsed.offered_in("westus2") and not parsed.offered_in("eastus")
    assert parsed.zone_offered("westus2", "1") and not parsed.zone_offered("westus2", "3")
    assert parsed.capability("trustedlaunchdisabled") == "True"
    with pytest.raises(InvalidInput, match="resourceType"):
        vm_sku_from_resource_sku({**raw, "resourceType": "disks"}, "westus2")


def test_inventory_defaults_are_empty():
    assert Inventory().vms == () and exposure().vms == ()
    assert ItemKind.VM == "vm"
