"""Restore-point mode end to end on the emulator and Azurite: POST /api/vms/protect, the
run_job worker, the sweep, and a disk recovered from the DR disk restore point."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import bootstrap
from shared.bootstrap import get_deps
from shared.jobs import JobState
from shared.jobs.messages import parse_time
from shared.vms.records import latest_manifest, list_sets
from shared.vms.sweep import sweep_vms
from tests.support.images import driver
from tests.support.vms import SUB, post, snapshots_by_region, tagged_vm, vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

RPCS = "Microsoft.Compute/restorePointCollections"
RPS = f"{RPCS}/restorePoints"
PRIMARY_RG = f"/subscriptions/{SUB}/resourceGroups/rg"
DR_RG = f"/subscriptions/{SUB}/resourceGroups/lifeboat-dr"


@pytest.fixture
def rp_env(lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The preview switch on: `lifeboat-mode=restore-point` is accepted."""
    monkeypatch.setenv("LIFEBOAT_VMS_RESTORE_POINT_COPY", "true")
    bootstrap.reset()
    return lifeboat_env


def _uncached(vm: Any) -> Any:
    """The VM with no read/write host caching (crash consistency across disks holds)."""
    storage = vm["properties"]["storageProfile"]
    storage["osDisk"]["caching"] = "ReadOnly"
    for disk in storage["dataDisks"]:
        disk["caching"] = "None"
    return vm


def _jobs() -> list[Any]:
    return get_deps().jobs.list(kind="vm_protection")


def _points(arm: Any, scope: str) -> list[Any]:
    return list(arm.state.list(RPS, scope))


def _protect_and_run(arm: Any) -> dict[str, Any]:
    status, body = post({"vmId": vm_id("web1")})
    assert status == 202
    with driver(arm) as d:
        assert d.run() is True
    return dict(body["jobs"][0])


def test_a_restore_point_and_its_dr_copy_make_one_set_with_a_manifest(rp_env: Any) -> None:
    arm = rp_env.arm
    arm.seed({"resources": [_uncached(tagged_vm("web1", mode="restore-point", data_disks=2))]})
    job = _protect_and_run(arm)

    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    (primary,) = arm.state.list(RPCS, PRIMARY_RG)
    (dr,) = arm.state.list(RPCS, DR_RG)
    assert primary["location"] == "eastus" and dr["location"] == "westus"
    assert primary["properties"]["source"]["id"].lower() == vm_id("web1").lower()
    assert dr["properties"]["source"]["id"].lower() == primary["id"].lower()
    (local,) = _points(arm, primary["id"])
    (copied,) = _points(arm, dr["id"])
    assert local["name"] == copied["name"] == job["set_id"]
    assert local["properties"]["consistencyMode"] == "CrashConsistent"
    assert copied["properties"]["sourceRestorePoint"]["id"].lower() == local["id"].lower()
    assert snapshots_by_region(arm) == {}, "restore-point mode takes no snapshot"

    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None and manifest.set_id == job["set_id"]
    assert manifest.mode == "restore-point"
    assert [d.lun for d in manifest.disks] == [None, 0, 1]
    for disk in manifest.disks:
        assert disk.dr_snapshot_id is None
        point = disk.dr_disk_restore_point_id or ""
        assert point.lower().startswith(f"{copied['id']}/diskRestorePoints/".lower())
        assert disk.copy_completed_at is not None
    assert len({d.captured_at for d in manifest.disks}) == 1  # one instant for every disk
    assert manifest.consistency.kind == "crash"
    ready = _jobs()[0].data["set_ready"]
    assert (ready["set_id"], ready["consistency"]) == (job["set_id"], "crash")


def test_consistency_is_labelled_per_disk_with_read_write_caching(rp_env: Any) -> None:
    arm = rp_env.arm
    vm = _uncached(tagged_vm("web1", mode="restore-point", data_disks=2))
    vm["properties"]["storageProfile"]["dataDisks"][0]["caching"] = "ReadWrite"
    arm.seed({"resources": [vm]})
    _protect_and_run(arm)
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None
    assert (manifest.consistency.kind, manifest.consistency.skew_seconds) == ("per-disk", None)


