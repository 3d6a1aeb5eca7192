"""Outage RTO: a 100-VM DR plan executed on the emulator (emulated clock, Compute throttles on).

The estate is synthetic: N protected VMs (an OS and a data disk, one static NIC each) whose DR
snapshots are seeded in the DR region; the plan comes from the pure planner (shared.outages.plan)
and runs through submit_execution and the real plan_execution job. Figures (emulated seconds):
`outage_rto_seconds` (alert received → last VM running), `outage_rto_to_bound` (that over the
bound: one VM's critical path, disk create + NIC + VM create, measured alone, plus the time
Compute's PutVM budget of 500 per minute per subscription and region needs beyond its burst),
and `outage_arm_calls_per_vm`; `outage_vm_create_concurrency` is the cap the run used
(LIFEBOAT_VM_CREATE_CONCURRENCY).
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime, timedelta
from typing import Any

from bench.remote import RemoteAzure, remote_azure

DR, RG_DR = "westus", "lifeboat-dr"
PUT_VM_PER_MINUTE, PUT_VM_BURST = 500, 1500  # emulator/providers/compute/throttle.py (Azure's)
SIZE = "Standard_D4s_v5"


def _base(sub: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups"


def _subnets(sub: str) -> tuple[str, str]:
    src = f"{_base(sub)}/net/providers/Microsoft.Network/virtualNetworks/prod/subnets/web"
    dr = f"{_base(sub)}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr/subnets/web"
    return src, dr


def _snapshot_id(sub: str, name: str) -> str:
    return f"{_base(sub)}/{RG_DR}/providers/Microsoft.Compute/snapshots/{name}"


def synthetic_manifest(sub: str, name: str, n: int, captured: Any) -> Any:
    """The recovery manifest VM protection would leave for VM `name` (the n-th of the bench):
    a Trusted Launch Linux VM with an OS and a data disk copied to the DR region, one NIC."""
    from shared.vms.consistency import Consistency
    from shared.vms.manifest import (
        ManifestConsistency,
        ManifestDisk,
        ManifestNic,
        ManifestSecurity,
        RecoveryManifest,
    )
    from shared.vms.policy import Mode

    src, _ = _subnets(sub)
    disks = tuple(
        ManifestDisk(
            lun, f"{name}-{label}", caching, "Premium_LRS", 64,
            f"{_base(sub)}/rg/providers/Microsoft.Compute/disks/{name}-{label}", captured,
            dr_snapshot_id=_snapshot_id(sub, f"{name}-{label}"),
            copy_completed_at=captured + timedelta(minutes=20),
        )
        for lun, label, caching in ((None, "os", "ReadWrite"), (0, "d0", "ReadOnly"))
    )  # fmt: skip
    ip = f"10.0.{1 + n // 250}.{4 + n % 250}"
    return RecoveryManifest(
        set_id=f"{name}-set", vm_id=f"{_base(sub)}/rg/providers/Microsoft.Compute/"
        f"virtualMachines/{name}", vm_name=name, location="eastus", dr_region=DR,
        mode=Mode.SNAPSHOT, vm_size=SIZE, os_type="Linux",
        consistency=ManifestConsistency(Consistency.PER_DISK, 1.0), disks=disks,
        captured_at=captured, zone=None, hyper_v_generation="V2",
        security=ManifestSecurity("TrustedLaunch", True, True),
        nics=(ManifestNic(f"{_base(sub)}/rg/n/{name}", src, ip, "Static", primary=True),),
        tags={"lifeboat-protect": "true"},
    )  # fmt: skip


def seed(local: RemoteAzure, names: list[str]) -> None:
    """Seed the DR subnet (a /16: room for every static address) and each VM's DR snapshots."""
    sub = local.subscription
    resources: list[dict[str, Any]] = [
        {
            "id": f"{_base(sub)}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr",
            "location": DR,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/8"]},
                "subnets": [{"name": "web", "properties": {"addressPrefix": "10.0.0.0/16"}}],
            },
        }
    ]
    for name in names:
        for label, os_disk in (("os", True), ("d0", False)):
            props: dict[str, Any] = {
                "creationData": {"createOption": "CopyStart"},
                "diskSizeGB": 64,
                "incremental": True,
                "completionPercent": 100,
            }
            if os_disk:
                props.update(osType="Linux", hyperVGeneration="V2")
                props["securityProfile"] = {"securityType": "TrustedLaunch"}
            resources.append(
                {"id": _snapshot_id(sub, f"{name}-{label}"), "location": DR, "properties": props}
            )
    local.arm.seed({"resources": resources})


