"""Capture set planning: disks in the set, exclusions with findings, consistency, names, tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.vms.capture import plan_capture
from shared.vms.consistency import Consistency, achieved_consistency
from shared.vms.facts import Caching, SecurityProfile, VmDisk, VmFacts, is_azure_boost_size
from shared.vms.findings import FindingCode
from shared.vms.naming import SetNames, set_id
from shared.vms.policy import Mode

SUB = "00000000-0000-0000-0000-000000000001"
VM_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web1"
)
DISKS = "Microsoft.Compute/disks"
SLOT = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$")


def disk(lun: int | None, **kw: object) -> VmDisk:
    name = "web1-os" if lun is None else f"web1-data{lun}"
    base: dict[str, object] = {
        "name": name,
        "disk_id": f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/{DISKS}/{name}",
        "lun": lun,
        "sku": "Premium_LRS",
        "size_gb": 128,
    }
    base.update(kw)
    return VmDisk(**base)  # type: ignore[arg-type]


def vm(*disks: VmDisk, size: str = "Standard_D4s_v5") -> VmFacts:
    return VmFacts(VM_ID, "web1", "eastus", size, disks, security=SecurityProfile("TrustedLaunch"))


def test_snapshot_set_holds_every_disk_os_first_then_by_lun() -> None:
    plan = plan_capture(vm(disk(2), disk(None), disk(0)), Mode.SNAPSHOT, SLOT)
    assert [p.disk.label for p in plan.disks] == ["os", "lun0", "lun2"]
    assert plan.excluded == ()
    assert plan.consistency is Consistency.PER_DISK
    assert plan.capturable


def test_single_disk_snapshot_set_is_crash_consistent() -> None:
    assert plan_capture(vm(disk(None)), Mode.SNAPSHOT, SLOT).consistency is Consistency.CRASH


def test_clean_copy_is_app_consistent() -> None:
    plan = plan_capture(vm(disk(None), disk(0)), Mode.CLEAN, SLOT)
    assert plan.consistency is Consistency.APP


def test_shared_and_ephemeral_disks_are_excluded_and_reported() -> None:
    facts = vm(disk(None, ephemeral=True, disk_id=None), disk(0, max_shares=2), disk(1), size="x")
    plan = plan_capture(facts, Mode.SNAPSHOT, SLOT)
    assert [p.disk.label for p in plan.disks] == ["lun1"]
    codes = {e.disk.label: e.finding.code for e in plan.excluded}
    assert codes == {
        "os": FindingCode.EPHEMERAL_DISK_EXCLUDED,
        "lun0": FindingCode.SHARED_DISK_EXCLUDED,
    }
    assert [f.code for f in plan.findings] == list(codes.values())


def test_a_vm_with_nothing_capturable_says_so() -> None:
    plan = plan_capture(vm(disk(0, max_shares=3)), Mode.SNAPSHOT, SLOT)
    assert not plan.capturable
    assert plan.findings[-1].code is FindingCode.NOTHING_TO_CAPTURE


def test_restore_point_excludes_premium_v2_ultra_and_write_accelerated_disks() -> None:
    facts = vm(
        disk(None),
        disk(0, sku="PremiumV2_LRS"),
        disk(1, sku="UltraSSD_LRS"),
        disk(2, write_accelerator=True),
    )
    plan = plan_capture(facts, Mode.RESTORE_POINT, SLOT)
    assert [p.disk.label for p in plan.disks] == ["os"]
    assert {e.finding.code for e in plan.excluded} == {FindingCode.UNSUPPORTED_BY_RESTORE_POINT}
    assert len(plan.excluded_disk_ids) == 3
    assert plan.restore_point is not None
    assert plan.restore_point.restore_point == plan.set_id


def test_snapshot_mode_keeps_premium_v2_disks_and_marks_their_background_copy() -> None:
    plan = plan_capture(vm(disk(None), disk(0, sku="PremiumV2_LRS")), Mode.SNAPSHOT, SLOT)
    assert [p.background_copy for p in plan.disks] == [False, True]
    assert plan.restore_point is None


def test_restore_point_on_v6_size_with_two_data_disks_is_labelled_not_crash_consistent() -> None:
    facts = vm(disk(None), disk(0), disk(1), size="Standard_D8s_v6")
    plan = plan_capture(facts, Mode.RESTORE_POINT, SLOT)
    assert plan.consistency is Consistency.PER_DISK
    (finding,) = plan.findings
    assert finding.code is FindingCode.CRASH_CONSISTENCY_NOT_GUARANTEED
    assert "Standard_D8s_v6" in finding.message


def test_restore_point_with_read_write_caching_is_labelled_not_crash_consistent() -> None:
    facts = vm(disk(None, caching=Caching.READ_WRITE), disk(0))
    plan = plan_capture(facts, Mode.RESTORE_POINT, SLOT)
    assert plan.consistency is Consistency.PER_DISK
    assert "read/write host caching on os" in plan.findings[0].message


def test_restore_point_on_v5_size_without_write_caching_is_crash_consistent() -> None:
    facts = vm(disk(None, caching=Caching.READ_ONLY), disk(0), disk(1))
    plan = plan_capture(facts, Mode.RESTORE_POINT, SLOT)
    assert plan.consistency is Consistency.CRASH
    assert plan.findings == ()


@pytest.mark.parametrize(
    ("size", "boost"),
    [
        ("Standard_D4s_v6", True),
        ("Standard_E16ds_v6", True),
        ("Standard_D4as_v6", False),  # AMD v6 is not Azure Boost
        ("Standard_D4as_v7", True),
        ("Standard_E8ads_v7", True),
        ("Standard_D4s_v5", False),
        ("Standard_B2ms", False),
        ("Standard_NC24ads_A100_v4", False),
    ],
)
def test_azure_boost_sizes_are_intel_v6_and_amd_v7_onwards(size: str, boost: bool) -> None:
    assert is_azure_boost_size(size) is boost


def test_plan_is_deterministic_and_names_do_not_collide_across_disks() -> None:
    facts = vm(disk(None), disk(0), disk(1))
    first = plan_capture(facts, Mode.SNAPSHOT, SLOT)
    assert first == plan_capture(facts, Mode.SNAPSHOT, SLOT)
    names = [p.source_snapshot for p in first.disks] + [p.dr_snapshot for p in first.disks]
    assert len(set(names)) == len(names)


def test_set_id_changes_with_the_slot_and_the_vm_but_not_with_id_case() -> None:
    later = SLOT + timedelta(hours=6)
    assert set_id(VM_ID, SLOT) != set_id(VM_ID, later)
    assert set_id(VM_ID, SLOT) != set_id(VM_ID.replace("web1", "web2"), SLOT)
    assert set_id(VM_ID, SLOT) == set_id(VM_ID.upper(), SLOT)
    assert set_id(VM_ID, SLOT) == set_id(VM_ID, SLOT + timedelta(seconds=59))


def test_every_snapshot_is_tagged_with_set_vm_and_lun() -> None:
    plan = plan_capture(vm(disk(None), disk(3)), Mode.SNAPSHOT, SLOT)
    os_tags, data_tags = (p.tags for p in plan.disks)
    assert os_tags["lifeboat-set"] == plan.set_id
    assert os_tags["lifeboat-vm"] == VM_ID
    assert (os_tags["lifeboat-lun"], data_tags["lifeboat-lun"]) == ("os", "3")


def test_a_vm_id_too_long_for_a_tag_value_keeps_only_its_key_tag() -> None:
    long_id = VM_ID.replace("rg-web", "r" * 90).replace("web1", "w" * 64)
    assert len(long_id) > 256
    tags = SetNames(long_id, "w" * 64, set_id(long_id, SLOT)).snapshot_tags(0)
    assert "lifeboat-vm" not in tags
    assert all(len(v) <= 256 for v in tags.values())


@given(
    st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P")), max_size=120),
    st.integers(min_value=0, max_value=63),
)
def test_every_name_fits_azure_rules_for_any_vm_name(vm_name: str, lun: int) -> None:
    names = SetNames(VM_ID, vm_name, set_id(VM_ID, SLOT))
    label = f"lun{lun}"
    for name in (
        names.source_snapshot(label),
        names.dr_snapshot(label),
        names.source_snapshot("os"),
        names.restore_point_collection(),
        names.dr_restore_point_collection(),
        names.restore_point(),
    ):
        assert NAME_RULE.match(name), name


def test_achieved_consistency_of_a_snapshot_set_records_its_skew() -> None:
    times = [SLOT, SLOT + timedelta(seconds=2.5), SLOT + timedelta(seconds=1)]
    achieved = achieved_consistency(Mode.SNAPSHOT, Consistency.PER_DISK, times)
    assert (achieved.kind, achieved.skew_seconds) == (Consistency.PER_DISK, 2.5)
    single = achieved_consistency(Mode.SNAPSHOT, Consistency.PER_DISK, [SLOT])
    assert single.kind is Consistency.CRASH


def test_restore_point_skew_is_unknown_not_zero() -> None:
    achieved = achieved_consistency(Mode.RESTORE_POINT, Consistency.PER_DISK, [SLOT, SLOT])
    assert achieved.skew_seconds is None
