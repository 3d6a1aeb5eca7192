"""Plan execution fixtures: a DR region seeded with DR snapshots and a mapped subnet, and the
plans the pure planner builds for them (no tests here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.bootstrap import get_deps
from shared.outages.dr_facts import VmSku
from shared.outages.inventory import TemplateBackup, protected_vm
from shared.outages.matching import Exposure
from shared.outages.plan import DrillTarget, build_plan
from shared.outages.plan_model import DrPlan
from shared.vms.manifest import ManifestDisk, ManifestNic
from tests.unit.outage_builders import (
    DR_SUBNET,
    DRILL_SUBNET,
    RG,
    SRC_SUBNET,
    SUB,
    T0,
    facts,
    manifest,
    settings,
)

if TYPE_CHECKING:
    from emulator.server import ArmEmulator

DR_RG = "lifeboat-dr"
# West US has no availability zones (as in Azure): recovered VMs are regional.
ZONELESS = VmSku(
    "Standard_D4s_v5",
    ("westus",),
    (),
    {"HyperVGenerations": "V1,V2", "MaxDataDiskCount": "8", "PremiumIO": "True"},
)
SNAPSHOTS = f"{RG}/{DR_RG}/providers/Microsoft.Compute/snapshots"
ALERT = T0 + timedelta(hours=1)
NOW = T0 + timedelta(hours=1, minutes=1)


def _vnet(rg: str, name: str) -> dict[str, Any]:
    return {
        "id": f"{RG}/{rg}/providers/Microsoft.Network/virtualNetworks/{name}",
        "location": "westus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "web", "properties": {"addressPrefix": "10.0.1.0/24"}}],
        },
    }


def _snapshot(name: str, os_disk: bool, trusted: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "creationData": {"createOption": "CopyStart", "sourceResourceId": f"{RG}/rg/d/{name}"},
        "diskSizeGB": 64,
        "incremental": True,
        "completionPercent": 100,
        "provisioningState": "Succeeded",
    }
    if os_disk:
        props.update(osType="Linux", hyperVGeneration="V2")
        if trusted:
            props["securityProfile"] = {"securityType": "TrustedLaunch"}
    return {"id": f"{SNAPSHOTS}/{name}", "location": "westus", "properties": props}


def seed_dr(arm: ArmEmulator, names: Sequence[str], data_disks: int = 1) -> None:
    """Seed the DR region: the mapped DR and drill subnets, and each VM's DR snapshots."""
    resources = [_vnet("net-dr", "prod-dr"), _vnet("drill", "drill")]
    for name in names:
        resources.append(_snapshot(f"{name}-os", True, True))
        resources += [_snapshot(f"{name}-d{lun}", False, True) for lun in range(data_disks)]
    arm.seed({"resources": resources})


def _manifest(name: str, index: int, data_disks: int, static: bool) -> Any:
    base = manifest(name)
    os_disk = base.disks[0]
    data = tuple(
        ManifestDisk(
            lun,
            f"{name}-data{lun}",
            "ReadOnly",
            "Premium_LRS",
            64,
            f"{RG}/rg/d/{name}-d{lun}",
            base.captured_at,
            dr_snapshot_id=f"{SNAPSHOTS}/{name}-d{lun}",
            copy_completed_at=os_disk.copy_completed_at,
        )
        for lun in range(data_disks)
    )
    ip = f"10.0.1.{10 + index}" if static else None
    nic = ManifestNic(
        f"{RG}/rg/n/{name}", SRC_SUBNET, ip, "Static" if static else "Dynamic", primary=True
    )
    return manifest(name, disks=(os_disk, *data), nics=(nic,))


def plan_for(
    names: Sequence[str],
    data_disks: int = 1,
    static: bool = True,
    drill: str | None = None,
    templates: Sequence[TemplateBackup] = (),
) -> DrPlan:
    """The plan the pure planner builds for VMs `names` recovering into westus (DR group)."""
    vms = tuple(protected_vm((_manifest(n, i, data_disks, static),)) for i, n in enumerate(names))
    target = DrillTarget(drill, DR_RG, {SRC_SUBNET: DRILL_SUBNET}) if drill else None
    return build_plan(
        "AB-123",
        "all",
        Exposure(vms, tuple(templates), (), (), ()),
        facts(ZONELESS),
        settings(resource_group=DR_RG),
        now=NOW,
        as_of=T0,
        drill=target,
    )


def vms_in(arm: ArmEmulator, rg: str = DR_RG) -> list[Any]:
    """Every VM in resource group `rg`."""
    return list(arm.state.list("Microsoft.Compute/virtualMachines", f"{RG}/{rg}"))


def resources_in(arm: ArmEmulator, type_: str, rg: str = DR_RG) -> list[Any]:
    """Every resource of `type_` in resource group `rg`."""
    return list(arm.state.list(type_, f"{RG}/{rg}"))


def deps() -> Any:
    """The app's composition root."""
    return get_deps()


__all__ = ["ALERT", "DR_SUBNET", "SUB", "plan_for", "seed_dr", "vms_in"]
