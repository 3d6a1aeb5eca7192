"""Builders of typed outage inputs for the outage unit tests (manifests, facts, notifications)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.outages.dr_facts import DrRegionFacts, DrSubnet, VmSku
from shared.outages.inventory import Inventory, ProtectedVm, protected_vm
from shared.outages.notification import Channel, Notification, RegionImpact, RegionStatus
from shared.outages.plan import PlanSettings
from shared.vms.consistency import Consistency
from shared.vms.manifest import (
    ManifestConsistency,
    ManifestDisk,
    ManifestNic,
    ManifestSecurity,
    RecoveryManifest,
)
from shared.vms.policy import Mode

T0 = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups"
SRC_SUBNET = f"{RG}/net/providers/Microsoft.Network/virtualNetworks/prod/subnets/web"
DR_SUBNET = f"{RG}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr/subnets/web"
DRILL_SUBNET = f"{RG}/drill/providers/Microsoft.Network/virtualNetworks/drill/subnets/web"


def vm_id(name: str, sub: str = SUB) -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"
    )


def manifest(name: str = "web1", **kw: Any) -> RecoveryManifest:
    captured = kw.pop("captured_at", T0)
    complete = kw.pop("complete", True)
    done = captured + timedelta(minutes=30) if complete else None
    disks = (
        ManifestDisk(
            None,
            f"{name}-os",
            "ReadWrite",
            "Premium_LRS",
            64,
            f"{RG}/rg/d/{name}-os",
            captured,
            dr_snapshot_id=f"{RG}/lifeboat-dr/providers/Microsoft.Compute/snapshots/{name}-os",
            copy_completed_at=done,
        ),
        ManifestDisk(
            0,
            f"{name}-data0",
            "ReadOnly",
            "Premium_LRS",
            128,
            f"{RG}/rg/d/{name}-d0",
            captured,
            dr_snapshot_id=f"{RG}/lifeboat-dr/providers/Microsoft.Compute/snapshots/{name}-d0",
            copy_completed_at=done,
        ),
    )
    base: dict[str, Any] = {
        "set_id": f"{name}-{captured:%Y%m%d%H%M}",
        "vm_id": kw.pop("vm_id", vm_id(name)),
        "vm_name": name,
        "location": "eastus",
        "dr_region": "westus",
        "mode": Mode.SNAPSHOT,
        "vm_size": "Standard_D4s_v5",
        "os_type": "Linux",
        "consistency": ManifestConsistency(Consistency.PER_DISK, 1.5),
        "disks": disks,
        "captured_at": captured,
        "zone": "1",
        "hyper_v_generation": "V2",
        "security": ManifestSecurity("TrustedLaunch", True, True),
        "nics": (
            ManifestNic(f"{RG}/rg/n/{name}", SRC_SUBNET, "10.0.1.10", "Static", primary=True),
        ),
        "tags": {"lifeboat-protect": "true"},
    }
    base.update(kw)
    return RecoveryManifest(**base)


def vm(name: str = "web1", **kw: Any) -> ProtectedVm:
    return protected_vm((manifest(name, **kw),))


def sku(name: str = "Standard_D4s_v5", **caps: str) -> VmSku:
    capabilities = {
        "HyperVGenerations": "V1,V2",
        "MaxDataDiskCount": "8",
        "PremiumIO": "True",
        **caps,
    }
    return VmSku(name, ("westus",), ("1", "2", "3"), capabilities)


def facts(*skus: VmSku, used: frozenset[str] = frozenset()) -> DrRegionFacts:
    subnets = (
        DrSubnet(DR_SUBNET, "10.0.1.0/24", used),
        DrSubnet(DRILL_SUBNET, "10.0.1.0/24"),
    )
    return DrRegionFacts.of("westus", skus or (sku(),), subnets)


def settings(**kw: Any) -> PlanSettings:
    base: dict[str, Any] = {
        "dr_region": "westus",
        "resource_group": "lifeboat-recovery",
        "subnet_map": {SRC_SUBNET: DR_SUBNET},
    }
    base.update(kw)
    return PlanSettings(**base)


def inventory(*vms: ProtectedVm) -> Inventory:
    return Inventory(vms=vms)


def note(
    communication: str | None = "c1",
    *,
    stage: str = "Active",
    at: datetime = T0,
    regions: tuple[str, ...] = ("eastus",),
    service: str = "Virtual Machines",
    channel: Channel = Channel.WEBHOOK,
    resolved: tuple[str, ...] = (),
) -> Notification:
    impacts = tuple(
        RegionImpact(service, r, RegionStatus.RESOLVED if r in resolved else RegionStatus.ACTIVE)
        for r in regions
    )
    return Notification("AB-123", stage, at, impacts, channel, communication, "VMs in East US")
