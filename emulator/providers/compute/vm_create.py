"""VM create (disks Attach), update and delete: Compute's checks, managedBy and deleteOption."""

from __future__ import annotations

from emulator.core import Core, Request, Response, errors
from emulator.core.store import name_of
from emulator.providers.compute.attachments import TRUSTED_LAUNCH, DiskAttachments, security_type
from emulator.providers.compute.common import RG, Body, location_of, lro_accepted
from emulator.providers.compute.skus import catalog
from emulator.providers.compute.throttle import throttle_vm_operation
from emulator.providers.network_state import NICS, NetworkState

_CACHING = {"os": "ReadWrite", "data": "None"}


def register(core: Core) -> None:
    """Add PUT and DELETE on virtualMachines/{vm}."""
    item = RG + "/virtualMachines/{vm}"
    core.router.add("PUT", item, lambda req: _put(core, req))
    core.router.add("DELETE", item, lambda req: _delete(core, req))


def _network(core: Core) -> NetworkState:
    state = core.extensions.get("network")
    return state if isinstance(state, NetworkState) else NetworkState(core)


def _put(core: Core, req: Request) -> Response:
    body = req.json_object()
    location = location_of(req, body)
    existing = core.store.get(req.resource_id)
    _preconditions(req, existing)
    throttle_vm_operation(core, req.subscription, location, name_of(req.resource_id), "create")
    vm = _vm_body(core, req, body, location, existing)
    disks = DiskAttachments(core)
    entries = _disk_entries(vm)
    found = [disks.check(vm, entry, target) for target, entry in entries]
    disks.check_os_security(vm, found[0])
    _check_size(core, req, vm, found[0])
    nics = _check_nics(core, vm)
    _apply(core, vm, existing, [d["id"] for d in found], nics)
    for (_, entry), disk in zip(entries, found, strict=True):
        _complete_entry(entry, disk)
    stored = core.store.put(vm)
    vm_id = stored["id"]
    meta = core.store.meta(vm_id)
    if existing is None:
        meta["power"] = "starting"

    def finish() -> None:
        current = core.store.get(vm_id)
        if current is None:
            return
        current["properties"]["provisioningState"] = "Succeeded"
        core.store.put(current)
        if meta.get("power") == "starting":
            meta["power"] = "running"

    return lro_accepted(
        core, req, location, stored, finish, status=200 if existing else 201, with_location=False
    )


def _preconditions(req: Request, existing: Body | None) -> None:
    """`If-None-Match: *` refuses an existing VM, `If-Match: *` a missing one (412)."""
    headers = {k.lower(): v for k, v in req.headers.items()}
    if headers.get("if-none-match", "").strip() == "*" and existing is not None:
        raise errors.ArmError(
            412,
            "PreconditionFailed",
            f"The resource '{name_of(req.resource_id)}' already exists and the request's "
            "If-None-Match: * precondition failed.",
        )
    if headers.get("if-match", "").strip() == "*" and existing is None:
        raise errors.ArmError(
            412,
            "PreconditionFailed",
            f"The resource '{name_of(req.resource_id)}' does not exist and the request's "
            "If-Match: * precondition failed.",
        )


def _vm_body(core: Core, req: Request, body: Body, location: str, existing: Body | None) -> Body:
    props: Body = dict(body.get("properties") or {})
    if props.get("osProfile"):
        raise errors.invalid_parameter("Parameter 'osProfile' is not allowed.", "osProfile")
    size = str((props.get("hardwareProfile") or {}).get("vmSize") or "")
    if not size:
        raise errors.invalid_parameter(
            "Required parameter 'hardwareProfile.vmSize' is missing (null).",
            "hardwareProfile.vmSize",
        )
    old = (existing or {}).get("properties", {})
    props.update(
        vmId=old.get("vmId") or core.new_guid(),
        timeCreated=old.get("timeCreated") or core.clock.iso(),
        provisioningState="Updating" if existing else "Creating",
    )
    vm: Body = {
        "id": req.resource_id,
        "location": location,
        "tags": dict(body.get("tags") or {}),
        "properties": props,
    }
    if body.get("zones"):
        vm["zones"] = [str(z) for z in body["zones"]]
    return vm