def test_the_fourth_restore_point_in_an_hour_waits_for_its_turn_without_a_429(
    rp_env: Any,
) -> None:
    arm = rp_env.arm
    arm.seed({"resources": [tagged_vm("web1", mode="restore-point", data_disks=1)]})
    start = arm.clock.now()
    with driver(arm) as d:
        for i in range(4):  # four sets, 16 minutes apart (each outside the last one's window)
            ahead = (start + timedelta(minutes=16 * i) - arm.clock.now()).total_seconds()
            assert ahead >= 0, "a set took longer than 16 emulated minutes"
            arm.clock.advance(ahead)
            assert post({"vmId": vm_id("web1")})[0] == 202
            assert d.run() is True

    jobs = _jobs()
    assert sorted(j.state for j in jobs) == [JobState.SUCCEEDED] * 4
    limited = [j for j in jobs if j.data.get("rate_limited_until")]
    assert len(limited) == 1, "the fourth creation in one hour waited"
    assert not [e for e in arm.log.entries() if e.status == 429]
    (primary,) = arm.state.list(RPCS, PRIMARY_RG)
    (dr,) = arm.state.list(RPCS, DR_RG)
    assert len(_points(arm, primary["id"])) == 4
    assert len(_points(arm, dr["id"])) == 4
    assert len(list_sets(get_deps().records)) == 4


def test_a_disk_is_restored_from_the_dr_disk_restore_point(rp_env: Any) -> None:
    from shared.arm_id import ResourceId
    from shared.azure.recovery import begin_create_disk, get_disk

    arm = rp_env.arm
    arm.seed({"resources": [tagged_vm("web1", mode="restore-point", data_disks=1)]})
    _protect_and_run(arm)
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None
    arm.faults.region_down("eastus")  # recovery needs only the DR region
    source = str(manifest.disks[1].dr_disk_restore_point_id)
    target = ResourceId.parse(f"{DR_RG}/providers/Microsoft.Compute/disks/web1-lun0-dr")
    begin_create_disk(get_deps().clients, target, "westus", source, sku="Premium_LRS")
    arm.clock.advance(60)
    disk = get_disk(get_deps().clients, target)
    assert disk is not None and disk.succeeded
    put = arm.state.get(str(target))
    creation = put["properties"]["creationData"]
    assert (creation["createOption"], creation["sourceResourceId"]) == ("Restore", source)


def test_retention_keeps_n_primary_and_m_dr_restore_points(rp_env: Any) -> None:
    arm = rp_env.arm
    tags = {"lifeboat-keep-primary": "1", "lifeboat-keep-dr": "2"}
    arm.seed({"resources": [tagged_vm("web1", mode="restore-point", data_disks=1, **tags)]})
    with driver(arm) as d:
        for _ in range(3):
            assert post({"vmId": vm_id("web1")})[0] == 202
            assert d.run() is True
            arm.clock.advance(60 * 60)  # past the hour: no rate-limit wait
    sets = sorted(s.set_id for s in list_sets(get_deps().records))
    assert len(sets) == 3

    report = sweep_vms(get_deps(), arm.clock.now())
    (primary,) = arm.state.list(RPCS, PRIMARY_RG)
    (dr,) = arm.state.list(RPCS, DR_RG)
    arm.clock.advance(60)
    assert [p["name"] for p in _points(arm, primary["id"])] == sets[-1:]
    assert sorted(p["name"] for p in _points(arm, dr["id"])) == sets[-2:]
    assert report["deleted"] == 3

    again = sweep_vms(get_deps(), arm.clock.now())
    assert again["deleted"] == 0, "a second pass deletes nothing"


def _protected_with_failing_step(arm: Any, step: str, why: str) -> None:
    """web1 (restore-point mode) protected through POST /api/vms/protect, driven with its
    protection job's `step` failing with `why` (the rest of the job runs as deployed)."""
    from shared.features import job_registry
    from shared.jobs import Registry, StepContext, StepResult
    from shared.vms.jobs import PROTECTION_KIND

    kind = job_registry().get(PROTECTION_KIND)

    def fail(ctx: StepContext) -> StepResult:
        return StepResult.fail(why)

    registry = Registry()
    registry.register(
        PROTECTION_KIND, [(s.name, fail if s.name == step else s.run) for s in kind.steps]
    )
    arm.seed({"resources": [tagged_vm("web1", mode="restore-point", data_disks=1)]})
    post({"vmId": vm_id("web1")})
    with driver(arm, registry) as d:
        d.run()


def test_an_orphaned_partial_restore_point_is_deleted_after_the_grace_period(
    rp_env: Any,
) -> None:
    arm = rp_env.arm
    _protected_with_failing_step(arm, "copy", "copy: the worker gave up")
    assert [j.state for j in _jobs()] == [JobState.FAILED]
    (primary,) = arm.state.list(RPCS, PRIMARY_RG)
    assert len(_points(arm, primary["id"])) == 1

    sweep_vms(get_deps(), arm.clock.now())
    assert len(_points(arm, primary["id"])) == 1, "kept within the grace period"
    hours = get_deps().settings.vms_orphan_grace_hours
    arm.clock.advance(hours * 3600 + 60)
    report = sweep_vms(get_deps(), arm.clock.now())
    arm.clock.advance(60)
    assert _points(arm, primary["id"]) == []
    assert report["deleted"] >= 1


