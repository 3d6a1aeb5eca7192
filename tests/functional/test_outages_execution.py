"""Executing a DR plan end to end: the plan_execution job on the emulator and Azurite."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.errors import InvalidInput
from shared.outages.run import (
    EXECUTION_KIND,
    execution_view,
    running_executions,
    submit_execution,
)
from tests.support.images import driver
from tests.support.recovery import ALERT, SNAPSHOTS, plan_for, resources_in, seed_dr, vms_in

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

NICS = "Microsoft.Network/networkInterfaces"
DISKS = "Microsoft.Compute/disks"


def test_a_two_vm_plan_recovers_disks_nics_and_vms_and_records_rto(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_dr(arm, ["web1", "web2"])
    plan = plan_for(["web1", "web2"])
    job_id = submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)

    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "queued" and view.job_id == job_id
    assert [v.plan_id for v in running_executions(get_deps())] == [plan.plan_id]

    with driver(arm) as d:
        assert d.run() is True

    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None
    assert view.state == "succeeded", view.to_dict()
    assert [i.state for i in view.items] == ["succeeded", "succeeded"]
    assert all(w.state == "done" for i in view.items for w in i.writes)
    assert view.rto_seconds is not None and view.rto_seconds > 0
    assert set(view.running_at) == {i.subject for i in plan.items}
    assert running_executions(get_deps()) == []

    vms = vms_in(arm)
    assert sorted(v["name"] for v in vms) == sorted(i.vm.vm.name for i in plan.items if i.vm)
    for vm in vms:
        props = vm["properties"]
        assert vm["location"] == "westus" and "zones" not in vm
        assert props["securityProfile"]["securityType"] == "TrustedLaunch"
        assert props["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"
        assert [d["lun"] for d in props["storageProfile"]["dataDisks"]] == [0]
        assert vm["tags"]["lifeboat-plan"] == plan.plan_id
    disks = resources_in(arm, DISKS)
    assert len(disks) == 4 and all(d.get("managedBy") for d in disks)
    creation = [d["properties"]["creationData"] for d in disks]
    sources = {c["sourceResourceId"].rsplit("/", 1)[-1] for c in creation}
    assert sources == {"web1-os", "web1-d0", "web2-os", "web2-d0"}
    nics = resources_in(arm, NICS)
    configs = [n["properties"]["ipConfigurations"][0]["properties"] for n in nics]
    assert sorted(c["privateIPAddress"] for c in configs) == ["10.0.1.10", "10.0.1.11"]
    assert {c["privateIPAllocationMethod"] for c in configs} == {"Static"}
    subnet = configs[0]["subnet"]["id"]
    assert "/virtualNetworks/prod-dr/" in subnet


def test_submitting_twice_is_one_job_and_out_of_scope_items_are_refused(lifeboat_env: Any) -> None:
    seed_dr(lifeboat_env.arm, ["web1"])
    plan = plan_for(["web1"])
    first = submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    again = submit_execution(get_deps(), plan, revision=1, alert_received_at=None)
    assert first == again
    assert len(get_deps().jobs.list(kind=EXECUTION_KIND)) == 1
    with pytest.raises(InvalidInput, match="revision"):
        submit_execution(get_deps(), plan, revision=-1, alert_received_at=ALERT)


def test_it_completes_with_the_primary_region_down_and_never_calls_it(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_dr(arm, ["web1"])
    arm.faults.region_down("eastus")
    plan = plan_for(["web1"])
    submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "succeeded"
    assert not [e for e in arm.log.entries() if e.fault], "nothing reached the primary region"
    assert len(vms_in(arm)) == 1


def test_a_drill_plan_runs_the_same_job_into_the_drill_network(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_dr(arm, ["web1"])
    plan = plan_for(["web1"], drill="ab12cd34")
    submit_execution(get_deps(), plan, revision=1, alert_received_at=None)
    with driver(arm) as d:
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "succeeded" and view.drill_id == "ab12cd34"
    (vm,) = vms_in(arm)
    assert "drill-ab12cd34" in vm["name"] and vm["tags"]["lifeboat-drill"] == "ab12cd34"
    (nic,) = resources_in(arm, NICS)
    subnet = nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
    assert "/virtualNetworks/drill/" in subnet
    assert all("drill-ab12cd34" in d["name"] for d in resources_in(arm, DISKS))


def test_an_item_that_cannot_be_recovered_fails_alone_and_is_named(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_dr(arm, ["web1", "web2"])
    arm.state.delete(f"{SNAPSHOTS}/web2-d0")  # its DR copy is gone: the disk create answers 404
    plan = plan_for(["web1", "web2"])
    submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "failed"
    states = {i.subject.rsplit("/", 1)[-1]: i.state for i in view.items}
    assert states == {"web1": "succeeded", "web2": "failed"}
    (error,) = view.errors
    assert "web2" in error and "404" in error
    assert [v["name"].split("-")[0] for v in vms_in(arm)] == ["web1"]
    assert view.rto_seconds is None  # a runnable VM is not running: no plan RTO
    failed = next(i for i in view.items if i.state == "failed")
    assert {w.state for w in failed.writes} <= {"done", "failed"}
    assert view.to_dict()["items"][1]["error"]


def test_a_new_revision_is_a_new_execution_and_the_view_shows_the_newest(
    lifeboat_env: Any,
) -> None:
    arm = lifeboat_env.arm
    seed_dr(arm, ["web1"])
    plan = plan_for(["web1"])
    first = submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True
        second = submit_execution(get_deps(), plan, revision=2, alert_received_at=ALERT)
        assert second != first
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.revision == 2 and view.state == "succeeded"
    assert len(vms_in(arm)) == 1  # the same names: revision 2 found revision 1's resources
    assert execution_view(get_deps(), "plan-unknown") is None


def test_templates_are_recreated_through_the_template_restore_job(lifeboat_env: Any) -> None:
    from shared.jobs import JobState
    from shared.outages.inventory import TemplateBackup
    from shared.templates.service import backup_template
    from tests.support import templates

    arm = lifeboat_env.arm
    tid = templates.template_id()
    templates.create_template(tid)
    backup_template(tid, get_deps())
    digest = templates.pointer(templates.dr_blobs()).metadata["contenthash"]
    seed_dr(arm, ["web1"])
    arm.faults.region_down("eastus")
    backup = TemplateBackup(str(tid), "eastus", digest, ALERT, {})
    plan = plan_for(["web1"], templates=(backup,))
    submit_execution(get_deps(), plan, revision=1, alert_received_at=ALERT)
    with driver(arm) as d:
        assert d.run() is True
    view = execution_view(get_deps(), plan.plan_id)
    assert view is not None and view.state == "succeeded", view.to_dict()
    assert [i.kind for i in view.items] == ["template", "vm"]
    (restore,) = get_deps().jobs.list(kind="template_restore")
    assert restore.state is JobState.SUCCEEDED
    restored = resources_in(arm, "Microsoft.VirtualMachineImages/imageTemplates")
    assert [r["id"].lower() for r in restored] == [plan.items[0].template.resource_id.lower()]