def _disk_entries(vm: Body) -> list[tuple[str, Body]]:
    storage = vm["properties"].get("storageProfile") or {}
    os_disk = storage.get("osDisk")
    if not isinstance(os_disk, dict):
        raise errors.invalid_parameter(
            "Required parameter 'storageProfile.osDisk' is missing (null).",
            "storageProfile.osDisk",
        )
    entries = [("storageProfile.osDisk", os_disk)]
    entries += [
        (f"storageProfile.dataDisks[{i}]", d) for i, d in enumerate(storage.get("dataDisks") or [])
    ]
    for target, entry in entries:
        if str(entry.get("createOption", "")).lower() != "attach":
            raise errors.invalid_parameter(
                f"The value '{entry.get('createOption')}' of parameter '{target}.createOption' "
                "is not supported by the Lifeboat ARM emulator (supported: Attach).",
                f"{target}.createOption",
            )
    return entries


def _check_size(core: Core, req: Request, vm: Body, os_disk: Body) -> None:
    size = vm["properties"]["hardwareProfile"]["vmSize"]
    skus = catalog(core)
    zones = vm.get("zones") or []
    if not skus.offered(size, vm["location"], zones):
        raise errors.conflict(
            "SkuNotAvailable",
            f"The requested size for resource '{vm['id']}' is currently not available in "
            f"location '{vm['location']}' zones '{','.join(zones)}' for subscription "
            f"'{req.subscription}'. Please try another size or deploy to a different location "
            "or zones. See https://aka.ms/azureskunotavailable for details.",
        )
    generation = str(os_disk.get("properties", {}).get("hyperVGeneration") or "V1")
    if generation not in (skus.capability(size, "HyperVGenerations") or "V1").split(","):
        raise errors.bad_request(
            "BadRequest",
            f"The selected VM size '{size}' cannot boot Hypervisor Generation "
            f"'{generation[1:]}'. If this was a Create operation please check that the "
            "Hypervisor Generation of the Image matches the Hypervisor Generation of the "
            "selected VM Size.",
        )
    secure = security_type(vm["properties"].get("securityProfile")) == TRUSTED_LAUNCH
    if secure and skus.capability(size, "TrustedLaunchDisabled") is not None:
        raise errors.bad_request(
            "BadRequest",
            f"The VM size '{size}' is not supported for creation of VMs and Virtual Machine "
            "Scale Set with 'TrustedLaunch' security type.",
        )
    limit = int(skus.capability(size, "MaxDataDiskCount") or 64)
    if len(vm["properties"]["storageProfile"].get("dataDisks") or []) > limit:
        raise errors.conflict(
            "OperationNotAllowed",
            "The maximum number of data disks allowed to be attached to a VM of this size is "
            f"{limit}.",
        )


def _check_nics(core: Core, vm: Body) -> list[Body]:
    refs = (vm["properties"].get("networkProfile") or {}).get("networkInterfaces") or []
    if not refs:
        raise errors.invalid_parameter(
            "Required parameter 'networkProfile' is missing (null).", "networkProfile"
        )
    network = _network(core)
    for index, ref in enumerate(refs):
        target = f"networkProfile.networkInterfaces[{index}].id"
        nic_id = str(ref.get("id") or "")
        nic = core.store.get(nic_id if nic_id.startswith("/") else "/" + nic_id)
        if nic is None or not nic_id.lower().count(NICS.lower()):
            raise errors.ArmError(
                404, "NotFound", f"Resource {nic_id} was not found.", target=target
            )
        if nic.get("location") != vm["location"]:
            raise errors.invalid_parameter(
                f"Network interface {nic['id']} is in location '{nic.get('location')}'; a VM "
                f"in location '{vm['location']}' can only use network interfaces there.",
                target,
            )
        user = network.nic_user(nic)
        if user and user.lower() != vm["id"].lower():
            raise errors.bad_request(
                "NicInUse",
                f"Network Interface {nic['id']} is used by existing resource {user}. In order "
                "to delete the network interface, it must be dissociated from the resource. To "
                "learn more, see aka.ms/deletenic.",
                target=target,
            )
        ref["id"] = nic["id"]
        ref.setdefault("properties", {}).setdefault("primary", index == 0)
        ref["properties"].setdefault("deleteOption", "Detach")
    return refs