def test_a_set_whose_copy_finished_gets_its_missing_manifest_from_the_sweep(
    rp_env: Any,
) -> None:
    arm = rp_env.arm
    _protected_with_failing_step(arm, "manifest", "manifest: storage unavailable")
    assert latest_manifest(get_deps().records, vm_id("web1")) is None
    report = sweep_vms(get_deps(), arm.clock.now())
    assert len(report["manifests_healed"]) == 1
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None
    assert all(d.dr_disk_restore_point_id for d in manifest.disks)


def test_an_outage_plan_recovers_the_vm_from_its_restore_point_set(rp_env: Any) -> None:
    """The plan_execution job, given the set's real manifest: every disk restored (createOption
    Restore) from its DR disk restore point, the VM attaching them, the primary region down."""
    import dataclasses

    from shared.outages.inventory import protected_vm
    from shared.outages.matching import Exposure
    from shared.outages.plan import build_plan
    from shared.outages.run import execution_view, submit_execution
    from shared.vms.manifest import ManifestNic
    from tests.support.recovery import ALERT, ZONELESS, _vnet, resources_in, vms_in
    from tests.unit.outage_builders import SRC_SUBNET, facts, settings

    arm = rp_env.arm
    arm.seed({"resources": [_uncached(tagged_vm("web1", mode="restore-point", data_disks=1))]})
    _protect_and_run(arm)
    real = latest_manifest(get_deps().records, vm_id("web1"))
    assert real is not None
    nic = ManifestNic(f"{PRIMARY_RG}/n/web1", SRC_SUBNET, None, "Dynamic", primary=True)
    # The size the DR facts offer (the planner's size checks are tested elsewhere).
    manifest = dataclasses.replace(real, nics=(nic,), vm_size=ZONELESS.name)
    arm.seed({"resources": [_vnet("net-dr", "prod-dr")]})
    arm.faults.region_down("eastus")
    now = arm.clock.now()
    plan = build_plan(
        "AB-1",
        "all",
        Exposure((protected_vm((manifest,)),), (), (), (), ()),
        facts(ZONELESS),
        settings(resource_group="lifeboat-dr"),
        now=now,
        as_of=now,
    )
    submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True

    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "succeeded", view.to_dict()
    assert [i.state for i in view.items] == ["succeeded"], view.to_dict()
    (vm,) = vms_in(arm)
    disks = resources_in(arm, "Microsoft.Compute/disks")
    creation = sorted((d["properties"]["creationData"] for d in disks), key=str)
    assert {c["createOption"] for c in creation} == {"Restore"}
    sources = {c["sourceResourceId"].lower() for c in creation}
    assert sources == {str(d.dr_disk_restore_point_id).lower() for d in manifest.disks}
    assert {d.get("managedBy", "").lower() for d in disks} == {vm["id"].lower()}


def test_two_sets_in_flight_copy_one_at_a_time_oldest_first(rp_env: Any) -> None:
    arm = rp_env.arm
    arm.seed({"resources": [tagged_vm("web1", mode="restore-point", data_disks=1)]})
    with driver(arm) as d:  # the driver's composition reads the emulated clock
        older = post({"vmId": vm_id("web1")})[1]["jobs"][0]["set_id"]
        arm.clock.advance(16 * 60)
        newer = post({"vmId": vm_id("web1")})[1]["jobs"][0]["set_id"]
        assert d.run() is True

    assert sorted(j.state for j in _jobs()) == [JobState.SUCCEEDED] * 2
    copy_puts = [
        e
        for e in arm.log.entries()
        if e.method == "PUT" and "/lifeboat-dr/" in e.path and "/restorePoints/" in e.path
    ]
    puts = [e.path.rsplit("/", 1)[-1] for e in copy_puts]
    assert puts == [older, newer], "one copy PUT each, the older set first"
    first = next(j for j in _jobs() if j.data["plan"]["set_id"] == older)
    first_done = parse_time(first.data["copied"]["os"])
    assert copy_puts[1].time >= first_done, "the second copy started after the first finished"
    (dr,) = arm.state.list(RPCS, DR_RG)
    assert sorted(p["name"] for p in _points(arm, dr["id"])) == sorted([older, newer])
