"""Scene: two tagged VMs protected; their sets, a recovery manifest and the RPO in status."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

TITLE = "VM protection: a clean-copy VM and a multi-disk VM, their DR sets and RPO"

Say = Callable[[str], None]
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000d3"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/apps"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/apps"
SNAPSHOTS = "Microsoft.Compute/snapshots"


def _vm(name: str, mode: str, data_disks: int) -> dict[str, Any]:
    return {
        "id": f"{RG}/providers/Microsoft.Compute/virtualMachines/{name}",
        "location": "eastus",
        "tags": {"lifeboat-protect": "true", "lifeboat-mode": mode, "lifeboat-tier": "gold"},
        "_powerState": "running",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D4s_v5"},
            "storageProfile": {
                "osDisk": {"name": f"{name}-os", "osType": "Linux", "diskSizeGB": 30},
                "dataDisks": [
                    {"lun": lun, "name": f"{name}-data{lun}", "diskSizeGB": 128}
                    for lun in range(data_disks)
                ],
            },
        },
    }


def _estate() -> dict[str, Any]:
    return {"resources": [_vm("ledger", "clean", 1), _vm("web", "snapshot", 3)]}


def _request(method: str, route: str, body: Any = None) -> Any:
    import azure.functions as func

    return func.HttpRequest(
        method=method, url=f"http://localhost/api/{route}", headers={}, params={},
        route_params={}, body=json.dumps(body).encode() if body is not None else b"",
    )  # fmt: skip


def run(say: Say) -> bool:
    """Run the scene; return True when both VMs have a complete DR set and an RPO in status."""
    from devtools.local_driver import local_driver
    from emulator.stack import local_azure
    from functions.vms import vms_protect

    with local_azure(SUBSCRIPTION) as local:
        arm = local.arm
        arm.seed(_estate())
        say("Two VMs in eastus are tagged lifeboat-protect=true (DR region: the pair, westus):")
        say("  ledger: lifeboat-mode=clean (stopped for the capture, started again), 2 disks")
        say("  web:    lifeboat-mode=snapshot (crash-consistent, no downtime), 4 disks")
        response = vms_protect(_request("POST", "vms/protect", {"tag": "lifeboat-protect=true"}))
        started = json.loads(response.get_body())
        say(f"POST /api/vms/protect {{tag: lifeboat-protect=true}} -> {response.status_code}:")
        for job in started.get("jobs", []):
            say(f"  {job['vm_id'].rsplit('/', 1)[-1]:<7} set {job['set_id']} job {job['job_id']}")

        def advance(seconds: float) -> None:
            arm.clock.advance(seconds)

        with local_driver(clock=arm.clock.now, advance=advance) as driver:
            driver.run()
        _sets(arm, say)
        _manifest(say)
        return _status(arm, say)


def _sets(arm: Any, say: Say) -> None:
    sets: dict[str, list[str]] = {}
    for snap in arm.state.list(SNAPSHOTS, f"/subscriptions/{SUBSCRIPTION}"):
        label = f"{snap['name']} ({snap['location']})"
        sets.setdefault(snap["tags"].get("lifeboat-set", "?"), []).append(label)
    say("Snapshots, by set (source in eastus, CopyStart copy in westus):")
    for set_id, names in sorted(sets.items()):
        say(f"  set {set_id}: {len(names)} snapshots")
        for name in sorted(names):
            say(f"    {name}")


def _manifest(say: Say) -> None:
    from shared.bootstrap import get_deps
    from shared.vms.records import latest_manifest

    vm_id = f"{RG}/providers/Microsoft.Compute/virtualMachines/web"
    manifest = latest_manifest(get_deps().records, vm_id)
    if manifest is None:
        say("No manifest for web.")
        return
    m = manifest
    say("Recovery manifest of web (read from the DR-region storage account), abridged:")
    say(f"  set {m.set_id}: {m.vm_name} {m.vm_size} {m.os_type} in {m.location} -> {m.dr_region}")
    say(f"  mode {m.mode.value}, consistency {m.consistency.kind.value}, captured {m.captured_at}")
    for disk in m.disks:
        lun = "os" if disk.lun is None else f"lun {disk.lun}"
        copy = (disk.dr_snapshot_id or "").rsplit("/", 1)[-1]
        say(f"  {lun:<6} {disk.name:<10} {disk.size_gb:>4} GB {disk.sku:<12} DR copy {copy}")
    say(f"  NICs recorded: {len(m.nics)}")


def _status(arm: Any, say: Say) -> bool:
    from azure.functions.timer import TimerRequest

    from functions.reconcile import reconcile
    from functions.status import status
    from shared import bootstrap

    bootstrap.configure(clock=arm.clock.now)  # status reads the emulated clock
    reconcile(TimerRequest())  # the sweep records the inventory status reads

    arm.clock.advance(30 * 60)
    body = json.loads(status(_request("GET", "status")).get_body())
    vms = (body.get("vms") or {}).get("protected", [])
    say("GET /api/status, section vms, 30 minutes later:")
    ok = len(vms) == 2
    for vm in vms:
        rpo = vm["achieved_rpo_seconds"]
        shown = f"{rpo / 60:.0f} min" if rpo is not None else "none"
        say(
            f"  {vm['name']:<7} mode {vm['mode']:<8} newest set {vm['newest_set']} "
            f"({vm['consistency']}); achieved RPO {shown} of {vm['rpo_seconds'] / 3600:.0f} h; "
            f"breached {vm['rpo_breached']}"
        )
        ok = ok and rpo is not None and not vm["rpo_breached"]
    return ok
