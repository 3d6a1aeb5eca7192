"""A drill's follow-up job on the emulator and Azurite: validate, hold, delete, keep evidence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.drills.evidence import record_name
from shared.drills.service import submit_followup
from shared.jobs import JobState
from tests.support.drills import (
    DRILL,
    GROUP,
    NET,
    SUBNET_ID,
    VNET_ID,
    followup,
    killing_registry,
    seed_drill,
    vm_ids,
)
from tests.support.images import driver

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _left(arm: Any, names: tuple[str, ...]) -> list[str]:
    ids = [i for n in names for i in vm_ids(n).values()]
    return [i for i in ids if arm.state.get(i) is not None]


def _jobs() -> list[Any]:
    return get_deps().jobs.list(kind="drill_cleanup")


def test_validated_drill_is_cleaned_up_after_its_window_with_evidence(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    names = ("web1", "web2")
    seed_drill(arm, names)
    spec = followup(arm, names, window=timedelta(minutes=5))
    start = arm.clock.now()
    with driver(arm) as d:
        accepted = submit_followup(get_deps(), spec)
        assert accepted.created
        assert d.run() is True

    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    assert _left(arm, names) == []
    assert arm.state.get(VNET_ID) is not None  # a network the drill did not create stays
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None
    assert doc["passed"] is True
    assert doc["cleanup"] == {"complete": True, "deleted": 8, "left": {}}
    assert [v["verdict"] for v in doc["vms"]] == ["passed", "passed"]
    assert all(v["rtoMet"] is True and v["rpoSeconds"] == 600.0 for v in doc["vms"])
    checks = doc["vms"][0]["validation"]["checks"]
    assert checks == {
        "exists": True,
        "provisioningSucceeded": True,
        "powerRunning": True,
        "healthAvailable": True,
        "probe": True,
    }
    assert doc["vms"][0]["validation"]["evidence"]["availabilityState"] == "Available"
    # The VMs stayed up for the whole window: cleanup began no earlier than 5 minutes after.
    deletes = [e for e in arm.log.entries() if e.method == "DELETE"]
    assert deletes
    assert (arm.clock.now() - start) >= timedelta(minutes=5)
    first_vm_delete = next(i for i, e in enumerate(deletes) if "virtualMachines" in e.path)
    first_nic_delete = next(i for i, e in enumerate(deletes) if "networkInterfaces" in e.path)
    assert first_vm_delete < first_nic_delete


def test_a_vm_that_never_runs_fails_validation_and_is_still_deleted(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",), power="deallocated")
    with driver(arm) as d:
        submit_followup(get_deps(), followup(arm, ("web1",)))
        assert d.run() is True
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None
    assert doc["passed"] is False and doc["rtoSeconds"] is None
    (vm,) = doc["vms"]
    assert vm["verdict"] == "failed"
    assert "powerRunning" in vm["validation"]["reason"]
    assert vm["validation"]["evidence"]["powerState"] == "deallocated"
    assert _left(arm, ("web1",)) == []


def test_resources_already_gone_are_success(lifeboat_env: Any, compute: Any, network: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",))
    spec = followup(arm, ("web1",))
    ids = vm_ids("web1")
    compute.virtual_machines.begin_delete(GROUP, ids["vm"].rsplit("/", 1)[1]).result()
    network.network_interfaces.begin_delete(GROUP, ids["nic"].rsplit("/", 1)[1]).result()
    assert arm.state.get(ids["vm"]) is None and arm.state.get(ids["nic"]) is None
    with driver(arm) as d:
        submit_followup(get_deps(), spec)
        assert d.run() is True
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None
    assert doc["cleanup"]["complete"] is True, doc["cleanup"]
    assert _left(arm, ("web1",)) == []


def _stranger_in_the_drill_subnet(arm: Any) -> str:
    """A NIC the drill did not create, in its subnet: Azure refuses to delete the vnet."""
    nic = f"{NET}/networkInterfaces/someone-elses-nic"
    config = {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET_ID}}}
    arm.seed({"resources": [{"id": nic, "location": "westus",
                             "properties": {"ipConfigurations": [config]}}]})  # fmt: skip
    return nic


def test_a_deletion_azure_refuses_is_reported_with_what_is_left(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",))
    stranger = _stranger_in_the_drill_subnet(arm)
    with driver(arm) as d:
        submit_followup(get_deps(), followup(arm, ("web1",), network=True))
        assert d.run() is True
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None
    assert _left(arm, ("web1",)) == []
    # Azure refuses the vnet while a NIC it did not create uses its subnet: reported, kept.
    assert arm.state.get(VNET_ID) is not None and arm.state.get(stranger) is not None
    assert doc["cleanup"]["complete"] is False
    assert list(doc["cleanup"]["left"]) == [VNET_ID]
    assert "InUseSubnetCannotBeDeleted" in doc["cleanup"]["left"][VNET_ID]


def test_submitting_the_same_drill_twice_is_one_job(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",))
    spec = followup(arm, ("web1",))
    with driver(arm):
        first = submit_followup(get_deps(), spec)
        second = submit_followup(get_deps(), spec)
    assert first.job_id == second.job_id
    assert (first.created, second.created) == (True, False)


STEP_RUNS = ("validate", "hold", "hold", "delete", "delete", "delete", "delete", "record")


@pytest.mark.parametrize("at", range(len(STEP_RUNS)))
def test_worker_killed_at_any_step_leaves_nothing_behind(lifeboat_env: Any, at: int) -> None:
    arm = lifeboat_env.arm
    names = ("web1",)
    seed_drill(arm, names)
    registry, killed = killing_registry(at)
    with driver(arm, registry) as d:
        submit_followup(get_deps(), followup(arm, names))
        with pytest.raises(KeyboardInterrupt):
            d.run()
        assert killed == [STEP_RUNS[at]]
        assert d.run() is True
    assert [j.state for j in _jobs()] == [JobState.SUCCEEDED]
    assert _left(arm, names) == []
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None and doc["cleanup"]["complete"] is True


def test_status_shows_the_last_drills_and_an_unfinished_cleanup(lifeboat_env: Any) -> None:
    from tests.functions.test_status_endpoint import get

    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",))
    _stranger_in_the_drill_subnet(arm)
    with driver(arm) as d:
        submit_followup(get_deps(), followup(arm, ("web1",), network=True))
        assert d.run() is True
    code, body = get()
    assert code == 200
    (drill,) = body["drills"]["scopes"]["all"]
    assert drill["drill_id"] == DRILL
    assert drill["passed"] is True
    assert drill["cleanup_complete"] is False  # the vnet is left (see above)
    assert drill["evidence"] == record_name(DRILL)
    assert body["drills"]["cleanup_incomplete"] == [DRILL]