def plan_of(sub: str, names: list[str], incident: str, at: datetime, first: int = 0) -> Any:
    """The plan the pure planner builds for the synthetic VMs `names`."""
    from shared.outages.dr_facts import DrRegionFacts, DrSubnet, VmSku
    from shared.outages.inventory import protected_vm
    from shared.outages.matching import Exposure
    from shared.outages.plan import PlanSettings, build_plan

    src, dr = _subnets(sub)
    captured = at - timedelta(hours=1)
    vms = []
    for i, name in enumerate(names):
        manifest = synthetic_manifest(sub, name, first + i, captured)
        vms.append(protected_vm((manifest,)))
    caps = {"HyperVGenerations": "V1,V2", "MaxDataDiskCount": "8", "PremiumIO": "True"}
    facts = DrRegionFacts.of(DR, (VmSku(SIZE, (DR,), (), caps),), (DrSubnet(dr, "10.0.0.0/16"),))
    settings = PlanSettings(dr_region=DR, resource_group=RG_DR, subnet_map={src: dr})
    return build_plan(
        incident, "all", Exposure(tuple(vms), (), (), (), ()), facts, settings, now=at
    )


def execute(local: RemoteAzure, names: list[str], incident: str, first: int = 0) -> tuple[Any, int]:
    """Run one plan to the end; return its execution view and the ARM calls it made."""
    from devtools.local_driver import local_driver
    from shared.bootstrap import get_deps
    from shared.outages.run import execution_view, submit_execution

    clock = local.arm.clock
    with local_driver(clock=clock.now, advance=clock.advance) as driver:
        alert = clock.now()
        plan = plan_of(local.subscription, names, incident, alert, first)
        local.arm.log.clear()
        submit_execution(get_deps(), plan, revision=1, alert_received_at=alert)
        driver.run()
        calls = sum(local.arm.log.counts().values())
        return execution_view(get_deps(), plan.plan_id), calls


def bound_seconds(critical: float, vms: int) -> float:
    """One VM's critical path, plus what Compute's PutVM budget adds beyond its burst."""
    extra = max(0, vms - PUT_VM_BURST)
    return critical + math.ceil(extra / PUT_VM_PER_MINUTE) * 60.0


def section(args: argparse.Namespace) -> dict[str, Any]:
    """Run the outage bench; print its lines and return its figures (`outage_*`)."""
    count = int(getattr(args, "outage_vms", 100))
    print(f"\nOutage RTO: a {count}-VM plan on the emulator (emulated clock, Compute throttles)")
    names = [f"vm{i:03d}" for i in range(count)]
    with remote_azure() as local:
        seed(local, ["solo", *names])
        solo, _ = execute(local, ["solo"], "BENCH-SOLO")
        fleet, calls = execute(local, names, "BENCH-FLEET", first=1)
        from shared.bootstrap import get_deps

        cap = get_deps().settings.vm_create_concurrency
    critical = float(solo.rto_seconds or 0.0) if solo else 0.0
    rto = fleet.rto_seconds if fleet else None
    bound = bound_seconds(critical, count)
    failed = sum(1 for i in fleet.items if i.state != "succeeded") if fleet else count
    figures = {
        "outage_vms": count,
        "outage_vm_create_concurrency": cap,
        "outage_rto_seconds": rto,
        "outage_critical_path_seconds": critical,
        "outage_bound_seconds": bound,
        "outage_rto_to_bound": round(rto / bound, 2) if rto and bound else None,
        "outage_arm_calls_per_vm": round(calls / count, 1),
        "outage_items_failed": failed,
        "outage_state": fleet.state if fleet else None,
    }
    print(
        f"  RTO {rto} s (bound {bound:.0f} s: one VM alone {critical:.0f} s); "
        f"{figures['outage_arm_calls_per_vm']} ARM calls per VM; {failed} items not recovered; "
        f"VM creates in flight capped at {cap}"
    )
    for error in fleet.errors[:3] if fleet else ():
        print(f"  not recovered: {error[:200]}")
    return figures


if __name__ == "__main__":
    import json
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(section(argparse.Namespace(outage_vms=100)), indent=2, sort_keys=True))