def _apply(
    core: Core, vm: Body, existing: Body | None, disk_ids: list[str], nics: list[Body]
) -> None:
    """Attach the new disks and NICs; release what an update no longer lists."""
    disks, network = DiskAttachments(core), _network(core)
    before_disks = {d.lower(): d for d in _attached_disks(existing)} if existing else {}
    before_nics = {n.lower(): n for n in _attached_nics(existing)} if existing else {}
    for disk_id in disk_ids:
        before_disks.pop(disk_id.lower(), None)
        disks.attach(disk_id, vm["id"])
    for ref in nics:
        before_nics.pop(ref["id"].lower(), None)
        network.attach_nic(ref["id"], vm["id"])
    for disk_id in before_disks.values():
        disks.release(disk_id, delete=False)
    for nic_id in before_nics.values():
        network.release_nic(nic_id, delete=False)


def _complete_entry(entry: Body, disk: Body) -> None:
    """Fill the disk entry as Compute returns it: name, size, caching, deleteOption."""
    is_os = "lun" not in entry
    props = disk.get("properties", {})
    entry["name"] = disk["name"]
    entry["managedDisk"] = {
        "id": disk["id"],
        "storageAccountType": (disk.get("sku") or {}).get("name", "Premium_LRS"),
    }
    entry.setdefault("caching", _CACHING["os" if is_os else "data"])
    entry.setdefault("deleteOption", "Detach")
    entry["diskSizeGB"] = props.get("diskSizeGB", entry.get("diskSizeGB"))
    if is_os:
        entry["osType"] = props.get("osType", entry.get("osType", "Linux"))
    else:
        entry.setdefault("toBeDetached", False)


def _attached_disks(vm: Body | None) -> list[str]:
    storage = (vm or {}).get("properties", {}).get("storageProfile", {})
    entries = [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]
    return [str(e["managedDisk"]["id"]) for e in entries if (e.get("managedDisk") or {}).get("id")]


def _attached_nics(vm: Body | None) -> list[str]:
    profile = (vm or {}).get("properties", {}).get("networkProfile", {})
    return [str(n["id"]) for n in profile.get("networkInterfaces") or [] if n.get("id")]


def _delete(core: Core, req: Request) -> Response:
    vm = core.store.get(req.resource_id)
    if vm is None:
        return Response.no_content()
    throttle_vm_operation(core, req.subscription, vm["location"], vm["name"], "delete")
    vm["properties"]["provisioningState"] = "Deleting"
    core.store.put(vm)
    vm_id = vm["id"]

    def finish() -> None:
        current = core.store.get(vm_id) or vm
        storage = current["properties"].get("storageProfile", {})
        disks = DiskAttachments(core)
        for entry in [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]:
            disk_id = (entry.get("managedDisk") or {}).get("id")
            if disk_id:
                disks.release(disk_id, delete=_deletes(entry))
        network = _network(core)
        for ref in current["properties"].get("networkProfile", {}).get("networkInterfaces", []):
            network.release_nic(ref["id"], delete=_deletes(ref.get("properties") or {}))
        core.store.delete(vm_id)

    return lro_accepted(core, req, vm["location"], None, finish)


def _deletes(entry: Body) -> bool:
    return str(entry.get("deleteOption") or "Detach").lower() == "delete"
