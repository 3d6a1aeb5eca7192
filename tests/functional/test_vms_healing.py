"""The VM sweep heals what a failed job left: a missing manifest, an orphaned partial set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shared.bootstrap import get_deps
from shared.jobs import JobState, Registry, StepContext, StepResult
from shared.vms.records import latest_manifest
from shared.vms.sweep import sweep_vms
from tests.support.images import driver
from tests.support.vms import post, snapshots_by_region, tagged_vm, vm_id, writes

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


def _failing_at(step_name: str, wait: bool = False) -> Registry:
    """The VM kind with step `step_name` failing (as when its retries are exhausted), or
    waiting an hour at every run (`wait`: a job still in flight)."""
    from shared.features import job_registry
    from shared.vms.jobs import PROTECTION_KIND

    kind = job_registry().get(PROTECTION_KIND)

    def fail(ctx: StepContext) -> StepResult:
        if wait:
            return StepResult.wait(3600, f"{step_name}: still copying")
        return StepResult.fail(f"{step_name}: storage unavailable")

    steps: list[tuple[str, Callable[[StepContext], StepResult]]] = [
        (s.name, fail if s.name == step_name else s.run) for s in kind.steps
    ]
    registry = Registry()
    registry.register(PROTECTION_KIND, steps)
    return registry


def _protect(arm: Any, registry: Registry) -> str:
    status, body = post({"vmId": vm_id("web1")})
    assert status == 202
    with driver(arm, registry) as d:
        d.run()
    (job,) = get_deps().jobs.list(kind="vm_protection")
    assert job.state is JobState.FAILED
    return str(body["jobs"][0]["set_id"])


def test_a_set_whose_copies_finished_gets_its_missing_manifest_once(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=2)]})
    set_id = _protect(arm, _failing_at("manifest"))
    records = get_deps().records
    assert latest_manifest(records, vm_id("web1")) is None
    assert len(snapshots_by_region(arm)["westus"]) == 3  # the copies finished

    arm.log.clear()
    result = sweep_vms(get_deps(), arm.clock.now())

    assert result["manifests_healed"] == [set_id]
    assert result["started"] == []  # the healed set is the VM's newest: nothing due
    assert writes(arm) == 0  # the manifest is a storage write, not an ARM one
    manifest = latest_manifest(records, vm_id("web1"))
    assert manifest is not None and manifest.set_id == set_id
    assert [d.lun for d in manifest.disks] == [None, 0, 1]
    assert all(d.copy_completed_at is not None for d in manifest.disks)

    arm.log.clear()
    again = sweep_vms(get_deps(), arm.clock.now())
    assert again["manifests_healed"] == [] and again["started"] == [] and again["deleted"] == 0
    assert writes(arm) == 0


def test_a_set_whose_copy_is_gone_gets_no_manifest(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    _protect(arm, _failing_at("manifest"))
    gone = snapshots_by_region(arm)["westus"][0]["id"]
    arm.state.delete(gone)

    result = sweep_vms(get_deps(), arm.clock.now())

    assert result["manifests_healed"] == []
    assert latest_manifest(get_deps().records, vm_id("web1")) is None


def test_an_orphaned_partial_set_is_deleted_after_the_grace_only(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    set_id = _protect(arm, _failing_at("copy"))
    sources = snapshots_by_region(arm)["eastus"]
    assert {s["tags"]["lifeboat-set"] for s in sources} == {set_id} and len(sources) == 2

    early = sweep_vms(get_deps(), arm.clock.now())
    assert early["deleted"] == 0
    assert len(snapshots_by_region(arm).get("eastus", [])) >= 2

    grace = get_deps().settings.vms_orphan_grace_hours
    arm.clock.advance(timedelta(hours=grace + 1).total_seconds())
    arm.log.clear()
    late = sweep_vms(get_deps(), arm.clock.now())

    assert late["deleted"] == 2
    left = [
        s for s in snapshots_by_region(arm).get("eastus", []) if s["tags"]["lifeboat-set"] == set_id
    ]
    assert left == []


def test_a_partial_set_whose_job_still_runs_is_kept_past_the_grace(lifeboat_env: Any) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=1)]})
    status, _ = post({"vmId": vm_id("web1")})
    assert status == 202

    def waiting() -> bool:
        # Waiting in the copy step itself (a transient retry of an earlier step waits too).
        jobs = get_deps().jobs.list(kind="vm_protection")
        if not jobs or jobs[0].state is not JobState.WAITING:
            return False
        step = jobs[0].current_step()
        return step is not None and step.name == "copy"

    with driver(arm, _failing_at("copy", wait=True)) as d:
        assert d.run(until=waiting) is True
    grace = get_deps().settings.vms_orphan_grace_hours
    arm.clock.advance(timedelta(hours=grace + 1).total_seconds())

    result = sweep_vms(get_deps(), arm.clock.now())

    assert result["deleted"] == 0
    assert len(snapshots_by_region(arm)["eastus"]) == 2
