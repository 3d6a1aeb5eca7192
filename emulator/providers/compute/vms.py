"""Virtual machines: get (+instanceView), list, list_all, instance_view, power operations."""

from __future__ import annotations

from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.compute.common import DISKS, RG, SUB, VMS, Body, expand, lro_accepted
from emulator.providers.compute.throttle import throttle_vm_operation

_DISPLAY = {
    "running": "VM running",
    "starting": "VM starting",
    "stopped": "VM stopped",
    "stopping": "VM stopping",
    "deallocated": "VM deallocated",
    "deallocating": "VM deallocating",
}
# action -> (transitional power state, final power state, states from which it is refused)
_ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "deallocate": ("deallocating", "deallocated", ()),
    "start": ("starting", "running", ()),
    "powerOff": ("stopping", "stopped", ("deallocated", "deallocating")),
}


def register(core: Core) -> None:
    """Add VM read and power routes and the VM type hooks."""
    item = RG + "/virtualMachines/{vm}"
    core.router.add("GET", SUB + "/virtualMachines", _list(core, by_rg=False))
    core.router.add("GET", RG + "/virtualMachines", _list(core, by_rg=True))
    core.router.add("GET", item, lambda req: Response.ok(_view(core, req, req.resource_id)))
    core.router.add(
        "GET", item + "/instanceView", lambda req: Response.ok(instance_view(core, _vm(core, req)))
    )
    for action in _ACTIONS:
        core.router.add("POST", f"{item}/{action}", _power(core, action))
    core.types.register(VMS, normalize=_normalizer(core))


def _vm(core: Core, req: Request) -> Body:
    vm_id = req.resource_id.rsplit("/", 1)[0]
    return core.store.require(vm_id)


def _view(core: Core, req: Request, vm_id: str, force: bool = False) -> Body:
    body = core.store.require(vm_id)
    if force or expand(req) == "instanceview":
        body["properties"]["instanceView"] = instance_view(core, body)
    return body


def _list(core: Core, by_rg: bool) -> Any:
    def handler(req: Request) -> Response:
        scope = f"/subscriptions/{req.params['sub']}"
        if by_rg:
            scope += f"/resourceGroups/{req.params['rg']}"
        status_only = (req.arg("statusOnly") or "").lower() == "true"
        items = [_view(core, req, vm["id"], status_only) for vm in core.store.list(VMS, scope)]
        return core.paged(req, items)

    return handler


def power_state(core: Core, vm_id: str) -> str:
    """Return the VM's power state: running, stopped, deallocated or a transition."""
    power: str = core.store.meta(vm_id).get("power", "running")
    return power


def _status(code: str, display: str, time: str | None = None) -> Body:
    status: Body = {"code": code, "level": "Info", "displayStatus": display}
    if time:
        status["time"] = time
    return status


def instance_view(core: Core, vm: Body) -> Body:
    """Return the VirtualMachineInstanceView body with ProvisioningState and PowerState."""
    power = power_state(core, vm["id"])
    props = vm.get("properties", {})
    state = str(props.get("provisioningState", "Succeeded"))
    provisioning = _status(
        f"ProvisioningState/{state.lower()}", f"Provisioning {state.lower()}", core.clock.iso()
    )
    storage = props.get("storageProfile", {})
    disks = [storage.get("osDisk") or {}, *storage.get("dataDisks", [])]
    view: Body = {
        "computerName": props.get("osProfile", {}).get("computerName", vm["name"]),
        "disks": [
            {"name": d.get("name", ""), "statuses": [provisioning]} for d in disks if d.get("name")
        ],
        "statuses": [provisioning, _status(f"PowerState/{power}", _DISPLAY[power])],
    }
    if power == "running":
        view["vmAgent"] = {
            "vmAgentVersion": "2.7.41491.1102",
            "statuses": [_status("ProvisioningState/succeeded", "Ready", core.clock.iso())],
        }
    if props.get("hyperVGeneration") or storage.get("osDisk", {}).get("osType"):
        view["hyperVGeneration"] = props.get("hyperVGeneration", "V2")
    return view


def _power(core: Core, action: str) -> Any:
    transitional, final, refused = _ACTIONS[action]

    def handler(req: Request) -> Response:
        vm = _vm(core, req)
        throttle_vm_operation(core, req.subscription, vm["location"], vm["name"], action)
        current = power_state(core, vm["id"])
        if current in refused:
            raise errors.conflict(
                "OperationNotAllowed",
                f"Operation '{action}' is not allowed on VM '{vm['name']}' "
                f"since the VM is {current}.",
            )
        meta = core.store.meta(vm["id"])
        meta["power"] = transitional

        def finish() -> None:
            meta["power"] = final

        return lro_accepted(core, req, vm["location"], None, finish)

    return handler


def _normalizer(core: Core) -> Any:
    def normalize(body: Body) -> Body:
        meta = core.store.meta(body["id"])
        meta.setdefault("power", str(meta.pop("_powerState", "running")).lower())
        props = body.setdefault("properties", {})
        props.setdefault("vmId", core.new_guid())
        props.setdefault("provisioningState", "Succeeded")
        props.setdefault("timeCreated", core.clock.iso())
        props.setdefault("hardwareProfile", {"vmSize": "Standard_D2s_v5"})
        storage = props.setdefault("storageProfile", {})
        os_disk = storage.setdefault("osDisk", {})
        os_disk.setdefault("createOption", "FromImage")
        os_disk.setdefault("caching", "ReadWrite")
        _attach(core, body, os_disk, os_type=os_disk.get("osType", "Linux"))
        for index, disk in enumerate(storage.setdefault("dataDisks", [])):
            disk.setdefault("lun", index)
            disk.setdefault("createOption", "Attach")
            disk.setdefault("caching", "None")
            _attach(core, body, disk, os_type=None)
        return body

    return normalize


def _attach(core: Core, vm: Body, entry: Body, os_type: str | None) -> None:
    """Point the VM's disk entry at a managed disk (created when the estate omits it)."""
    managed = entry.setdefault("managedDisk", {})
    managed.setdefault("storageAccountType", "Premium_LRS")
    disk_id = managed.get("id")
    if not disk_id:
        name = entry.get("name") or f"{vm['name']}_disk_{core.new_guid()[:8]}"
        disk_id = vm["id"].rsplit("/providers/", 1)[0] + f"/providers/{DISKS}/{name}"
        managed["id"] = disk_id
    entry.setdefault("name", disk_id.rsplit("/", 1)[-1])
    if os_type:
        entry.setdefault("osType", os_type)
    disk = core.store.get(disk_id) or {
        "id": disk_id,
        "location": vm.get("location"),
        "tags": {},
        "properties": {"diskSizeGB": entry.get("diskSizeGB", 30)},
    }
    if os_type:
        disk["properties"].setdefault("osType", os_type)
    disk["managedBy"] = vm["id"]
    stored = core.store.put(disk)
    core.store.put(core.types.normalize(stored))
    entry.setdefault("diskSizeGB", stored["properties"].get("diskSizeGB", 30))
