"""Helpers for the VM protection tests (no tests here): tagged VMs, the HTTP route, the driver."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from functions.vms import vms_protect
from shared.jobs import Registry, StepContext, StepResult
from tests.event_samples import http_post
from tests.plugins.arm import SUBSCRIPTION, arm_id, vm_resource

if TYPE_CHECKING:
    from emulator.server import ArmEmulator

SUB = SUBSCRIPTION
DR_RG = f"/subscriptions/{SUB}/resourceGroups/lifeboat-dr"
SNAPSHOTS = "Microsoft.Compute/snapshots"


def tagged_vm(name: str, mode: str = "snapshot", data_disks: int = 2, **tags: str) -> Any:
    """A running VM in eastus with `data_disks` data disks, opted in with `mode`."""
    vm = vm_resource(name, tags={"lifeboat-protect": "true", "lifeboat-mode": mode, **tags})
    vm["properties"]["storageProfile"]["dataDisks"] = [
        {"lun": lun, "name": f"{name}-data{lun}", "diskSizeGB": 64} for lun in range(data_disks)
    ]
    return vm


def vm_id(name: str) -> str:
    """The id of test VM `name`."""
    return arm_id("virtualMachines", name)


def post(body: Any) -> tuple[int, Any]:
    """POST /api/vms/protect through the real function."""
    response = vms_protect(http_post(body, "vms/protect"))
    return response.status_code, json.loads(response.get_body() or b"null")


def dr_snapshots(arm: ArmEmulator) -> list[Any]:
    """Every snapshot in the DR resource group."""
    return list(arm.state.list(SNAPSHOTS, DR_RG))


def power(arm: ArmEmulator, name: str) -> str:
    """The emulated VM's power state."""
    return str(arm.state.meta(vm_id(name)).get("power") or "running")


power_of = power


def writes(arm: ArmEmulator) -> int:
    """Successful ARM writes (PUT/PATCH/POST/DELETE; Resource Graph queries are POST reads)."""
    return sum(
        1
        for e in arm.log.entries()
        if e.method != "GET" and e.status < 300 and "resourcegraph" not in e.path.lower()
    )


class Killed(KeyboardInterrupt):
    """Stands for the worker process dying (nothing in the app catches a BaseException)."""


def killing_registry(
    when: Callable[[StepResult], bool], times: int = 1
) -> tuple[Registry, list[str]]:
    """The VM kinds, with the worker killed after a capture step whose result matches `when`
    (its writes done, before the backbone recorded the result), `times` times."""
    from shared.features import job_registry
    from shared.vms.jobs import PROTECTION_KIND

    killed: list[str] = []
    kind = job_registry().get(PROTECTION_KIND)

    def wrap(name: str, run: Callable[[StepContext], StepResult]) -> Any:
        def step(ctx: StepContext) -> StepResult:
            result = run(ctx)
            if name == "capture" and len(killed) < times and when(result):
                killed.append(result.reason)
                raise Killed(result.reason)
            return result

        return step

    registry = Registry()
    registry.register(PROTECTION_KIND, [(s.name, wrap(s.name, s.run)) for s in kind.steps])
    return registry, killed


def snapshots_by_region(arm: ArmEmulator) -> dict[str, list[Any]]:
    """Every snapshot of the test subscription, by region."""
    found: dict[str, list[Any]] = {}
    for snap in arm.state.list(SNAPSHOTS, f"/subscriptions/{SUB}"):
        found.setdefault(str(snap["location"]), []).append(snap)
    return found


def check_one_set(arm: ArmEmulator, vm: str, disks: int, power: str = "running") -> None:
    """One complete set of `vm`: `disks` source snapshots in the VM's region and `disks` DR
    copies in the DR region, all tagged with one set id, a manifest of that set with every copy
    complete, and the VM in `power` (running, unless its owner had stopped it)."""
    from shared.bootstrap import get_deps
    from shared.vms.records import latest_manifest

    regions = snapshots_by_region(arm)
    assert sorted(regions) == ["eastus", "westus"], f"snapshot regions: {sorted(regions)}"
    sources, copies = regions["eastus"], regions["westus"]
    assert len(sources) == disks, f"source snapshots: {[s['name'] for s in sources]}"
    assert len(copies) == disks, f"DR copies: {[s['name'] for s in copies]}"
    sets = {s["tags"]["lifeboat-set"] for s in sources + copies}
    assert len(sets) == 1, f"sets: {sets}"
    manifest = latest_manifest(get_deps().records, vm)
    assert manifest is not None, "no manifest"
    assert manifest.set_id in sets, (manifest.set_id, sets)
    assert len(manifest.disks) == disks
    assert all(d.copy_completed_at is not None for d in manifest.disks), "incomplete copies"
    name = vm.rsplit("/", 1)[-1]
    assert power_of(arm, name) == power, f"the VM is left {power_of(arm, name)}"


RPCS = "Microsoft.Compute/restorePointCollections"


def restore_points_by_region(arm: ArmEmulator) -> dict[str, list[Any]]:
    """Every restore point of the test subscription, by its collection's region."""
    found: dict[str, list[Any]] = {}
    for collection in arm.state.list(RPCS, f"/subscriptions/{SUB}"):
        points = list(arm.state.list(f"{RPCS}/restorePoints", collection["id"]))
        found.setdefault(str(collection["location"]), []).extend(points)
    return found


def check_one_restore_point_set(
    arm: ArmEmulator, vm: str, disks: int, power: str | None = "running"
) -> None:
    """One complete restore-point set of `vm`: one collection per region, one restore point in
    each (the DR one a copy of the local one), no snapshot, a manifest of that set whose every
    disk names a DR disk restore point, copied, and the VM in `power` (None: not checked, the
    VM may be gone)."""
    from shared.bootstrap import get_deps
    from shared.vms.records import latest_manifest

    collections = list(arm.state.list(RPCS, f"/subscriptions/{SUB}"))
    assert sorted(c["location"] for c in collections) == ["eastus", "westus"], collections
    points = restore_points_by_region(arm)
    assert [len(points["eastus"]), len(points["westus"])] == [1, 1], points
    (local,), (copied,) = points["eastus"], points["westus"]
    assert copied["properties"]["sourceRestorePoint"]["id"].lower() == local["id"].lower()
    assert snapshots_by_region(arm) == {}, "restore-point mode takes no snapshot"
    manifest = latest_manifest(get_deps().records, vm)
    assert manifest is not None, "no manifest"
    assert manifest.set_id == local["name"] == copied["name"]
    assert len(manifest.disks) == disks
    prefix = f"{copied['id']}/diskRestorePoints/".lower()
    assert all(
        (d.dr_disk_restore_point_id or "").lower().startswith(prefix) for d in manifest.disks
    )
    assert all(d.copy_completed_at is not None for d in manifest.disks), "incomplete copies"
    name = vm.rsplit("/", 1)[-1]
    if power is not None:
        assert power_of(arm, name) == power, f"the VM is left {power_of(arm, name)}"
