"""One protected VM from protection to recovery, through the real entry points only, on the
emulator and Azurite: POST /api/vms/protect and the job driver write its DR snapshots and
manifest (with its NIC); the primary region goes down; a Service Health alert makes a plan;
POST /api/plans/{id}/approve runs it; the VM runs in the DR region from its DR snapshots with its
NIC in the mapped DR subnet. A drill of the same VM through POST /api/drills passes and leaves
nothing behind. No manifest is written by hand: the planner reads what protection recorded."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
import requests

from functions.drills import drills_get, drills_start
from functions.plans import plans_approve, plans_get, plans_list
from functions.service_health import service_health
from shared import bootstrap
from shared.bootstrap import get_deps
from shared.vms.records import latest_manifest
from tests.support.images import driver
from tests.support.vms import post as protect
from tests.support.vms import tagged_vm, vm_id

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]

SUB_RG = vm_id("x").split("/resourceGroups/")[0] + "/resourceGroups"
SRC_VNET = f"{SUB_RG}/net/providers/Microsoft.Network/virtualNetworks/prod"
DR_VNET = f"{SUB_RG}/net-dr/providers/Microsoft.Network/virtualNetworks/prod-dr"
DRILL_VNET = f"{SUB_RG}/drill/providers/Microsoft.Network/virtualNetworks/drill"
SRC_SUBNET, DR_SUBNET = f"{SRC_VNET}/subnets/web", f"{DR_VNET}/subnets/web"
NIC_ID = f"{SUB_RG}/rg/providers/Microsoft.Network/networkInterfaces/web1-nic"
VMS, NICS, DISKS = (
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/disks",
)
INCIDENT = {
    "trackingId": "LB1-E2E",
    "title": "Virtual Machines in East US",
    "regions": ["eastus"],
    "services": ["Virtual Machines"],
    "stages": [{"stage": "Active"}, {"stage": "Resolved", "after": 3600}],
}


def _vnet(vnet_id: str, location: str) -> dict[str, Any]:
    return {
        "id": vnet_id,
        "location": location,
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "web", "properties": {"addressPrefix": "10.0.1.0/24"}}],
        },
    }


def _estate() -> list[dict[str, Any]]:
    """web1 in eastus, tagged, Trusted Launch, with an OS and a data disk and one NIC in the prod
    subnet; the prod-dr network in westus (what LIFEBOAT_SUBNET_MAP maps it to), a drill network.

    The NIC is dynamic: the emulator counts a private address as taken across every vnet of the
    subscription, so a static address kept in a DR vnet that mirrors prod would be refused."""
    ip = {"subnet": {"id": SRC_SUBNET}, "privateIPAllocationMethod": "Dynamic"}
    nic = {
        "id": NIC_ID,
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": ip}]},
    }
    vm = tagged_vm("web1", data_disks=1)
    vm["properties"]["networkProfile"] = {"networkInterfaces": [{"id": NIC_ID}]}
    vm["properties"]["securityProfile"] = {
        "securityType": "TrustedLaunch",
        "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
    }
    os_disk = {  # a Trusted Launch VM's OS disk carries its security type, as in Azure
        "id": vm_id("web1").replace("virtualMachines/web1", "disks/web1-os"),
        "location": "eastus",
        "properties": {"diskSizeGB": 30, "securityProfile": {"securityType": "TrustedLaunch"}},
    }
    return [
        os_disk,
        _vnet(SRC_VNET, "eastus"),
        _vnet(DR_VNET, "westus"),
        _vnet(DRILL_VNET, "westus"),
        nic,
        vm,
    ]


def _protected(env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LIFEBOAT_SUBNET_MAP", f"{SRC_SUBNET}={DR_SUBNET}")
    monkeypatch.setenv("LIFEBOAT_DRILL_VNET_ID", DRILL_VNET)
    monkeypatch.setenv("LIFEBOAT_DRILL_WINDOW_MINUTES", "5")
    bootstrap.reset()
    env.arm.seed({"resources": _estate()})
    status, body = protect({"vmId": vm_id("web1")})
    assert status == 202, body
    with driver(env.arm) as d:
        assert d.run() is True
    manifest = latest_manifest(get_deps().records, vm_id("web1"))
    assert manifest is not None and all(d.copy_completed_at for d in manifest.disks)
    (nic,) = manifest.nics
    assert nic.subnet_id.lower() == SRC_SUBNET.lower()
    return manifest


def _http(handler: Any, method: str, path: str, body: Any = None, **route: str) -> Any:
    req = func.HttpRequest(
        method,
        f"http://localhost/api/{path}",
        body=b"" if body is None else json.dumps(body).encode(),
        route_params=route,
        params={},
    )
    response = handler(req)
    return response.status_code, json.loads(response.get_body())


def _service_health_alert(env: Any) -> Any:
    """Declare the incident in the emulator and return the Service Health webhook it sends."""
    kw: dict[str, Any] = {"verify": env.arm.ca_file, "timeout": 10}
    declared = requests.post(f"{env.arm.endpoint}/_emulator/incidents", json=INCIDENT, **kw)
    assert declared.status_code == 201, declared.text
    tracking = INCIDENT["trackingId"]
    return requests.get(f"{env.arm.endpoint}/_emulator/incidents/{tracking}/webhook", **kw).json()


def _in_dr(env: Any, kind: str) -> list[Any]:
    return list(env.arm.state.list(kind, f"{SUB_RG}/lifeboat-dr"))


def test_a_protected_vm_is_recovered_in_the_dr_region_after_an_approved_plan(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = lifeboat_env
    manifest = _protected(env, monkeypatch)
    snapshots = {d.dr_snapshot_id.lower() for d in manifest.disks if d.dr_snapshot_id}
    assert len(snapshots) == 2

    env.arm.faults.region_down("eastus")
    status, alert = _http(service_health, "POST", "service-health", _service_health_alert(env))
    assert status == 200 and alert["action"] == "awaiting_approval", alert
    plan_id = alert["plan"]["planId"]
    assert alert["plan"]["blocked"] == 0, alert

    status, listed = _http(plans_list, "GET", "plans")
    assert status == 200
    pending = [p for p in listed["plans"] if p["planId"] == plan_id]
    assert pending and pending[0]["action"] == "awaiting_approval", listed

    status, approved = _http(
        plans_approve, "POST", f"plans/{plan_id}/approve", {"approvedBy": "ops@x"}, plan_id=plan_id
    )
    assert status == 200, approved
    with driver(env.arm) as d:
        assert d.run() is True

    status, seen = _http(plans_get, "GET", f"plans/{plan_id}", plan_id=plan_id)
    assert status == 200 and seen["action"] == "done", seen
    assert seen["execution"]["state"] == "succeeded", seen["execution"]
    assert seen["execution"]["rtoSeconds"] > 0

    (vm,) = _in_dr(env, VMS)
    assert vm["location"] == "westus"
    assert vm["tags"]["lifeboat-plan"] == plan_id
    security = vm["properties"]["securityProfile"]
    assert security["securityType"] == "TrustedLaunch"
    assert security["uefiSettings"] == {"secureBootEnabled": True, "vTpmEnabled": True}
    assert env.arm.state.meta(vm["id"]).get("power", "running") == "running"
    disks = _in_dr(env, DISKS)
    assert len(disks) == 2 and all(d["location"] == "westus" for d in disks)
    sources = {d["properties"]["creationData"]["sourceResourceId"].lower() for d in disks}
    assert sources == snapshots
    attached = {vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"].lower()}
    attached |= {
        d["managedDisk"]["id"].lower() for d in vm["properties"]["storageProfile"]["dataDisks"]
    }
    assert attached == {d["id"].lower() for d in disks}
    (nic,) = _in_dr(env, NICS)
    config = nic["properties"]["ipConfigurations"][0]["properties"]
    assert config["subnet"]["id"].lower() == DR_SUBNET.lower()
    assert config["privateIPAllocationMethod"] == "Dynamic"
    assert config["privateIPAddress"].startswith("10.0.1.")
    vm_nics = vm["properties"]["networkProfile"]["networkInterfaces"]
    assert [n["id"].lower() for n in vm_nics] == [nic["id"].lower()]


def test_a_drill_of_the_protected_vm_passes_and_leaves_nothing(
    lifeboat_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = lifeboat_env
    _protected(env, monkeypatch)

    status, started = _http(drills_start, "POST", "drills", {})
    assert status == 202, started
    plan_id = started["planId"]
    with driver(env.arm) as d:
        assert d.run() is True

    status, seen = _http(drills_get, "GET", f"drills/{plan_id}", plan_id=plan_id)
    assert status == 200 and seen["execution"]["state"] == "succeeded", seen
    evidence = seen["evidence"]
    assert evidence["passed"] is True, evidence
    assert [v["verdict"] for v in evidence["vms"]] == ["passed"]
    assert evidence["cleanup"]["complete"] is True and evidence["cleanup"]["left"] == {}
    assert evidence["cleanup"]["deleted"] == 4  # VM, NIC, OS disk, data disk
    assert [r["id"] for k in (VMS, NICS, DISKS) for r in _in_dr(env, k)] == []
    drill_nics = [
        e for e in env.arm.log.entries() if e.method == "PUT" and "/networkInterfaces/" in e.path
    ]
    assert drill_nics and all(started["drillId"] in e.path for e in drill_nics)
