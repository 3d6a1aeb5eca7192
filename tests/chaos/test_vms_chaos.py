"""VM protection under what only VMs meet: the VM deleted at any point of its protection, and a
clean copy killed at every write of a VM its owner had stopped (it must stay stopped).

The generic chaos modules run the `vm-protect-*` scenarios (duplicates, a worker killed before
and after every write, throttling and 5xx storms); this module adds the VM's own life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.core.pipeline.transport import HttpTransport

from shared import bootstrap
from shared.bootstrap import get_deps
from shared.jobs import JobState
from shared.vms.records import latest_manifest
from tests.chaos.conftest import deliver, drive, reset_world, run_scenario
from tests.chaos.scenarios import BY_NAME, Scenario, Stage, protect
from tests.chaos.test_kill_points import kill_points
from tests.chaos.wire import ChaosTransport, is_write
from tests.plugins.chaos import tally
from tests.support import vms

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

MODES = ("snapshot", "clean", "restore-point")


@dataclass
class DeleteVmAfter(HttpTransport):  # type: ignore[misc]
    """The chaos wire, plus the VM deleted (as its owner would) right after the n-th ARM write."""

    wire: ChaosTransport
    arm: Any
    vm: str
    after: int
    arm_port: int
    writes: int = 0
    deleted: bool = False
    sent: list[str] = field(default_factory=list)

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = self.wire.send(request, **kwargs)
        from urllib.parse import urlsplit

        parts = urlsplit(request.url)
        if parts.port == self.arm_port and is_write(request.method, request.url):
            self.writes += 1
            self.sent.append(f"{request.method} {parts.path}")
            if self.writes == self.after and not self.deleted:
                self.arm.state.delete(self.vm)
                self.deleted = True
        return response

    def open(self) -> None:
        self.wire.open()

    def close(self) -> None:
        return None

    def __enter__(self) -> DeleteVmAfter:
        return self

    def __exit__(self, *args: object) -> None:
        return None


def _arm_port(stage: Stage) -> int:
    from urllib.parse import urlsplit

    return urlsplit(stage.arm.endpoint).port or 443


def _scenario(mode: str) -> Scenario:
    return BY_NAME[f"vm-protect-{mode}-http"]


def _arm_writes(stage: Stage) -> int:
    return sum(1 for w in stage.wire.writes if w.service == "arm" and w.status < 400)


def _clean_end(stage: Stage, vm: str, disks: int) -> str:
    """One job, succeeded; either one complete set (manifest included) or nothing at all."""
    jobs = get_deps().jobs.list(kind="vm_protection")
    assert [j.state for j in jobs] == [JobState.SUCCEEDED], [(j.state, j.reason) for j in jobs]
    if (jobs[0].data.get("plan") or {}).get("restore_point"):
        return _restore_point_end(stage, vm, disks, jobs[0])
    regions = vms.snapshots_by_region(stage.arm)
    manifest = latest_manifest(get_deps().records, vm)
    if manifest is None:
        assert regions == {}, f"a set without a manifest left: {sorted(regions)}"
        assert "ended" in jobs[0].data, jobs[0].data
        return "nothing"
    assert sorted(regions) == ["eastus", "westus"], sorted(regions)
    assert [len(regions["eastus"]), len(regions["westus"])] == [disks, disks]
    assert {s["tags"]["lifeboat-set"] for r in regions.values() for s in r} == {manifest.set_id}
    assert all(d.copy_completed_at is not None for d in manifest.disks)
    return "set"


def _restore_point_end(stage: Stage, vm: str, disks: int, job: Any) -> str:
    """Restore-point mode: the complete set (one restore point per region), or no point."""
    points = vms.restore_points_by_region(stage.arm)
    if latest_manifest(get_deps().records, vm) is None:
        assert not any(points.values()), f"a restore point without a manifest: {points}"
        assert "ended" in job.data, job.data
        return "nothing"
    vms.check_one_restore_point_set(stage.arm, vm, disks, power=None)
    return "set"


@pytest.mark.parametrize("mode", MODES)
def test_vm_deleted_after_any_write_of_its_protection_ends_cleanly(stage: Stage, mode: str) -> None:
    scenario = _scenario(mode)
    run_scenario(stage, scenario)
    total = _arm_writes(stage)
    assert total >= {"snapshot": 4, "clean": 6, "restore-point": 4}[mode], stage.wire.writes
    ends: list[str] = []
    for after in range(0, total + 1):  # 0: deleted before anything was written
        reset_world(stage)
        scenario.prepare(stage)
        vm = stage.notes["vm"]
        if after == 0:
            deliver(stage, scenario)
            stage.arm.state.delete(vm)
        else:
            bootstrap.use_transport(
                DeleteVmAfter(stage.wire, stage.arm, vm, after, _arm_port(stage))
            )
            bootstrap.configure(clock=stage.arm.clock.now, storage_delays=False)
            deliver(stage, scenario)
        drive(stage)
        try:
            ends.append(_clean_end(stage, vm, disks=2))
        except AssertionError as exc:
            raise AssertionError(f"{mode}: VM deleted after ARM write {after}: {exc}") from exc
        assert stage.arm.state.get(vm) is None, "the deleted VM came back"
        tally("scenarios")
    # Deleted before the capture: nothing; once the set's disks were captured (and, in a clean
    # copy, the VM started again): a full set. Never a set, then nothing, then a set.
    assert ends[0] == "nothing" and ends[-1] == "set", ends
    assert ends == sorted(ends), ends


def _owner_stopped(stage: Stage) -> None:
    vm = vms.tagged_vm("web1", "clean", 1)
    vm["_powerState"] = "deallocated"
    stage.arm.seed({"resources": [vm]})
    stage.notes["vm"] = vms.vm_id("web1")


def _left_stopped(stage: Stage) -> None:
    vms.check_one_set(stage.arm, stage.notes["vm"], 2, power="deallocated")
    assert not [
        e for e in stage.arm.log.writes() if e.path.lower().endswith(("/start", "/poweroff"))
    ]


STOPPED_BY_OWNER = Scenario(
    "vm-protect-clean-stopped-http",
    _owner_stopped,
    protect(lambda s: {"vmId": s.notes["vm"]}),
    _left_stopped,
    {"vm_protection": 1},
)


def test_clean_copy_of_a_vm_its_owner_stopped_never_starts_it_under_any_kill(
    stage: Stage,
) -> None:
    run_scenario(stage, STOPPED_BY_OWNER)
    points = kill_points(list(stage.wire.writes), STOPPED_BY_OWNER)
    assert points
    for point, write in points:
        reset_world(stage)
        stage.wire.arm_kill(point)
        try:
            run_scenario(stage, STOPPED_BY_OWNER)
        except AssertionError as exc:
            raise AssertionError(f"killed {point.moment} {write.point}: {exc}") from exc
        assert stage.wire.kills, f"the kill {point} never fired"
        stage.wire.kills = 0
    tally("kill points", len(points))
    tally("kills", len(points))
