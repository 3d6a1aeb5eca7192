"""Recovery writes in the DR region: managed disks from DR copies, and VMs attaching them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of, rg

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/disks/read",
    "Microsoft.Compute/disks/write",
    "Microsoft.Compute/disks/delete",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachines/delete",
    # Creating a disk from a DR snapshot or disk restore point reads the source.
    "Microsoft.Compute/snapshots/read",
    "Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/read",
)


@dataclass(frozen=True)
class Recovered:
    """A recovered DR resource as ARM returned it: its id, provisioningState and a few facts."""

    id: str
    provisioning_state: str
    source: str | None = None
    """The disk's creationData source, or the VM's OS disk id (how ownership is verified)."""
    error: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def succeeded(self) -> bool:
        """True when ARM reports the resource Succeeded."""
        return self.provisioning_state.lower() == "succeeded"

    @property
    def failed(self) -> bool:
        """True when ARM reports the resource Failed (a create that cannot finish)."""
        return self.provisioning_state.lower() == "failed"


@dataclass(frozen=True)
class AttachedDisk:
    """A disk a recovered VM attaches: the OS disk has no LUN."""

    disk_id: str
    lun: int | None
    caching: str


@dataclass(frozen=True)
class VmSpec:
    """What a recovered VM is made of (every field from the approved plan)."""

    size: str
    os_type: str
    disks: tuple[AttachedDisk, ...]
    nics: tuple[tuple[str, bool], ...]
    """(NIC id, primary) in payload order."""
    security_type: str = ""
    secure_boot_enabled: bool | None = None
    vtpm_enabled: bool | None = None
    zone: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def _state(body: Mapping[str, Any]) -> str:
    return str(props_of(body).get("provisioningState") or "Succeeded")


def parse_disk(body: Mapping[str, Any]) -> Recovered:
    """Return the recovered disk an ARM body describes."""
    creation = props_of(body).get("creationData") or {}
    source = creation.get("sourceResourceId") or creation.get("sourceUri")
    facts = {"managedBy": body.get("managedBy")} if body.get("managedBy") else {}
    return Recovered(str(body.get("id") or ""), _state(body), source, None, facts)


def parse_vm(body: Mapping[str, Any]) -> Recovered:
    """Return the recovered VM an ARM body describes (its OS disk id is its `source`)."""
    storage = props_of(body).get("storageProfile") or {}
    os_disk = ((storage.get("osDisk") or {}).get("managedDisk") or {}).get("id")
    facts = {"vmId": props_of(body).get("vmId")} if props_of(body).get("vmId") else {}
    return Recovered(str(body.get("id") or ""), _state(body), os_disk, None, facts)


def get_disk(clients: AzureClients, disk: ResourceId) -> Recovered | None:
    """Return the DR disk, or None when it does not exist."""
    ops = clients.compute(disk.subscription).disks
    body = missing_is_none(lambda: as_json(ops.get(rg(disk), disk.name)))
    return parse_disk(body) if body else None


def is_disk_restore_point(source: str) -> bool:
    """True when `source` is a disk restore point id (`.../diskRestorePoints/<name>`)."""
    return "/diskrestorepoints/" in source.lower()


def disk_body(
    location: str, source: str, sku: str, zone: str | None, tags: Mapping[str, str]
) -> dict[str, Any]:
    """Return the PUT body of a disk copied from a DR snapshot or disk restore point.

    A snapshot is copied (`Copy`); a disk restore point is restored (`Restore`, the only
    option Azure accepts for one). No securityProfile: the disk inherits its source's (Azure
    refuses one with Copy).
    """
    option = "Restore" if is_disk_restore_point(source) else "Copy"
    body: dict[str, Any] = {
        "location": location,
        "sku": {"name": sku},
        "tags": dict(tags),
        "properties": {"creationData": {"createOption": option, "sourceResourceId": source}},
    }
    if zone:
        body["zones"] = [zone]
    return body


def begin_create_disk(
    clients: AzureClients,
    disk: ResourceId,
    location: str,
    source: str,
    *,
    sku: str,
    zone: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Recovered:
    """PUT the disk (Copy of a snapshot, Restore of a disk restore point `source`) and return
    ARM's first answer; do not wait.

    The Disks API has no `If-None-Match`, so the disk is read first: one that exists is
    returned as it stands (never written twice: an attached disk must not be updated), and a
    409 is verified by reading the disk. Either is ours only when its source is `source`;
    another disk under the name raises InvalidInput("resourceId"). Raises azure.core errors.
    """
    from azure.core.exceptions import ResourceExistsError
    from azure.mgmt.compute.models import Disk as DiskModel

    existing = get_disk(clients, disk)
    if existing is not None:
        return _ours(existing, source, "disk")
    ops = clients.compute(disk.subscription).disks
    body = disk_body(location, source, sku, zone, tags or {})
    try:
        poller = ops.begin_create_or_update(rg(disk), disk.name, DiskModel(body), polling=False)
        return parse_disk(as_json(poller.result()) or {"id": str(disk), **body})
    except ResourceExistsError:
        found = get_disk(clients, disk)
        if found is None or (found.source or "").lower() != source.lower():
            raise
        return found


def _ours(found: Recovered, source: str, what: str) -> Recovered:
    """Return `found` when it was made from `source`; raise InvalidInput otherwise."""
    if (found.source or "").lower() == source.lower():
        return found
    from shared.errors import InvalidInput

    raise InvalidInput(
        "resourceId", f"{what} {found.id} exists with another source ({found.source})"
    )


def get_vm(clients: AzureClients, vm: ResourceId) -> Recovered | None:
    """Return the DR VM, or None when it does not exist."""
    ops = clients.compute(vm.subscription).virtual_machines
    body = missing_is_none(lambda: as_json(ops.get(rg(vm), vm.name)))
    return parse_vm(body) if body else None


def vm_body(location: str, spec: VmSpec) -> dict[str, Any]:
    """Return the PUT body of a VM that attaches recovered disks and NICs."""
    os_disks = [d for d in spec.disks if d.lun is None]
    if len(os_disks) != 1:
        from shared.errors import InvalidInput

        raise InvalidInput("vm.disks", f"expected one OS disk, got {len(os_disks)}")
    os_disk = os_disks[0]
    data: Sequence[AttachedDisk] = sorted(
        (d for d in spec.disks if d.lun is not None), key=lambda d: d.lun or 0
    )
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": spec.size},
        "storageProfile": {
            "osDisk": {
                "createOption": "Attach",
                "osType": spec.os_type,
                "caching": os_disk.caching,
                "managedDisk": {"id": os_disk.disk_id},
            },
            "dataDisks": [
                {
                    "lun": d.lun,
                    "createOption": "Attach",
                    "caching": d.caching,
                    "managedDisk": {"id": d.disk_id},
                }
                for d in data
            ],
        },
        "networkProfile": {
            "networkInterfaces": [
                {"id": nic, "properties": {"primary": primary}} for nic, primary in spec.nics
            ]
        },
    }
    if spec.security_type.lower() == "trustedlaunch":
        uefi: dict[str, bool] = {}
        if spec.secure_boot_enabled is not None:
            uefi["secureBootEnabled"] = spec.secure_boot_enabled
        if spec.vtpm_enabled is not None:
            uefi["vTpmEnabled"] = spec.vtpm_enabled
        props["securityProfile"] = {"securityType": "TrustedLaunch", "uefiSettings": uefi}
    body: dict[str, Any] = {"location": location, "tags": dict(spec.tags), "properties": props}
    if spec.zone:
        body["zones"] = [spec.zone]
    return body


def begin_create_vm(
    clients: AzureClients, vm: ResourceId, location: str, spec: VmSpec
) -> Recovered:
    """PUT the VM with `If-None-Match: *` and return ARM's first answer; do not wait.

    A 412 (the VM exists: an earlier attempt made it) is verified by reading the VM: it is
    ours when it attaches the same OS disk; anything else re-raises. Raises azure.core errors.
    """
    from azure.core import MatchConditions
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.compute.models import VirtualMachine

    ops = clients.compute(vm.subscription).virtual_machines
    body = vm_body(location, spec)
    os_disk = next(d.disk_id for d in spec.disks if d.lun is None)
    try:
        poller = ops.begin_create_or_update(
            rg(vm),
            vm.name,
            VirtualMachine(body),
            match_condition=MatchConditions.IfMissing,
            polling=False,
        )
        return parse_vm(as_json(poller.result()) or {"id": str(vm), **body})
    except HttpResponseError as exc:
        if exc.status_code not in (409, 412):
            raise
        found = get_vm(clients, vm)
        if found is None or (found.source or "").lower() != os_disk.lower():
            raise
        return found


def delete_vm(clients: AzureClients, vm: ResourceId) -> None:
    """Delete the DR VM and wait (its disks and NICs are kept: Detach); gone is success."""
    ops = clients.compute(vm.subscription).virtual_machines
    missing_is_none(lambda: ops.begin_delete(rg(vm), vm.name).result())


def delete_disk(clients: AzureClients, disk: ResourceId) -> None:
    """Delete the DR disk and wait; already gone is success."""
    ops = clients.compute(disk.subscription).disks
    missing_is_none(lambda: ops.begin_delete(rg(disk), disk.name).result())
