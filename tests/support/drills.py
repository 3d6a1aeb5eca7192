"""Drill test helpers (no tests here): a recovered drill VM seeded in the emulator, its spec."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from emulator.server import ArmEmulator
from shared.drills.spec import DrillFollowUp, DrillVm
from shared.jobs import Registry, StepContext, StepResult
from shared.outages.cleanup import CreatedKind, CreatedResource
from tests.plugins.arm import SUBSCRIPTION, arm_id

DRILL = "ab12cd34"
GROUP = "lifeboat-dr"  # drills recover into the DR resource group, names carry the id
NET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Network"
VNET_ID = f"{NET}/virtualNetworks/vnet-drill-{DRILL}"
SUBNET_ID = f"{VNET_ID}/subnets/app"


def vm_ids(name: str) -> dict[str, str]:
    """The ids a drill recovery of VM `name` created: vm, nic, os and data disk."""
    mark = f"0a1b2c3d-drill-{DRILL}"
    return {
        "vm": arm_id("virtualMachines", f"{name}-{mark}", rg=GROUP),
        "nic": f"{NET}/networkInterfaces/{name}-nic0-{mark}",
        "os": arm_id("disks", f"{name}-os-{mark}", rg=GROUP),
        "data": arm_id("disks", f"{name}-lun0-{mark}", rg=GROUP),
    }


def seed_drill(arm: ArmEmulator, names: tuple[str, ...], power: str = "running") -> None:
    """Seed the drill network and, per name, a recovered VM with its NIC and two disks."""
    resources: list[Any] = [
        {
            "id": VNET_ID,
            "location": "westus",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.200.0.0/16"]},
                "subnets": [{"name": "app", "properties": {"addressPrefix": "10.200.1.0/24"}}],
            },
        }
    ]
    for name in names:
        ids = vm_ids(name)
        resources.append(
            {
                "id": ids["nic"],
                "location": "westus",
                "properties": {
                    "ipConfigurations": [
                        {"name": "ipconfig1", "properties": {"subnet": {"id": SUBNET_ID}}}
                    ]
                },
            }
        )
        resources.append(
            {
                "id": ids["vm"],
                "location": "westus",
                "_powerState": power,
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {
                        "osDisk": {
                            "name": ids["os"].rsplit("/", 1)[1],
                            "osType": "Linux",
                            "diskSizeGB": 30,
                        },
                        "dataDisks": [
                            {"lun": 0, "name": ids["data"].rsplit("/", 1)[1], "diskSizeGB": 64}
                        ],
                    },
                    "networkProfile": {"networkInterfaces": [{"id": ids["nic"]}]},
                },
            }
        )
    arm.seed({"resources": resources})


def followup(
    arm: ArmEmulator,
    names: tuple[str, ...],
    *,
    network: bool = False,
    window: timedelta = timedelta(minutes=5),
    rto_target: float | None = 3600.0,
) -> DrillFollowUp:
    """The follow-up spec of a drill that recovered `names` (starting now on the emulated clock)."""
    vms, created = [], []
    for name in names:
        ids = vm_ids(name)
        vms.append(DrillVm(ids["vm"], arm_id("virtualMachines", name), "gold", rto_target, 600.0))
        created += [
            CreatedResource(CreatedKind.VM, ids["vm"]),
            CreatedResource(CreatedKind.NIC, ids["nic"], ids["vm"]),
            CreatedResource(CreatedKind.DISK, ids["os"], ids["vm"]),
            CreatedResource(CreatedKind.DISK, ids["data"], ids["vm"]),
        ]
    if network:
        created.append(CreatedResource(CreatedKind.NETWORK, VNET_ID))
    return DrillFollowUp(
        drill_id=DRILL,
        plan_id="plan-drill",
        scope="all",
        started_at=arm.clock.now(),
        vms=vms,
        created=created,
        window=window,
        subscriptions=(SUBSCRIPTION,),
    )


class Killed(KeyboardInterrupt):
    """Stands for the worker process dying (a BaseException: nothing in the app catches it)."""


def killing_registry(at: int) -> tuple[Registry, list[str]]:
    """The drill kind, with the worker killed after the `at`-th step execution (0-based) did
    its work and before the backbone recorded the result."""
    from shared.drills.jobs import CLEANUP_KIND
    from shared.features import job_registry

    kind = job_registry().get(CLEANUP_KIND)
    runs: list[str] = []
    killed: list[str] = []

    def wrap(name: str, run: Callable[[StepContext], StepResult]) -> Any:
        def step(ctx: StepContext) -> StepResult:
            result = run(ctx)
            runs.append(name)
            if len(runs) - 1 == at:
                killed.append(name)
                raise Killed(name)
            return result

        return step

    registry = Registry()
    registry.register(CLEANUP_KIND, [(s.name, wrap(s.name, s.run)) for s in kind.steps])
    return registry, killed


# ---- a drill through POST /api/drills (chaos scenario, bench, demo) -------------------------
# The environment protect_for_drill sets; undo_drill_env restores it (undo twice is a no-op).
_DRILL_ENV = pytest.MonkeyPatch()


def drill_settings(arm: ArmEmulator, window_minutes: float = 0) -> dict[str, str]:
    """The settings a drill of the `tests.support.recovery` estate needs: the subnet map, the
    configured drill vnet (never deleted) and the window."""
    from tests.unit.outage_builders import DRILL_SUBNET, RG, SRC_SUBNET

    dr_subnet = f"{RG}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr/subnets/web"
    return {
        "LIFEBOAT_SUBNET_MAP": f"{SRC_SUBNET}={dr_subnet}",
        "LIFEBOAT_DRILL_VNET_ID": DRILL_SUBNET.rsplit("/subnets/", 1)[0],
        "LIFEBOAT_DRILL_WINDOW_MINUTES": str(window_minutes),
    }


def protect_for_drill(
    arm: ArmEmulator,
    names: tuple[str, ...],
    window_minutes: float = 0,
    *,
    own_network: bool = False,
) -> None:
    """VMs `names` protected into westus (DR snapshots, manifests with a NIC in DR storage), the
    drill settings in the environment (undone by `undo_drill_env`), the composition rebuilt on
    the emulated clock with the current transport. `own_network`: no configured drill vnet,
    the drill creates its own and deletes it."""
    from shared import bootstrap
    from shared.bootstrap import get_deps
    from shared.vms.records import write_manifest
    from tests.support.recovery import _manifest, seed_dr

    for key, value in drill_settings(arm, window_minutes).items():
        _DRILL_ENV.setenv(key, value)
    if own_network:
        _DRILL_ENV.delenv("LIFEBOAT_DRILL_VNET_ID")
    bootstrap.configure(clock=arm.clock.now, storage_delays=False)
    seed_dr(arm, names)
    for i, name in enumerate(names):
        write_manifest(get_deps().records, _manifest(name, i, 1, False))


def undo_drill_env() -> None:
    """Restore the environment `protect_for_drill` changed."""
    _DRILL_ENV.undo()


BILLABLE = (
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/disks",
)


def drill_evidence() -> list[dict[str, Any]]:
    """Every drill evidence record in DR-region storage."""
    from shared.bootstrap import get_deps
    from shared.drills.evidence import RECORD_PREFIX

    records = get_deps().records
    found = []
    for name in sorted(records.list_metadata(RECORD_PREFIX)):
        body = records.get(name)
        if body is not None and "drillId" in body:
            found.append(body)
    return found


def leftovers(arm: ArmEmulator, drill_id: str) -> list[str]:
    """VMs, NICs and disks anywhere in the emulator whose name carries the drill id."""
    mark = f"drill-{drill_id}".lower()
    return [
        str(r["id"])
        for t in BILLABLE
        for r in arm.state.list(t)
        if mark in str(r["id"]).rsplit("/", 1)[-1].lower()
    ]


def drill_vm_puts(arm: ArmEmulator, drill_id: str) -> set[str]:
    """The drill VMs created (distinct VM paths PUT successfully, named with the drill id)."""
    mark = f"drill-{drill_id}".lower()
    return {
        e.path.lower()
        for e in arm.log.entries()
        if e.method == "PUT" and e.status < 300 and "/virtualmachines/" in e.path.lower()
        and mark in e.path.lower()
    }  # fmt: skip


def check_drill_clean(arm: ArmEmulator, names: tuple[str, ...]) -> dict[str, Any]:
    """One drill's evidence, passed; one drill VM per protected VM; nothing billable left."""
    (evidence,) = drill_evidence()
    drill = evidence["drillId"]
    assert evidence["passed"] is True, f"drill not passed: {evidence['vms']}"
    assert [v["verdict"] for v in evidence["vms"]] == ["passed"] * len(names), evidence["vms"]
    assert evidence["cleanup"]["complete"] is True, evidence["cleanup"]
    assert len(drill_vm_puts(arm, drill)) == len(names), sorted(drill_vm_puts(arm, drill))
    left = leftovers(arm, drill)
    assert left == [], f"left after the drill window: {left}"
    own = [
        r["id"]
        for r in arm.state.list("Microsoft.Network/virtualNetworks")
        if r["id"].lower().endswith(f"/vnet-drill-{drill}")
    ]
    assert own == [], f"the drill's own vnet is left: {own}"
    return dict(evidence)
