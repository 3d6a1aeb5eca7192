"""VM protection end to end on the emulator and Azurite, through POST /api/vms/protect."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.jobs import JobState
from shared.vms.records import latest_manifest
from tests.support.images import driver
from tests.support.vms import (
    dr_snapshots,
    killing_registry,
    post,
    power,
    tagged_vm,
    vm_id,
    writes,
)

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _jobs() -> list[Any]:
    return get_deps().jobs.list(kind="vm_protection")


def test_snapshot_mode_copies_every_disk_as_one_set_and_writes_a_manifest(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=2)]})
    status, body = post({"vmId": vm_id("web1")})
    assert status == 202
    (job,) = body["jobs"]
    assert job["status_url"] == f"/api/jobs/{job['job_id']}"

    with driver(arm) as d:
        assert d.run() is True

    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    copies = dr_snapshots(arm)
    assert len(copies) == 3
    assert {c["location"] for c in copies} == {"westus"}
    assert {c["tags"]["lifeboat-lun"] for c in copies} == {"os", "0", "1"}
    assert {c["tags"]["lifeboat-set"] for c in copies} == {job["set_id"]}
    assert {c["tags"]["lifeboat-vm"].lower() for c in copies} == {vm_id("web1").lower()}
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None
    assert manifest.set_id == job["set_id"]
    assert [d.lun for d in manifest.disks] == [None, 0, 1]
    assert manifest.consistency.kind == "per-disk"
    assert manifest.consistency.skew_seconds is not None
    assert all(d.copy_completed_at is not None for d in manifest.disks)
    assert power(arm, "web1") == "running"
    ready = _jobs()[0].data["set_ready"]
    assert (ready["vm_id"], ready["set_id"]) == (manifest.vm_id, job["set_id"])
    assert ready["consistency"] == "per-disk"
    assert ready["achieved_rpo_seconds"] > 0  # the copies took emulated minutes


def test_manifest_stays_readable_with_the_primary_region_down(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    post({"vmId": vm_id("web1")})
    with driver(arm) as d:
        assert d.run() is True
    arm.faults.region_down("eastus")
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None and len(manifest.disks) == 2


def test_clean_copy_stops_snapshots_and_starts_the_vm_again(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("app1", mode="clean", data_disks=1)]})
    assert post({"vmId": vm_id("app1")})[0] == 202
    with driver(arm) as d:
        assert d.run() is True
    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    assert power(arm, "app1") == "running"
    stops = [e for e in arm.log.entries() if e.path.lower().endswith("/poweroff")]
    starts = [e for e in arm.log.entries() if e.path.lower().endswith("/start")]
    assert len(stops) == 1 and len(starts) == 1
    manifest = latest_manifest(get_deps().records, vm_id("app1"))
    assert manifest is not None and manifest.consistency.kind == "app"


def test_worker_killed_right_after_shutdown_still_restarts_the_vm(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("app1", mode="clean", data_disks=1)]})
    registry, killed = killing_registry(lambda r: r.reason == "VM shutting down")
    post({"vmId": vm_id("app1")})
    with driver(arm, registry) as d:
        with pytest.raises(KeyboardInterrupt):
            d.run()
        assert killed == ["VM shutting down"]
        assert d.run() is True
    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    assert power(arm, "app1") == "running"


def test_dry_run_returns_the_exact_plan_and_writes_nothing(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    before = writes(arm)
    status, body = post({"vmId": vm_id("web1"), "dryRun": True})
    assert status == 200
    (plan,) = body["plans"]
    assert plan["dr_region"] == "westus"
    assert [d["label"] for d in plan["disks"]] == ["os", "lun0"]
    assert all("/resourceGroups/lifeboat-dr/" in d["dr_snapshot"] for d in plan["disks"])
    assert writes(arm) == before
    assert _jobs() == []


def test_out_of_scope_vm_is_a_400_naming_the_field(lifeboat_env: Any) -> None:
    other = vm_id("web1").replace(
        "00000000-0000-0000-0000-000000000001", "1" * 8 + "-1111-1111-1111-" + "1" * 12
    )
    status, body = post({"vmId": other})
    assert status == 400
    assert body["error"].startswith("vmId:")
    assert "LIFEBOAT_SUBSCRIPTIONS" in body["error"]


def test_three_identical_requests_make_one_job(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    answers = [post({"vmId": vm_id("web1")})[1]["jobs"][0] for _ in range(3)]
    assert len({a["job_id"] for a in answers}) == 1
    assert [a["created"] for a in answers] == [True, False, False]


def test_a_request_within_the_minimum_interval_joins_the_set_a_later_one_starts_a_new_one(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=0)]})
    first = post({"vmId": vm_id("web1")})[1]["jobs"][0]
    with driver(arm) as d:
        assert d.run() is True
        # The set is done (its copies took a few emulated minutes): inside its 15-minute window.
        arm.clock.advance(60)
        again = post({"vmId": vm_id("web1")})[1]["jobs"][0]
        assert (again["job_id"], again["created"]) == (first["job_id"], False)
        arm.clock.advance(15 * 60)
        later = post({"vmId": vm_id("web1")})[1]["jobs"][0]
        assert later["created"] is True and later["set_id"] != first["set_id"]
        assert d.run() is True
    assert sorted(j.state for j in _jobs()) == [JobState.SUCCEEDED] * 2
    assert len({s["tags"]["lifeboat-set"] for s in dr_snapshots(arm)}) == 2


def test_tag_request_protects_each_matching_vm(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed(
        {
            "resources": [
                tagged_vm("web1", data_disks=0, role="web"),
                tagged_vm("web2", data_disks=0, role="web"),
                tagged_vm("db1", data_disks=0, role="db"),
            ]
        }
    )
    status, body = post({"tag": "role=web"})
    assert status == 202
    assert sorted(j["vm_id"].rsplit("/", 1)[1] for j in body["jobs"]) == ["web1", "web2"]


def test_copy_cap_is_never_exceeded_and_nothing_is_refused(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import bootstrap

    monkeypatch.setenv("LIFEBOAT_COPY_CONCURRENCY", "2")
    bootstrap.reset()
    arm = lifeboat_env.arm
    arm.compute.max_copies_per_region = 2  # Azure's limit, as tight as our cap
    arm.seed({"resources": [tagged_vm(f"web{i}", data_disks=1, role="web") for i in range(4)]})
    post({"tag": "role=web"})
    with driver(arm) as d:
        assert d.run() is True
    assert sorted(j.state for j in _jobs()) == [JobState.SUCCEEDED] * 4
    refused = [e for e in arm.log.entries() if "/snapshots/" in e.path and e.status == 409]
    assert refused == []
    assert len(dr_snapshots(arm)) == 8


def test_busy_refusal_waits_and_the_copy_completes(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.compute.max_copies_per_region = 1  # tighter than our cap: Azure refuses, we wait
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    post({"vmId": vm_id("web1")})
    with driver(arm) as d:
        assert d.run() is True
    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    refused = [e for e in arm.log.entries() if "/snapshots/" in e.path and e.status == 409]
    assert refused, "the emulator should have refused the second copy"
    assert len(dr_snapshots(arm)) == 2


def test_vm_deleted_before_capture_ends_the_job_cleanly(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    post({"vmId": vm_id("web1")})
    arm.state.delete(vm_id("web1"))
    with driver(arm) as d:
        assert d.run() is True
    (job,) = _jobs()
    assert job.state is JobState.SUCCEEDED
    assert "deleted" in job.data["ended"]
    assert dr_snapshots(arm) == []


def test_manifest_records_each_nic_subnet_address_allocation_and_nsg(lifeboat_env: Any) -> None:
    net = vm_id("x").split("/providers/")[0] + "/providers/Microsoft.Network"
    subnet = f"{net}/virtualNetworks/vnet/subnets/app"
    vnet = {
        "id": f"{net}/virtualNetworks/vnet",
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [{"name": "app", "properties": {"addressPrefix": "10.20.1.0/24"}}],
        },
    }
    nsg = {"id": f"{net}/networkSecurityGroups/web-nsg", "location": "eastus", "properties": {}}
    ip = {"subnet": {"id": subnet}, "privateIPAllocationMethod": "Static",
          "privateIPAddress": "10.20.1.7"}  # fmt: skip
    nic = {
        "id": f"{net}/networkInterfaces/web1-nic",
        "location": "eastus",
        "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "properties": ip}],
            "enableAcceleratedNetworking": True,
            "networkSecurityGroup": {"id": nsg["id"]},
        },
    }
    vm = tagged_vm("web1", data_disks=0)
    vm["properties"]["networkProfile"] = {"networkInterfaces": [{"id": nic["id"]}]}
    arm = lifeboat_env.arm
    arm.seed({"resources": [vnet, nsg, nic, vm]})

    post({"vmId": vm_id("web1")})
    with driver(arm) as d:
        assert d.run() is True

    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None
    (recorded,) = manifest.nics
    assert recorded.nic_id.lower() == nic["id"].lower()
    assert recorded.subnet_id.lower() == subnet.lower()
    assert (recorded.private_ip, recorded.allocation) == ("10.20.1.7", "Static")
    assert recorded.accelerated_networking is True
    assert (recorded.nsg_id or "").lower() == nsg["id"].lower()
    assert recorded.primary is True
